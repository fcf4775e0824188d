"""Chart builders are pure (DataFrame -> Figure), handle empty input, and keep Canvas text inert."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import plotly.graph_objects as go
import pytest

from canvas.dashboard import charts, fmt, whatif_data

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
TZ = fmt.zone("America/Denver")
HOSTILE = '<a href="javascript:alert(1)">Evil</a> <b>Course</b>'


def courses():
    return pd.DataFrame({"course_id": [1, 2, 3], "name": ["Calculus", HOSTILE, "Hidden totals"],
                         "current_score": [91.5, 72.0, None], "final_score": [80.0, 60.0, None]})


def assignments():
    due = [NOW + timedelta(days=d) for d in (1, 1, 3, 20)] + [NOW - timedelta(days=1)]
    return pd.DataFrame({
        "course_name": ["Calculus", HOSTILE, "Calculus", "Calculus", "Calculus"], "name": list("abcde"),
        "due_at": pd.to_datetime(due, utc=True), "unsubmitted": [True, True, True, True, False],
        "percent": [None, None, 80.0, 95.0, 60.0],
    })


def all_text(fig: go.Figure) -> str:
    return fig.to_json()


def test_course_scores_groups_current_and_final_and_escapes_names():
    fig = charts.course_scores(courses())
    assert [t.name for t in fig.data] == ["Final", "Current"]
    assert len(fig.data[0].y) == 2, "a course hiding both totals is left out"
    assert HOSTILE not in all_text(fig) and "&lt;a href" in all_text(fig)


def test_score_history_one_line_per_course_and_padded_axis():
    snaps = pd.DataFrame({"course_id": [1, 1, 2], "course_name": ["Calculus", "Calculus", HOSTILE],
                          "taken_at": pd.to_datetime([NOW, NOW + timedelta(seconds=3), NOW], utc=True),
                          "current_score": [90.0, 91.0, 70.0]})
    fig = charts.score_history(snaps, TZ)
    assert len(fig.data) == 2 and list(fig.data[0].y) == [90.0, 91.0]
    assert fig.layout.xaxis.range is not None, "seconds-apart points get a readable window"
    assert HOSTILE not in all_text(fig)


def test_score_distribution_and_due_timeline():
    df = assignments()
    dist = charts.score_distribution(df)
    assert {len(t.x) for t in dist.data} == {3}
    timeline = charts.due_timeline(df, NOW, TZ, days=14)
    assert sum(sum(t.y) for t in timeline.data) == 3, "unsubmitted work due in the window only"
    assert HOSTILE not in all_text(timeline)


def test_group_breakdown_labels_weights():
    groups = pd.DataFrame({"name": ["Homework", "Exams", "Empty"], "weight": [25.0, 75.0, 0.0],
                           "percent": [88.0, 71.5, None]})
    fig = charts.group_breakdown(groups)
    assert list(fig.data[0].y) == ["Homework (25%)", "Exams (75%)"]


def test_sync_durations_by_outcome():
    runs = pd.DataFrame({"started_at": pd.to_datetime([NOW, NOW + timedelta(hours=2), NOW + timedelta(hours=4)],
                                                      utc=True),
                         "duration_s": [1.2, 3.4, None], "outcome": ["success", "failed", "running"],
                         "kind": ["full", "recent", "full"], "trigger": ["app", "schedule", "app"],
                         "requests": [8, 2, 0]})
    fig = charts.sync_durations(runs, TZ)
    assert sorted(t.name for t in fig.data) == ["failed", "success"]


@pytest.mark.parametrize("build", [
    lambda: charts.course_scores(courses().iloc[0:0]),
    lambda: charts.score_history(pd.DataFrame(columns=["course_id", "course_name", "taken_at", "current_score"]),
                                 TZ),
    lambda: charts.score_distribution(pd.DataFrame(columns=["course_name", "name", "percent"])),
    lambda: charts.group_breakdown(pd.DataFrame(columns=whatif_data.GROUP_COLUMNS)),
    lambda: charts.due_timeline(pd.DataFrame(columns=["course_name", "due_at", "unsubmitted"]), NOW, TZ),
    lambda: charts.sync_durations(pd.DataFrame(columns=["started_at", "duration_s", "outcome"]), TZ),
])
def test_empty_input_gives_a_message_figure(build):
    fig = build()
    assert isinstance(fig, go.Figure) and not fig.data and fig.layout.annotations


def test_group_breakdown_from_canvas_json_uses_the_exact_calculator():
    course = {"apply_assignment_group_weights": True}
    groups = [{"id": 10, "name": "Homework", "group_weight": 50, "rules": {"drop_lowest": 1}, "assignments": [
        {"id": 1, "points_possible": 10, "published": True, "grading_type": "points", "submission_types": ["online"],
         "submission": {"score": 2, "workflow_state": "graded", "excused": False}},
        {"id": 2, "points_possible": 10, "published": True, "grading_type": "points", "submission_types": ["online"],
         "submission": {"score": 9, "workflow_state": "graded", "excused": False}},
    ]}]
    df = whatif_data.group_breakdown(whatif_data.course_grades({"course": course, "groups": groups}))
    row = df.iloc[0]
    assert row["name"] == "Homework" and row["weight"] == 50.0
    assert row["percent"] == pytest.approx(90.0), "the lowest score was dropped, as Canvas does"
    assert row["dropped"] == 1
    assert whatif_data.group_breakdown(whatif_data.course_grades({"course": {}, "groups": []})).empty
    assert whatif_data.group_breakdown(None).empty  # no calculation: no second, simpler one either
