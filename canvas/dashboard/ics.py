"""An iCalendar (RFC 5545) feed of unsubmitted work (pure).

Each assignment becomes a VEVENT with a stable UID (`assignment-<canvas id>@canvas-dashboard`), so
re-importing the file updates events instead of duplicating them. Times are written in UTC.
Reminder lead times (the student's notification settings) become one VALARM per lead time
(RFC 5545 §3.6.6: a DISPLAY alarm with a negative duration TRIGGER relative to the due time).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import pandas as pd

PRODID = "-//Canvas Dashboard//Assignments//EN"
UID_DOMAIN = "canvas-dashboard"


def uid(assignment_id: int | str) -> str:
    return f"assignment-{assignment_id}@{UID_DOMAIN}"


def escape_text(value: object) -> str:
    """TEXT value escaping (RFC 5545 §3.3.11)."""
    text = "" if value is None else str(value)
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def fold(line: str) -> str:
    """Fold a content line at 75 octets (continuation lines start with a space), never inside a UTF-8 char."""
    if len(line.encode("utf-8")) <= 75:  # most lines: nothing to fold, skip the walk
        return line
    if line.isascii():  # one octet per character: fixed-width slices
        return "\r\n".join([line[:75], *(" " + line[i:i + 74] for i in range(75, len(line), 74))])
    out: list[str] = []
    current, size, limit = "", 0, 75
    for ch in line:
        n = len(ch.encode("utf-8"))
        if size + n > limit:
            out.append(current)
            current, size, limit = " ", 1, 75
        current += ch
        size += n
    out.append(current)
    return "\r\n".join(out)


def duration(minutes: int) -> str:
    """An RFC 5545 dur-value for a span of whole minutes: 2880 -> "P2D", 1590 -> "P1DT2H30M", 45 -> "PT45M"."""
    days, rest = divmod(int(minutes), 1440)
    hours, mins = divmod(rest, 60)
    time = (f"{hours}H" if hours else "") + (f"{mins}M" if mins else "")  # dur-hour [dur-minute] / dur-minute
    out = "P" + (f"{days}D" if days else "") + (f"T{time}" if time else "")
    return out if out != "P" else "PT0M"


def describe_lead(minutes: int) -> str:
    """'2 days', '3 hours', '1 day 2 hours 30 minutes'."""
    days, rest = divmod(int(minutes), 1440)
    hours, mins = divmod(rest, 60)
    parts = [f"{n} {unit}{'s' if n != 1 else ''}" for n, unit in ((days, "day"), (hours, "hour"), (mins, "minute"))
             if n]
    return " ".join(parts) or "0 minutes"


def alarm_lines(lead_times_minutes: Sequence[int], summary: str) -> list[str]:
    """One DISPLAY VALARM per distinct positive lead time, longest first."""
    lines: list[str] = []
    for minutes in sorted({int(m) for m in lead_times_minutes if int(m) > 0}, reverse=True):
        lines += ["BEGIN:VALARM", "ACTION:DISPLAY",
                  f"DESCRIPTION:{escape_text(f'Due in {describe_lead(minutes)}: {summary}')}",
                  f"TRIGGER;RELATED=START:-{duration(minutes)}", "END:VALARM"]
    return lines


def _utc(ts: Any) -> str:
    return pd.Timestamp(ts).tz_convert("UTC").strftime("%Y%m%dT%H%M%SZ")


def _clean(value: Any) -> Any:
    return None if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT else value


def build_calendar(items: Iterable[Mapping[str, Any]], *, now: datetime, name: str = "Canvas: work due",
                   lead_times_minutes: Sequence[int] = ()) -> str:
    """items: mappings with assignment_id, name, due_at (aware), and optionally course_name, course_code,
    link (an http(s) URL), points_possible. Items without a due date are skipped. Each event carries
    one alarm per lead time (minutes before the due time)."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
             f"X-WR-CALNAME:{escape_text(name)}"]
    stamp = _utc(now.astimezone(UTC))
    for item in items:
        due = _clean(item.get("due_at"))
        if due is None or pd.isna(due):
            continue
        course = _clean(item.get("course_code")) or _clean(item.get("course_name")) or ""
        summary = str(item.get("name") or "Assignment") + (f" [{course}]" if course else "")
        link = _clean(item.get("link"))
        points = _clean(item.get("points_possible"))
        desc = []
        if _clean(item.get("course_name")):
            desc.append(f"Course: {item['course_name']}")
        if points is not None:
            desc.append(f"Points: {float(points):g}")
        if link:
            desc.append(str(link))
        lines += ["BEGIN:VEVENT", f"UID:{uid(item['assignment_id'])}", f"DTSTAMP:{stamp}",
                  f"DTSTART:{_utc(due)}", f"DTEND:{_utc(due)}", f"SUMMARY:{escape_text(summary)}"]
        if desc:
            lines.append(f"DESCRIPTION:{escape_text(chr(10).join(desc))}")
        if link:
            lines.append(f"URL:{link}")
        lines += ["TRANSP:TRANSPARENT", *alarm_lines(lead_times_minutes, summary), "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "\r\n".join(fold(line) for line in lines) + "\r\n"


def calendar_from_frame(df: pd.DataFrame, *, now: datetime, lead_times_minutes: Sequence[int] = ()) -> str:
    """The unsubmitted, dated rows of an enriched assignments frame (see fmt.enrich)."""
    if df.empty:
        return build_calendar([], now=now)
    rows = df[df["unsubmitted"].astype(bool) & df["due_at"].notna()]
    return build_calendar(rows.to_dict("records"), now=now, lead_times_minutes=lead_times_minutes)
