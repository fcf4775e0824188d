"""Formatting and assignment classification (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from canvas.dashboard import fmt, visits

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def row(**kw) -> pd.Series:
    base = {"assignment_id": 1, "course_name": "C", "name": "A", "due_at": pd.Timestamp(NOW + timedelta(days=1)),
            "submitted_at": pd.NaT, "graded_at": pd.NaT, "posted_at": pd.NaT, "workflow_state": "unsubmitted",
            "late": False, "missing": False, "excused": False, "score": None, "points_possible": 10.0,
            "score_hidden": False, "grade": None, "html_url": "https://c.example.edu/x"}
    return pd.Series({**base, **kw})


@pytest.mark.parametrize(("kw", "tags", "primary"), [
    ({}, {"upcoming"}, "upcoming"),  # due tomorrow, nothing handed in
    ({"due_at": pd.Timestamp(NOW - timedelta(days=1))}, set(), "past_due"),  # past, not flagged missing
    ({"due_at": pd.NaT}, {"upcoming"}, "upcoming"),  # undated work is still to do
    ({"missing": True, "due_at": pd.Timestamp(NOW - timedelta(days=1))}, {"missing"}, "missing"),
    ({"submitted_at": pd.Timestamp(NOW), "workflow_state": "submitted"}, {"submitted"}, "submitted"),
    ({"submitted_at": pd.Timestamp(NOW), "workflow_state": "graded", "graded_at": pd.Timestamp(NOW), "late": True,
      "score": 8.0}, {"submitted", "graded", "late"}, "graded"),  # late *and* graded: both filters find it
    ({"excused": True, "missing": True}, {"excused"}, "excused"),  # excused overrides everything
    ({"workflow_state": "pending_review", "submitted_at": pd.Timestamp(NOW)}, {"submitted"}, "submitted"),
])
def test_tags_and_primary_status(kw, tags, primary):
    out = enriched(row(**kw))
    assert out["tags"] == sorted(tags)
    assert out["status"] == primary


def enriched(*rows: pd.Series) -> pd.Series | pd.DataFrame:
    df = fmt.enrich(pd.DataFrame(list(rows)), NOW, fmt.zone("UTC"))
    return df.iloc[0] if len(rows) == 1 else df


def test_status_label_marks_late():
    assert enriched(row(submitted_at=pd.Timestamp(NOW), workflow_state="submitted", late=True))["status_label"] \
        == "Submitted · late"
    assert enriched(row(missing=True, late=True))["status_label"] == "Missing"  # missing says it already


def test_every_row_is_classified_on_its_own():
    """Column-wise rules must not leak between rows: each row gets what it would get alone."""
    variants = [{}, {"missing": True}, {"excused": True, "missing": True}, {"late": True, "score": 7.0},
                {"submitted_at": pd.Timestamp(NOW), "workflow_state": "submitted"},
                {"workflow_state": "graded", "graded_at": pd.Timestamp(NOW), "score": 9.0},
                {"due_at": pd.NaT}, {"due_at": pd.Timestamp(NOW - timedelta(hours=1))},
                {"score": 4.0, "score_hidden": True}, {"score": 3.0, "points_possible": None}]
    rows = [row(assignment_id=i, **kw) for i, kw in enumerate(variants)]
    together = enriched(*rows)
    for i, r in enumerate(rows):
        alone = enriched(r)
        got = together.iloc[i]
        assert (got["tags"], got["status"], got["status_label"], got["unsubmitted"]) == \
            (alone["tags"], alone["status"], alone["status_label"], alone["unsubmitted"]), variants[i]
        assert got["percent"] == alone["percent"] or (pd.isna(got["percent"]) and pd.isna(alone["percent"]))


@pytest.mark.parametrize(("kw", "expected"), [
    ({"score": 8.5}, "8.5 / 10"),
    ({"score": 8.5, "score_hidden": True}, "hidden"),  # Canvas withheld it: never guess
    ({"excused": True}, "excused"),
    ({"score": None}, "—"),
    ({"score": 1.0, "points_possible": 0.0, "grade": "complete"}, "complete"),
])
def test_score_text(kw, expected):
    assert fmt.score_text(row(**kw)) == expected


def test_score_percent_ignores_hidden_and_pointless():
    out = enriched(row(score=5.0), row(score=5.0, score_hidden=True), row(score=5.0, points_possible=0.0),
                   row(score=None))
    assert out["percent"].iloc[0] == 50.0
    assert out["percent"].iloc[1:].isna().all()


@pytest.mark.parametrize(("text", "inert"), [
    ("![x](https://evil/pixel.png)", r"\!\[x\]\(https\:\/\/evil\/pixel\.png\)".replace(r"\/", "/")),
    (":red[alert]", r"\:red\[alert\]"),
    ("<script>alert(1)</script>", r"\<script\>alert\(1\)\</script\>"),
])
def test_md_escape_makes_canvas_text_inert(text, inert):
    assert fmt.md_escape(text) == inert


def test_plot_text_escapes_plotly_html():
    escaped = '&lt;a href="javascript:x"&gt;hi&lt;/a&gt; &amp; &lt;b&gt;'
    assert fmt.plot_text('<a href="javascript:x">hi</a> & <b>') == escaped


@pytest.mark.parametrize(("url", "ok"), [
    ("https://school.instructure.com/courses/1/assignments/2", True),
    ("http://127.0.0.1:8000/courses/1", True),
    ("javascript:alert(1)", False),
    ("https://x.example/\nSet-Cookie: a", False),
    (None, False),
    (float("nan"), False),
])
def test_safe_url(url, ok):
    assert (fmt.safe_url(url) is not None) is ok


def test_csv_cell_neutralises_formulas():
    assert fmt.csv_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert fmt.csv_cell("Lab 1") == "Lab 1"
    assert fmt.csv_cell(3) == 3


def test_times_in_the_students_zone():
    tz = fmt.zone("America/Denver")
    assert fmt.fmt_when(pd.Timestamp("2026-11-29T06:59:00Z"), tz) == "Sat Nov 28, 11:59 PM"
    assert fmt.fmt_when(pd.Timestamp("2026-11-29T16:05:00Z"), tz) == "Sun Nov 29, 9:05 AM"
    assert fmt.fmt_when(None, tz) == "—"
    assert fmt.zone("Not/AZone").key == "UTC" and fmt.zone(None).key == "UTC"


@pytest.mark.parametrize(("delta", "text"), [
    (timedelta(minutes=5), "in 5 min"), (timedelta(hours=3), "in 3 h"), (timedelta(days=1, hours=2), "in 1 day"),
    (timedelta(days=-3), "3 days ago"),
])
def test_relative(delta, text):
    assert fmt.relative(pd.Timestamp(NOW + delta), NOW) == text


def test_enrich_filter_due_and_new_grades():
    df = pd.DataFrame([
        row(assignment_id=1, name="Soon", course_name="Bio").to_dict(),
        row(assignment_id=2, name="Late one", course_name="Math", missing=True,
            due_at=pd.Timestamp(NOW - timedelta(days=2))).to_dict(),
        row(assignment_id=3, name="Graded", course_name="Math", workflow_state="graded", score=9.0,
            graded_at=pd.Timestamp(NOW - timedelta(hours=1)), posted_at=pd.Timestamp(NOW - timedelta(hours=1)),
            submitted_at=pd.Timestamp(NOW - timedelta(days=1))).to_dict(),
        row(assignment_id=4, name="Far", course_name="Bio", due_at=pd.Timestamp(NOW + timedelta(days=30))).to_dict(),
    ])
    for col in ("due_at", "submitted_at", "graded_at", "posted_at"):
        df[col] = pd.to_datetime(df[col], utc=True)
    e = fmt.enrich(df, NOW, fmt.zone("America/Denver"))
    assert list(e["status"]) == ["upcoming", "missing", "graded", "upcoming"]
    assert str(e["due_local"].dt.tz) == "America/Denver"
    assert list(fmt.filter_assignments(e, statuses=["missing"])["name"]) == ["Late one"]
    assert list(fmt.filter_assignments(e, courses=["Bio"], search="far")["name"]) == ["Far"]
    assert list(fmt.due_within(e, NOW, 7)["name"]) == ["Soon"]
    assert list(fmt.newly_graded(e, NOW - timedelta(days=1))["name"]) == ["Graded"]
    assert fmt.newly_graded(e, NOW).empty
    assert list(fmt.default_order(e, NOW)["name"]) == ["Soon", "Graded", "Far", "Late one"]
    assert fmt.enrich(df.iloc[0:0], NOW, fmt.zone(None)).empty


def test_visit_window(tmp_path: Path):
    path = visits.visits_path(tmp_path)
    first = visits.start_visit(path, 7, NOW, timedelta(days=7))
    assert first == NOW - timedelta(days=7)  # a first visit looks back a week
    assert visits.start_visit(path, 7, NOW + timedelta(minutes=10), timedelta(days=7)) == first  # same visit
    later = NOW + timedelta(days=2)
    assert visits.start_visit(path, 7, later, timedelta(days=7)) == NOW + timedelta(minutes=10)
    path.write_text("not json")
    assert visits.start_visit(path, 7, later, timedelta(days=1)) == later - timedelta(days=1)
