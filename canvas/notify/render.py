"""Message text for each outbox row (pure): one plain title and a short body a student reads on a phone."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from canvas.notify.prefs import format_lead
from canvas.notify.schedule import zone

_ICON = {"grade_posted": "🆕", "grade_changed": "✏️", "assignment_added": "➕", "assignment_removed": "➖",
         "due_date_changed": "📅", "missing_changed": "⚠️", "course_score_changed": "📈", "course_concluded": "🏁"}
_MAX_LINES = 20


def _when(iso: Any, tz_name: str | None) -> str:
    if not iso:
        return "no due date"
    try:
        at = datetime.fromisoformat(str(iso)).astimezone(zone(tz_name))
    except ValueError:
        return str(iso)
    return at.strftime("%a %b %d, %H:%M").replace(" 0", " ")


def _value(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    return "—" if v is None else str(v)


def event_line(e: dict[str, Any], tz_name: str | None = None) -> str:
    kind, title = e["kind"], e.get("title") or "?"
    before, after = e.get("before"), e.get("after")
    text = {
        "grade_posted": lambda: f"{title}: graded {_value(after)}",
        "grade_changed": lambda: f"{title}: grade {_value(before)} → {_value(after)}",
        "assignment_added": lambda: f"{title}: new, due {_when(after, tz_name)}",
        "assignment_removed": lambda: f"{title}: removed from the course",
        "due_date_changed": lambda: f"{title}: due {_when(before, tz_name)} → {_when(after, tz_name)}",
        "missing_changed": lambda: f"{title}: {'now marked missing' if after else 'no longer missing'}",
        "course_score_changed": lambda: f"{title}: course grade {_value(before)} → {_value(after)}",
        "course_concluded": lambda: f"{title}: the course has concluded",
    }.get(kind, lambda: f"{title}: {kind}")()
    return f"{_ICON.get(kind, '•')} {text}"


def render(kind: str, payload: dict[str, Any], tz_name: str | None = None) -> tuple[str, str]:
    """(title, body) for an outbox row."""
    if kind == "test":
        return ("Canvas Dashboard: test message",
                "Notifications work. You will hear from the dashboard when grades or due dates change.")
    if kind == "reminder":
        lead = format_lead(int(payload.get("lead_minutes") or 0))
        course = f" ({payload['course_name']})" if payload.get("course_name") else ""
        body = f"{payload.get('title')}{course} is due {_when(payload.get('due_at'), payload.get('zone') or tz_name)}."
        if payload.get("html_url"):
            body += f"\n{payload['html_url']}"
        return f"Due in {lead}: {payload.get('title')}", body
    events = list(payload.get("events") or [])
    lines = [event_line(e, tz_name) for e in events[:_MAX_LINES]]
    if len(events) > _MAX_LINES:
        lines.append(f"…and {len(events) - _MAX_LINES} more on the dashboard.")
    if len(events) == 1:
        title = "Canvas: " + lines[0].split(" ", 1)[1]
        if events[0].get("html_url"):
            lines.append(str(events[0]["html_url"]))
    else:
        title = f"Canvas: {len(events)} changes" + (" today" if kind == "digest" else "")
    return title[:250], "\n".join(lines)
