"""Changes a teacher (or the registrar) makes between syncs, for resync tests.

Each op edits the stored records the way Canvas would (updated_at, graded_at,
posted_at) and invalidates the affected course's cached scores.
"""

from __future__ import annotations

import inspect
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from canvas.simulator.records import (
    grade_text,
    iso,
    make_assignment,
    make_submission,
    parse_iso,
    pts,
)
from canvas.simulator.store import UserData

OLD_GRADE_AGE = timedelta(days=400)  # older than any generated graded_at


class MutationError(ValueError):
    """A mutation named something that does not exist or lacked an argument."""


def _assignment(ud: UserData, assignment_id: Any) -> dict[str, Any]:
    a = ud.assignments.get(int(assignment_id))
    if a is None:
        raise MutationError(f"user {ud.n} has no assignment {assignment_id}")
    return a


def _course(ud: UserData, course_id: Any) -> int:
    cid = int(course_id)
    if cid not in ud.courses:
        raise MutationError(f"user {ud.n} has no course {course_id}")
    return cid


def _set_grade(
    ud: UserData,
    a: dict[str, Any],
    score: float,
    grade: str | None,
    graded_at: datetime,
    posted_at: datetime | None,
) -> None:
    sub = ud.submissions[a["id"]]
    deducted = float(sub.get("points_deducted") or 0)
    points = float(a.get("points_possible") or 0)
    sub.update(
        score=pts(score),
        grade=grade if grade is not None else grade_text(float(score), points, a["grading_type"]),
        entered_score=pts(float(score) + deducted),
        entered_grade=grade_text(float(score) + deducted, points, a["grading_type"]),
        graded_at=iso(graded_at),
        posted_at=iso(posted_at),
        workflow_state="graded",
        excused=False,
        missing=False,
        grader_id=9001,
    )
    ud.invalidate(a["course_id"])


def op_grade(
    ud: UserData,
    now: datetime,
    *,
    assignment_id: int,
    score: float,
    grade: str | None = None,
    graded_at: str | None = None,
    posted: bool = True,
) -> None:
    a = _assignment(ud, assignment_id)
    when = parse_iso(graded_at) or now
    _set_grade(ud, a, score, grade, when, now if posted else None)


def op_post_old_grade(
    ud: UserData,
    now: datetime,
    *,
    assignment_id: int,
    score: float,
    graded_at: str | None = None,
    grade: str | None = None,
) -> None:
    """A grade made visible now but carrying an old graded_at (watermark trap)."""
    a = _assignment(ud, assignment_id)
    when = parse_iso(graded_at) or now - OLD_GRADE_AGE
    _set_grade(ud, a, score, grade, when, now)


def op_add_assignment(
    ud: UserData,
    now: datetime,
    *,
    course_id: int,
    group_id: int,
    name: str,
    points_possible: float,
    due_at: str | None = None,
    grading_type: str = "points",
) -> int:
    cid = _course(ud, course_id)
    group = ud.group(int(group_id))
    if group is None or group not in ud.groups[cid]:
        raise MutationError(f"course {cid} has no assignment group {group_id}")
    seq = ud.next_seq()
    aid = 1_000_000 * ud.n + seq
    record = make_assignment(
        aid=aid,
        cid=cid,
        gid=group["id"],
        name=name,
        points=points_possible,
        position=1 + len(ud.group_assignments(group["id"])),
        created=now,
        updated=now,
        due=parse_iso(due_at),
        grading_type=grading_type,
        description=f"<p>{name}</p>",
    )
    ud.assignments[aid] = record
    ud.submissions[aid] = make_submission(
        sub_id=1_000_000 * ud.n + 500_000 + seq,
        assignment=record,
        user_id=ud.user_id,
        status="unsubmitted",
        pct=0.0,
        rng=random.Random(aid),  # unused for unsubmitted work
        anchor=now,
    )
    ud.invalidate(cid)
    return aid


def op_delete_assignment(ud: UserData, now: datetime, *, assignment_id: int) -> None:
    a = _assignment(ud, assignment_id)
    del ud.assignments[a["id"]]
    ud.submissions.pop(a["id"], None)
    for g in ud.groups.get(a["course_id"], []):
        never = g["rules"].get("never_drop")
        if never and a["id"] in never:
            never.remove(a["id"])
    ud.invalidate(a["course_id"])


EDITABLE = ("name", "description", "due_at", "lock_at", "unlock_at", "points_possible", "published")


def op_update_assignment(ud: UserData, now: datetime, *, assignment_id: int, **changes: Any) -> None:
    """A teacher edits an assignment: Canvas bumps updated_at."""
    a = _assignment(ud, assignment_id)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise MutationError(f"update_assignment can change {EDITABLE}, not {sorted(unknown)}")
    for key in ("due_at", "lock_at", "unlock_at"):
        if key in changes:
            changes[key] = iso(parse_iso(changes[key]))
    if "points_possible" in changes:
        changes["points_possible"] = pts(changes["points_possible"])
    a.update(changes, updated_at=iso(now))
    if "due_at" in changes:
        ud.submissions[a["id"]]["cached_due_date"] = a["due_at"]
    ud.invalidate(a["course_id"])


def op_rename_course(ud: UserData, now: datetime, *, course_id: int, name: str) -> None:
    ud.courses[_course(ud, course_id)]["name"] = name


def op_drop_course(ud: UserData, now: datetime, *, course_id: int) -> None:
    """The student is no longer enrolled: the course and its work disappear."""
    cid = _course(ud, course_id)
    del ud.courses[cid]
    ud.groups.pop(cid, None)
    for aid in [aid for aid, a in ud.assignments.items() if a["course_id"] == cid]:
        del ud.assignments[aid]
        ud.submissions.pop(aid, None)
    ud.invalidate(cid)


def op_conclude_course(ud: UserData, now: datetime, *, course_id: int, restrict_past_view: bool = False) -> None:
    """The teacher concludes the course: workflow_state "completed", ended now. The student's
    enrollment becomes completed, so the course leaves `enrollment_state=active` listings.
    `restrict_past_view`: the course's "restrict students from viewing the course after its end
    date" setting, after which Canvas shows the student only the id ("access_restricted_by_date")."""
    cid = _course(ud, course_id)
    course = ud.courses[cid]
    end = parse_iso(course.get("end_at"))
    course.update(workflow_state="completed", end_at=iso(min(end, now) if end else now),
                  restrict_student_past_view=bool(restrict_past_view))
    ud.invalidate(cid)


OPS: dict[str, Callable[..., Any]] = {
    "conclude_course": op_conclude_course,
    "grade": op_grade,
    "post_old_grade": op_post_old_grade,
    "add_assignment": op_add_assignment,
    "delete_assignment": op_delete_assignment,
    "update_assignment": op_update_assignment,
    "rename_course": op_rename_course,
    "drop_course": op_drop_course,
}


def apply(ud: UserData, now: datetime, op: str, **kw: Any) -> Any:
    fn = OPS.get(op)
    if fn is None:
        raise MutationError(f"unknown op {op!r}; known: {', '.join(sorted(OPS))}")
    try:
        inspect.signature(fn).bind(ud, now, **kw)
    except TypeError as exc:  # wrong or missing keyword arguments
        raise MutationError(f"{op}: {exc}") from exc
    return fn(ud, now, **kw)
