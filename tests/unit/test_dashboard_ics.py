"""The .ics export (pure): stable UIDs, RFC 5545 escaping and folding, only dated work."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

from canvas.dashboard import ics

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def item(**kw):
    base = {"assignment_id": 90000000002, "name": "Lab 7", "due_at": pd.Timestamp("2026-11-29T06:59:00Z"),
            "course_name": "Intro to Biology", "course_code": "BIO 101", "link": "https://c.example.edu/a/1",
            "points_possible": 20.0}
    return {**base, **kw}


def unfold(text: str) -> str:
    return text.replace("\r\n ", "")


def test_calendar_shape_and_stable_uid():
    cal = ics.build_calendar([item()], now=NOW)
    assert cal.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") and cal.endswith("END:VCALENDAR\r\n")
    assert "UID:assignment-90000000002@canvas-dashboard\r\n" in cal
    assert "DTSTART:20261129T065900Z" in cal and "DTSTAMP:20261128T120000Z" in cal
    assert "URL:https://c.example.edu/a/1" in cal
    assert "SUMMARY:Lab 7 [BIO 101]" in cal
    # Same input, later export: only DTSTAMP differs, so calendar apps update rather than duplicate.
    later = ics.build_calendar([item()], now=datetime(2026, 12, 1, tzinfo=UTC))
    assert [line for line in cal.splitlines() if not line.startswith("DTSTAMP")] == \
        [line for line in later.splitlines() if not line.startswith("DTSTAMP")]


def test_text_is_escaped_and_lines_folded_at_75_octets():
    hostile = '<b>Lab</b> & "Quiz"; a, b\\c\nline2 ' + "Ökonomie " * 12
    cal = ics.build_calendar([item(name=hostile)], now=NOW)
    for line in cal.split("\r\n"):
        assert len(line.encode("utf-8")) <= 75
    summary = next(line for line in unfold(cal).split("\r\n") if line.startswith("SUMMARY:"))
    assert "\\;" in summary and "\\," in summary and "\\\\c" in summary and "\\n" in summary
    assert "\n" not in summary


def test_undated_items_are_skipped_and_an_empty_calendar_is_valid():
    cal = ics.build_calendar([item(due_at=None), item(due_at=pd.NaT)], now=NOW)
    assert "BEGIN:VEVENT" not in cal and cal.endswith("END:VCALENDAR\r\n")


def test_calendar_from_frame_keeps_only_unsubmitted_dated_rows():
    df = pd.DataFrame([item(assignment_id=1, unsubmitted=True), item(assignment_id=2, unsubmitted=False),
                       item(assignment_id=3, unsubmitted=True, due_at=pd.NaT)])
    cal = ics.calendar_from_frame(df, now=NOW)
    assert "assignment-1@" in cal and "assignment-2@" not in cal and "assignment-3@" not in cal
    assert "BEGIN:VEVENT" not in ics.calendar_from_frame(pd.DataFrame(), now=NOW)


def test_no_link_means_no_url_line():
    cal = ics.build_calendar([item(link=None, points_possible=None)], now=NOW)
    assert "URL:" not in cal and "Points" not in cal


# RFC 5545 §3.3.6 dur-value, as a regular expression of its ABNF (dur-week excluded: we never write it).
DUR_TIME = r"T(?:\d+H(?:\d+M(?:\d+S)?)?|\d+M(?:\d+S)?|\d+S)"
DUR_VALUE = rf"[+-]?P(?:\d+D(?:{DUR_TIME})?|{DUR_TIME})"


def blocks(cal: str, name: str) -> list[list[str]]:
    out, current = [], None
    for line in unfold(cal).split("\r\n"):
        if line == f"BEGIN:{name}":
            current = []
        elif line == f"END:{name}":
            out.append(current)
            current = None
        elif current is not None:
            current.append(line)
    return out


def test_lead_times_become_one_display_alarm_each_inside_every_event():
    import re

    cal = ics.build_calendar([item(), item(assignment_id=5, name="Quiz")], now=NOW,
                             lead_times_minutes=[180, 2880, 180, 0, 1590])
    events = blocks(cal, "VEVENT")
    assert len(events) == 2
    for event in events:
        assert event.count("BEGIN:VALARM") == 3, "one alarm per distinct positive lead time"
    alarms = blocks(cal, "VALARM")
    assert len(alarms) == 6
    triggers = [line for alarm in alarms for line in alarm if line.startswith("TRIGGER")]
    assert triggers[:3] == ["TRIGGER;RELATED=START:-P2D", "TRIGGER;RELATED=START:-P1DT2H30M",
                            "TRIGGER;RELATED=START:-PT3H"]
    for alarm in alarms:
        # §3.6.6: a DISPLAY alarm has exactly one ACTION, TRIGGER and DESCRIPTION
        props = [line.split(":", 1)[0].split(";", 1)[0] for line in alarm]
        assert sorted(props) == ["ACTION", "DESCRIPTION", "TRIGGER"]
        assert "ACTION:DISPLAY" in alarm
        assert re.fullmatch(DUR_VALUE, next(ln for ln in alarm if ln.startswith("TRIGGER")).split(":", 1)[1])
    assert "DESCRIPTION:Due in 2 days: Lab 7 [BIO 101]" in alarms[0]
    assert "DESCRIPTION:Due in 1 day 2 hours 30 minutes: Lab 7 [BIO 101]" in alarms[1]
    for line in cal.split("\r\n"):
        assert len(line.encode("utf-8")) <= 75


def test_no_lead_times_means_no_alarms_and_durations_follow_the_grammar():
    import re

    assert "VALARM" not in ics.build_calendar([item()], now=NOW)
    assert "VALARM" not in ics.build_calendar([item()], now=NOW, lead_times_minutes=[0, -5])
    for minutes, text in [(45, "PT45M"), (60, "PT1H"), (1440, "P1D"), (1441, "P1DT1M"), (10080, "P7D"),
                          (1500, "P1DT1H")]:
        assert ics.duration(minutes) == text
        assert re.fullmatch(DUR_VALUE, text)


def test_calendar_from_frame_passes_the_lead_times():
    df = pd.DataFrame([{**item(), "unsubmitted": True}])
    assert ics.calendar_from_frame(df, now=NOW, lead_times_minutes=[60]).count("BEGIN:VALARM") == 1
