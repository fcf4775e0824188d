"""The report dict -> the text a student reads on stdout (pure).

Every string that came from Canvas is cleaned of control characters first: a course name is
data, and must never move the cursor, recolour or retitle the terminal it is printed to.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

LIST_LIMIT = 20  # lines per work list (0 = all); the --json file always has everything
# C0/C1 controls (ESC starts terminal escape sequences) and the bidi overrides that reorder text.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean(value: Any) -> str:
    """Canvas text made safe and single-line for a terminal."""
    return _UNSAFE.sub(" ", "" if value is None else str(value)).strip()


def clip(value: Any, width: int) -> str:
    text = clean(value)
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}%"


def size(n: int | None) -> str:
    n = int(n or 0)
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n / 1024 / 1024:.1f} MB"


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


def render_text(report: Mapping[str, Any], *, base_url: str | None = None, limit: int = LIST_LIMIT) -> str:
    lines: list[str] = []
    lines += _header(report, base_url)
    lines += _courses(report)
    lines += _upcoming(report, limit)
    lines += _work_list("Missing", report.get("missing") or [], limit, _missing_line)
    lines += _work_list("Late", report.get("late") or [], limit, _late_line)
    lines += _performance(report.get("performance"))
    return "\n".join(lines).rstrip() + "\n"


# --- sections -------------------------------------------------------------------------------------


def _header(report: Mapping[str, Any], base_url: str | None) -> list[str]:
    p = report.get("profile") or {}
    who = clean(p.get("name")) or "unknown student"
    if p.get("login_id"):
        who += f" ({clean(p['login_id'])})"
    when = _local(report.get("generated_at"))
    zone = clean(report.get("time_zone"))
    if when is not None:
        try:  # the ISO offset alone can't name the zone: "MST", not "UTC-07:00"
            when = when.astimezone(ZoneInfo(zone))
        except (ZoneInfoNotFoundError, ValueError):
            pass
    lines = [f"Canvas report for {who} · Canvas user {clean(p.get('id'))}"]
    stamp = f"{when:%a %d %b %Y %H:%M} {when.tzname() or ''}".rstrip() if when else "?"
    lines.append(f"Generated {stamp} · times in {zone}" + (f" · {clean(base_url)}" if base_url else ""))
    if report.get("time_zone_note"):
        lines.append(f"Note: {clean(report['time_zone_note'])}")
    s = report.get("summary") or {}
    lines.append(
        f"{plural(s.get('courses', 0), 'course')} · {plural(s.get('assignments', 0), 'assignment')} "
        f"({s.get('graded', 0)} graded) · {s.get('next_7_days', 0)} due in 7 days, "
        f"{s.get('next_14_days', 0)} in 14 · {s.get('missing', 0)} missing · {s.get('late', 0)} late"
    )
    return [*lines, ""]


def _courses(report: Mapping[str, Any]) -> list[str]:
    courses = report.get("courses") or []
    lines = [f"COURSES ({len(courses)})"]
    for c in courses:
        title = clean(c.get("name"))
        extras = [clean(x) for x in (c.get("course_code"), c.get("term")) if x]
        lines.append(f"  {title}" + (f" · {' · '.join(extras)}" if extras else ""))
        lines.append(f"    Canvas  {_canvas_scores(c)}")
        period = c.get("grading_period")
        if period:
            lines.append(f"    Period  {clean(period.get('title'))}: current "
                         f"{_grade(period.get('current_score'), period.get('current_grade'))}, final "
                         f"{_grade(period.get('final_score'), period.get('final_grade'))}")
        lines.append(f"    Ours    {_our_scores(c)}")
        for reason in c.get("differences") or []:
            lines.append(f"            · {clean(reason)}")
        lines.append(f"    Scores  {_stats(c.get('statistics') or {})}")
        lines.append(f"    Work    {_counts(c.get('counts') or {})}")
    skipped = report.get("skipped_courses") or []
    if skipped:
        lines.append(f"  Skipped {plural(len(skipped), 'course')} Canvas would not show:")
        for s in skipped:
            name = clean(s.get("name")) or f"course {clean(s.get('id'))}"
            lines.append(f"    {name} (Canvas said {clean(s.get('status'))})")
    everything = (report.get("statistics") or {}).get("all_courses") or {}
    if everything.get("count"):
        lines.append(f"  All courses  {_stats(everything)}")
    return [*lines, ""]


def _canvas_scores(c: Mapping[str, Any]) -> str:
    canvas = c.get("canvas") or {}
    if canvas.get("current_score") is None and canvas.get("final_score") is None:
        return "total hidden by the course" if c.get("canvas_hides_totals") else "no total yet"
    return (f"current {_grade(canvas.get('current_score'), canvas.get('current_grade'))}   "
            f"final {_grade(canvas.get('final_score'), canvas.get('final_grade'))}")


def _our_scores(c: Mapping[str, Any]) -> str:
    ours = c.get("ours")
    if ours is None:
        return f"could not recompute ({clean(c.get('ours_error'))})"
    text = (f"current {_grade(ours.get('current_percent'), ours.get('current_letter'))}   "
            f"final {_grade(ours.get('final_percent'), ours.get('final_letter'))}")
    if c.get("matches_canvas"):
        return text + "   ✓ matches Canvas"
    return text + "   ≠ differs from Canvas:"


def _grade(score: float | None, letter: str | None) -> str:
    return pct(score) + (f" ({clean(letter)})" if letter and score is not None else "")


def _stats(s: Mapping[str, Any]) -> str:
    if not s.get("count"):
        return "nothing graded yet"
    text = f"{s['count']} graded · mean {pct(s['mean'])} · median {pct(s['median'])}"
    if s.get("stdev") is not None:
        text += f" · stdev {s['stdev']:.2f}"
    return text + f" · range {pct(s['min'])}–{pct(s['max'])}"


def _counts(n: Mapping[str, Any]) -> str:
    return (f"{n.get('next_7_days', 0)} due in 7 days · {n.get('next_14_days', 0)} in 14 · "
            f"{n.get('missing', 0)} missing · {n.get('late', 0)} late")


def _upcoming(report: Mapping[str, Any], limit: int) -> list[str]:
    up = report.get("upcoming") or {}
    week = up.get("next_7_days") or []
    fortnight = up.get("next_14_days") or []
    week_ids = {(i["course_id"], i["assignment_id"]) for i in week}
    later = [i for i in fortnight if (i["course_id"], i["assignment_id"]) not in week_ids]
    lines = _work_list("Due in the next 7 days", week, limit, _due_line)
    lines += _work_list("Due 7 to 14 days from now", later, limit, _due_line,
                        empty="nothing more in the next 14 days")
    return lines


def _work_list(title: str, items: Sequence[Mapping[str, Any]], limit: int, line: Any,
               empty: str = "none") -> list[str]:
    lines = [f"{title.upper()} ({len(items)})"]
    if not items:
        lines.append(f"  {empty}")
    shown = items if limit <= 0 else items[:limit]
    lines += [line(i) for i in shown]
    if len(shown) < len(items):
        lines.append(f"  … and {len(items) - limit} more (--limit 0 shows all; --json FILE has them too)")
    return [*lines, ""]


def _due_line(i: Mapping[str, Any]) -> str:
    due = _local(i.get("due_at"))
    when = f"{due:%a %d %b %H:%M}" if due else "no due date"
    status = "✓ submitted" if i.get("submitted") else ""
    return (f"  {when}  {_relative(i.get('due_in_days')):<11} {clip(i.get('course'), 12):<12} "
            f"{clip(i.get('name'), 40):<40} {_points(i.get('points_possible')):>8}  {status}").rstrip()


def _missing_line(i: Mapping[str, Any]) -> str:
    return f"  {clip(i.get('course'), 12):<12} {clip(i.get('name'), 40):<40} {_due_phrase(i)}".rstrip()


def _late_line(i: Mapping[str, Any]) -> str:
    due = _local(i.get("due_at"))
    parts = [f"due {due:%a %d %b %H:%M}" if due else "no due date"]
    if i.get("seconds_late"):
        parts.append(_late_by(int(i["seconds_late"])))
    if i.get("points_deducted"):
        parts.append(f"−{_num(i['points_deducted'])} pts")
    if i.get("score") is not None and i.get("points_possible") is not None:
        parts.append(f"{_num(i['score'])}/{_num(i['points_possible'])}")
    return f"  {clip(i.get('course'), 12):<12} {clip(i.get('name'), 40):<40} {' · '.join(parts)}".rstrip()


def _performance(perf: Mapping[str, Any] | None) -> list[str]:
    if not perf:
        return []
    avg = perf.get("avg_ms_per_request")
    lines = ["PERFORMANCE",
             f"  {plural(int(perf.get('requests') or 0), 'request')} · {size(perf.get('bytes'))} · "
             f"{float(perf.get('elapsed_s') or 0):.2f} s" + (f" ({avg:.0f} ms per request)" if avg else "")]
    headroom = perf.get("min_rate_limit_remaining")
    lines.append(
        f"  throttled {perf.get('throttled', 0)} · retries {perf.get('retries', 0)} · rate-limit headroom "
        + (f"{headroom:.1f} (lowest X-Rate-Limit-Remaining)" if headroom is not None else "not reported by Canvas")
    )
    if perf.get("min_interval_ms") is not None:
        lines.append(f"  paced at least {perf['min_interval_ms']} ms between requests, "
                     f"at most {perf.get('max_in_flight', '?')} at a time")
    return [*lines, ""]


# --- small formatters -------------------------------------------------------------------------------


def _local(iso: Any) -> datetime | None:
    if not isinstance(iso, str):
        return None
    try:
        return datetime.fromisoformat(iso)
    except ValueError:
        return None


def _relative(days: int | None) -> str:
    if days is None:
        return ""
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days == -1:
        return "yesterday"
    return f"in {days} days" if days > 0 else f"{-days} days ago"


def _due_phrase(i: Mapping[str, Any]) -> str:
    due = _local(i.get("due_at"))
    if due is None:
        return "no due date"
    return f"due {due:%a %d %b %H:%M} ({_relative(i.get('due_in_days'))})"


def _late_by(seconds: int) -> str:
    hours = seconds / 3600
    return f"{hours:.1f} h late" if hours < 48 else f"{hours / 24:.1f} days late"


def _points(value: float | None) -> str:
    return "" if value is None else f"{_num(value)} pts"


def _num(value: float | int) -> str:
    return f"{value:g}"
