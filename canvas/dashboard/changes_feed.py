"""The "What changed" feed as text (pure: no Streamlit, no I/O).

Events are the rows `canvas.db.changes.list_changes` returns (kind, course_id, assignment_id, title,
before, after, detected_at, html_url). Canvas strings (titles, course names, letter grades) go through
`fmt.md_escape`, links through `fmt.safe_url`. In letter-only courses (`restrict_quantitative_data`)
numbers are not shown: a numeric grade is only said to be posted or changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from canvas.dashboard.fmt import fmt_when, md_escape, safe_url
from canvas.sync.status import ago

# kind -> (Streamlit material icon, label). The reminder kind appears only in notification settings.
KINDS: dict[str, tuple[str, str]] = {
    "grade_posted": (":material/grading:", "Grade posted"),
    "grade_changed": (":material/edit_note:", "Grade changed"),
    "assignment_added": (":material/add_task:", "New assignment"),
    "assignment_removed": (":material/remove_circle_outline:", "Assignment removed"),
    "due_date_changed": (":material/event:", "Due date moved"),
    "missing_changed": (":material/assignment_late:", "Missing status"),
    "course_score_changed": (":material/trending_up:", "Course score"),
    "course_concluded": (":material/school:", "Course concluded"),
    "due_reminder": (":material/alarm:", "Due-date reminder"),
}
ARROW = "→"
TOAST_ORDER = ("grade_posted", "grade_changed", "due_date_changed", "assignment_added", "missing_changed",
               "assignment_removed", "course_score_changed", "course_concluded")


def kind_label(kind: str) -> str:
    return KINDS.get(kind, (":material/info:", kind.replace("_", " ").capitalize()))[1]


def kind_icon(kind: str) -> str:
    return KINDS.get(kind, (":material/info:", ""))[0]


def _when(value: Any, tz: ZoneInfo) -> str:
    if not value:
        return "no due date"
    try:
        at = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        return md_escape(value)
    return fmt_when(at, tz)  # our own text: digits, names of days and months


def _grade(value: Any, numbers: bool) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return f"{value:g}" if numbers else "a new grade"
    return md_escape(value)


def _course_score(value: Any, numbers: bool) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:.2f}%" if numbers else "a new grade"
    return _grade(value, numbers)


def change_text(event: Mapping[str, Any], tz: ZoneInfo, *, numbers: bool = True) -> str:
    """What happened, before → after, as inline Markdown (without icon, title or link)."""
    kind, before, after = event.get("kind"), event.get("before"), event.get("after")
    if kind == "grade_posted":
        return f"graded: **{_grade(after, numbers)}**" if numbers or isinstance(after, str) else "graded"
    if kind == "grade_changed":
        if not numbers:
            return "grade changed"
        return f"grade {_grade(before, numbers)} {ARROW} **{_grade(after, numbers)}**"
    if kind == "assignment_added":
        return f"new, due {_when(after, tz)}" if after else "new, no due date"
    if kind == "assignment_removed":
        return "removed from the course"
    if kind == "due_date_changed":
        return f"due {_when(before, tz)} {ARROW} **{_when(after, tz)}**"
    if kind == "missing_changed":
        return "**marked missing**" if after else "no longer missing"
    if kind == "course_score_changed":
        if not numbers and not (isinstance(before, str) and isinstance(after, str)):
            return "your course grade changed (letters only: see Grades)"
        return f"course grade {_course_score(before, numbers)} {ARROW} **{_course_score(after, numbers)}**"
    if kind == "course_concluded":
        return "the course has concluded"
    return md_escape(kind)


def feed_line(event: Mapping[str, Any], course_name: str | None, tz: ZoneInfo, now: datetime, *,
              numbers: bool = True) -> str:
    """One Markdown line: icon, title (linked to Canvas when the link is safe), what changed, course, when."""
    title = md_escape(event.get("title") or "Untitled")
    link = safe_url(event.get("html_url"))
    shown = f"[{title}]({link})" if link else title
    course = f" · {md_escape(course_name)}" if course_name and event.get("assignment_id") is not None else ""
    detected = event.get("detected_at")
    when = ago(detected, now) if isinstance(detected, datetime) else ""
    return (f"{kind_icon(str(event.get('kind')))} **{kind_label(str(event.get('kind')))}** · {shown}: "
            f"{change_text(event, tz, numbers=numbers)}{course} · :gray[{when}]")


def toast_text(events: Sequence[Mapping[str, Any]], tz: ZoneInfo, letter_only: Iterable[int] = ()) -> str:
    """The toast after a watched sync: how many changes and the most telling one, in one short line
    (the feed has the rest)."""
    hidden = set(letter_only)
    n = len(events)
    first = []
    # The student's own work first (a grade, a moved date), then the course-level consequences.
    ranked = sorted(events, key=lambda e: TOAST_ORDER.index(e.get("kind")) if e.get("kind") in TOAST_ORDER else 99)
    for e in ranked[:1]:
        numbers = int(e.get("course_id") or 0) not in hidden
        plain = change_text(e, tz, numbers=numbers).replace("**", "")
        first.append(f"{md_escape(e.get('title') or 'Untitled')} {plain}")
    more = f" (and {n - 1} more)" if n > 1 else ""
    head = "1 change from Canvas" if n == 1 else f"{n} changes from Canvas"
    return f"{head}: {first[0]}{more}." if first else f"{head}."


def newest_id(events: Iterable[Mapping[str, Any]]) -> int:
    return max((int(e["id"]) for e in events if e.get("id") is not None), default=0)
