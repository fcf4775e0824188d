"""The ``grade-calc`` JSON contract and the Canvas API adapter."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from canvas.analysis.gradecalc_io import from_canvas, grade_calc_command, parse_grade_calc
from canvas.analysis.grades import calculate
from canvas.errors import UsageError


def doc(**overrides: object) -> dict:
    """A small valid document: two weighted groups, one drop rule, one ungraded item."""
    base: dict = {
        "weighted": True,
        "groups": [
            {"id": "g1", "weight": 60, "rules": {"drop_lowest": 1, "drop_highest": 0, "never_drop": []}},
            {"id": "g2", "weight": 40, "rules": {"drop_lowest": 0, "drop_highest": 0, "never_drop": []}},
        ],
        "assignments": [
            {"id": "a1", "group_id": "g1", "points_possible": 10, "omit_from_final_grade": False},
            {"id": "a2", "group_id": "g1", "points_possible": 10, "omit_from_final_grade": False},
            {"id": "a3", "group_id": "g2", "points_possible": 20, "omit_from_final_grade": False},
            {"id": "a4", "group_id": "g2", "points_possible": 20, "omit_from_final_grade": False},
        ],
        "submissions": [
            {"assignment_id": "a1", "score": 9, "excused": False},
            {"assignment_id": "a2", "score": 4.5, "excused": False},
            {"assignment_id": "a3", "score": 15, "excused": False, "workflow_state": "graded", "posted": True},
            {"assignment_id": "a4", "score": None, "excused": False},
        ],
    }
    base.update(overrides)
    return base


GOLDEN = {
    # g1 drops the 4.5/10 -> 9/10 = 90%; g2 current 15/20 = 75%, final 15/40 = 37.5%
    # current 0.6*90 + 0.4*75 = 84; final 0.6*90 + 0.4*37.5 = 69
    "current_percent": 84.0,
    "final_percent": 69.0,
    "current_score": 24,
    "current_possible": 30,
    "final_score": 24,
    "final_possible": 50,
    "current_dropped": ["a2"],
    "final_dropped": ["a2"],
    "groups": [
        {
            "id": "g1",
            "current_percent": 90.0,
            "final_percent": 90.0,
            "current_score": 9,
            "current_possible": 10,
            "final_score": 9,
            "final_possible": 10,
        },
        {
            "id": "g2",
            "current_percent": 75.0,
            "final_percent": 37.5,
            "current_score": 15,
            "current_possible": 20,
            "final_score": 15,
            "final_possible": 40,
        },
    ],
}


def run(document: dict) -> dict:
    return grade_calc_command(json.dumps(document))


def test_golden_document():
    assert run(doc()) == GOLDEN


def test_output_is_json_serialisable_and_percent_floats():
    out = run(doc())
    assert json.loads(json.dumps(out)) == out
    assert isinstance(out["current_percent"], float)


@pytest.mark.parametrize(
    ("overrides", "key", "expected"),
    [
        # nothing graded, points scheme -> current null, final 0.0
        pytest.param(
            {"weighted": False, "submissions": []},
            ("current_percent", "final_percent", "current_score", "final_possible"),
            (None, 0.0, 0, 50),  # g1 drop_lowest 1 drops one ungraded 10
            id="nothing-graded",
        ),
        # CG2 "avoids floating point errors": 110.1 + 170.7 stays 280.8 through JSON
        pytest.param(
            {
                "weighted": False,
                "groups": [{"id": "g", "weight": None, "rules": {}}],
                "assignments": [
                    {"id": "1", "group_id": "g", "points_possible": 120},
                    {"id": "2", "group_id": "g", "points_possible": 180},
                ],
                "submissions": [{"assignment_id": "1", "score": 110.1}, {"assignment_id": "2", "score": 170.7}],
            },
            ("current_score", "current_percent"),
            (280.8, 93.6),
            id="exact-decimals",
        ),
        # posted:false = hidden grade (out of current, 0 in final); visible:false = not assigned
        pytest.param(
            {
                "weighted": False,
                "groups": [{"id": "g"}],
                "assignments": [
                    {"id": "1", "group_id": "g", "points_possible": 10},
                    {"id": "2", "group_id": "g", "points_possible": 10},
                    {"id": "3", "group_id": "g", "points_possible": 10, "visible": False},
                ],
                "submissions": [
                    {"assignment_id": "1", "score": 8},
                    {"assignment_id": "2", "score": 10, "posted": False},
                    {"assignment_id": "3", "score": 0},
                ],
            },
            ("current_percent", "final_percent"),
            (80.0, 40.0),
            id="hidden-and-invisible",
        ),
        # weighted grading periods: only work inside a period counts
        pytest.param(
            {
                "weighted": False,
                "groups": [{"id": "g"}],
                "assignments": [
                    {"id": "1", "group_id": "g", "points_possible": 10, "grading_period_id": "p1"},
                    {"id": "2", "group_id": "g", "points_possible": 10, "grading_period_id": "p2"},
                    {"id": "3", "group_id": "g", "points_possible": 10, "grading_period_id": None},
                ],
                "submissions": [
                    {"assignment_id": "1", "score": 10},
                    {"assignment_id": "2", "score": 5},
                    {"assignment_id": "3", "score": 0},
                ],
                "grading_periods": {
                    "weighted": True,
                    "periods": [{"id": "p1", "weight": 25}, {"id": "p2", "weight": 75}],
                },
            },
            ("current_percent", "current_possible"),
            (62.5, 20),
            id="weighted-periods",
        ),
    ],
)
def test_contract_cases(overrides, key, expected):
    out = run(doc(**overrides))
    assert tuple(out[k] for k in key) == expected


def bad(path: list, value: object, *, delete: bool = False) -> dict:
    d = doc()
    target = d
    for step in path[:-1]:
        target = target[step]
    if delete:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return d


@pytest.mark.parametrize(
    ("document", "message"),
    [
        pytest.param(
            bad(["weighted"], None, delete=True), "weighted: required field is missing", id="missing-weighted"
        ),
        pytest.param(bad(["weighted"], "yes"), "weighted: expected true or false", id="weighted-type"),
        pytest.param(bad(["groups"], {}), "groups: expected a list", id="groups-type"),
        pytest.param(
            bad(["groups", 0, "id"], None, delete=True), "groups[0].id: required field is missing", id="group-id"
        ),
        pytest.param(bad(["groups", 1, "id"], "g1"), "groups[1].id: duplicate group id 'g1'", id="group-dup"),
        pytest.param(bad(["groups", 0, "weight"], "60"), "groups[0].weight: expected a number", id="group-weight"),
        pytest.param(
            bad(["groups", 0, "rules", "drop_lowest"], -1),
            "groups[0].rules.drop_lowest: expected a whole number >= 0",
            id="drop-negative",
        ),
        pytest.param(
            bad(["groups", 0, "rules", "never_drop"], "a1"),
            "groups[0].rules.never_drop: expected a list",
            id="never-drop-type",
        ),
        pytest.param(
            bad(["assignments", 3, "points_possible"], "20"),
            "assignments[3].points_possible: expected a number",
            id="points-type",
        ),
        pytest.param(
            bad(["assignments", 3, "points_possible"], None, delete=True),
            "assignments[3].points_possible: required field is missing",
            id="points-missing",
        ),
        pytest.param(
            bad(["assignments", 2, "points_possible"], -5),
            "assignments[2].points_possible: expected a number >= 0",
            id="points-negative",
        ),
        pytest.param(
            bad(["assignments", 0, "group_id"], "nope"), "assignments[0].group_id: unknown group 'nope'", id="group-ref"
        ),
        pytest.param(
            bad(["assignments", 1, "id"], "a1"), "assignments[1].id: duplicate assignment id 'a1'", id="dup-a"
        ),
        pytest.param(
            bad(["assignments", 0, "grading_period_id"], "p9"),
            "assignments[0].grading_period_id: unknown grading period 'p9'",
            id="period-ref",
        ),
        pytest.param(
            bad(["assignments", 0, "omit_from_final_grade"], "no"),
            "assignments[0].omit_from_final_grade: expected true or false",
            id="omit-type",
        ),
        pytest.param(
            bad(["submissions", 1, "score"], None, delete=True),
            "submissions[1].score: required field is missing",
            id="score-missing",
        ),
        pytest.param(bad(["submissions", 1, "score"], "9"), "submissions[1].score: expected a number", id="score-type"),
        pytest.param(
            bad(["submissions", 0, "assignment_id"], "zz"),
            "submissions[0].assignment_id: unknown assignment 'zz'",
            id="sub-ref",
        ),
        pytest.param(
            bad(["submissions", 1, "assignment_id"], "a1"),
            "submissions[1].assignment_id: second submission for 'a1'",
            id="sub-dup",
        ),
        pytest.param(
            bad(["submissions", 0, "posted"], 1), "submissions[0].posted: expected true or false", id="posted-type"
        ),
        pytest.param(
            bad(["grading_periods"], {"periods": []}),
            "grading_periods.weighted: required field is missing",
            id="periods-weighted",
        ),
        pytest.param(
            bad(["grading_periods"], {"weighted": True, "periods": [{"weight": 1}]}),
            "grading_periods.periods[0].id: required field is missing",
            id="period-id",
        ),
    ],
)
def test_bad_documents_name_the_field(document, message):
    with pytest.raises(UsageError) as info:
        run(document)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("{", "input: invalid JSON", id="truncated"),
        pytest.param("[]", "input: expected an object", id="not-object"),
        pytest.param(
            '{"weighted": true, "groups": [], "assignments": [], "submissions": [], "x": NaN}', "NaN", id="nan"
        ),
    ],
)
def test_bad_json(text, message):
    with pytest.raises(UsageError, match=message):
        grade_calc_command(text)


def test_optional_fields_default():
    minimal = {
        "weighted": False,
        "groups": [{"id": "g"}],
        "assignments": [{"id": "1", "group_id": "g", "points_possible": None}],
        "submissions": [{"assignment_id": "1", "score": 3}],
    }
    inputs = parse_grade_calc(json.dumps(minimal))
    assert inputs.groups[0].weight is None and inputs.groups[0].rules.drop_lowest == 0
    assert inputs.assignments[0].visible and not inputs.assignments[0].omit_from_final_grade
    # a null points_possible counts as 0: the score is extra credit, no percent
    assert run(minimal)["current_percent"] is None


# --- from_canvas ---------------------------------------------------------------------

COURSE = {"id": 7, "apply_assignment_group_weights": True, "grading_periods": None}


def canvas_assignment(aid: int, points: float | None, submission: dict | None, **extra: object) -> dict:
    out: dict = {"id": aid, "points_possible": points, "grading_type": "points", "published": True, **extra}
    if submission is not None:
        out["submission"] = submission
    return out


def graded(score: float | None, **extra: object) -> dict:
    return {"score": score, "excused": False, "workflow_state": "graded", "posted_at": "2024-03-01T00:00:00Z", **extra}


def test_from_canvas_shapes():
    groups = [
        {
            "id": 11,
            "group_weight": 60.0,
            "rules": {"drop_lowest": 1, "never_drop": [103]},
            "assignments": [
                canvas_assignment(101, 10, graded(9)),
                canvas_assignment(102, 10, graded(2)),
                canvas_assignment(103, 10, graded(1)),
                canvas_assignment(104, 50, graded(50), published=False),  # unpublished: ignored
                canvas_assignment(105, 50, graded(0), grading_type="not_graded"),  # not graded: ignored
            ],
        },
        {
            "id": 12,
            "group_weight": 40.0,
            "rules": {},
            "assignments": [
                canvas_assignment(201, 20, {"excused": False, "workflow_state": "graded", "posted_at": None}),
                canvas_assignment(202, 20, graded(None, workflow_state="unsubmitted", posted_at=None)),
                canvas_assignment(203, 20, graded(20, posted_at=None)),  # graded, not posted
                canvas_assignment(204, 20, None),  # no submission key at all
                canvas_assignment(205, 20, graded(10, excused=True)),
            ],
        },
    ]
    inputs = from_canvas(groups, COURSE)
    assert inputs.weighted
    assert [a.id for a in inputs.assignments] == ["101", "102", "103", "201", "202", "203", "204", "205"]
    assert inputs.groups[0].rules.never_drop == frozenset({"103"})
    subs = {s.assignment_id: s for s in inputs.submissions}
    assert (subs["201"].score, subs["201"].posted) == (None, False)  # "score" key absent = hidden
    assert (subs["202"].score, subs["202"].posted) == (None, True)  # null score = ungraded
    assert subs["203"].posted is False
    assert "204" not in subs
    result = calculate(inputs)
    # g1 keeps 9/10 + never-drop 1/10 (drops 2/10): 50%; g2 has nothing visible graded
    assert result.current_percent == Decimal("50.00")
    assert result.current_dropped == ("102",)
    # final: g1 50% * 60 + g2 0/80 * 40 -> 30%
    assert result.final_percent == Decimal("30.00")


def test_from_canvas_grading_periods_by_due_date():
    course = {
        "apply_assignment_group_weights": False,
        "weighted_grading_periods": True,
        "grading_periods": [
            {"id": 1, "start_date": "2024-01-01T00:00:00Z", "end_date": "2024-03-01T00:00:00Z", "weight": 40},
            {"id": 2, "start_date": "2024-03-01T00:00:00Z", "end_date": "2024-06-01T00:00:00Z", "weight": 60},
        ],
    }
    groups = [
        {
            "id": 1,
            "group_weight": 0,
            "rules": {},
            "assignments": [
                canvas_assignment(1, 10, graded(10), due_at="2024-03-01T00:00:00Z"),  # end is inclusive -> period 1
                canvas_assignment(2, 10, graded(5), due_at="2024-03-01T00:00:01Z"),  # period 2
                canvas_assignment(3, 10, graded(0), due_at="2025-01-01T00:00:00Z"),  # in no period
                canvas_assignment(4, 10, graded(None), due_at=None),  # undated -> last period
            ],
        }
    ]
    inputs = from_canvas(groups, course)
    assert [a.grading_period_id for a in inputs.assignments] == ["1", "2", None, "2"]
    assert inputs.grading_periods is not None and inputs.grading_periods.weighted
    result = calculate(inputs)
    # period 1 = 100%, period 2 current 50%, final 25% -> 40 + 30 = 70 / 40 + 15 = 55
    assert (result.current_percent, result.final_percent) == (Decimal("70.00"), Decimal("55.00"))


@pytest.mark.parametrize(
    ("groups", "course", "message"),
    [
        pytest.param([{"assignments": []}], COURSE, r"groups_json\[0\].id: required field is missing", id="group-id"),
        pytest.param(
            [{"id": 1, "assignments": [canvas_assignment(5, "ten", None)]}],
            COURSE,
            r"groups_json\[0\].assignments\[0\].points_possible: expected a number",
            id="points",
        ),
        pytest.param(
            [{"id": 1, "assignments": [canvas_assignment(5, 10, {"score": "A"})]}],
            COURSE,
            r"groups_json\[0\].assignments\[0\].submission.score: expected a number",
            id="score",
        ),
        pytest.param(
            [{"id": 1, "assignments": [canvas_assignment(5, 10, None, due_at="soon")]}],
            {"grading_periods": [{"id": 1, "start_date": "2024-01-01T00:00:00Z", "end_date": "2024-02-01T00:00:00Z"}]},
            r"groups_json\[0\].assignments\[0\].due_at: expected an ISO 8601 date-time",
            id="due-at",
        ),
    ],
)
def test_from_canvas_bad_shapes(groups, course, message):
    with pytest.raises(UsageError, match=message):
        from_canvas(groups, course)
