"""whatif_data: calculator inputs from cached raw JSON, what-if, targets, contributions (pure)."""

from __future__ import annotations

import math
from decimal import Decimal

import pandas as pd
import pytest

from canvas.analysis.letters import GradingScale
from canvas.dashboard import charts, fmt, whatif_data

HOSTILE = '<b>Lab</b> & "Quiz" <script>alert(1)</script>'


def assignment(aid, points, score=None, *, graded=True, name=None, due="2026-12-01T08:00:00Z", **sub_extra):
    sub = {"assignment_id": aid, "workflow_state": "graded" if score is not None else "unsubmitted",
           "score": score, "excused": False, "posted_at": "2026-11-01T00:00:00Z" if score is not None else None,
           "submitted_at": None, "missing": False, **sub_extra}
    return {"id": aid, "name": name or f"A{aid}", "points_possible": points, "due_at": due, "published": True,
            "grading_type": "points", "submission_types": ["online_upload"], "omit_from_final_grade": False,
            "submission": sub if graded else None}


def raw(weighted=False, hide=False):
    """Two groups: Homework (drop lowest 1) and Exams; a hidden grade, an unsubmitted and a submitted item."""
    hidden = assignment(5, 50, None, name="Essay")
    hidden["submission"].pop("score")  # Canvas withholds the key: a hidden (unposted) grade
    hidden["submission"]["workflow_state"] = "graded"
    return {
        "course": {"id": 1, "apply_assignment_group_weights": weighted, "hide_final_grades": hide,
                   "grading_periods": []},
        "groups": [
            {"id": 10, "name": HOSTILE, "group_weight": 40, "rules": {"drop_lowest": 1},
             "assignments": [assignment(1, 10, 9), assignment(2, 10, 5), assignment(3, 10, 10),
                             assignment(4, 10, None, name="HW 4", due="2026-12-05T08:00:00Z")]},
            {"id": 20, "name": "Exams", "group_weight": 60, "rules": {},
             "assignments": [assignment(6, 100, 80), hidden,
                             assignment(7, 100, None, name="Final", due=None, submitted_at="2026-11-20T00:00:00Z"),
                             {**assignment(8, 100, None), "published": False}]},
        ],
    }


def test_build_inputs_and_recompute_unweighted():
    cg = whatif_data.course_grades(raw())
    # current: homework keeps 9 + 10 of 20 (drops the 5), exams 80/100 -> 99/120
    assert cg.result.current_percent == Decimal("82.50")
    assert [a.id for a in cg.inputs.assignments] == ["1", "2", "3", "4", "6", "5", "7"], "unpublished left out"
    assert cg.names == {"10": HOSTILE, "20": "Exams"}


def test_remaining_frame_lists_ungraded_work_by_due_date():
    cg = whatif_data.course_grades(raw())
    rem = cg.remaining
    assert list(rem.columns) == whatif_data.REMAINING_COLUMNS
    assert list(rem["assignment_id"]) == ["5", "4", "7"], "by due date (Dec 1, Dec 5), undated last"
    assert dict(zip(rem["assignment_id"], rem["state"], strict=True)) == {
        "4": "not submitted", "5": "grade not posted yet", "7": "submitted, not graded"}
    assert str(rem["due_at"].dt.tz) == "UTC" and rem["whatif"].isna().all()
    assert list(rem["points_possible"]) == [50.0, 10.0, 100.0]


def test_hypothetical_keeps_entered_non_negative_numbers():
    edited = pd.DataFrame({"assignment_id": ["4", "5", "7", "9"], "whatif": [8.0, math.nan, -1.0, None]})
    assert whatif_data.hypothetical(edited) == {"4": Decimal("8.0")}
    assert whatif_data.hypothetical(pd.DataFrame(columns=["assignment_id", "whatif"])) == {}


def test_projection_moves_with_whatif_and_empty_is_unchanged():
    cg = whatif_data.course_grades(raw())
    same = whatif_data.project(cg.inputs, {})
    assert (same.current, same.final) == (cg.result.current_percent, cg.result.final_percent)
    better = whatif_data.project(cg.inputs, {"7": Decimal(100)})
    assert better.current > same.current and better.final > same.final
    assert better.final_letter == GradingScale().letter(better.final)
    assert cg.inputs.submissions == whatif_data.course_grades(raw()).inputs.submissions, "inputs not mutated"


def test_explanation_uses_cache_facts():
    cg = whatif_data.course_grades(raw(hide=True))
    course = {"current_score": None, "final_score": None, "hide_final_grades": True, "has_grading_periods": False}
    assert whatif_data.explanation(course, cg.result, 1) == ["Canvas hides the course total for this course"]
    agree = {"current_score": float(cg.result.current_percent), "final_score": float(cg.result.final_percent),
             "hide_final_grades": False, "has_grading_periods": False}
    assert whatif_data.explanation(agree, cg.result, 1) == []
    stale = {**agree, "current_score": 70.0, "has_grading_periods": True}
    reasons = whatif_data.explanation(stale, cg.result, 2)
    assert "2 grades are not posted yet, so Canvas doesn't count them" in reasons
    assert any("grading periods" in r for r in reasons) and any("drop rule" in r for r in reasons)
    ctx = whatif_data.explain_context({"hide_final_grades": float("nan")}, cg.result, 0)
    assert ctx.hide_final_grades is False and ctx.dropped_ids


def test_target_percent_and_sentences():
    cg = whatif_data.course_grades(raw())
    assert whatif_data.target_percent("letter", letter="B+") == Decimal(87)
    assert whatif_data.target_percent("percent", percent=72.5) == Decimal("72.5")
    assert "F" not in whatif_data.TARGET_LETTERS and whatif_data.TARGET_LETTERS[0] == "A"

    reach = whatif_data.solve(cg.inputs, Decimal(60))
    assert reach.status == "reachable"
    assert whatif_data.describe_target(reach, "60%") == (
        f"To finish with at least 60% you need an average of {reach.needed_percent:.2f}% on the remaining "
        "3 assignments.")
    low = whatif_data.solve(cg.inputs, Decimal(10))
    assert whatif_data.describe_target(low, "10%").startswith("You finish with at least 10% even with 0%")
    high = whatif_data.solve(cg.inputs, Decimal("99.5"))
    assert whatif_data.describe_target(high, "99.5%").startswith("Out of reach")
    # A what-if score counts as given: one fewer assignment left for the solver.
    assert len(whatif_data.solve(cg.inputs, Decimal(60), {"7": Decimal(90)}).remaining_ids) == 2


@pytest.mark.parametrize("weighted", [False, True])
def test_group_contributions_add_up_to_the_course_grade(weighted):
    cg = whatif_data.course_grades(raw(weighted=weighted))
    df = whatif_data.group_contributions(cg.inputs, cg.result, cg.names)
    assert list(df.columns) == whatif_data.CONTRIBUTION_COLUMNS
    for variant, pct in (("current", cg.result.current_percent), ("final", cg.result.final_percent)):
        part = df[df["variant"] == variant]
        assert round(part["earned"].sum(), 2) == pytest.approx(float(pct), abs=0.005)
        assert part["available"].sum() == pytest.approx(100.0)
    if weighted:
        assert set(df["weight"]) == {40.0, 60.0}
    else:
        assert df["weight"].isna().all()


def test_group_contributions_renormalise_weights_when_a_group_is_empty():
    data = raw(weighted=True)
    for a in data["groups"][1]["assignments"]:  # nothing in Exams is graded: only Homework counts now
        a["submission"] = None
    cg = whatif_data.course_grades(data)
    cur = whatif_data.group_contributions(cg.inputs, cg.result, cg.names).query("variant == 'current'")
    assert list(cur["group_id"]) == ["10"] and cur["available"].iloc[0] == pytest.approx(100.0)
    assert cur["earned"].iloc[0] == pytest.approx(float(cg.result.current_percent), abs=0.005)


def test_contribution_and_trend_charts_are_pure_and_inert():
    cg = whatif_data.course_grades(raw(weighted=True))
    fig = charts.group_contribution(whatif_data.group_contributions(cg.inputs, cg.result, cg.names))
    names = [t.name for t in fig.data]
    assert names[-1] == "Not earned" and HOSTILE not in fig.to_json() and "&lt;b&gt;Lab" in fig.to_json()
    assert charts.group_contribution(whatif_data.group_contributions_empty()).layout.annotations

    tz = fmt.zone("America/Denver")
    snaps = pd.DataFrame({"taken_at": pd.to_datetime(["2026-11-01", "2026-11-08"], utc=True),
                          "current_score": [80.0, 82.5]})
    graded = pd.DataFrame({"graded_at": pd.to_datetime(["2026-11-02", None], utc=True), "percent": [90.0, 50.0],
                           "name": [HOSTILE, "x"]})
    trend = charts.course_trend(snaps, graded, tz)
    assert len(trend.data) == 2 and len(trend.data[0].x) == 1, "ungraded-date rows are skipped"
    assert HOSTILE not in trend.to_json()
    empty = charts.course_trend(snaps.iloc[0:0], graded.iloc[0:0], tz)
    assert empty.layout.annotations[0].text == "No graded work yet"
