"""What to do next: stakes per course from raw Canvas JSON, the ranked list, and the weekly load chart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd

from canvas.dashboard import charts, fmt, stakes_data
from canvas.dashboard.stakes_data import CourseStakes

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # a Wednesday
TZ = fmt.zone("America/Denver")
HOSTILE = '<a href="javascript:alert(1)">Evil</a>'


def raw_course(*, letters=False):
    """Homework 40% (one graded 9/10, one open 10-pointer, one missing & scored 0, one excused),
    Exam 60% (one open 100-pointer), and an unpublished draft."""
    def a(aid, points, sub=None, **extra):
        return {"id": aid, "points_possible": points, "submission": sub, **extra}
    return {
        "course": {"id": 7, "apply_assignment_group_weights": True, "restrict_quantitative_data": letters},
        "groups": [
            {"id": 1, "group_weight": 40, "rules": {}, "assignments": [
                a(11, 10, {"score": 9, "workflow_state": "graded", "posted_at": "2026-11-01T00:00:00Z"}),
                a(12, 10, {"score": None, "workflow_state": "unsubmitted"}),
                a(13, 10, {"score": 0, "workflow_state": "graded", "missing": True,
                           "posted_at": "2026-11-01T00:00:00Z"}),
                a(14, 10, {"score": None, "excused": True, "workflow_state": "graded"}),
                a(15, 10, None, published=False)]},
            {"id": 2, "group_weight": 60, "rules": {}, "assignments": [a(21, 100, None)]},
        ]}


def test_course_stakes_cover_open_and_missing_work_only():
    got = stakes_data.course_stakes(raw_course())
    assert not got.letter_only
    # Homework: 9 + 10 + 0 of 30 -> each 10-pointer is a third of 40% = 13.33 points; the exam all of 60%.
    assert got.points == {12: 13.33, 13: 13.33, 21: 60.0}
    assert stakes_data.course_stakes(raw_course(letters=True)).letter_only


def work():
    due = [NOW + timedelta(days=1), NOW + timedelta(days=2), NOW - timedelta(days=5), NOW + timedelta(days=9),
           NOW + timedelta(days=60), NOW + timedelta(days=3)]
    return pd.DataFrame({
        "assignment_id": [12, 21, 13, 31, 22, 11], "course_id": [7, 7, 7, 8, 7, 7],
        "course_name": ["Bio", "Bio", "Bio", HOSTILE, "Bio", "Bio"], "name": list("abcdef"),
        "due_at": pd.to_datetime(due, utc=True), "unsubmitted": [True, True, True, True, True, False],
        "missing": [False, False, True, False, False, False], "excused": [False] * 6,
    })


def by_course(letters=False):
    return {7: CourseStakes(False, {12: 13.33, 13: 13.33, 21: 60.0, 22: 20.0}),
            8: CourseStakes(letters, {31: 2.5})}


def test_attach_shows_levels_only_for_letter_only_courses():
    df = stakes_data.attach(work(), by_course(letters=True))
    assert df["at_stake"].tolist()[:3] == [13.33, 60.0, 13.33]
    letters = df[df["course_id"] == 8].iloc[0]
    assert pd.isna(letters["at_stake"]) and letters["stake_level"] == "Medium" and letters["stake_rank"] == 2.5
    assert stakes_data.stake_text(letters) == "Medium"
    assert stakes_data.stake_text(df.iloc[1]) == "60.0 pts"
    graded = df[df["assignment_id"] == 11].iloc[0]
    assert pd.isna(graded["at_stake"]) and graded["stake_level"] is None and stakes_data.stake_text(graded) == "—"


def test_next_up_ranks_by_stake_and_keeps_due_soon_or_missing():
    df = stakes_data.attach(work(), by_course(letters=True))
    top = stakes_data.next_up(df, NOW)
    # the 60-point exam first; the missing one ties with the 13.33 due tomorrow and is older, so first;
    # the letter-only course still ranks (by its hidden number); due in 60 days and the submitted one are out
    assert top["name"].tolist() == ["b", "c", "a", "d"]
    assert stakes_data.next_up(df, NOW, limit=2)["name"].tolist() == ["b", "c"]


def test_weekly_load_sums_points_per_local_week_without_letter_only_courses():
    df = stakes_data.attach(work(), by_course(letters=True))
    load = stakes_data.weekly_load(df, NOW, TZ)
    week = stakes_data.week_start(NOW, TZ)
    assert week.weekday() == 0 and week.hour == 0
    # this week: a (13.33) + b (60); the letter-only course's work (next week) is left out; c is past due
    assert load.to_dict("records") == [
        {"week": week.tz_localize(None), "course_name": "Bio", "points": 73.33, "count": 2}]
    fig = charts.stakes_per_week(load, week)
    assert len(fig.data) == 1 and list(fig.data[0].y)[:2] == [73.33, 0.0] and len(fig.data[0].x) == 8


def test_weekly_load_chart_escapes_course_names_and_handles_nothing():
    df = stakes_data.attach(work(), by_course(letters=False))
    fig = charts.stakes_per_week(stakes_data.weekly_load(df, NOW, TZ), stakes_data.week_start(NOW, TZ))
    assert HOSTILE not in fig.to_json() and "&lt;a href" in fig.to_json()
    empty = charts.stakes_per_week(stakes_data.weekly_load(df.head(0), NOW, TZ), stakes_data.week_start(NOW, TZ))
    assert not empty.data
