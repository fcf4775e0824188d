"""Group totals and drop rules, ported from Canvas's JS specs.

Source: instructure/canvas-lms ui/shared/grading/__tests__/
AssignmentGroupGradeCalculator{1,2,3,4}.test.js ("AG1".."AG4" below). Each row
names the spec it comes from. Rows give (id, score, points); score None is an
ungraded submission.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from canvas.analysis.drops import DropRules, Item, apply_drop_rules
from canvas.analysis.grades import (
    Assignment,
    GradeInputs,
    Group,
    GroupResult,
    Submission,
    calculate,
)

BASE = [("201", 100, 100), ("202", 42, 91), ("203", 14, 55), ("204", 3, 38), ("205", None, 1000)]
THREE = [("201", 31, 40), ("202", 17, 24), ("203", 6, 10)]
HIGH_BASE = [("201", 100, 100), ("202", 42, 91), ("203", 14, 55), ("204", 30, 38), ("205", None, 1000)]
NEVER = [("201", 31, 40), ("202", 19, 24), ("203", 12, 16), ("204", 6, 10)]


def num(value: float | int | None) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def group_result(
    rows: list[tuple[str, float | None, float | None]],
    rules: DropRules | None = None,
    **flags: dict[str, object],
) -> GroupResult:
    """One group "301"; ``flags`` maps an assignment id to Submission/Assignment tweaks."""
    assignments, submissions = [], []
    for aid, score, points in rows:
        tweak = dict(flags.get(f"a{aid}", {}))
        visible = bool(tweak.pop("visible", True))
        omit = bool(tweak.pop("omit", False))
        assignments.append(Assignment(aid, "301", num(points), omit, visible=visible))
        submissions.append(Submission(aid, num(score), **tweak))  # type: ignore[arg-type]
    inputs = GradeInputs(
        False, (Group("301", Decimal(100), rules or DropRules()),), tuple(assignments), tuple(submissions)
    )
    return calculate(inputs).groups[0]


def totals(g: GroupResult) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    return g.current_score, g.current_possible, g.final_score, g.final_possible


D = Decimal


@pytest.mark.parametrize(
    ("rows", "flags", "expected"),
    [
        # AG1 "with no submissions and no assignments": 0 / 0
        pytest.param([], {}, (0, 0, 0, 0), id="AG1-empty-group"),
        # AG1 "adds all scores" + "excludes assignment points on ungraded submissions"
        pytest.param(BASE, {}, (159, 284, 159, 1284), id="AG1-some-submissions"),
        # AG1 "ignores hidden submissions" (JS hidden flag = whole assignment gone)
        pytest.param(BASE, {"a202": {"visible": False}}, (117, 193, 117, 1193), id="AG1-hidden"),
        # AG1 "ignores excused submissions"
        pytest.param(BASE, {"a202": {"excused": True}}, (117, 193, 117, 1193), id="AG1-excused"),
        # AG1 "excludes/includes submissions pending review" (current / final)
        pytest.param(
            BASE,
            {"a202": {"workflow_state": "pending_review"}},
            (117, 193, 159, 1284),
            id="AG1-pending-review",
        ),
        # AG1 "excludes assignments omitted from final grade" (current and final)
        pytest.param(BASE, {"a203": {"omit": True}}, (145, 229, 145, 1229), id="AG1-omitted"),
        # AG1 "excludes ungraded assignments omitted from final grade"
        pytest.param(BASE, {"a205": {"omit": True}}, (159, 284, 159, 284), id="AG1-omitted-ungraded"),
        # AG1 "with assignments having no points possible": scores still count
        pytest.param([("201", 10, 0), ("202", 10, 10)], {}, (20, 10, 20, 10), id="AG1-zero-points"),
        # AG4 "with only ungraded submissions"
        pytest.param([("201", None, 5), ("202", None, 10), ("203", None, 20)], {}, (0, 0, 0, 35), id="AG4-ungraded"),
    ],
)
def test_group_totals(rows, flags, expected):
    assert totals(group_result(rows, **flags)) == tuple(D(v) for v in expected)


def test_first_submission_wins():
    # AG1 "eliminates multiple submissions for the same assignment"
    inputs = GradeInputs(
        False,
        (Group("301"),),
        (Assignment("201", "301", D(100)),),
        (Submission("201", D(100)), Submission("201", D(0))),
    )
    assert calculate(inputs).groups[0].current_score == 100


def test_exact_decimal_sums():
    # CG5 "avoids floating point errors in assignment group scores": 110.1 + 170.7
    g = group_result([("201", 110.1, 120), ("202", 170.7, 190)])
    assert g.current_score == D("280.8")


@pytest.mark.parametrize(
    ("rows", "rules", "expected", "current_dropped", "final_dropped"),
    [
        # AG2 "drops one submission to maximize overall percentage grade"
        pytest.param(THREE, DropRules(1), (48, 64, 48, 64), ("203",), ("203",), id="AG2-drop-lowest-1"),
        # AG2 "drops pointed assignments over unpointed assignments"
        pytest.param(
            [("201", 31, 0), ("202", 17, 24), ("203", 6, 10)],
            DropRules(1),
            (37, 10, 37, 10),
            ("202",),
            ("202",),
            id="AG2-pointed-over-unpointed",
        ),
        # AG2 "ignores ungraded submissions for the current grade"
        pytest.param(
            [("201", 31, 40), ("202", 17, 24), ("203", None, 10)],
            DropRules(1),
            (31, 40, 48, 64),
            ("202",),
            ("203",),
            id="AG2-ungraded-current",
        ),
        # AG2 "accounts for impact on overall grade rather than score alone"
        pytest.param(
            [("201", 31, 40), ("202", 17, 24), ("203", 7, 10)],
            DropRules(1),
            (38, 50, 38, 50),
            ("202",),
            ("202",),
            id="AG2-ratio-not-score",
        ),
        # AG2 "does not drop submissions or assignments when drop_lowest is 0"
        pytest.param(THREE, DropRules(0), (54, 74, 54, 74), (), (), id="AG2-drop-lowest-0"),
        # AG2 "drops the grade with the highest assignment id when ... equal percentages"
        pytest.param(
            [("2301", 10, 10), ("2302", 10, 10), ("2303", 10, 10)],
            DropRules(1),
            (20, 20, 20, 20),
            ("2303",),
            ("2303",),
            id="AG2-tie-highest-id-dropped",
        ),
        # AG2 zero points possible, different scores: "drops the submission with the lowest point score"
        pytest.param(
            [("2301", 15, 0), ("2302", 5, 0), ("2303", 10, 0)],
            DropRules(1),
            (25, 0, 25, 0),
            ("2302",),
            ("2302",),
            id="AG2-unpointed-lowest-score",
        ),
        # AG2 "drops the grade with the lowest assignment id when all ... zero points ... equal grades"
        pytest.param(
            [("2301", 10, 0), ("2302", 10, 0), ("2303", 10, 0)],
            DropRules(1),
            (20, 0, 20, 0),
            ("2301",),
            ("2301",),
            id="AG2-unpointed-tie-lowest-id",
        ),
        # AG2 "drops multiple submissions to maximize overall percentage grade"
        pytest.param(BASE, DropRules(2), (103, 138, 156, 246), ("202", "203"), ("204", "205"), id="AG2-drop-lowest-2"),
        # AG2 "drops all but one score when drop_lowest is equal to the number of submissions"
        pytest.param(
            BASE,
            DropRules(4),
            (100, 100, 100, 100),
            ("202", "203", "204"),
            ("202", "203", "204", "205"),
            id="AG2-drop-lowest-4",
        ),
        # AG2 "works in ridiculous circumstances"
        pytest.param(
            [
                ("201", None, 20),
                ("202", 3, 10),
                ("203", None, 10),
                ("204", None, 100000000000000007629769841091887003294964970946560),
                ("205", None, None),
            ],
            DropRules(2),
            (3, 10, 3, 20),
            (),
            ("201", "204"),
            id="AG2-ridiculous",
        ),
        # AG2 "drop_highest" (1) "drops one submission to minimize overall percentage grade"
        pytest.param(THREE, DropRules(0, 1), (23, 34, 23, 34), ("201",), ("201",), id="AG2-drop-highest-1"),
        # AG2 drop_highest 1 "ignores ungraded submissions for the current grade"
        pytest.param(
            [("201", None, 40), ("202", 17, 24), ("203", 6, 10)],
            DropRules(0, 1),
            (6, 10, 6, 50),
            ("202",),
            ("202",),
            id="AG2-drop-highest-ungraded",
        ),
        # AG2 drop_highest 1 "accounts for impact on overall grade rather than score alone"
        pytest.param(
            [("201", 31, 40), ("202", 17, 24), ("203", 10, 10)],
            DropRules(0, 1),
            (48, 64, 48, 64),
            ("203",),
            ("203",),
            id="AG2-drop-highest-ratio",
        ),
        # AG2 drop_highest "when grades have equal percentages with different points possible"
        pytest.param(
            [("2302", 2, 10), ("2303", 10, 50), ("2301", 2, 10)],
            DropRules(0, 1),
            (4, 20, 4, 20),
            ("2303",),
            ("2303",),
            id="AG2-drop-highest-equal-percent",
        ),
        # AG2 drop_highest, zero points, different scores
        pytest.param(
            [("2303", 10, 0), ("2302", 15, 0), ("2301", 5, 0)],
            DropRules(0, 1),
            (15, 0, 15, 0),
            ("2302",),
            ("2302",),
            id="AG2-drop-highest-unpointed",
        ),
        # AG2 drop_highest, zero points, equal grades: the highest id goes
        pytest.param(
            [("2302", 10, 0), ("2303", 10, 0), ("2301", 10, 0)],
            DropRules(0, 1),
            (20, 0, 20, 0),
            ("2303",),
            ("2303",),
            id="AG2-drop-highest-unpointed-tie",
        ),
        # AG2/AG3 "drops multiple submissions to minimize overall percentage grade"
        pytest.param(
            HIGH_BASE,
            DropRules(0, 2),
            (56, 146, 44, 1093),
            ("201", "204"),
            ("201", "202"),
            id="AG3-drop-highest-2",
        ),
        # AG3 "does not drop any scores when drop_highest is equal to the number of droppable submissions"
        pytest.param(
            HIGH_BASE,
            DropRules(0, 4),
            (186, 284, 0, 1000),
            (),
            ("201", "202", "203", "204"),
            id="AG3-drop-highest-4",
        ),
        # AG3 "does not drop any scores when drop_highest is greater than the number of submissions"
        pytest.param(HIGH_BASE, DropRules(0, 5), (186, 284, 186, 1284), (), (), id="AG3-drop-highest-5"),
        # AG3 "drops the most and least favorable scores"
        pytest.param(
            BASE, DropRules(1, 1), (56, 146, 59, 184), ("201", "204"), ("201", "205"), id="AG3-lowest-and-highest"
        ),
        # AG3 "does not drop higher scores when combined drop rules match the number of submissions"
        pytest.param(
            BASE,
            DropRules(2, 2),
            (103, 138, 14, 55),
            ("202", "203"),
            ("201", "202", "204", "205"),
            id="AG3-combined-match",
        ),
        # AG3 "does not drop higher scores when combined drop rules exceed the number of submissions"
        pytest.param(
            BASE, DropRules(2, 3), (103, 138, 156, 246), ("202", "203"), ("204", "205"), id="AG3-combined-exceed"
        ),
        # AG3 "with only unpointed assignments": drop_lowest 1 / drop_highest 1 / both
        pytest.param(
            [("201", 10, 0), ("202", 5, 0), ("203", 20, 0), ("204", 0, 0)],
            DropRules(1),
            (35, 0, 35, 0),
            ("204",),
            ("204",),
            id="AG3-unpointed-drop-lowest",
        ),
        pytest.param(
            [("201", 10, 0), ("202", 5, 0), ("203", 20, 0), ("204", 0, 0)],
            DropRules(0, 1),
            (15, 0, 15, 0),
            ("203",),
            ("203",),
            id="AG3-unpointed-drop-highest",
        ),
        pytest.param(
            [("201", 10, 0), ("202", 5, 0), ("203", 20, 0), ("204", 0, 0)],
            DropRules(2, 1),
            (10, 0, 10, 0),
            ("202", "203", "204"),
            ("202", "203", "204"),
            id="AG3-unpointed-both",
        ),
        # AG4 never_drop "prevents submissions from being dropped for low scores"
        pytest.param(
            NEVER, DropRules(1, 0, frozenset({"204"})), (56, 74, 56, 74), ("203",), ("203",), id="AG4-never-low"
        ),
        # AG4 never_drop "prevents submissions from being dropped for high scores"
        pytest.param(
            NEVER, DropRules(0, 1, frozenset({"201"})), (49, 66, 49, 66), ("202",), ("202",), id="AG4-never-high"
        ),
        # AG4 never_drop "considers multiple assignments"
        pytest.param(
            NEVER,
            DropRules(1, 0, frozenset({"203", "204"})),
            (49, 66, 49, 66),
            ("202",),
            ("202",),
            id="AG4-never-multiple",
        ),
        # AG4 "does not drop any scores when drop_lowest/drop_highest is equal to the number of droppable"
        pytest.param(
            NEVER,
            DropRules(1, 0, frozenset({"202", "203", "204"})),
            (68, 90, 68, 90),
            (),
            (),
            id="AG4-never-one-left-low",
        ),
        pytest.param(
            NEVER,
            DropRules(0, 1, frozenset({"202", "203", "204"})),
            (68, 90, 68, 90),
            (),
            (),
            id="AG4-never-one-left-high",
        ),
        # AG4 "does not drop any ... when all assignments are listed as never drop"
        pytest.param(
            NEVER,
            DropRules(1, 1, frozenset({"201", "202", "203", "204"})),
            (68, 90, 68, 90),
            (),
            (),
            id="AG4-all-never",
        ),
    ],
)
def test_drop_rules(rows, rules, expected, current_dropped, final_dropped):
    g = group_result(rows, rules)
    assert totals(g) == tuple(D(v) for v in expected)
    assert g.current_dropped == current_dropped
    assert g.final_dropped == final_dropped


@pytest.mark.parametrize(
    ("points", "rules"),
    [
        # AG3 "drops the same low-score submission regardless of submission order"
        pytest.param(10, DropRules(1), id="AG3-order-low"),
        # AG3 "drops the same high-score submission regardless of submission order"
        pytest.param(10, DropRules(0, 1), id="AG3-order-high"),
        # AG3 "... for unpointed assignments"
        pytest.param(0, DropRules(1), id="AG3-order-low-unpointed"),
        pytest.param(0, DropRules(0, 1), id="AG3-order-high-unpointed"),
    ],
)
def test_drop_does_not_depend_on_order(points, rules):
    rows = [(aid, 9, points) for aid in ("201", "202", "203", "204")]
    forward = group_result(rows, rules).current_dropped
    backward = group_result(list(reversed(rows)), rules).current_dropped
    assert forward == backward and len(forward) == 1


def test_ruby_only_unpointed_reach_drop_highest_phase():
    # Ruby spec "works with drop rules that result in only unpointed assignments going to
    # the drop lowest phase": phase B keeps the highest-scoring zero-point item.
    items = [
        Item("1", Fraction(9), Fraction(0)),
        Item("2", Fraction(10), Fraction(0)),
        Item("3", Fraction(2), Fraction(2)),
    ]
    kept, dropped = apply_drop_rules(items, DropRules(1, 1))
    assert [i.id for i in kept] == ["2"]
    assert [i.id for i in dropped] == ["1", "3"]


def test_tie_on_optimum_follows_bisection_side():
    # Keep 1 of 5/10 (id 1) and 10/20 (id 2) with 1/10 (id 3) pulling the lower bound
    # down: Canvas's bisection approaches 50% from below, where the bigger item ranks
    # first, so it keeps id 2 (an exact optimiser breaking ties by id would keep id 1).
    items = [
        Item("1", Fraction(5), Fraction(10)),
        Item("2", Fraction(10), Fraction(20)),
        Item("3", Fraction(1), Fraction(10)),
    ]
    kept, _ = apply_drop_rules(items, DropRules(2))
    assert [i.id for i in kept] == ["2"]


def test_never_drop_ids_not_in_group_are_ignored():
    items = [Item("1", Fraction(1), Fraction(10)), Item("2", Fraction(9), Fraction(10))]
    kept, dropped = apply_drop_rules(items, DropRules(1, 0, frozenset({"999"})))
    assert [i.id for i in kept] == ["2"] and [i.id for i in dropped] == ["1"]
