"""The "What changed" feed text: icons, before -> after, inert Canvas strings, safe links, letter-only."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from canvas.dashboard import changes_feed, fmt

NOW = datetime(2026, 12, 5, 18, 0, tzinfo=UTC)
TZ = fmt.zone("America/Denver")
HOSTILE = "**Lab** [x](javascript:alert(1)) <img src=x onerror=alert(1)> :red[y]"


def event(kind, before=None, after=None, **kw):
    base = {"id": 1, "kind": kind, "course_id": 7, "assignment_id": 70, "title": "Lab 7", "before": before,
            "after": after, "detected_at": NOW - timedelta(minutes=5), "html_url": "https://canvas.example.edu/a/70"}
    return {**base, **kw}


def test_every_kind_reads_as_before_and_after():
    cases = [
        (event("grade_posted", None, 9), "graded: **9**"),
        (event("grade_changed", 7.5, 9), "grade 7.5 → **9**"),
        (event("grade_changed", "B", "A-"), "grade B → **A\\-**"),
        (event("due_date_changed", "2026-12-08T06:59:00+00:00", "2026-12-10T06:59:00+00:00"),
         "due Mon Dec 7, 11:59 PM → **Wed Dec 9, 11:59 PM**"),
        (event("assignment_added", None, "2026-12-08T06:59:00+00:00"), "new, due Mon Dec 7, 11:59 PM"),
        (event("assignment_added", None, None), "new, no due date"),
        (event("assignment_removed", "2026-12-08T06:59:00+00:00", None), "removed from the course"),
        (event("missing_changed", False, True), "**marked missing**"),
        (event("missing_changed", True, False), "no longer missing"),
        (event("course_score_changed", 88.5, 91.25, assignment_id=None), "course grade 88.50% → **91.25%**"),
        (event("course_concluded", False, True, assignment_id=None), "the course has concluded"),
    ]
    for e, expected in cases:
        assert changes_feed.change_text(e, TZ) == expected, e["kind"]


def test_feed_line_has_icon_link_course_and_age():
    line = changes_feed.feed_line(event("grade_posted", None, 9), "Biology", TZ, NOW)
    assert line.startswith(":material/grading: **Grade posted** · [Lab 7](https://canvas.example.edu/a/70): ")
    assert "graded: **9**" in line and "· Biology ·" in line and line.endswith(":gray[5 min ago]")


def test_canvas_strings_stay_inert_and_unsafe_links_are_dropped():
    line = changes_feed.feed_line(event("grade_changed", "B", HOSTILE, title=HOSTILE,
                                        html_url="javascript:alert(1)"), HOSTILE, TZ, NOW)
    assert "](javascript" not in line and "javascript:alert" not in line.replace("javascript\\:alert", "")
    assert re.search(r"(?<!\\)<", line) is None and "\\<img" in line, "every < escaped"
    assert ":red[" not in line and "\\*\\*Lab\\*\\*" in line


def test_letter_only_courses_show_no_numbers():
    assert changes_feed.change_text(event("grade_posted", None, 9), TZ, numbers=False) == "graded"
    assert changes_feed.change_text(event("grade_changed", 7, 9), TZ, numbers=False) == "grade changed"
    assert changes_feed.change_text(event("course_score_changed", 80.0, 90.0), TZ, numbers=False) == (
        "your course grade changed (letters only: see Grades)")
    # a letter stays a letter
    assert changes_feed.change_text(event("grade_posted", None, "A"), TZ, numbers=False) == "graded: **A**"


def test_toast_counts_and_names_the_first_changes():
    events = [event("grade_posted", None, 9, id=3), event("due_date_changed", "2026-12-08T06:59:00+00:00",
                                                          "2026-12-10T06:59:00+00:00", id=2, title="Essay"),
              event("assignment_added", None, None, id=1, title="Quiz")]
    text = changes_feed.toast_text(events, TZ)
    assert text == "3 changes from Canvas: Lab 7 graded: 9 (and 2 more)."
    moved = changes_feed.toast_text(events[1:], TZ)
    assert moved == "2 changes from Canvas: Essay due Mon Dec 7, 11:59 PM → Wed Dec 9, 11:59 PM (and 1 more)."
    alone = changes_feed.toast_text(events[:1], TZ, letter_only={7})
    assert alone == "1 change from Canvas: Lab 7 graded."
    assert changes_feed.newest_id(events) == 3 and changes_feed.newest_id([]) == 0
