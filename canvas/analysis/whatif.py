"""What-if grades and "what do I need" answers, using the calculator as oracle.

Pure: every answer is ``calculate`` run on inputs with some scores filled in.
"Remaining work" is every assignment that can still reach the course total and has
no grade the student can see (no submission, a null score, or an unposted grade).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal

from canvas.analysis.grades import (
    GradeInputs,
    GradeResult,
    Submission,
    calculate,
    counts_toward_course,
    is_ungraded,
    submission_map,
)
from canvas.analysis.jsonfields import as_number
from canvas.errors import UsageError

HUNDRED = Decimal(100)
# Beyond this average (in % of the remaining points) a target counts as unreachable.
_SEARCH_CEILING = 1_000_000  # hundredths of a percent, i.e. 10,000%


@dataclass(frozen=True)
class TargetResult:
    """Answer to "to finish with at least ``target``% what average do I need?".

    ``needed_percent`` is the smallest uniform score (in hundredths of a percent)
    on every remaining assignment that makes the final grade Canvas would show (2 dp,
    half up) at least the target: > 100 means impossible without extra credit, 0
    means the target is already guaranteed. None when no average can reach it.
    """

    target_percent: Decimal
    status: str  # "reachable" | "guaranteed" | "impossible"
    needed_percent: Decimal | None
    remaining_ids: tuple[str, ...]
    best_final: Decimal | None
    worst_final: Decimal | None


def remaining_ids(inputs: GradeInputs) -> tuple[str, ...]:
    """Ids of countable assignments still without a visible grade."""
    subs = submission_map(inputs)
    return tuple(a.id for a in inputs.assignments if counts_toward_course(inputs, a) and is_ungraded(subs.get(a.id)))


def what_if(inputs: GradeInputs, hypothetical: Mapping[str, Decimal | int | float]) -> GradeResult:
    """The grade if each assignment in ``hypothetical`` got that score.

    Like Canvas's what-if, a hypothetical score replaces any existing one (even an
    unposted or excused one) and takes part in drop rules.
    """
    known = {a.id for a in inputs.assignments}
    scores: dict[str, Decimal] = {}
    for assignment_id, value in hypothetical.items():
        path = f"hypothetical[{assignment_id!r}]"
        if assignment_id not in known:
            raise UsageError(f"{path}: unknown assignment")
        scores[assignment_id] = as_number(value, path)
    return calculate(_with_scores(inputs, scores))


def best_worst(inputs: GradeInputs) -> tuple[Decimal | None, Decimal | None]:
    """Final grade with all remaining work at 100% and at 0%."""
    remaining = remaining_ids(inputs)
    return _final_at(inputs, remaining, HUNDRED), _final_at(inputs, remaining, Decimal(0))


def target_needed(inputs: GradeInputs, target_percent: Decimal | int | float) -> TargetResult:
    """The average needed on remaining work to finish with at least the target.

    Bisects on a uniform percentage applied to all remaining work, with the
    calculator (weights, drop rules, rounding) deciding each trial.
    """
    target = as_number(target_percent, "target_percent")
    remaining = remaining_ids(inputs)
    best, worst = best_worst(inputs)

    def meets(final: Decimal | None) -> bool:
        return final is not None and final >= target

    def reaches(hundredths: int) -> bool:
        return meets(_final_at(inputs, remaining, Decimal(hundredths).scaleb(-2)))

    def answer(status: str, needed: Decimal | None) -> TargetResult:
        return TargetResult(target, status, needed, remaining, best, worst)

    if meets(worst):  # all remaining work at 0%
        return answer("guaranteed", Decimal("0.00"))
    if not remaining:
        return answer("impossible", None)
    if meets(best):  # all remaining work at 100%
        return answer("reachable", _lowest_passing(reaches, 0, 10_000))
    # Past 100% (extra credit): widen until reached or clearly unreachable.
    low, high = 10_000, 20_000
    while not reaches(high):
        if high >= _SEARCH_CEILING:
            return answer("impossible", None)
        low, high = high, min(high * 2, _SEARCH_CEILING)
    return answer("impossible", _lowest_passing(reaches, low, high))


def _lowest_passing(reaches: Callable[[int], bool], low: int, high: int) -> Decimal:
    """Smallest hundredth in (low, high] that reaches; ``low`` fails, ``high`` passes."""
    while high - low > 1:
        mid = (low + high) // 2
        if reaches(mid):
            high = mid
        else:
            low = mid
    return Decimal(high).scaleb(-2)


def _final_at(inputs: GradeInputs, ids: tuple[str, ...], percent: Decimal) -> Decimal | None:
    points = {a.id: a.points_possible or Decimal(0) for a in inputs.assignments}
    scores = {i: points[i] * percent / HUNDRED for i in ids}
    return calculate(_with_scores(inputs, scores)).final_percent


def _with_scores(inputs: GradeInputs, scores: Mapping[str, Decimal]) -> GradeInputs:
    """Inputs where each listed assignment has a posted, graded submission."""
    if not scores:
        return inputs
    kept = [s for s in submission_map(inputs).values() if s.assignment_id not in scores]
    added = [Submission(i, score, workflow_state="graded") for i, score in scores.items()]
    return replace(inputs, submissions=tuple(kept + added))
