"""What is at stake: how many points of the course's final percentage one assignment can move.

Pure. The answer is always the grade engine's own: ``calculate`` run twice, once with the
assignment at full marks and once at zero, every other assignment left as it is. The final score
is the one that counts every piece of ungraded work as 0 (grade-calc.md), so "everything else as
Canvas's final score treats it" is simply the inputs unchanged. Weights, drop rules,
omit-from-final, grading periods and the 2-dp rounding all come from the calculator, so a
dropped-anyway assignment or one left out of the final grade is worth 0 here, not its points.

`stakes` (many assignments of one course) asks the calculator fewer times without changing any
answer, using two exact properties of the engine's final score (tests check them against
`at_stake` one by one):
- "at zero" is the course as it is when the assignment has no visible grade or a visible 0 (the
  final score counts ungraded work as 0, droppable like a graded 0), so one calculation serves all;
- two assignments that differ only by id (same group, points, grading period, flags, never-drop
  membership and final-score contribution) have the same stake: swapping them is a relabelling the
  calculator cannot see (drop ties go by id, but tied items have equal values). A course with 100
  identical 2-point exercises is one calculation, not 200.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

from canvas.analysis.grades import (
    GradeInputs,
    Submission,
    calculate,
    submission_map,
    visible_submission,
)

ZERO = Decimal(0)
# Bands shown instead of numbers in letter-only courses (and alongside them elsewhere): points of
# the final percentage. 5 points is half a letter grade on Canvas's default scheme; 1 point can
# still cross a cutoff.
HIGH_AT = Decimal(5)
MEDIUM_AT = Decimal(1)
LEVELS = ("High", "Medium", "Low")


def at_stake(inputs: GradeInputs, assignment_id: str) -> Decimal:
    """Final % with the assignment at full marks minus final % with it at zero (never negative).

    An assignment the calculator does not know (unpublished, not graded) or that is worth no points
    moves nothing: 0. Extra credit (no points possible) has no "full marks" to try, so 0 as well.
    """
    return _stake(inputs, assignment_id, None)


def _stake(inputs: GradeInputs, assignment_id: str, at_zero: Decimal | None) -> Decimal:
    points = {a.id: a.points_possible for a in inputs.assignments}.get(assignment_id)
    if points is None or points <= 0:
        return ZERO
    best = calculate(_with_score(inputs, assignment_id, points)).final_percent
    worst = at_zero if at_zero is not None else calculate(_with_score(inputs, assignment_id, ZERO)).final_percent
    if best is None or worst is None:
        return ZERO
    return max(best - worst, ZERO)


def stakes(inputs: GradeInputs, ids: Iterable[str]) -> dict[str, Decimal]:
    """``at_stake`` for each id, with the fewer calculations the module docstring explains."""
    subs = submission_map(inputs)
    by_id = {a.id: a for a in inputs.assignments}
    never = {g.id: g.rules.never_drop for g in inputs.groups}
    as_is: Decimal | None = None
    found: dict[tuple[object, ...], Decimal] = {}
    out: dict[str, Decimal] = {}
    for i in ids:
        a = by_id.get(i)
        if a is None:
            out[i] = ZERO
            continue
        contribution = _final_contribution(subs.get(i))
        key = (a.group_id, a.points_possible, a.grading_period_id, a.omit_from_final_grade, a.visible,
               i in never.get(a.group_id, frozenset()), contribution)
        if key not in found:
            at_zero = None
            if contribution == ZERO:
                if as_is is None:
                    as_is = calculate(inputs).final_percent
                at_zero = as_is
            found[key] = _stake(inputs, i, at_zero)
        out[i] = found[key]
    return out


def _final_contribution(sub: Submission | None) -> object:
    """What the submission adds to the final score: excused (nothing), or its score (ungraded = 0)."""
    seen = visible_submission(sub)
    if seen is not None and seen.excused:
        return "excused"
    return ZERO if seen is None or seen.score is None or seen.score == 0 else seen.score


def level(points: Decimal | float | None) -> str | None:
    """"High" / "Medium" / "Low" for a number of final-grade points (None when unknown)."""
    if points is None or points != points:  # NaN
        return None
    value = Decimal(str(points))
    if value >= HIGH_AT:
        return LEVELS[0]
    if value >= MEDIUM_AT:
        return LEVELS[1]
    return LEVELS[2]


def letter_only(course: Mapping[str, Any]) -> bool:
    """Whether Canvas hides numbers from the student (``restrict_quantitative_data`` on the course)."""
    return course.get("restrict_quantitative_data") is True


def _with_score(inputs: GradeInputs, assignment_id: str, score: Decimal) -> GradeInputs:
    """Inputs where this assignment has a posted, graded submission with ``score`` (replacing any
    other, as Canvas's what-if does), everything else unchanged."""
    kept = [s for s in submission_map(inputs).values() if s.assignment_id != assignment_id]
    added = Submission(assignment_id, score, workflow_state="graded")
    return replace(inputs, submissions=(*kept, added))
