"""What is at stake: points of the final percentage one assignment can move (grade engine as oracle)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from canvas.analysis.drops import DropRules
from canvas.analysis.grades import Assignment, GradeInputs, GradingPeriod, GradingPeriods, Group, Submission
from canvas.analysis.stakes import at_stake, letter_only, level, stakes

D = Decimal


def course(rows, groups, *, weighted=False, omit=(), periods=None):
    """rows: (id, group, score or None, points[, period])."""
    assignments = tuple(
        Assignment(r[0], r[1], None if r[3] is None else D(str(r[3])), omit_from_final_grade=r[0] in omit,
                   grading_period_id=r[4] if len(r) > 4 else None) for r in rows)
    subs = tuple(Submission(r[0], D(str(r[2])), workflow_state="graded") for r in rows if r[2] is not None)
    gs = tuple(Group(g, None if w is None else D(str(w)), rules) for g, (w, rules) in groups.items())
    return GradeInputs(weighted, gs, assignments, subs, periods)


ONE = {"g": (None, DropRules())}

CASES = [
    pytest.param(  # points only: 180/200 = 90% vs 80/200 = 40%
        course([("a", "g", 80, 100), ("b", "g", None, 100)], ONE), "b", "50.00", id="points-only"),
    pytest.param(  # points only, small quiz in a big course: 110/500 - 100/500
        course([("a", "g", 100, 100), ("q", "g", None, 10), ("f", "g", None, 390)], ONE), "q", "2.00",
        id="points-only-small"),
    pytest.param(  # A (25%) 90%; B (75%) two 50-pointers: b1 is half of B = 37.5 points
        course([("a", "A", 90, 100), ("b1", "B", None, 50), ("b2", "B", None, 50)],
               {"A": (25, DropRules()), "B": (75, DropRules())}, weighted=True), "b1", "37.50", id="weighted"),
    pytest.param(  # the same in points would be 50/200: weights, not points, decide
        course([("a", "A", 90, 100), ("b1", "B", None, 50), ("b2", "B", None, 50)],
               {"A": (25, DropRules()), "B": (75, DropRules())}), "b1", "25.00", id="same-unweighted"),
    pytest.param(  # a 10-point quiz alone in a 40% group moves 40 points; the 100-point paper only 60
        course([("q", "Q", None, 10), ("p", "P", None, 100)],
               {"Q": (40, DropRules()), "P": (60, DropRules())}, weighted=True), "q", "40.00",
        id="weighted-small-group"),
    pytest.param(  # drop lowest 1 with two perfect scores: c at 0 is simply dropped
        course([("a", "g", 10, 10), ("b", "g", 10, 10), ("c", "g", None, 10)], {"g": (None, DropRules(1))}),
        "c", "0.00", id="drop-makes-it-worthless"),
    pytest.param(  # drop lowest 1 of two ungraded: one is dropped either way, so b1 decides all of B
        course([("a", "A", 90, 100), ("b1", "B", None, 50), ("b2", "B", None, 50)],
               {"A": (50, DropRules()), "B": (50, DropRules(1))}, weighted=True), "b1", "50.00",
        id="drop-lowest-weighted"),
    pytest.param(  # as above, but c is never dropped: 20/20 (a or b dropped) vs 10/20
        course([("a", "g", 10, 10), ("b", "g", 10, 10), ("c", "g", None, 10)],
               {"g": (None, DropRules(1, never_drop=frozenset({"c"})))}), "c", "50.00", id="never-drop"),
    pytest.param(  # omitted from the final grade: moves nothing
        course([("a", "g", 80, 100), ("b", "g", None, 100)], ONE, omit={"b"}), "b", "0.00", id="omit-from-final"),
    pytest.param(  # worth no points
        course([("a", "g", 80, 100), ("b", "g", None, 0)], ONE), "b", "0.00", id="zero-points"),
    pytest.param(  # missing work Canvas already scored 0 still has its full weight at stake
        course([("a", "g", 80, 100), ("m", "g", 0, 100)], ONE), "m", "50.00", id="missing-scored-zero"),
    pytest.param(  # an id the calculator left out (unpublished / not graded)
        course([("a", "g", 80, 100)], ONE), "ghost", "0.00", id="unknown"),
    pytest.param(  # weighted grading periods: p1 (30%) holds only this assignment
        course([("x", "g", None, 10, "p1"), ("y", "g", 50, 100, "p2")], ONE,
               periods=GradingPeriods(True, (GradingPeriod("p1", D(30)), GradingPeriod("p2", D(70))))),
        "x", "30.00", id="weighted-periods"),
]


@pytest.mark.parametrize(("inputs", "aid", "expected"), CASES)
def test_at_stake(inputs, aid, expected):
    assert at_stake(inputs, aid) == D(expected)


def test_stakes_maps_every_id_and_ranks_weight_over_points():
    inputs = course([("q", "Q", None, 10), ("p", "P", None, 100)],
                    {"Q": (40, DropRules()), "P": (60, DropRules())}, weighted=True)
    got = stakes(inputs, ["q", "p"])
    assert got == {"q": D("40.00"), "p": D("60.00")}


@pytest.mark.parametrize(("points", "expected"), [
    (D("12.5"), "High"), (D(5), "High"), (D("4.99"), "Medium"), (1.0, "Medium"), (D("0.99"), "Low"),
    (D(0), "Low"), (None, None), (float("nan"), None)])
def test_level(points, expected):
    assert level(points) == expected


def test_letter_only_reads_restrict_quantitative_data():
    assert letter_only({"restrict_quantitative_data": True})
    assert not letter_only({"restrict_quantitative_data": False})
    assert not letter_only({})


def _one_by_one(inputs):
    return {a.id: at_stake(inputs, a.id) for a in inputs.assignments}


@pytest.mark.parametrize(("inputs", "aid", "expected"), CASES)
def test_stakes_for_a_whole_course_equal_the_one_by_one_answers(inputs, aid, expected):
    assert stakes(inputs, [a.id for a in inputs.assignments]) == _one_by_one(inputs)


def test_identical_exercises_share_one_answer_and_drops_still_count():
    # 12 two-point exercises (drop lowest 2, e3 never dropped): some graded, some 0, one excused, the rest open;
    # a 40% exam group alongside.
    scores = [2, 1.5, 0, None, None, None, 2, None, 0, None, 1, None]
    rows = [(f"e{i}", "E", score, 2) for i, score in enumerate(scores)]
    inputs = course([*rows, ("x", "X", None, 100)],
                    {"E": (60, DropRules(2, never_drop=frozenset({"e3"}))), "X": (40, DropRules())}, weighted=True)
    inputs = replace(inputs, submissions=(*inputs.submissions, Submission("e11", None, excused=True)))
    got = stakes(inputs, [a.id for a in inputs.assignments])
    assert got == _one_by_one(inputs)
    assert got["e4"] == got["e5"] == got["e7"] == got["e2"], "ungraded and a visible 0 are the same to the final"
    assert got["e11"] != got["e4"], "an excused one is its own case (a what-if replaces the excuse)"


def test_never_drop_membership_keeps_otherwise_identical_assignments_apart():
    # drop lowest 1; b and c are both open 10-pointers, but c can never be dropped
    inputs = course([("a", "g", 10, 10), ("b", "g", None, 10), ("c", "g", None, 10)],
                    {"g": (None, DropRules(1, never_drop=frozenset({"c"})))})
    assert stakes(inputs, ["b", "c"]) == {"b": D("0.00"), "c": D("50.00")} == {
        "b": at_stake(inputs, "b"), "c": at_stake(inputs, "c")}


def test_stakes_ignore_unknown_ids():
    assert stakes(course([("a", "g", None, 10)], ONE), ["a", "ghost"]) == {"a": D("100.00"), "ghost": D(0)}
