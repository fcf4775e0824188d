"""Course totals (points and weighted groups), ported from Canvas's specs.

Sources in instructure/canvas-lms:
- "CG1"/"CG2": ui/shared/grading/__tests__/CourseGradeCalculator{1,2}.test.js
- "Ruby": spec/lib/grade_calculator_spec.rb @03034eb9 (current)
- "Ruby-2018": the "GradeCalculatorSpec.js examples" suite in spec/lib/grade_calculator_spec.rb @ccfd72c3
- "round": ui/shared/grading/GradeCalculationHelper.ts and ui/shared/round/__tests__/round.spec.js values

Courses are written as {group: (weight, rules, [(score, points, flags), ...])};
score None = no grade yet.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from canvas.analysis.drops import DropRules
from canvas.analysis.grades import (
    Assignment,
    GradeInputs,
    GradeResult,
    Group,
    Submission,
    calculate,
    round2,
)

D = Decimal
NO_RULES = DropRules()


def num(value: float | int | None) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def course(spec: dict[str, tuple], *, weighted: bool = False) -> GradeInputs:
    """Assignment ids are "<group><nn>" (group "1": "100", "101", ...)."""
    groups, assignments, submissions = [], [], []
    for gid, (weight, rules, rows) in spec.items():
        groups.append(Group(gid, num(weight), rules))
        for n, row in enumerate(rows):
            score, points, *rest = row
            flags = dict(rest[0]) if rest else {}
            aid = f"{gid}{n:02d}"
            omit = bool(flags.pop("omit", False))
            assignments.append(Assignment(aid, gid, num(points), omit, visible=bool(flags.pop("visible", True))))
            if not flags.pop("no_submission", False):
                submissions.append(Submission(aid, num(score), **flags))
    return GradeInputs(weighted, tuple(groups), tuple(assignments), tuple(submissions))


def percents(result: GradeResult) -> tuple[Decimal | None, Decimal | None]:
    return result.current_percent, result.final_percent


def pct(value: float | None) -> Decimal | None:
    return None if value is None else round2(D(str(value)))


def one_group(rows: list[tuple], rules: DropRules = NO_RULES) -> dict[str, tuple]:
    return {"1": (None, rules, rows)}


DEFAULT = [(100, 100), (42, 91), (14, 55), (3, 38), (None, 1000)]
UNPOSTED = {"posted": False}
CG2_GROUPS = {
    "301": (50, NO_RULES, [(100, 100), (42, 91)]),
    "302": (50, NO_RULES, [(14, 55), (3, 38), (None, 1000)]),
}


def cg2(w1: float | None, w2: float | None) -> dict[str, tuple]:
    return {"301": (w1, NO_RULES, CG2_GROUPS["301"][2]), "302": (w2, NO_RULES, CG2_GROUPS["302"][2])}


@pytest.mark.parametrize(
    ("spec", "weighted", "expected"),
    [
        # --- points scheme -----------------------------------------------------------
        # Ruby-2018 "works without assignments or submissions"
        pytest.param(one_group([]), False, (None, None), id="Ruby-2018-no-assignments"),
        # Ruby-2018 "works without submissions"
        pytest.param(one_group([(None, 1)]), False, (None, 0), id="Ruby-2018-no-submissions"),
        # Ruby-2018 "works with submissions that have 0 points possible" (+ drop_lowest 1)
        pytest.param(
            one_group([(10, 0), (10, 10), (10, 10), (None, 10)]), False, (150, 100), id="Ruby-2018-zero-points"
        ),
        pytest.param(
            one_group([(10, 0), (10, 10), (10, 10), (None, 10)], DropRules(1)),
            False,
            (200, 150),
            id="Ruby-2018-zero-points-drop",
        ),
        # Ruby-2018 "muted assignments are not considered for the drop list when computing current"
        # and (current code) an unposted grade is 0 in final and droppable -> 60
        pytest.param(
            one_group([(4, 10, UNPOSTED), (3, 10), (9, 10)], DropRules(1)), False, (90, 60), id="Ruby-2018-muted-drop"
        ),
        # Ruby-2018 "ungraded assignments are not considered for the drop list ... current" / "... final" (60)
        pytest.param(
            one_group([(None, 20), (3, 10), (9, 10)], DropRules(1)), False, (90, 60), id="Ruby-2018-ungraded-drop"
        ),
        # Ruby-2018 "ungraded + muted ..." current 90, final 40
        pytest.param(
            one_group([(None, 20), (4, 10, UNPOSTED), (3, 10), (9, 10)], DropRules(1)),
            False,
            (90, 40),
            id="Ruby-2018-ungraded-and-muted-drop",
        ),
        # Ruby-2018 '"work"s when no submissions have points possible'
        pytest.param(
            one_group([(10, 0), (5, 0), (20, 0), (0, 0)], DropRules(1)), False, (None, None), id="Ruby-2018-no-points"
        ),
        # Ruby-2018 "works with no drop rules" / "supports drop_lowest"
        pytest.param(one_group(DEFAULT), False, (55.99, 12.38), id="Ruby-2018-no-drop-rules"),
        pytest.param(one_group(DEFAULT, DropRules(1)), False, (63.41, 55.99), id="Ruby-2018-drop-lowest-1"),
        pytest.param(one_group(DEFAULT, DropRules(2)), False, (74.64, 63.41), id="Ruby-2018-drop-lowest-2"),
        # Ruby-2018 "really supports drop_lowest" (above 100% thanks to zero-point items)
        pytest.param(
            one_group(
                [(30, None)] * 3
                + [(31, 31), (21, 21)]
                + [(30, 30)] * 10
                + [(29.3, 30)]
                + [(30, 30)] * 3
                + [(12, 0), (30, None)],
                DropRules(2),
            ),
            False,
            (132.12, 132.12),
            id="Ruby-2018-really-drop-lowest",
        ),
        # Ruby-2018 "supports drop_highest"
        pytest.param(one_group(DEFAULT, DropRules(0, 1)), False, (32.07, 4.98), id="Ruby-2018-drop-highest-1"),
        pytest.param(one_group(DEFAULT, DropRules(0, 2)), False, (18.28, 1.56), id="Ruby-2018-drop-highest-2"),
        pytest.param(one_group(DEFAULT, DropRules(0, 3)), False, (7.89, 0.29), id="Ruby-2018-drop-highest-3"),
        # Ruby-2018 "really supports drop_highest"
        pytest.param(
            one_group([(0, 10), (10, 20), (28, 50), (91, 100)], DropRules(0, 1)),
            False,
            (47.5, 47.5),
            id="Ruby-2018-really-drop-highest-1",
        ),
        pytest.param(
            one_group([(0, 10), (10, 20), (28, 50), (91, 100)], DropRules(0, 2)),
            False,
            (33.33, 33.33),
            id="Ruby-2018-really-drop-highest-2",
        ),
        pytest.param(
            one_group([(0, 10), (10, 20), (28, 50), (91, 100)], DropRules(0, 3)),
            False,
            (0, 0),
            id="Ruby-2018-really-drop-highest-3",
        ),
        # Ruby-2018 "works with unreasonable drop rules"
        pytest.param(
            one_group([(10, 10), (9, 10), (8, 10)], DropRules(1000, 1000)),
            False,
            (100, 100),
            id="Ruby-2018-unreasonable",
        ),
        # Ruby-2018 "works with drop rules that result in only unpointed assignments going to the drop lowest phase"
        pytest.param(
            one_group([(9, 0), (10, 0), (2, 2)], DropRules(1, 1)), False, (None, None), id="Ruby-2018-unpointed-phase"
        ),
        # Ruby-2018 "supports never_drop (1)..(4)" (ids are "1NN": 103 is 3/38, 102 is 103.8/100)
        pytest.param(
            one_group(DEFAULT, DropRules(1, 0, frozenset({"103"}))), False, (63.32, 55.99), id="Ruby-2018-never-drop-1"
        ),
        pytest.param(
            one_group([(10, 20), (5, 10), (20, 40), (0, 100)], DropRules(1, 0, frozenset({"103"}))),
            False,
            (18.75, 18.75),
            id="Ruby-2018-never-drop-2",
        ),
        pytest.param(
            one_group([(10, 20), (5, 10), (20, 40), (100, 100)], DropRules(1, 0, frozenset({"103"}))),
            False,
            (88.46, 88.46),
            id="Ruby-2018-never-drop-3",
        ),
        pytest.param(
            one_group([(101.9, 100), (105.65, 100), (103.8, 100), (0, 0)], DropRules(1, 0, frozenset({"102"}))),
            False,
            (104.73, 104.73),
            id="Ruby-2018-never-drop-4",
        ),
        # Ruby-2018 "grade dropping should work even in ridiculous circumstances"
        pytest.param(
            one_group([(None, 20), (3, 10), (None, 10), (None, 999_999_999), (None, None)], DropRules(2)),
            False,
            (30, 15),
            id="Ruby-2018-ridiculous",
        ),
        # Ruby-2018 "excused assignments works": 10/10 + excused 90-pointer
        pytest.param(one_group([(10, 10), (None, 90, {"excused": True})]), False, (100, 100), id="Ruby-2018-excused"),
        # Ruby "computes grades without dying"
        pytest.param(one_group([(None, 10), (5, 10)]), False, (50, 25), id="Ruby-without-dying"),
        # Ruby "calculates the grade without floating point calculation errors due to points possible"
        pytest.param(one_group([(88.56, 100), (69.71, 100)]), False, (79.14, 79.14), id="Ruby-79.135"),
        # Ruby "recalculates all cached grades when an assignment is muted/unmuted"
        pytest.param(one_group([(2, 5), (4, 5)]), False, (60, 60), id="Ruby-two-graded"),
        pytest.param(one_group([(2, 5), (4, 5, UNPOSTED)]), False, (40, 20), id="Ruby-muted"),
        # Ruby "ignores pending_review submissions"
        pytest.param(
            one_group([(25, 50, {"workflow_state": "pending_review"}), (50, 50)]),
            False,
            (100, 75),
            id="Ruby-pending-review",
        ),
        # Ruby "recomputes when an assignment is flagged as omit from final grade"
        pytest.param(one_group([(5, 10), (10, 10, {"omit": True})]), False, (50, 50), id="Ruby-omit"),
        # Ruby "properly handles submissions with no score" (points) and "treats muted as no submission"
        pytest.param(
            {"1": (50, NO_RULES, [(None, 10), (1, 4)]), "2": (40, NO_RULES, [(40, 40)])},
            False,
            (93.18, 75.93),
            id="Ruby-no-score-points",
        ),
        pytest.param(
            {"1": (50, NO_RULES, [(500, 10, UNPOSTED), (1, 4)]), "2": (40, NO_RULES, [(40, 40)])},
            False,
            (93.18, 75.93),
            id="Ruby-muted-as-no-submission-points",
        ),
        # CG1 "with zero-point assignments": possible 0 -> no percent (Ruby nil, JS "N/A")
        pytest.param(
            {"301": (50, NO_RULES, [(10, 0), (5, 0)]), "302": (50, NO_RULES, [(20, 0), (0, 0)])},
            False,
            (None, None),
            id="CG1-zero-points-points",
        ),
        # CG1 "with only ungraded submissions" (points)
        pytest.param(one_group([(None, 5), (None, 10), (None, 20)]), False, (None, 0), id="CG1-only-ungraded-points"),
        # CG2 "with some assignments and submissions" (points)
        pytest.param(CG2_GROUPS, False, (55.99, 12.38), id="CG2-points"),
        # Ruby-2018 "assignment groups with 0 points possible": "doesn't ignore them if ... equal"
        pytest.param(
            {
                "1": (50, NO_RULES, [(9, 10)]),
                "2": (25, NO_RULES, [(5, 10)]),
                "3": (25, NO_RULES, [(10, 0), (5, 0)]),
                "4": (10, NO_RULES, []),
            },
            False,
            (145, 145),
            id="Ruby-2018-zero-point-group-points",
        ),
        # --- weighted groups ("percent") -------------------------------------------------
        pytest.param(
            {
                "1": (50, NO_RULES, [(9, 10)]),
                "2": (25, NO_RULES, [(5, 10)]),
                "3": (25, NO_RULES, [(10, 0), (5, 0)]),
                "4": (10, NO_RULES, []),
            },
            True,
            (76.67, 76.67),
            id="Ruby-2018-zero-point-group-ignored-when-weighted",
        ),
        # CG1 zero-point assignments, percent: nothing has points -> null
        pytest.param(
            {"301": (50, NO_RULES, [(10, 0), (5, 0)]), "302": (50, NO_RULES, [(20, 0), (0, 0)])},
            True,
            (None, None),
            id="CG1-zero-points-percent",
        ),
        # CG1 only ungraded, percent: current null, final 0; null weight -> null
        pytest.param(
            {"301": (100, NO_RULES, [(None, 5), (None, 10), (None, 20)])}, True, (None, 0), id="CG1-ungraded-percent"
        ),
        pytest.param(
            {"301": (None, NO_RULES, [(None, 5), (None, 10), (None, 20)])},
            True,
            (None, None),
            id="CG1-ungraded-null-weight",
        ),
        # CG2 "with no submissions and no assignments": percent -> null
        pytest.param({"301": (100, NO_RULES, [])}, True, (None, None), id="CG2-empty-percent"),
        # CG2 "sets current and final scores as percentages" and the weight variants
        pytest.param(CG2_GROUPS, True, (46.31, 37.95), id="CG2-percent"),
        pytest.param(cg2(5, 5), True, (46.31, 37.95), id="CG2-up-scales"),
        pytest.param(cg2(100, 100), True, (92.63, 75.9), id="CG2-no-down-scale"),
        pytest.param(cg2(75, 25), True, (60.33, 56.15), id="CG2-unequal-weights"),
        pytest.param(cg2(33.33, 50), True, (40.7, 30.67), id="CG2-rounds"),
        pytest.param(cg2(None, None), True, (None, None), id="CG2-no-weights"),
        # CG2 "avoids floating point errors in current and final score when ... weighted": 93.825
        pytest.param(
            {
                "301": (10, NO_RULES, [(194.5, 200)]),
                "302": (10, NO_RULES, [(100.0, 100)]),
                "303": (50, NO_RULES, [(94.5, 100)]),
                "304": (30, NO_RULES, [(89.5, 100)]),
            },
            True,
            (93.83, 93.83),
            id="CG2-93.825",
        ),
        # CG2 "avoids floating point errors in assignment group weights": 90.875
        pytest.param(
            {"301": (50, NO_RULES, [(124.46, 148)]), "302": (50, NO_RULES, [(144.53, 148)])},
            True,
            (90.88, 90.88),
            id="CG2-90.875",
        ),
        # CG2 "avoids floating point errors when up-scaling assignment group weights": 88.545
        pytest.param(
            {"301": (40, NO_RULES, [(81.01, 100)]), "302": (40, NO_RULES, [(96.08, 100)])},
            True,
            (88.55, 88.55),
            id="CG2-88.545",
        ),
        # Ruby "correctly rounds weighted assignment groups by percent with irrational numbers": 88.36
        pytest.param(
            {
                "1": (12, NO_RULES, [(11.8, 12)]),
                "2": (10, NO_RULES, [(82, 82)]),
                "3": (15, NO_RULES, [(89.5, 100)]),
                "4": (21, NO_RULES, [(85, 100)]),
                "5": (21, NO_RULES, [(85, 100)]),
                "6": (21, NO_RULES, [(83, 100)]),
            },
            True,
            (88.36, 88.36),
            id="Ruby-88.355",
        ),
        # Ruby "maintains floating-point precision when scaling ... less than 100%": 60.125
        pytest.param(
            {"1": (9.9, NO_RULES, [(75, 100)]), "2": (23.1, NO_RULES, [(53.75, 100)])},
            True,
            (60.13, 60.13),
            id="Ruby-60.125",
        ),
        # Ruby "calculates the grade without floating point calculation errors": 93.825
        pytest.param(
            {"1": (50, NO_RULES, [(267.9, 200)]), "2": (50, NO_RULES, [(53.7, 100)])},
            True,
            (93.83, 93.83),
            id="Ruby-93.825",
        ),
        # Ruby "ignores no grade for current grade calculation, even when weighted"
        pytest.param(
            {"1": (50, NO_RULES, [(5, 10)]), "2": (50, NO_RULES, [(None, 10)])},
            True,
            (50, 25),
            id="Ruby-no-grade-weighted",
        ),
        # Ruby "hidden scores when post policies are enabled": posted view vs unposted view
        pytest.param(
            {"1": (50, NO_RULES, [(5, 10)]), "2": (50, NO_RULES, [(10, 10, UNPOSTED)])},
            True,
            (50, 25),
            id="Ruby-post-policy-posted-view",
        ),
        pytest.param(
            {"1": (50, NO_RULES, [(5, 10)]), "2": (50, NO_RULES, [(10, 10)])},
            True,
            (75, 75),
            id="Ruby-post-policy-unposted-view",
        ),
        # Ruby "computes a weighted grade when specified" (four steps)
        pytest.param(
            {"1": (50, NO_RULES, [(9, 10)]), "2": (50, NO_RULES, [(None, 40)])},
            False,
            (90, 18),
            id="Ruby-weighted-step-points",
        ),
        pytest.param(
            {"1": (50, NO_RULES, [(9, 10)]), "2": (50, NO_RULES, [(None, 40)])},
            True,
            (90, 45),
            id="Ruby-weighted-step-percent",
        ),
        pytest.param(
            {"1": (50, NO_RULES, [(9, 10)]), "2": (50, NO_RULES, [(20, 40)])},
            True,
            (70, 70),
            id="Ruby-weighted-both-graded",
        ),
        pytest.param(
            {"1": (50, NO_RULES, [(9, 10)]), "2": (50, NO_RULES, [(20, 40)])},
            False,
            (58, 58),
            id="Ruby-weighted-back-to-points",
        ),
        # Ruby "incorporates extra credit when the weighted total is more than 100%"
        pytest.param(
            {"1": (50, NO_RULES, [(10, 10)]), "2": (60, NO_RULES, [(None, 40)])},
            True,
            (100, 50),
            id="Ruby-extra-credit-weights-partial",
        ),
        pytest.param(
            {"1": (50, NO_RULES, [(10, 10)]), "2": (60, NO_RULES, [(40, 40)])},
            True,
            (110, 110),
            id="Ruby-extra-credit-weights",
        ),
        # Ruby "incorporates extra credit when the total is more than the possible"
        pytest.param(
            {"1": (50, NO_RULES, [(11, 10)]), "2": (60, NO_RULES, [(None, 40)])},
            False,
            (110, 22),
            id="Ruby-over-possible-points",
        ),
        pytest.param(
            {"1": (50, NO_RULES, [(11, 10)]), "2": (60, NO_RULES, [(45, 40)])},
            True,
            (122.5, 122.5),
            id="Ruby-over-possible-percent",
        ),
        pytest.param(
            {"1": (50, NO_RULES, [(11, 10)]), "2": (60, NO_RULES, [(45, 40)])},
            False,
            (112, 112),
            id="Ruby-over-possible-back-to-points",
        ),
        # Ruby "properly calculates the grade when total weight is less than 100%"
        pytest.param(
            {"1": (50, NO_RULES, [(10, 10)]), "2": (40, NO_RULES, [(None, 40)])},
            True,
            (100, 55.56),
            id="Ruby-weights-below-100",
        ),
        # Ruby "properly handles submissions with no score" (percent) / "treats muted ... no submission"
        pytest.param(
            {"1": (50, NO_RULES, [(None, 10), (1, 4)]), "2": (40, NO_RULES, [(40, 40)])},
            True,
            (58.33, 48.41),
            id="Ruby-no-score-percent",
        ),
        pytest.param(
            {"1": (50, NO_RULES, [(500, 10, UNPOSTED), (1, 4)]), "2": (40, NO_RULES, [(40, 40)])},
            True,
            (58.33, 48.41),
            id="Ruby-muted-as-no-submission-percent",
        ),
        # Ruby "recomputes when an assignment group's weight changes"
        pytest.param(
            {"1": (60, NO_RULES, [(10, 10)]), "2": (40, NO_RULES, [(None, 1)])},
            True,
            (100, 60),
            id="Ruby-group-weight-change",
        ),
    ],
)
def test_course_percent(spec, weighted, expected):
    assert percents(calculate(course(spec, weighted=weighted))) == tuple(pct(v) for v in expected)


# Ruby "#compute_and_save_scores": two groups (45/55), drop_lowest 1, 150-point
# assignments; the middle one of each group is not posted yet.
SAVE_SCORES = {
    "1": (45, DropRules(1), [(35.0, 150), (99.6, 150, UNPOSTED), (142.7, 150)]),
    "2": (55, DropRules(1), [(42.0, 150), (95.0, 150, UNPOSTED), (131.4, 150)]),
}
SAVE_SCORES_UNPOSTED_VIEW = {
    gid: (w, rules, [row[:2] for row in rows]) for gid, (w, rules, rows) in SAVE_SCORES.items()
}


@pytest.mark.parametrize(
    ("spec", "weighted", "expected"),
    [
        pytest.param(SAVE_SCORES, True, (90.99, 58.45), id="Ruby-save-scores-percent-posted"),
        pytest.param(SAVE_SCORES_UNPOSTED_VIEW, True, (77.85, 77.85), id="Ruby-save-scores-percent-unposted"),
        pytest.param(SAVE_SCORES, False, (91.37, 58.52), id="Ruby-save-scores-points-posted"),
        pytest.param(SAVE_SCORES_UNPOSTED_VIEW, False, (78.12, 78.12), id="Ruby-save-scores-points-unposted"),
    ],
)
def test_compute_and_save_scores(spec, weighted, expected):
    assert percents(calculate(course(spec, weighted=weighted))) == tuple(pct(v) for v in expected)


def test_compute_and_save_scores_groups_and_points():
    # Ruby "#compute_and_save_scores": group scores, points and dropped ids
    result = calculate(course(SAVE_SCORES))
    assert [(g.current_percent, g.final_percent) for g in result.groups] == [
        (D("95.13"), D("59.23")),
        (D("87.60"), D("57.80")),
    ]
    assert [(g.current_score, g.final_score) for g in result.groups] == [
        (D("142.7"), D("177.7")),
        (D("131.4"), D("173.4")),
    ]
    assert (result.current_score, result.final_score) == (D("274.1"), D("351.1"))
    # current drops the 35 and the 42; final drops the unposted (0) items instead
    assert result.current_dropped == ("100", "200")
    assert result.final_dropped == ("101", "201")


def test_group_results_and_weights_do_not_interact():
    # Ruby "returns assignment group info"; CG2 "includes all assignment group grades regardless of weight"
    result = calculate(course({"1": (25, NO_RULES, [(5, 10)]), "2": (75, NO_RULES, [(10, 10)])}, weighted=True))
    assert [g.current_percent for g in result.groups] == [D("50.00"), D("100.00")]
    groups = calculate(course(cg2(200, None), weighted=True)).groups
    assert [(g.current_score, g.current_possible, g.final_score, g.final_possible) for g in groups] == [
        (142, 191, 142, 191),
        (17, 93, 17, 1093),
    ]


def test_points_sums_are_exact():
    # CG2 "avoids floating point errors in current and final score / points possible when not weighted"
    scores = calculate(course({"301": (10, NO_RULES, [(110.1, 120)]), "302": (10, NO_RULES, [(170.7, 180)])}))
    assert (scores.current_score, scores.final_score) == (D("280.8"), D("280.8"))
    possible = calculate(course({"301": (10, NO_RULES, [(100, 110.1)]), "302": (10, NO_RULES, [(150, 170.7)])}))
    assert (possible.current_possible, possible.final_possible) == (D("280.8"), D("280.8"))


def test_zero_point_course_still_reports_points():
    # CG1 "adds all scores ... when weighting scheme is points": score 35, possible 0
    result = calculate(course({"301": (50, NO_RULES, [(10, 0), (5, 0)]), "302": (50, NO_RULES, [(20, 0), (0, 0)])}))
    assert (result.current_score, result.current_possible, result.current_percent) == (35, 0, None)


def test_invisible_assignment_is_ignored_even_when_graded():
    # Ruby "DA" specs: graded but unassigned work does not count at all
    result = calculate(course(one_group([(5, 20), (20, 20, {"visible": False}), (None, 20, {"visible": False})])))
    assert (result.final_score, result.final_possible) == (5, 20)


def test_missing_submission_counts_like_null_score():
    with_null = calculate(course(one_group([(5, 10), (None, 10)])))
    without = calculate(course(one_group([(5, 10), (None, 10, {"no_submission": True})])))
    assert percents(with_null) == percents(without) == (D("50.00"), D("25.00"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("93.825", "93.83"),  # round: CG2 weighted float error case
        ("88.355", "88.36"),
        ("60.125", "60.13"),
        ("79.135", "79.14"),
        ("90.875", "90.88"),
        ("88.545", "88.55"),
        ("87.125", "87.13"),
        ("104.725", "104.73"),
        ("58.445", "58.45"),
        ("78.835", "78.84"),  # round.spec.js
        ("-1.005", "-1.01"),  # half away from zero, like big.js and Ruby
        ("12.344999", "12.34"),
        ("100", "100.00"),
    ],
)
def test_round2_is_half_up(value, expected):
    assert str(round2(D(value))) == expected
