"""Plain-English reasons for a gap between Canvas's score and ours."""

from __future__ import annotations

from decimal import Decimal

import pytest

from canvas.analysis.explain import ExplainContext, explain_difference
from canvas.analysis.grades import GradeResult

D = Decimal


def ours(current: str | None = "90.00", final: str | None = "80.00", dropped: tuple[str, ...] = ()) -> GradeResult:
    return GradeResult(
        current_percent=None if current is None else D(current),
        final_percent=None if final is None else D(final),
        current_score=D(90),
        current_possible=D(100),
        final_score=D(90),
        final_possible=D(110),
        current_dropped=dropped,
        final_dropped=dropped,
    )


HIDDEN_2 = ExplainContext(hidden_grades=2)


@pytest.mark.parametrize(
    ("canvas", "result", "context", "expected"),
    [
        pytest.param((90.0, 80.0), ours(), HIDDEN_2, [], id="same"),
        pytest.param((90.004, 79.996), ours(), HIDDEN_2, [], id="under-a-hundredth"),
        pytest.param((D("90.00"), None), ours(final=None), HIDDEN_2, [], id="both-null"),
        pytest.param(
            (91.5, 80.0),
            ours(),
            HIDDEN_2,
            ["2 grades are not posted yet, so Canvas doesn't count them"],
            id="hidden-plural",
        ),
        pytest.param(
            (90.0, 80.01),
            ours(),
            ExplainContext(hidden_grades=1),
            ["1 grade is not posted yet, so Canvas doesn't count it"],
            id="hidden-singular-at-0.01",
        ),
        pytest.param(
            (None, None),
            ours(),
            ExplainContext(hidden_grades=3, hide_final_grades=True),
            ["Canvas hides the course total for this course"],
            id="hidden-total",
        ),
        pytest.param(
            (72.0, 60.0),
            ours(),
            ExplainContext(has_grading_periods=True),
            ["this course uses grading periods; Canvas shows the current period"],
            id="grading-periods",
        ),
        pytest.param(
            (85.0, 80.0),
            ours(dropped=("1", "2")),
            ExplainContext(),
            ["a drop rule removed 2 scores"],
            id="drops-from-result",
        ),
        pytest.param(
            (85.0, 80.0),
            ours(dropped=("1", "2")),
            ExplainContext(dropped_ids=("7",)),
            ["a drop rule removed 1 score"],
            id="drops-from-context",
        ),
        pytest.param(
            (85.0, 80.0),
            ours(),
            ExplainContext(hidden_grades=1, has_grading_periods=True, hide_final_grades=True),
            [
                "Canvas hides the course total for this course",
                "1 grade is not posted yet, so Canvas doesn't count it",
                "this course uses grading periods; Canvas shows the current period",
            ],
            id="several",
        ),
        pytest.param(
            (85.0, 80.0),
            ours(),
            ExplainContext(),
            ["Canvas may not have recalculated since the latest grade change"],
            id="no-known-cause",
        ),
        pytest.param(
            (None, 80.0),
            ours(),
            ExplainContext(hidden_grades=1),
            ["1 grade is not posted yet, so Canvas doesn't count it"],
            id="canvas-has-no-current",
        ),
    ],
)
def test_explain_difference(canvas, result, context, expected):
    assert explain_difference(canvas[0], canvas[1], result, context) == expected
