"""Canvas-exact course grade calculator (current and final score).

Follows Canvas's own ``GradeCalculator`` (instructure/canvas-lms
``lib/grade_calculator.rb``, the source of the API's ``computed_*`` scores) and its JS
twin (``ui/shared/grading/CourseGradeCalculator.ts`` and
``AssignmentGroupGradeCalculator.ts``). Inputs are
``Decimal``; all sums and ratios are exact (``Fraction``); the only rounding is
half-up to 2 decimal places at the end of each reported percentage. Pure: no I/O.

Where Canvas's two calculators differ, we follow the one behind the API's numbers
(Ruby) for course percents, and the JS one where Ruby is unspecified:

* weighted grading periods combine the *rounded* period percents (Ruby; JS's CG4
  gives 60.83 where Ruby and we give 60.84);
* drop ties go by assignment id (JS; Ruby's sort is unstable);
* under weighted periods a group's totals are the sums of its per-period parts (JS);
* dropped ids are assignment ids, including ungraded ones dropped from the final
  score (Ruby records only ids of submissions it could see).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from fractions import Fraction
from typing import NamedTuple

from canvas.analysis.drops import DropRules, Item, apply_drop_rules, id_key

CURRENT = "current"
FINAL = "final"
PENDING_REVIEW = "pending_review"


@dataclass(frozen=True)
class Group:
    """An assignment group; ``weight`` is ``group_weight`` (None counts as 0)."""

    id: str
    weight: Decimal | None = None
    rules: DropRules = field(default_factory=DropRules)


@dataclass(frozen=True)
class Assignment:
    """A published, graded assignment as the student sees it.

    ``visible=False`` means the assignment is not assigned to / visible for the
    student: it is left out of both scores (as ``grade_calculator.rb`` does).
    """

    id: str
    group_id: str
    points_possible: Decimal | None = None
    omit_from_final_grade: bool = False
    grading_period_id: str | None = None
    visible: bool = True


@dataclass(frozen=True)
class Submission:
    """The student's submission. ``score`` None means ungraded.

    ``posted=False`` is a grade the student cannot see yet: Canvas treats it as
    no submission at all (out of current, 0 in final, droppable).
    """

    assignment_id: str
    score: Decimal | None = None
    excused: bool = False
    workflow_state: str | None = None
    posted: bool = True


@dataclass(frozen=True)
class GradingPeriod:
    id: str
    weight: Decimal | None = None


@dataclass(frozen=True)
class GradingPeriods:
    """The course's grading period set; ``weighted`` is the set's flag."""

    weighted: bool
    periods: tuple[GradingPeriod, ...] = ()


@dataclass(frozen=True)
class GradeInputs:
    """Everything the calculator needs for one student in one course."""

    weighted: bool  # apply_assignment_group_weights / group_weighting_scheme "percent"
    groups: tuple[Group, ...]
    assignments: tuple[Assignment, ...]
    submissions: tuple[Submission, ...] = ()
    grading_periods: GradingPeriods | None = None


@dataclass(frozen=True)
class GroupResult:
    """One group's kept points per variant, its 2-dp percent and dropped ids."""

    id: str
    current_score: Decimal
    current_possible: Decimal
    current_percent: Decimal | None
    final_score: Decimal
    final_possible: Decimal
    final_percent: Decimal | None
    current_dropped: tuple[str, ...] = ()
    final_dropped: tuple[str, ...] = ()


@dataclass(frozen=True)
class PeriodResult:
    """A grading period's own score (groups cut to the period)."""

    id: str
    weight: Decimal | None
    current_percent: Decimal | None
    final_percent: Decimal | None
    groups: tuple[GroupResult, ...] = ()


@dataclass(frozen=True)
class GradeResult:
    """Course totals. Percents are what Canvas shows (2 dp, None = no grade).

    ``*_score`` / ``*_possible`` are always the summed kept points of the groups
    that count, also under weighted groups where the percent is not S/P.
    """

    current_percent: Decimal | None
    final_percent: Decimal | None
    current_score: Decimal
    current_possible: Decimal
    final_score: Decimal
    final_possible: Decimal
    current_dropped: tuple[str, ...] = ()
    final_dropped: tuple[str, ...] = ()
    groups: tuple[GroupResult, ...] = ()
    periods: tuple[PeriodResult, ...] = ()


class _Part(NamedTuple):
    """One group in one variant: kept points and the ids the drop rules removed."""

    score: Fraction
    possible: Fraction
    dropped: tuple[str, ...]


_Parts = Mapping[str, Mapping[str, _Part]]  # group id -> variant -> part


def round2(value: Fraction | Decimal | int) -> Decimal:
    """Round to 2 dp, half away from zero (big.js ROUND_HALF_UP, Ruby Float#round)."""
    hundredths = Fraction(value) * 100
    num, den = abs(hundredths.numerator), hundredths.denominator
    units = (2 * num + den) // (2 * den)
    return Decimal(-units if hundredths < 0 else units).scaleb(-2)


def to_decimal(value: Fraction) -> Decimal:
    """Exact for sums of decimal inputs (denominators of 2s and 5s)."""
    with localcontext() as ctx:
        ctx.prec = 60
        result = (Decimal(value.numerator) / Decimal(value.denominator)).normalize()
        # normalize() writes 1000 as 1E+3; keep integers in plain notation.
        if result == result.to_integral_value():
            return result.quantize(Decimal(1))
        return result


def submission_map(inputs: GradeInputs) -> dict[str, Submission]:
    """First submission per assignment id (Canvas's JS ignores later duplicates)."""
    found: dict[str, Submission] = {}
    for sub in inputs.submissions:
        found.setdefault(sub.assignment_id, sub)
    return found


def visible_submission(sub: Submission | None) -> Submission | None:
    """What the student's posted view sees: an unposted grade is no submission."""
    return sub if sub is not None and sub.posted else None


def is_ungraded(sub: Submission | None) -> bool:
    """True when the final score counts this assignment as 0 for lack of a grade."""
    seen = visible_submission(sub)
    return seen is None or (not seen.excused and seen.score is None)


def counts_toward_course(inputs: GradeInputs, assignment: Assignment) -> bool:
    """Whether the assignment can reach the course total at all (before excusing)."""
    if not _countable(assignment):
        return False
    if inputs.grading_periods is not None and _weighted_periods_apply(inputs.grading_periods):
        # Weighted periods count only work that falls inside a period (CG4).
        return assignment.grading_period_id in {p.id for p in inputs.grading_periods.periods}
    return True


def calculate(inputs: GradeInputs) -> GradeResult:
    """Compute the student's current and final course grade like Canvas."""
    subs = submission_map(inputs)
    countable = [a for a in inputs.assignments if _countable(a)]
    periods = inputs.grading_periods
    period_list = periods.periods if periods is not None else ()
    period_parts = [
        _scope_parts(inputs, [a for a in countable if a.grading_period_id == p.id], subs) for p in period_list
    ]
    period_results = tuple(
        PeriodResult(
            id=p.id,
            weight=p.weight,
            current_percent=_percent(inputs, parts, CURRENT),
            final_percent=_percent(inputs, parts, FINAL),
            groups=_group_results(inputs, parts),
        )
        for p, parts in zip(period_list, period_parts, strict=True)
    )

    if periods is not None and _weighted_periods_apply(periods):
        # Course groups are the sums of their per-period parts (JS CG5).
        parts = _merge_parts(inputs, period_parts)
        current = _weighted_periods(period_results, CURRENT)
        final = _weighted_periods(period_results, FINAL)
    else:
        # No periods, or an unweighted set: periods don't affect the course total.
        parts = _scope_parts(inputs, countable, subs)
        current = _percent(inputs, parts, CURRENT)
        final = _percent(inputs, parts, FINAL)

    current_score, current_possible = _totals(parts, CURRENT)
    final_score, final_possible = _totals(parts, FINAL)
    return GradeResult(
        current_percent=current,
        final_percent=final,
        current_score=to_decimal(current_score),
        current_possible=to_decimal(current_possible),
        final_score=to_decimal(final_score),
        final_possible=to_decimal(final_possible),
        current_dropped=_dropped(parts, CURRENT),
        final_dropped=_dropped(parts, FINAL),
        groups=_group_results(inputs, parts),
        periods=period_results,
    )


def _weighted_periods_apply(periods: GradingPeriods) -> bool:
    # Only a weighted set with periods builds the course from period scores;
    # otherwise periods are display-only and the course uses every assignment.
    return periods.weighted and bool(periods.periods)


def _countable(assignment: Assignment) -> bool:
    # omit_from_final_grade also leaves the *current* score (grade_calculator.rb).
    return assignment.visible and not assignment.omit_from_final_grade


def _item(assignment: Assignment, sub: Submission | None, variant: str) -> Item | None:
    """The (score, total) a submission contributes to one variant, if any."""
    seen = visible_submission(sub)
    if seen is not None and seen.excused:
        return None
    total = Fraction(assignment.points_possible or 0)
    score = seen.score if seen is not None else None
    if variant == CURRENT:
        # Current counts only graded work; a quiz awaiting review is not graded yet.
        if seen is None or score is None or seen.workflow_state == PENDING_REVIEW:
            return None
        return Item(assignment.id, Fraction(score), total)
    return Item(assignment.id, Fraction(score or 0), total)


def _scope_parts(
    inputs: GradeInputs,
    assignments: Iterable[Assignment],
    subs: Mapping[str, Submission],
) -> dict[str, dict[str, _Part]]:
    """Per group, per variant: drop rules applied to this scope's assignments."""
    by_group: dict[str, list[Assignment]] = {g.id: [] for g in inputs.groups}
    for a in assignments:
        if a.group_id in by_group:
            by_group[a.group_id].append(a)
    parts: dict[str, dict[str, _Part]] = {}
    for group in inputs.groups:
        parts[group.id] = {}
        for variant in (CURRENT, FINAL):
            items = [item for a in by_group[group.id] if (item := _item(a, subs.get(a.id), variant)) is not None]
            kept, dropped = apply_drop_rules(items, group.rules)
            parts[group.id][variant] = _Part(
                sum((i.score for i in kept), Fraction(0)),
                sum((i.total for i in kept), Fraction(0)),
                tuple(i.id for i in dropped),
            )
    return parts


def _merge_parts(inputs: GradeInputs, scopes: list[dict[str, dict[str, _Part]]]) -> dict[str, dict[str, _Part]]:
    """Add up each group's per-period parts into one course-level part."""
    merged: dict[str, dict[str, _Part]] = {}
    for group in inputs.groups:
        merged[group.id] = {}
        for variant in (CURRENT, FINAL):
            pieces = [scope[group.id][variant] for scope in scopes]
            merged[group.id][variant] = _Part(
                sum((p.score for p in pieces), Fraction(0)),
                sum((p.possible for p in pieces), Fraction(0)),
                _sorted_ids(i for p in pieces for i in p.dropped),
            )
    return merged


def _percent(inputs: GradeInputs, parts: _Parts, variant: str) -> Decimal | None:
    """Combine group totals into the 2-dp course (or period) percent."""
    if not inputs.weighted:
        score, possible = _totals(parts, variant)
        # Possible 0 (even with extra credit) is "no grade" (Ruby nil, UI "N/A").
        return round2(score / possible * 100) if possible > 0 else None
    total = Fraction(0)
    weight_sum = Fraction(0)
    for group in inputs.groups:
        part = parts[group.id][variant]
        if part.possible <= 0:
            continue  # renormalise: empty / ungraded / zero-point groups drop out
        weight = Fraction(group.weight or 0)
        total += part.score / part.possible * weight
        weight_sum += weight
    if weight_sum == 0:
        return None
    if weight_sum < 100:
        total = total * 100 / weight_sum  # scale up, never down
    return round2(total)


def _weighted_periods(periods: tuple[PeriodResult, ...], variant: str) -> Decimal | None:
    """Ruby's weighted-period total: combines the *rounded* period percents."""
    if variant == CURRENT:
        # Current uses only periods that have a current score; none at all is nil.
        scored = [(p.current_percent, p.weight) for p in periods]
        terms = [(pct, w) for pct, w in scored if pct is not None]
        if not terms:
            return None
    else:
        # Final keeps every period; one with nothing counts 0 but keeps its weight.
        terms = [(p.final_percent or Decimal(0), p.weight) for p in periods]
    total = sum((Fraction(pct) * Fraction(w or 0) / 100 for pct, w in terms), Fraction(0))
    weight_sum = sum((Fraction(w or 0) for _, w in terms), Fraction(0))
    if weight_sum == 0:
        return round2(0)
    if weight_sum < 100:
        total = total * 100 / weight_sum
    return round2(total)


def _group_results(inputs: GradeInputs, parts: _Parts) -> tuple[GroupResult, ...]:
    results = []
    for group in inputs.groups:
        cur = parts[group.id][CURRENT]
        fin = parts[group.id][FINAL]
        results.append(
            GroupResult(
                id=group.id,
                current_score=to_decimal(cur.score),
                current_possible=to_decimal(cur.possible),
                current_percent=_ratio_percent(cur),
                final_score=to_decimal(fin.score),
                final_possible=to_decimal(fin.possible),
                final_percent=_ratio_percent(fin),
                current_dropped=cur.dropped,
                final_dropped=fin.dropped,
            )
        )
    return tuple(results)


def _ratio_percent(part: _Part) -> Decimal | None:
    return round2(part.score / part.possible * 100) if part.possible > 0 else None


def _totals(parts: _Parts, variant: str) -> tuple[Fraction, Fraction]:
    score = sum((p[variant].score for p in parts.values()), Fraction(0))
    possible = sum((p[variant].possible for p in parts.values()), Fraction(0))
    return score, possible


def _dropped(parts: _Parts, variant: str) -> tuple[str, ...]:
    return _sorted_ids(i for p in parts.values() for i in p[variant].dropped)


def _sorted_ids(ids: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(ids), key=id_key))
