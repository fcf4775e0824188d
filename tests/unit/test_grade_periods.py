"""Grading periods, ported from Canvas's specs.

Sources in instructure/canvas-lms:
- "CG3" (unweighted set), "CG4" (weighted set), "CG5" (groups across weighted periods):
  ui/shared/grading/__tests__/CourseGradeCalculator{3,4,5}.test.js
- "Ruby": spec/lib/grade_calculator_spec.rb @03034eb9, "#compute_and_save_scores" with grading periods

Rows are (assignment id, group id, score, points, period id) plus optional flags.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from canvas.analysis.drops import DropRules
from canvas.analysis.grades import (
    Assignment,
    GradeInputs,
    GradeResult,
    GradingPeriod,
    GradingPeriods,
    Group,
    Submission,
    calculate,
)

D = Decimal


def num(value: float | int | None) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def build(
    rows: list[tuple],
    group_weights: dict[str, float | None],
    period_weights: dict[str, float | None],
    *,
    weighted_periods: bool,
    weighted_groups: bool = True,
    rules: DropRules | None = None,
) -> GradeInputs:
    assignments, submissions = [], []
    for aid, gid, score, points, period, *rest in rows:
        flags = dict(rest[0]) if rest else {}
        visible = bool(flags.pop("visible", True))
        omit = bool(flags.pop("omit", False))
        assignments.append(Assignment(aid, gid, num(points), omit, period, visible))
        submissions.append(Submission(aid, num(score), **flags))
    groups = tuple(Group(gid, num(w), rules or DropRules()) for gid, w in group_weights.items())
    periods = GradingPeriods(weighted_periods, tuple(GradingPeriod(pid, num(w)) for pid, w in period_weights.items()))
    return GradeInputs(weighted_groups, groups, tuple(assignments), tuple(submissions), periods)


def percents(result: GradeResult) -> tuple[Decimal | None, ...]:
    return result.current_percent, result.final_percent


def expect(*values: float | None) -> tuple[Decimal | None, ...]:
    return tuple(None if v is None else D(str(v)).quantize(D("0.01")) for v in values)


# CG3/CG4 fixture: groups 301 (60), 302 (20), 303 (20); periods 701, 702 (50/50).
CG = [
    ("201", "301", 10, 10, "701"),
    ("202", "301", 5, 10, "701"),
    ("203", "302", 12, 20, "702"),
    ("204", "303", 16, 40, "702"),
]
CG_GROUPS = {"301": 60, "302": 20, "303": 20}
HALVES = {"701": 50, "702": 50}


def cg(
    *,
    weighted_periods: bool,
    rows: list[tuple] = CG,
    groups: dict[str, float | None] = CG_GROUPS,
    periods: dict[str, float | None] = HALVES,
    weighted_groups: bool = True,
) -> GradeResult:
    return calculate(build(rows, groups, periods, weighted_periods=weighted_periods, weighted_groups=weighted_groups))


def moved(period_of: dict[str, str | None], rows: list[tuple] = CG) -> list[tuple]:
    return [(*r[:4], period_of.get(r[0], r[4])) for r in rows]


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        # CG3 "combines all assignment groups for the course grade" / "ignores grading period weights"
        pytest.param(cg(weighted_periods=False), expect(65, 65), id="CG3-course-65"),
        pytest.param(
            cg(weighted_periods=False, periods={"701": 25, "702": 75}), expect(65, 65), id="CG3-ignores-period-weights"
        ),
        # CG3 "does not weight assignment groups for course grade when weighting scheme is not percent": 43/80
        pytest.param(cg(weighted_periods=False, weighted_groups=False), expect(53.75, 53.75), id="CG3-points"),
        # CG3 "up-scales group weights" / "does not down-scale group weights"
        pytest.param(
            cg(weighted_periods=False, groups={"301": 6, "302": 2, "303": 2}), expect(65, 65), id="CG3-up-scales"
        ),
        pytest.param(
            cg(weighted_periods=False, groups={"301": 120, "302": 40, "303": 40}),
            expect(130, 130),
            id="CG3-no-down-scale",
        ),
        # CG3 "includes assignment groups outside of grading periods"
        pytest.param(cg(weighted_periods=False, rows=moved({"201": None})), expect(65, 65), id="CG3-outside-periods"),
        # CG3 "does not divide assignment groups crossing grading periods"
        pytest.param(cg(weighted_periods=False, rows=moved({"202": "702"})), expect(65, 65), id="CG3-no-division"),
        # CG4 "weights percent grades of assignment groups for the course grade"
        pytest.param(cg(weighted_periods=True), expect(62.5, 62.5), id="CG4-62.5"),
        # CG4 "does not weight assignment groups ... not percent": JS 60.83 from exact period
        # ratios; Ruby (the API's number) weights the rounded 75 and 46.67 -> 60.84.
        pytest.param(cg(weighted_periods=True, weighted_groups=False), expect(60.84, 60.84), id="CG4-points-ruby"),
        # CG4 "up-scales grading period weights" / "does not down-scale"
        pytest.param(cg(weighted_periods=True, periods={"701": 5, "702": 5}), expect(62.5, 62.5), id="CG4-up-scales"),
        pytest.param(
            cg(weighted_periods=True, periods={"701": 100, "702": 100}), expect(125, 125), id="CG4-no-down-scale"
        ),
        # CG4 "uses zero weight for grading periods with null weight"
        pytest.param(cg(weighted_periods=True, periods={"701": None, "702": 5}), expect(50, 50), id="CG4-null-weight"),
        pytest.param(cg(weighted_periods=True, periods={"701": None, "702": 50}), expect(50, 50), id="CG4-null-and-50"),
        # CG4 "sets scores to zero when all grading period weights are zero / null"
        pytest.param(cg(weighted_periods=True, periods={"701": 0, "702": 0}), expect(0, 0), id="CG4-zero-weights"),
        pytest.param(
            cg(weighted_periods=True, periods={"701": None, "702": None}), expect(0, 0), id="CG4-null-weights"
        ),
        # CG4 "excludes assignments outside of grading periods"
        pytest.param(cg(weighted_periods=True, rows=moved({"201": None})), expect(50, 50), id="CG4-outside-excluded"),
        # CG4 "weights grading periods with unequal grading period weights"
        pytest.param(cg(weighted_periods=True, periods={"701": 25, "702": 75}), expect(56.25, 56.25), id="CG4-unequal"),
        # CG4 "current score excludes / final score includes grading periods with no assignment groups"
        pytest.param(
            cg(weighted_periods=True, rows=CG[:2], groups={"301": 60}), expect(75, 37.5), id="CG4-empty-period"
        ),
        # CG4 "ignores empty assignments groups"
        pytest.param(cg(weighted_periods=True, rows=[CG[0], CG[1], CG[3]]), expect(57.5, 57.5), id="CG4-empty-group"),
        # CG4 "avoids floating point errors in current and final score": 87.125
        pytest.param(
            cg(
                weighted_periods=True,
                weighted_groups=False,
                rows=[("201", "301", 45.9, 60, "701"), ("202", "302", 38.25, 40, "702")],
                groups={"301": 50, "302": 50},
                periods={"701": 40, "702": 50},
            ),
            expect(87.13, 87.13),
            id="CG4-87.125",
        ),
    ],
)
def test_course_percent_with_periods(result, expected):
    assert percents(result) == expected


def test_cg3_period_scores():
    # CG3 "calculates current and final percent grades within grading periods" (+ points variant)
    by_id = {p.id: p for p in cg(weighted_periods=False).periods}
    assert (by_id["701"].current_percent, by_id["702"].final_percent) == (D("75.00"), D("50.00"))
    points = {p.id: p for p in cg(weighted_periods=False, weighted_groups=False).periods}
    assert (points["701"].current_percent, points["702"].current_percent) == (D("75.00"), D("46.67"))
    # CG3 "includes assignment group grades" (whole groups, not cut by period)
    groups = cg(weighted_periods=False, rows=moved({"202": "702"})).groups
    assert [(g.id, g.current_score, g.current_possible) for g in groups] == [
        ("301", 15, 20),
        ("302", 12, 20),
        ("303", 16, 40),
    ]


def test_cg4_groups_skip_work_outside_periods():
    # CG4 "excludes assignments outside of grading periods for assignment group grades"
    group = cg(weighted_periods=True, rows=moved({"201": None})).groups[0]
    assert (group.current_score, group.current_possible, group.final_score, group.final_possible) == (5, 10, 5, 10)


CG5 = [
    ("201", "301", 10, 10, "701"),
    ("202", "301", 5, 10, "702"),
    ("203", "302", 3, 10, "702"),
]


@pytest.mark.parametrize(
    ("rows", "periods", "expected"),
    [
        # CG5 "weights assignments groups with equal grading period weights"
        pytest.param(CG5, HALVES, expect(70, 70), id="CG5-equal"),
        # CG5 "weights assignments groups with unequal grading period weights"
        pytest.param(CG5, {"701": 25, "702": 75}, expect(55, 55), id="CG5-unequal"),
        # CG5 "excludes assignment groups containing only assignments not assigned to the given student"
        pytest.param([*CG5[:2], (*CG5[2], {"visible": False})], HALVES, expect(75, 75), id="CG5-unassigned-group"),
        # CG5 "excludes assignments not assigned to the given student"
        pytest.param([CG5[0], (*CG5[1], {"visible": False}), CG5[2]], HALVES, expect(65, 65), id="CG5-unassigned"),
    ],
)
def test_groups_across_weighted_periods(rows, periods, expected):
    result = calculate(build(rows, {"301": 50, "302": 50}, periods, weighted_periods=True))
    assert percents(result) == expected


def test_cg5_divided_groups():
    result = calculate(build(CG5, {"301": 50, "302": 50}, HALVES, weighted_periods=True))
    # "accounts for divided assignment groups in grading period scores"
    assert [(p.id, p.current_percent) for p in result.periods] == [("701", D("100.00")), ("702", D("40.00"))]
    # "divides assignment groups across related grading periods"
    p702 = result.periods[1].groups
    assert [(g.id, g.current_score) for g in p702] == [("301", 5), ("302", 3)]
    # "recombines assignment group grades of divided assignment groups"
    assert (result.groups[0].current_score, result.groups[0].current_possible) == (15, 20)


def test_cg5_exact_group_sums():
    # CG5 "avoids floating point errors in assignment group scores / points possible"
    rows = [("201", "301", 110.1, 120, "701"), ("202", "301", 170.7, 190, "702"), ("203", "302", 103.3, 120, "702")]
    groups = calculate(build(rows, {"301": 50, "302": 50}, HALVES, weighted_periods=True)).groups
    assert [g.final_score for g in groups] == [D("280.8"), D("103.3")]
    rows = [("201", "301", 100, 110.1, "701"), ("202", "301", 100, 170.7, "702"), ("203", "302", 90, 103.3, "702")]
    groups = calculate(build(rows, {"301": 50, "302": 50}, HALVES, weighted_periods=True)).groups
    assert [g.current_possible for g in groups] == [D("280.8"), D("103.3")]


# Ruby "#compute_and_save_scores" with grading periods: points scheme, drop_lowest 1,
# group 1 in period "p1", group 2 in "p2"; the middle assignments are unposted.
UNPOSTED = {"posted": False}


def ruby_rows(*, score_override: dict[str, float | None] | None = None, omit: frozenset[str] = frozenset()):
    base = [
        ("a1", "1", 35.0, 150, "p1"),
        ("a2", "1", 99.6, 150, "p1", UNPOSTED),
        ("a3", "1", 142.7, 150, "p1"),
        ("b1", "2", 42.0, 150, "p2"),
        ("b2", "2", 95.0, 150, "p2", UNPOSTED),
        ("b3", "2", 131.4, 150, "p2"),
    ]
    rows = []
    for row in base:
        aid, gid, score, points, period, *rest = row
        flags = dict(rest[0]) if rest else {}
        if score_override is not None and aid in score_override:
            score = score_override[aid]
        if aid in omit:
            flags["omit"] = True
        rows.append((aid, gid, score, points, period, flags))
    return rows


def ruby(
    w1: float | None,
    w2: float | None,
    *,
    weighted: bool = True,
    extra: bool = True,
    **kwargs: object,
) -> GradeResult:
    rows = ruby_rows(**kwargs)  # type: ignore[arg-type]
    if extra:
        # "an ungraded assignment ... considered for final scores", due in the second period
        rows.append(("c1", "1", None, 100, "p2", {}))
    return calculate(
        build(
            rows,
            {"1": 45, "2": 55},
            {"p1": w1, "p2": w2},
            weighted_periods=weighted,
            weighted_groups=False,
            rules=DropRules(1),
        )
    )


ALL = ("a1", "a2", "a3", "b1", "b2", "b3", "c1")
NULL_SCORES = dict.fromkeys(ALL)
ZERO_SCORES = dict.fromkeys(ALL, 0.0)
P1_NULL = dict.fromkeys(("a1", "a2", "a3"))


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        # "updates the overall course score" (unweighted set): (142.7 + 131.4) / 300
        pytest.param(ruby(30, 70, weighted=False, extra=False), expect(91.37, 58.52), id="Ruby-unweighted-set"),
        # "calculates the course score from weighted grading period scores"
        pytest.param(ruby(25, 75), expect(89.48, 47.32), id="Ruby-weighted-25-75"),
        # "up-scales grading period weights which add up to less than 100 percent"
        pytest.param(ruby(25, 50), expect(90.11, 48.64), id="Ruby-weighted-25-50"),
        # "does not down-scale grading period weights which add up to greater than 100 percent"
        pytest.param(ruby(100, 50), expect(138.93, 80.91), id="Ruby-weighted-100-50"),
        # "sets current/final course score to zero when all grading period weights are zero / nil / nil or zero"
        pytest.param(ruby(0, 0), expect(0, 0), id="Ruby-weights-zero"),
        pytest.param(ruby(None, None), expect(0, 0), id="Ruby-weights-nil"),
        pytest.param(ruby(0, None), expect(0, 0), id="Ruby-weights-zero-and-nil"),
        # "treats grading periods with nil weights as zero when some grading period weights are nil"
        pytest.param(ruby(None, 50), expect(87.6, 43.35), id="Ruby-one-nil-weight"),
        # "sets current course score to nil when all grading period current scores are nil"
        pytest.param(ruby(25, 75, score_override=NULL_SCORES), expect(None, 0), id="Ruby-all-scores-nil"),
        # "sets final course score to zero when all grading period final scores are nil" (all omitted)
        pytest.param(ruby(25, 75, omit=frozenset(ALL)), expect(None, 0), id="Ruby-all-omitted"),
        # "does not consider grading periods with nil current score when computing course current score"
        pytest.param(ruby(25, 75, score_override=P1_NULL), expect(87.6, 32.51), id="Ruby-p1-scores-nil"),
        # "considers grading periods with nil final score as having zero score when computing course final score"
        pytest.param(ruby(25, 75, omit=frozenset(("a1", "a2", "a3"))), expect(87.6, 32.51), id="Ruby-p1-omitted"),
        # "sets course current/final score to zero when all grading period current/final scores are zero"
        pytest.param(ruby(25, 75, score_override=ZERO_SCORES), expect(0, 0), id="Ruby-all-zero"),
        # "... nil scores and all grading period weights are nil / zero"
        pytest.param(ruby(None, None, score_override=NULL_SCORES), expect(None, 0), id="Ruby-nil-scores-nil-weights"),
        pytest.param(ruby(0, 0, score_override=NULL_SCORES), expect(None, 0), id="Ruby-nil-scores-zero-weights"),
        # "... zero scores and all grading period weights are zero / nil"
        pytest.param(ruby(0, 0, score_override=ZERO_SCORES), expect(0, 0), id="Ruby-zero-scores-zero-weights"),
        pytest.param(ruby(None, None, score_override=ZERO_SCORES), expect(0, 0), id="Ruby-zero-scores-nil-weights"),
    ],
)
def test_ruby_weighted_periods(result, expected):
    assert percents(result) == expected


def test_ruby_period_scores_and_drops():
    # "updates all grading period scores" and "updates all grading period score metadata"
    result = ruby(30, 70, weighted=False, extra=False)
    assert [(p.id, p.current_percent) for p in result.periods] == [("p1", D("95.13")), ("p2", D("87.60"))]
    # current drops the lowest graded item; final drops the unposted one (0 in final)
    assert (result.current_dropped, result.final_dropped) == (("a1", "b1"), ("a2", "b2"))
