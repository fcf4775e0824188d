"""What-if scores, best/worst final and the target solver."""

from __future__ import annotations

from decimal import Decimal

import pytest

from canvas.analysis.drops import DropRules
from canvas.analysis.grades import Assignment, GradeInputs, Group, Submission
from canvas.analysis.whatif import best_worst, remaining_ids, target_needed, what_if
from canvas.errors import UsageError

D = Decimal


def inputs(
    rows: list[tuple[str, str, float | None, float]],
    groups: dict[str, tuple[float | None, DropRules]],
    *,
    weighted: bool = False,
    unposted: frozenset[str] = frozenset(),
) -> GradeInputs:
    """rows: (id, group, score or None for no submission, points)."""
    assignments = tuple(Assignment(aid, gid, D(str(points))) for aid, gid, _, points in rows)
    submissions = tuple(
        Submission(aid, D(str(score)), posted=aid not in unposted) for aid, _, score, _ in rows if score is not None
    )
    group_list = tuple(Group(gid, None if w is None else D(str(w)), rules) for gid, (w, rules) in groups.items())
    return GradeInputs(weighted, group_list, assignments, submissions)


ONE = {"g": (None, DropRules())}
# 80/100 graded, 100 points still to come
HALF_DONE = inputs([("a", "g", 80, 100), ("b", "g", None, 100)], ONE)
# group A (50%) graded 90%; group B (50%) two ungraded 50-pointers, drop lowest 1
WEIGHTED_DROP = inputs(
    [("a", "A", 90, 100), ("b1", "B", None, 50), ("b2", "B", None, 50)],
    {"A": (50, DropRules()), "B": (50, DropRules(1))},
    weighted=True,
)


def test_what_if_replaces_scores():
    # Ruby "what if scores": "uses student_entered_score" -> (50 + 10) / 200 = 30
    course = inputs([("1", "g", 50, 100), ("2", "g", 90, 100)], ONE)
    assert what_if(course, {"2": 10}).current_percent == D("30.00")


def test_what_if_counts_unposted_grades():
    # Ruby "includes student_entered_scores even if the submission is unposted"
    course = inputs([("1", "g", 50, 100), ("2", "g", 90, 100)], ONE, unposted=frozenset({"2"}))
    assert what_if(course, {"2": 10}).current_percent == D("30.00")


def test_what_if_fills_future_work_and_takes_part_in_drops():
    course = inputs([("1", "g", 5, 10), ("2", "g", None, 10), ("3", "g", None, 10)], {"g": (None, DropRules(1))})
    result = what_if(course, {"2": 10, "3": 9.5})
    assert result.current_percent == D("97.50")  # drops the 5/10
    assert result.current_dropped == ("1",)


def test_what_if_rejects_unknown_assignment_and_bad_score():
    with pytest.raises(UsageError, match=r"hypothetical\['zzz'\]: unknown assignment"):
        what_if(HALF_DONE, {"zzz": 1})
    with pytest.raises(UsageError, match=r"hypothetical\['b'\]: expected a number"):
        what_if(HALF_DONE, {"b": "ten"})


def test_remaining_and_best_worst():
    assert remaining_ids(HALF_DONE) == ("b",)
    assert best_worst(HALF_DONE) == (D("90.00"), D("40.00"))
    assert best_worst(WEIGHTED_DROP) == (D("95.00"), D("45.00"))


def test_remaining_includes_unposted_but_not_excused_or_omitted():
    course = GradeInputs(
        False,
        (Group("g"),),
        (
            Assignment("posted", "g", D(10)),
            Assignment("hidden", "g", D(10)),
            Assignment("excused", "g", D(10)),
            Assignment("omitted", "g", D(10), omit_from_final_grade=True),
            Assignment("unassigned", "g", D(10), visible=False),
            Assignment("null", "g", D(10)),
        ),
        (
            Submission("posted", D(5)),
            Submission("hidden", D(5), posted=False),
            Submission("excused", None, excused=True),
            Submission("null", None),
        ),
    )
    assert remaining_ids(course) == ("hidden", "null")


@pytest.mark.parametrize(
    ("course", "target", "status", "needed"),
    [
        # (80 + y) / 200 shows as 85.00 from y = 89.99 (84.995 rounds half up)
        pytest.param(HALF_DONE, 85, "reachable", "89.99", id="points"),
        pytest.param(HALF_DONE, 90, "reachable", "99.99", id="needs-full-marks"),
        # 95% needs ~110 of the remaining 100 points: impossible without extra credit
        pytest.param(HALF_DONE, 95, "impossible", "109.99", id="over-100"),
        # 40% is already guaranteed even with zeros
        pytest.param(HALF_DONE, 40, "guaranteed", "0.00", id="guaranteed"),
        # 84.99 is shown from 84.985: (80 + 89.97) / 200
        pytest.param(HALF_DONE, Decimal("84.99"), "reachable", "89.97", id="odd-target"),
        # weights + drop rule: 0.5*90 + 0.5*y shows 85.00 from y = 79.99 (one B item dropped)
        pytest.param(WEIGHTED_DROP, 85, "reachable", "79.99", id="weighted-with-drop"),
        # nothing left to do: the grade is what it is
        pytest.param(inputs([("a", "g", 80, 100)], ONE), 80, "guaranteed", "0.00", id="done-and-met"),
        pytest.param(inputs([("a", "g", 80, 100)], ONE), 81, "impossible", None, id="done-and-missed"),
        # only zero-point work remains: no average can move the grade
        pytest.param(inputs([("a", "g", 80, 100), ("b", "g", None, 0)], ONE), 90, "impossible", None, id="stuck"),
    ],
)
def test_target_needed(course, target, status, needed):
    answer = target_needed(course, target)
    assert answer.status == status
    assert answer.needed_percent == (None if needed is None else D(needed))


def test_target_answer_is_the_smallest_that_works():
    answer = target_needed(WEIGHTED_DROP, 85)
    # 79.99% on both B items shows 85.00; 79.98% shows 84.99
    at = what_if(WEIGHTED_DROP, {"b1": D("39.995"), "b2": D("39.995")})
    below = what_if(WEIGHTED_DROP, {"b1": D("39.99"), "b2": D("39.99")})
    assert answer.needed_percent == D("79.99")
    assert (at.final_percent, below.final_percent) == (D("85.00"), D("84.99"))
    assert answer.remaining_ids == ("b1", "b2")
    assert (answer.best_final, answer.worst_final) == (D("95.00"), D("45.00"))


def test_target_rejects_bad_number():
    with pytest.raises(UsageError, match="target_percent: expected a number"):
        target_needed(HALF_DONE, "B+")
