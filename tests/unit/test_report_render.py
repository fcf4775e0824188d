"""The fetch report's text rendering and its terminal progress line."""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from canvas.report.analyze import FetchedRaw, build_report
from canvas.report.progress import Progress
from canvas.report.render import clean, clip, render_text, size

NOW = datetime(2025, 1, 15, 17, 0, tzinfo=UTC)  # 10:00 MST


def due(days: float) -> str:
    return (NOW + timedelta(days=days)).isoformat().replace("+00:00", "Z")


def work(aid: int, days: float | None, points: float = 10, **sub: Any) -> dict[str, Any]:
    a: dict[str, Any] = {"id": aid, "name": f"Task {aid}", "points_possible": points, "published": True,
                         "due_at": due(days) if days is not None else None}
    if sub:
        a["submission"] = {"workflow_state": "graded", "posted_at": "2025-01-01T00:00:00Z", **sub}
    return a


def course(cid: int, name: str, assignments: list[dict[str, Any]], **kw: Any) -> tuple[dict, list]:
    enrollment = {"type": "student", **kw.pop("enrollment", {})}
    c = {"id": cid, "name": name, "course_code": f"C{cid}", "grading_standard_id": 1, "enrollments": [enrollment],
         **kw}
    return c, [{"id": cid * 10, "name": "All", "rules": {}, "assignments": assignments}]


def report_for(*courses: tuple[dict, list], perf: dict[str, Any] | None = None, tz: str = "America/Denver",
               skipped: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    fetched = FetchedRaw(profile={"id": 7, "name": "Zoë Ångström", "login_id": "zoe", "time_zone": tz},
                         courses=[c for c, _ in courses], groups={c["id"]: g for c, g in courses},
                         skipped=skipped or [])
    return build_report(fetched, NOW, perf)


PERF = {"requests": 8, "bytes": 469_363, "elapsed_s": 0.71, "throttled": 0, "retries": 1,
        "min_rate_limit_remaining": 599.58, "min_interval_ms": 100, "max_in_flight": 3}


def test_a_full_report_reads_well() -> None:
    matching = course(1, "Calculus II", [work(1, -3, score=8), work(2, 1), work(3, 10)],
                      enrollment={"computed_current_score": 80.0, "computed_final_score": 26.67,
                                  "computed_current_grade": "B-", "computed_final_grade": "F"})
    hidden = course(2, "Français", [work(4, -2, score=7)], hide_final_grades=True)
    behind = course(3, "Ethics", [work(5, -1, score=9), work(6, -5, missing=True, score=None),
                                  work(7, -4, late=True, score=6, points_deducted=2, seconds_late=3 * 86400)],
                    enrollment={"computed_current_score": 50.0, "computed_final_score": 50.0})
    empty = course(4, "Seminar", [])
    text = render_text(report_for(matching, hidden, behind, empty, perf=PERF))
    lines = text.splitlines()
    assert lines[0] == "Canvas report for Zoë Ångström (zoe) · Canvas user 7"
    assert lines[1] == "Generated Wed 15 Jan 2025 10:00 MST · times in America/Denver"
    assert "Canvas  current 80.00% (B-)   final 26.67% (F)" in text
    assert "Ours    current 80.00% (B-)   final 26.67% (F)   ✓ matches Canvas" in text
    assert "Canvas  total hidden by the course" in text
    assert "· Canvas hides the course total for this course" in text
    assert "≠ differs from Canvas:" in text
    assert "· Canvas may not have recalculated since the latest grade change" in text
    assert "Canvas  no total yet" in text and "Scores  nothing graded yet" in text
    assert "Scores  1 graded · mean 80.00% · median 80.00% · range 80.00%–80.00%" in text
    assert "Thu 16 Jan 10:00  tomorrow" in text  # local time, local calendar
    assert "DUE 7 TO 14 DAYS FROM NOW (1)" in text and "Sat 25 Jan 10:00  in 10 days" in text
    assert "MISSING (1)" in text and "due Fri 10 Jan 10:00 (5 days ago)" in text
    assert "LATE (1)" in text and "3.0 days late · −2 pts · 6/10" in text
    assert "8 requests · 458.4 KB · 0.71 s (89 ms per request)" in text
    assert "throttled 0 · retries 1 · rate-limit headroom 599.6 (lowest X-Rate-Limit-Remaining)" in text
    assert "paced at least 100 ms between requests, at most 3 at a time" in text


def test_empty_lists_say_so_and_missing_performance_is_left_out() -> None:
    text = render_text(report_for(course(1, "Quiet", [])))
    assert "DUE IN THE NEXT 7 DAYS (0)\n  none" in text
    assert "nothing more in the next 14 days" in text
    assert "MISSING (0)\n  none" in text
    assert "PERFORMANCE" not in text


@pytest.mark.parametrize(("limit", "shown", "more"), [(3, 3, "… and 2 more"), (5, 5, None), (0, 5, None)])
def test_lists_are_capped_unless_limit_is_0(limit: int, shown: int, more: str | None) -> None:
    text = render_text(report_for(course(1, "Busy", [work(i, i / 10) for i in range(1, 6)])), limit=limit)
    section = text.split("DUE IN THE NEXT 7 DAYS (5)\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert sum(1 for line in section if "Task" in line) == shown
    assert (more is not None and more in section[-1]) or more is None


def test_skipped_courses_and_rate_limit_headroom_unknown() -> None:
    skipped = [{"course_id": 9, "name": "Locked course", "status": 403, "error": "ForbiddenError"}]
    perf = {**PERF, "min_rate_limit_remaining": None}
    text = render_text(report_for(course(1, "Open", []), (({"id": 9, "name": "Locked course"}), []),
                                  perf=perf, skipped=skipped))
    assert "Skipped 1 course Canvas would not show:\n    Locked course (Canvas said 403)" in text
    assert "rate-limit headroom not reported by Canvas" in text


def test_unknown_time_zone_is_noted() -> None:
    text = render_text(report_for(course(1, "X", []), tz="Nowhere/Special"))
    assert "times in UTC" in text and "Note: unknown time zone 'Nowhere/Special'" in text


def test_canvas_text_cannot_drive_the_terminal() -> None:
    evil = "Bio\x1b]0;pwned\x07 101\x1b[2J\r\nfake line\u202egnp.exe"
    text = render_text(report_for(course(1, evil, [work(1, 1)])))
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text and "\r" not in text
    assert "fake line" in text and "\nfake line" not in text  # stays on the course's own line


@pytest.mark.parametrize(("raw", "expected"), [
    ("plain", "plain"),
    ("tab\there", "tab here"),
    ("\x1b[31mred\x1b[0m", "[31mred [0m"),
    ("a\u2066b\u2069c", "a b c"),
    (None, ""),
    (42, "42"),
])
def test_clean(raw: Any, expected: str) -> None:
    assert clean(raw) == expected


@pytest.mark.parametrize(("raw", "width", "expected"), [
    ("short", 10, "short"), ("exactly10!", 10, "exactly10!"), ("much too long", 8, "much to…"),
])
def test_clip(raw: str, width: int, expected: str) -> None:
    assert clip(raw, width) == expected


@pytest.mark.parametrize(("n", "expected"), [
    (0, "0 B"), (1023, "1023 B"), (1024, "1.0 KB"), (469_363, "458.4 KB"), (5 * 1024 * 1024, "5.0 MB"), (None, "0 B"),
])
def test_size(n: int | None, expected: str) -> None:
    assert size(n) == expected


# --- progress ---------------------------------------------------------------------------------------


def test_progress_on_a_terminal_redraws_one_line_and_clears_it() -> None:
    out = io.StringIO()
    p = Progress(out, interactive=True)
    p.update("Fetching courses")
    p.update("Fetching assignments", 3, 6)
    p.clear()
    assert out.getvalue() == "\r\x1b[KFetching courses…\r\x1b[KFetching assignments… (3/6)\r\x1b[K"


def test_progress_off_a_terminal_logs_each_stage_once(caplog: pytest.LogCaptureFixture) -> None:
    out = io.StringIO()  # not a TTY
    p = Progress(out)
    assert p.interactive is False
    with caplog.at_level(logging.INFO, logger="canvas.report"):
        p.update("Fetching profile")
        p.update("Fetching assignments", 0, 6)
        for done in range(1, 7):
            p.update("Fetching assignments", done, 6)
        p.clear()
    assert out.getvalue() == ""
    assert [r.getMessage() for r in caplog.records] == ["Fetching profile...",
                                                        "Fetching assignments for 6 course(s)..."]


def test_clear_without_drawing_writes_nothing() -> None:
    out = io.StringIO()
    Progress(out, interactive=True).clear()
    assert out.getvalue() == ""
