"""Fetched Canvas JSON -> the fetch report (pure: no I/O and no clock; `now` is an argument).

The report is one JSON-safe dict (numbers as floats, times as ISO 8601 in the student's zone)
shared by the text renderer and the --json debug file. Per course it holds Canvas's own scores,
our recomputation with the Canvas-exact calculator (and the reasons when they differ), and the
statistics of the student's assignment percentages; across courses the upcoming (7 and 14 days),
missing and late work.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from canvas.analysis import status as rules
from canvas.analysis.explain import ExplainContext, explain_difference
from canvas.analysis.gradecalc_io import from_canvas
from canvas.analysis.grades import PENDING_REVIEW, calculate, round2
from canvas.analysis.letters import letter_for
from canvas.errors import UsageError
from canvas.models import parse_time, student_enrollment

FORMAT = "canvas-fetch-report/1"
WINDOWS = (7, 14)  # "upcoming" horizons, in days from now


@dataclass(frozen=True)
class FetchedRaw:
    """What the fetch read, exactly as Canvas sent it."""

    profile: dict[str, Any]
    courses: list[dict[str, Any]] = field(default_factory=list)
    # course id -> its assignment groups, each with embedded assignments and the student's submission
    groups: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    # courses Canvas would not show (401/403/404): {"course_id", "status", "error", "name"}
    skipped: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class WorkItem:
    """One assignment as the student sees it, with the facts the report needs."""

    course_id: int
    course: str  # short label: the course code, else the name
    assignment_id: int
    name: str
    due_at: datetime | None
    points_possible: Decimal | None
    html_url: str | None
    published: bool
    counts: bool  # gradeable and not omitted from the final grade
    excused: bool
    missing: bool
    late: bool
    submitted: bool
    score: Decimal | None
    hidden: bool  # Canvas removed the score: not posted yet, or hidden from the student
    pending_review: bool
    points_deducted: Decimal | None
    seconds_late: int | None

    @property
    def percent(self) -> Fraction | None:
        """score / points as a percent, for graded work the student can see that counts."""
        if not (self.published and self.counts) or self.excused or self.hidden or self.pending_review:
            return None
        if self.score is None:
            return None
        if self.points_possible is None or self.points_possible <= 0:
            return None
        return Fraction(self.score) / Fraction(self.points_possible) * 100


# --- the report ---------------------------------------------------------------------------------


def build_report(raw: FetchedRaw, now: datetime, performance: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The whole report for one student at `now` (aware). `performance` comes from the fetch."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    zone, zone_name, zone_note = student_zone(raw.profile.get("time_zone"))
    local_now = now.astimezone(zone)
    skipped_ids = {_int(s.get("course_id")) for s in raw.skipped}
    courses: list[dict[str, Any]] = []
    everything: list[WorkItem] = []
    for course in raw.courses:
        course_id = _int(course.get("id"))
        if course_id is None or course_id in skipped_ids:
            continue
        groups = [g for g in raw.groups.get(course_id, []) if isinstance(g, dict)]
        items = list(work_items(course, groups))
        everything.extend(items)
        courses.append(course_report(course, groups, items, now))
    upcoming = {f"next_{days}_days": [_item_json(i, local_now) for i in upcoming_items(everything, now, days)]
                for days in WINDOWS}
    missing = [_item_json(i, local_now) for i in missing_items(everything)]
    late = [_item_json(i, local_now) for i in late_items(everything)]
    all_percents = [p for i in everything if (p := i.percent) is not None]
    return {
        "format": FORMAT,
        "generated_at": local_now.isoformat(),
        "time_zone": zone_name,
        "time_zone_note": zone_note,
        "profile": profile_summary(raw.profile),
        "courses": courses,
        "skipped_courses": [
            {"id": _int(s.get("course_id")), "name": s.get("name"), "status": s.get("status"),
             "error": s.get("error")}
            for s in raw.skipped
        ],
        "upcoming": upcoming,
        "missing": missing,
        "late": late,
        "statistics": {"all_courses": describe(all_percents)},
        "summary": {
            "courses": len(courses),
            "skipped_courses": len(raw.skipped),
            "assignments": sum(1 for i in everything if i.published),
            "graded": len(all_percents),
            **{key: len(items) for key, items in upcoming.items()},
            "missing": len(missing),
            "late": len(late),
            "courses_differing": sum(1 for c in courses if c["matches_canvas"] is False),
        },
        "performance": performance_summary(performance) if performance is not None else None,
    }


def debug_document(raw: FetchedRaw, report: dict[str, Any], base_url: str) -> dict[str, Any]:
    """The --json file: the raw Canvas data plus the analysis. Carries no token (none is in `raw`)."""
    return {
        "format": FORMAT,
        "base_url": base_url,
        "generated_at": report.get("generated_at"),
        "report": report,
        "raw": {
            "profile": raw.profile,
            "courses": raw.courses,
            "assignment_groups": {str(cid): groups for cid, groups in raw.groups.items()},
            "skipped": raw.skipped,
        },
    }


def student_zone(name: Any) -> tuple[tzinfo, str, str | None]:
    """The profile's IANA zone, or UTC with a note saying why."""
    if not isinstance(name, str) or not name.strip():
        return UTC, "UTC", "Canvas sent no time zone in the profile; times are in UTC"
    try:
        return ZoneInfo(name.strip()), name.strip(), None
    except (ZoneInfoNotFoundError, ValueError):
        return UTC, "UTC", f"unknown time zone {name!r} in the Canvas profile; times are in UTC"


def profile_summary(profile: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": profile.get("id"),
        "name": profile.get("name") or profile.get("short_name"),
        "login_id": profile.get("login_id"),
        "email": profile.get("primary_email"),
        "time_zone": profile.get("time_zone"),
    }


# --- one course --------------------------------------------------------------------------------


def course_report(course: Mapping[str, Any], groups: list[dict[str, Any]], items: Sequence[WorkItem],
                  now: datetime) -> dict[str, Any]:
    enrollment = student_enrollment(dict(course))
    canvas = {
        "current_score": _float(enrollment.get("computed_current_score")),
        "final_score": _float(enrollment.get("computed_final_score")),
        "current_grade": enrollment.get("computed_current_grade"),
        "final_grade": enrollment.get("computed_final_grade"),
    }
    ours, error, differences = recompute(course, groups, canvas)
    percents = [p for i in items if (p := i.percent) is not None]
    in_window = {days: upcoming_items(items, now, days) for days in WINDOWS}
    return {
        "id": _int(course.get("id")),
        "name": _text(course.get("name")) or f"Course {course.get('id')}",
        "course_code": _text(course.get("course_code")),
        "term": _text((course.get("term") or {}).get("name")) if isinstance(course.get("term"), dict) else None,
        "canvas": canvas,
        "canvas_hides_totals": bool(course.get("hide_final_grades")),
        "grading_period": _period_scores(enrollment),
        "ours": ours,
        "ours_error": error,
        "matches_canvas": None if ours is None else not differences,
        "differences": differences,
        "counts": {
            "assignments": sum(1 for i in items if i.published),
            "graded": len(percents),
            **{f"next_{days}_days": len(found) for days, found in in_window.items()},
            "missing": len(missing_items(items)),
            "late": len(late_items(items)),
        },
        "statistics": describe(percents),
    }


def recompute(course: Mapping[str, Any], groups: list[dict[str, Any]],
              canvas: Mapping[str, Any]) -> tuple[dict[str, Any] | None, str | None, list[str]]:
    """(our grade, why we could not compute it, reasons it differs from Canvas's)."""
    try:
        inputs = from_canvas(groups, dict(course))
        result = calculate(inputs)
    except (UsageError, ArithmeticError, ValueError) as exc:
        return None, str(exc), []
    letters = course.get("grading_standard_id") is not None or canvas.get("current_grade") is not None
    ours = {
        "current_percent": _float(result.current_percent),
        "final_percent": _float(result.final_percent),
        # Canvas's default scheme; a course with its own scheme may name bands differently.
        "current_letter": letter_for(result.current_percent) if letters else None,
        "final_letter": letter_for(result.final_percent) if letters else None,
        "dropped": len(set(result.current_dropped) | set(result.final_dropped)),
    }
    context = ExplainContext(
        hidden_grades=sum(1 for s in inputs.submissions if not s.posted),
        has_grading_periods=bool(course.get("has_grading_periods") or course.get("grading_periods")),
        hide_final_grades=bool(course.get("hide_final_grades")),
    )
    reasons = explain_difference(canvas.get("current_score"), canvas.get("final_score"), result, context)
    return ours, None, reasons


def _period_scores(enrollment: Mapping[str, Any]) -> dict[str, Any] | None:
    title = enrollment.get("current_grading_period_title")
    if not title:
        return None
    return {
        "title": _text(title),
        "current_score": _float(enrollment.get("current_period_computed_current_score")),
        "final_score": _float(enrollment.get("current_period_computed_final_score")),
        "current_grade": enrollment.get("current_period_computed_current_grade"),
        "final_grade": enrollment.get("current_period_computed_final_grade"),
    }


# --- assignments -------------------------------------------------------------------------------


def work_items(course: Mapping[str, Any], groups: Iterable[Mapping[str, Any]]) -> Iterator[WorkItem]:
    """Every assignment of the course with the student's submission facts."""
    course_id = _int(course.get("id")) or 0
    label = _text(course.get("course_code")) or _text(course.get("name")) or f"Course {course_id}"
    for group in groups:
        for a in group.get("assignments") or []:
            if not isinstance(a, dict) or _int(a.get("id")) is None:
                continue
            raw_sub = a.get("submission")
            sub: Mapping[str, Any] = raw_sub if isinstance(raw_sub, dict) else {}
            score = _decimal(sub.get("score"))
            state = sub.get("workflow_state")
            hidden = bool(sub) and "score" not in sub
            # Canvas's posted? is posted_at.present?: a visible score with posted_at null is unposted.
            unposted = "posted_at" in sub and sub["posted_at"] is None and score is not None
            yield WorkItem(
                course_id=course_id,
                course=label,
                assignment_id=_int(a["id"]) or 0,
                name=_text(a.get("name")) or f"Assignment {a['id']}",
                due_at=parse_time(a.get("due_at")),
                points_possible=_decimal(a.get("points_possible")),
                html_url=a.get("html_url") if isinstance(a.get("html_url"), str) else None,
                published=a.get("published") is not False,
                counts=_gradeable(a) and not a.get("omit_from_final_grade"),
                excused=rules.is_excused(sub),
                missing=rules.is_missing(sub),  # Canvas's flag alone: see canvas.analysis.status
                late=rules.is_late(sub),
                submitted=rules.is_handed_in(sub),
                score=score,
                hidden=hidden or unposted,
                pending_review=state == PENDING_REVIEW,
                points_deducted=_decimal(sub.get("points_deducted")),
                seconds_late=_int(sub.get("seconds_late")),
            )


def upcoming_items(items: Iterable[WorkItem], now: datetime, days: int) -> list[WorkItem]:
    """Published, not excused, due after `now` and at most `days` days ahead, soonest first."""
    end = now + timedelta(days=days)
    found = [i for i in items if i.published and not i.excused and i.due_at is not None and now < i.due_at <= end]
    return sorted(found, key=_by_due)


def missing_items(items: Iterable[WorkItem]) -> list[WorkItem]:
    """What Canvas marks missing (its flag already folds in a teacher's late-policy status), oldest due first."""
    return sorted((i for i in items if i.published and not i.excused and i.missing), key=_by_due)


def late_items(items: Iterable[WorkItem]) -> list[WorkItem]:
    """What Canvas marks late (its flag already folds in a teacher's late-policy status), oldest due first."""
    return sorted((i for i in items if i.published and not i.excused and i.late), key=_by_due)


def _by_due(item: WorkItem) -> tuple[bool, datetime, str, str, int]:
    due = item.due_at or datetime.max.replace(tzinfo=UTC)
    return item.due_at is None, due, item.course, item.name, item.assignment_id


def _gradeable(assignment: Mapping[str, Any]) -> bool:
    # The calculator's rule too: not_graded work never reaches a grade.
    return assignment.get("grading_type") != "not_graded" and assignment.get("submission_types") != ["not_graded"]


def _item_json(item: WorkItem, local_now: datetime) -> dict[str, Any]:
    due_local = item.due_at.astimezone(local_now.tzinfo) if item.due_at is not None else None
    return {
        "course_id": item.course_id,
        "course": item.course,
        "assignment_id": item.assignment_id,
        "name": item.name,
        "due_at": due_local.isoformat() if due_local else None,
        # calendar days in the student's zone: 0 today, 1 tomorrow, -1 yesterday
        "due_in_days": (due_local.date() - local_now.date()).days if due_local else None,
        "points_possible": _float(item.points_possible),
        "submitted": item.submitted,
        "score": None if item.hidden else _float(item.score),
        "points_deducted": _float(item.points_deducted),
        "seconds_late": item.seconds_late,
        "html_url": item.html_url,
    }


# --- statistics and performance ------------------------------------------------------------------


def describe(percents: Sequence[Fraction | Decimal | int]) -> dict[str, Any]:
    """count, mean, median, sample standard deviation, min and max of percentages (2 dp)."""
    values = [Fraction(v) for v in percents]
    if not values:
        return {"count": 0, "mean": None, "median": None, "stdev": None, "min": None, "max": None}
    stdev = statistics.stdev(values) if len(values) > 1 else None
    return {
        "count": len(values),
        "mean": _float(round2(statistics.mean(values))),
        "median": _float(round2(statistics.median(values))),
        "stdev": None if stdev is None else _float(round2(Decimal(repr(float(stdev))))),
        "min": _float(round2(min(values))),
        "max": _float(round2(max(values))),
    }


def performance_summary(perf: Mapping[str, Any]) -> dict[str, Any]:
    """The fetch's own numbers plus what follows from them."""
    out = dict(perf)
    requests = int(perf.get("requests") or 0)
    elapsed = float(perf.get("elapsed_s") or 0.0)
    out["avg_ms_per_request"] = round(elapsed / requests * 1000, 1) if requests else None
    return out


# --- small converters ------------------------------------------------------------------------------


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _float(value: Any) -> float | None:
    number = value if isinstance(value, Decimal) else _decimal(value)
    return None if number is None else float(number)


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _text(value: Any) -> str | None:
    return str(value) if value is not None and str(value).strip() else None
