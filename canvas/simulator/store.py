"""One simulated student's Canvas data, plus the derived enrollment scores.

The records are API-shaped dicts; this class only indexes them and caches the
computed scores per course (invalidated by mutations).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from canvas.simulator import scoring
from canvas.simulator.records import parse_iso


@dataclass
class UserData:
    n: int
    user_id: int
    profile: dict[str, Any]
    courses: dict[int, dict[str, Any]] = field(default_factory=dict)
    groups: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    assignments: dict[int, dict[str, Any]] = field(default_factory=dict)
    submissions: dict[int, dict[str, Any]] = field(default_factory=dict)
    seq: int = 0  # last per-user sequence number handed out for ids
    _scores: dict[int, dict[str, Any]] = field(default_factory=dict, repr=False)

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def group(self, gid: int) -> dict[str, Any] | None:
        for groups in self.groups.values():
            for g in groups:
                if g["id"] == gid:
                    return g
        return None

    def group_assignments(self, gid: int) -> list[dict[str, Any]]:
        found = [a for a in self.assignments.values() if a["assignment_group_id"] == gid]
        return sorted(found, key=lambda a: (a["position"], a["id"]))

    def course_assignments(self, cid: int) -> list[dict[str, Any]]:
        """Assignments in Canvas's default order: group position, then position."""
        out: list[dict[str, Any]] = []
        for g in sorted(self.groups.get(cid, []), key=lambda g: (g["position"], g["id"])):
            out.extend(self.group_assignments(g["id"]))
        return out

    def invalidate(self, cid: int) -> None:
        self._scores.pop(cid, None)

    def scores(self, cid: int, now: datetime) -> dict[str, Any]:
        """Enrollment score fields for a course (cached until a mutation)."""
        if cid not in self._scores:
            self._scores[cid] = self._compute(cid, now)
        return self._scores[cid]

    def _compute(self, cid: int, now: datetime) -> dict[str, Any]:
        course = self.courses[cid]
        groups = self.groups.get(cid, [])
        assignments = self.course_assignments(cid)
        weighted = bool(course["apply_assignment_group_weights"])
        scheme = course.get("grading_scheme")
        out = scoring.course_scores(groups, assignments, self.submissions, weighted, scheme)
        periods = course.get("grading_periods") or []
        period = current_period(periods, now)
        out["period"] = period
        out["period_scores"] = None
        if period is not None:
            inside = [a for a in assignments if period_of(a, periods) is period]
            out["period_scores"] = scoring.course_scores(
                groups, inside, self.submissions, weighted, scheme
            )
        return out


def is_concluded(course: dict[str, Any], now: datetime) -> bool:
    """Canvas's Course#concluded?: the course was concluded (workflow_state "completed") or it is
    soft-concluded: its end date passed (the course's own when it restricts enrollments to course
    dates, else the term's). The student's enrollment then counts as completed."""
    if course.get("workflow_state") == "completed":
        return True
    if course.get("restrict_enrollments_to_course_dates"):
        end = parse_iso(course.get("end_at"))
    else:
        end = parse_iso((course.get("term") or {}).get("end_at"))
    return end is not None and end < now


def current_period(periods: list[dict[str, Any]], now: datetime) -> dict[str, Any] | None:
    for p in periods:
        start, end = parse_iso(p["start_date"]), parse_iso(p["end_date"])
        if start and end and start <= now < end:
            return p
    return None


def period_of(assignment: dict[str, Any], periods: list[dict[str, Any]]) -> Any:
    """Grading period by due date; undated work falls into the last period."""
    if not periods:
        return None
    due = parse_iso(assignment.get("due_at"))
    if due is None:
        return periods[-1]
    for p in periods:
        start, end = parse_iso(p["start_date"]), parse_iso(p["end_date"])
        if start and end and start <= due < end:
            return p
    return None
