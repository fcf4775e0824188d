"""Plain-English reasons why Canvas's own course score differs from ours.

Pure: the caller passes the facts it knows about the course (``ExplainContext``);
we only compare numbers and phrase the facts that can explain a gap.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from canvas.analysis.grades import GradeResult

# Canvas reports 2-dp percentages, so anything closer than this is the same grade.
TOLERANCE = Decimal("0.01")


@dataclass(frozen=True)
class ExplainContext:
    """Facts about the course that can make Canvas's number differ from ours."""

    hidden_grades: int = 0  # grades the student cannot see yet (unposted/hidden)
    has_grading_periods: bool = False
    hide_final_grades: bool = False  # course setting: Canvas hides the total
    dropped_ids: tuple[str, ...] | None = None  # None: use the drops in ``ours``


def explain_difference(
    canvas_current: Decimal | float | None,
    canvas_final: Decimal | float | None,
    ours: GradeResult,
    context: ExplainContext,
) -> list[str]:
    """Reasons for a gap of >= 0.01 between Canvas's scores and ours; [] if none."""
    if not (_differs(canvas_current, ours.current_percent) or _differs(canvas_final, ours.final_percent)):
        return []
    if context.hide_final_grades and canvas_current is None and canvas_final is None:
        return ["Canvas hides the course total for this course"]

    reasons = []
    if context.hide_final_grades:
        reasons.append("Canvas hides the course total for this course")
    if context.hidden_grades > 0:
        n = context.hidden_grades
        reasons.append(
            f"{n} grade is not posted yet, so Canvas doesn't count it"
            if n == 1
            else f"{n} grades are not posted yet, so Canvas doesn't count them"
        )
    if context.has_grading_periods:
        reasons.append("this course uses grading periods; Canvas shows the current period")
    dropped = context.dropped_ids
    if dropped is None:
        dropped = ours.current_dropped + ours.final_dropped
    if dropped:
        n = len(set(dropped))
        reasons.append(f"a drop rule removed {n} score{'' if n == 1 else 's'}")
    if not reasons:
        # No known cause: the likeliest one is a recalculation Canvas hasn't run yet.
        reasons.append("Canvas may not have recalculated since the latest grade change")
    return reasons


def _differs(canvas: Decimal | float | None, ours: Decimal | None) -> bool:
    if canvas is None or ours is None:
        return (canvas is None) != (ours is None)
    theirs = canvas if isinstance(canvas, Decimal) else Decimal(str(canvas))
    return abs(theirs - ours) >= TOLERANCE
