"""Canvas JSON -> cache rows (pure). Times become aware UTC datetimes; raw JSON is kept alongside.

A submission whose `score`/`grade` keys are absent means Canvas hides the grade from the student,
which is not the same as `null` (ungraded); `score_hidden` records the difference.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any


def parse_time(value: Any) -> datetime | None:
    if not value or not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def to_decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        return None
    return number if number.is_finite() else None  # "NaN"/"Infinity" from a drifting API: no value


def content_hash(raw: Any) -> str:
    return hashlib.sha256(json.dumps(raw, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def student_enrollment(course: dict[str, Any]) -> dict[str, Any]:
    for enrollment in course.get("enrollments") or []:
        if str(enrollment.get("type", "")).lower() in ("student", "studentenrollment"):
            return enrollment
    return {}


def is_concluded(course: dict[str, Any]) -> bool:
    """Canvas says the course is over for the student: `concluded` (include[]=concluded), the course's
    workflow_state "completed", or the student's enrollment completed (the concluded listing)."""
    return (course.get("concluded") is True or course.get("workflow_state") == "completed"
            or student_enrollment(course).get("enrollment_state") == "completed")


def _scheme(value: Any) -> list[list[Any]] | None:
    """The grading_scheme pairs as Canvas sent them, when they look like pairs; None otherwise."""
    if not isinstance(value, list) or not all(isinstance(p, list) and len(p) == 2 for p in value):
        return None
    return value


def int_id(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def course_row(user_id: int, course: dict[str, Any]) -> dict[str, Any]:
    enrollment = student_enrollment(course)
    term = course.get("term") or {}
    if not isinstance(term, dict):
        term = {}
    return {
        "user_id": user_id,
        "canvas_id": int(course["id"]),
        "name": str(course.get("name") or course.get("course_code") or f"Course {course['id']}"),
        "course_code": course.get("course_code"),
        "workflow_state": course.get("workflow_state"),
        "time_zone": course.get("time_zone"),
        "term_name": term.get("name"),
        "start_at": parse_time(course.get("start_at")),
        "end_at": parse_time(course.get("end_at")),
        "apply_assignment_group_weights": bool(course.get("apply_assignment_group_weights")),
        "hide_final_grades": bool(course.get("hide_final_grades")),
        "has_grading_periods": bool(course.get("has_grading_periods") or course.get("grading_periods")),
        # Absent when the course hides totals: stays NULL, never 0.
        "current_score": to_decimal(enrollment.get("computed_current_score")),
        "final_score": to_decimal(enrollment.get("computed_final_score")),
        "current_grade": enrollment.get("computed_current_grade"),
        "final_grade": enrollment.get("computed_final_grade"),
        "grading_scheme": _scheme(course.get("grading_scheme")),
        "restrict_quantitative_data": course.get("restrict_quantitative_data") is True,
        "concluded": is_concluded(course),
        "term_id": int_id(term.get("id")),
        "term_start_at": parse_time(term.get("start_at")),
        "term_end_at": parse_time(term.get("end_at")),
        "raw": course,
        "content_hash": content_hash(course),
    }


def group_row(user_id: int, course_id: int, group: dict[str, Any]) -> dict[str, Any]:
    raw = {k: v for k, v in group.items() if k != "assignments"}
    rules = group.get("rules") or {}
    return {
        "user_id": user_id,
        "canvas_id": int(group["id"]),
        "course_id": course_id,
        "name": str(group.get("name") or ""),
        "position": group.get("position"),
        "group_weight": to_decimal(group.get("group_weight")),
        "drop_lowest": int(rules.get("drop_lowest") or 0),
        "drop_highest": int(rules.get("drop_highest") or 0),
        "never_drop": [int(a) for a in rules.get("never_drop") or []],
        "raw": raw,
        "content_hash": content_hash(raw),
    }


def assignment_row(user_id: int, course_id: int, assignment: dict[str, Any]) -> dict[str, Any]:
    raw_sub = assignment.get("submission")
    has_sub = isinstance(raw_sub, dict)
    sub: dict[str, Any] = raw_sub if isinstance(raw_sub, dict) else {}
    return {
        "user_id": user_id,
        "canvas_id": int(assignment["id"]),
        "course_id": course_id,
        "group_id": int(assignment["assignment_group_id"]) if assignment.get("assignment_group_id") else None,
        "name": str(assignment.get("name") or ""),
        "due_at": parse_time(assignment.get("due_at")),
        "lock_at": parse_time(assignment.get("lock_at")),
        "unlock_at": parse_time(assignment.get("unlock_at")),
        "points_possible": to_decimal(assignment.get("points_possible")),
        "grading_type": assignment.get("grading_type"),
        "submission_types": [str(t) for t in assignment.get("submission_types") or []],
        "omit_from_final_grade": bool(assignment.get("omit_from_final_grade")),
        "published": assignment.get("published") is not False,
        "position": assignment.get("position"),
        "html_url": assignment.get("html_url"),
        "canvas_updated_at": parse_time(assignment.get("updated_at")),
        "has_submission": has_sub,
        "score": to_decimal(sub.get("score")),
        "grade": None if sub.get("grade") is None else str(sub.get("grade")),
        "score_hidden": has_sub and ("score" not in sub or "grade" not in sub),
        "submitted_at": parse_time(sub.get("submitted_at")),
        "graded_at": parse_time(sub.get("graded_at")),
        "posted_at": parse_time(sub.get("posted_at")),
        "workflow_state": sub.get("workflow_state"),
        "late": bool(sub.get("late")),
        "missing": bool(sub.get("missing")),
        "excused": bool(sub.get("excused")),
        "late_policy_status": sub.get("late_policy_status"),
        "points_deducted": to_decimal(sub.get("points_deducted")),
        "raw": assignment,
        "content_hash": content_hash(assignment),
    }


@dataclass(frozen=True)
class CachedCourses:
    """What the cache holds before a sync, so the sync reads the concluded-courses listing only when
    it can hold news (never listed, or a cached current course left the active list) and re-reads
    a concluded course only once, when it is first seen concluded."""

    listed: bool
    current: frozenset[int] = frozenset()
    concluded: frozenset[int] = frozenset()


@dataclass
class FetchedData:
    """Everything one full sync read from Canvas, mapped to rows, before anything is written."""

    profile: dict[str, Any]
    courses: list[dict[str, Any]] = field(default_factory=list)
    groups: list[dict[str, Any]] = field(default_factory=list)
    assignments: list[dict[str, Any]] = field(default_factory=list)
    # Courses Canvas would not show us (401/403/404): their old cache rows are kept as they were.
    skipped: list[dict[str, Any]] = field(default_factory=list)
    # Records too malformed to store (no id, say); counted so a drifting API is noticed.
    bad_records: int = 0
    # Courses whose assignment groups this run read (None: every course in `courses`). A cached
    # concluded course left out of it keeps its groups and assignments as archived.
    read_course_ids: list[int] | None = None
    # Whether this run read the concluded-courses listing (the archive).
    archive_listed: bool = False
    # Cached courses the concluded listing shows only as "access restricted by date" (Canvas hides
    # a finished course that way): kept as they were, marked concluded.
    restricted_concluded: list[int] = field(default_factory=list)

    @property
    def skipped_ids(self) -> list[int]:
        return [int(s["course_id"]) for s in self.skipped]
