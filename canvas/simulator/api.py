"""The Canvas REST endpoints the dashboard uses, for an authenticated student, plus the
per-assignment ones a typical canvasapi script calls (the sync benchmark's comparison).

Each endpoint returns a ``Reply``; auth, throttling and faults happen around it
in the HTTP handler. Unknown routes get Canvas's 404 body.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from canvas.simulator import paging, render
from canvas.simulator.records import parse_iso, public_submission
from canvas.simulator.store import UserData, is_concluded

JSON_TYPE = "application/json; charset=utf-8"
NOT_FOUND = {"errors": [{"message": "The specified resource does not exist."}]}
UNAUTHORIZED = {
    "status": "unauthorized",
    "errors": [{"message": "user not authorized to perform that action"}],
}


@dataclass
class Reply:
    status: int
    body: bytes
    content_type: str = JSON_TYPE
    headers: dict[str, str] = field(default_factory=dict)
    items: int = 0  # rows returned, drives x-request-cost


def json_reply(obj: Any, status: int = 200, items: int = 0, **headers: str) -> Reply:
    body = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()
    return Reply(status, body, JSON_TYPE, dict(headers), items)


@dataclass
class ApiRequest:
    path: str
    query: list[tuple[str, str]]
    user: UserData
    now: datetime
    base_url: str
    forbid_courses: dict[int, int]
    loop_links: bool = False
    foreign_next: bool = False

    def values(self, name: str) -> list[str]:
        """Rails-style array params: both ``name[]=x`` and ``name=x`` count."""
        return [v for k, v in self.query if k in (f"{name}[]", name)]

    def first(self, name: str) -> str | None:
        found = self.values(name)
        return found[0] if found else None

    def truthy(self, name: str) -> bool:
        return (self.first(name) or "").lower() in ("1", "true", "yes")


def _paged(req: ApiRequest, items: list[Any], key: Callable[[Any], list[int]]) -> Reply:
    page = paging.paginate(items, key, req.first("page"), paging.per_page(req.first("per_page")))
    link = paging.link_header(
        req.base_url, req.path, req.query, page, loop=req.loop_links, foreign=req.foreign_next
    )
    rows = sum(1 + len(i.get("assignments", [])) for i in page.items)
    return json_reply(page.items, items=rows, link=link)


def _course_or_error(req: ApiRequest, raw_id: str) -> int | Reply:
    cid = int(raw_id)
    forbidden = req.forbid_courses.get(cid)
    if forbidden in (401, 403):
        return json_reply(UNAUTHORIZED, forbidden)
    if forbidden == 404 or cid not in req.user.courses:
        return json_reply(NOT_FOUND, 404)
    if render.past_view_restricted(req.user.courses[cid], req.now):
        return json_reply(UNAUTHORIZED, 401)  # the course is closed to the student after its end
    return cid


def _self_or_error(req: ApiRequest, who: str) -> Reply | None:
    if who in ("self", str(req.user.user_id)):
        return None
    return json_reply(UNAUTHORIZED, 401)  # another user's data


def get_user(req: ApiRequest, who: str) -> Reply:
    return _self_or_error(req, who) or json_reply(render.user_json(req.user), items=1)


def get_profile(req: ApiRequest, who: str) -> Reply:
    return _self_or_error(req, who) or json_reply(render.profile_json(req.user), items=1)


def list_courses(req: ApiRequest) -> Reply:
    """Like Canvas: `enrollment_state` filters by the enrollment's date-based state (active or
    completed, i.e. concluded); `state[]` by the course's workflow_state; with neither, the current
    (not concluded) courses only."""
    state = req.first("enrollment_state")
    etype = req.first("enrollment_type")
    course_states = set(req.values("state"))
    if "unpublished" in course_states:
        course_states |= {"created", "claimed"}
    includes = set(req.values("include"))
    ids = []
    for cid, course in req.user.courses.items():
        concluded = is_concluded(course, req.now)
        if course_states and course["workflow_state"] not in course_states:
            continue
        if state == "completed" and not concluded:
            continue
        if state in ("active", "invited_or_pending") and concluded:
            continue
        if not state and not course_states and concluded:
            continue  # Canvas's default list is the current enrollments
        ids.append(cid)
    if state not in (None, "", "active", "completed") or etype not in (None, "", "student"):
        ids = []  # the simulated student has only student enrollments, never invitations
    courses = [render.course_json(req.user, cid, includes, req.now) for cid in ids]
    return _paged(req, courses, lambda c: [c["id"]])


def get_course(req: ApiRequest, raw_id: str) -> Reply:
    cid = _course_or_error(req, raw_id)
    if isinstance(cid, Reply):
        return cid
    includes = set(req.values("include"))
    return json_reply(render.course_json(req.user, cid, includes, req.now), items=1)


def list_assignment_groups(req: ApiRequest, raw_id: str) -> Reply:
    cid = _course_or_error(req, raw_id)
    if isinstance(cid, Reply):
        return cid
    includes = set(req.values("include"))
    exclude = set(req.values("exclude_response_fields"))
    groups = [  # score_statistics: per assignment, only where Canvas would show them
        render.group_json(req.user, g, req.base_url, includes=includes, exclude=exclude)
        for g in req.user.groups[cid]
    ]
    return _paged(req, groups, lambda g: [g["position"], g["id"]])


def list_assignments(req: ApiRequest, raw_id: str) -> Reply:
    cid = _course_or_error(req, raw_id)
    if isinstance(cid, Reply):
        return cid
    with_sub = "submission" in req.values("include")
    stats = "score_statistics" in req.values("include")
    positions = {g["id"]: g["position"] for g in req.user.groups[cid]}
    rows = [
        render.assignment_json(req.user, a, req.base_url, with_submission=with_sub, statistics=stats)
        for a in req.user.course_assignments(cid)
    ]
    return _paged(
        req, rows, lambda a: [positions[a["assignment_group_id"]], a["position"], a["id"]]
    )


def _assignment_or_error(req: ApiRequest, raw_cid: str, raw_aid: str) -> dict[str, Any] | Reply:
    cid = _course_or_error(req, raw_cid)
    if isinstance(cid, Reply):
        return cid
    a = req.user.assignments.get(int(raw_aid))
    if a is None or a["course_id"] != cid:
        return json_reply(NOT_FOUND, 404)
    return a


def get_assignment(req: ApiRequest, raw_cid: str, raw_aid: str) -> Reply:
    a = _assignment_or_error(req, raw_cid, raw_aid)
    if isinstance(a, Reply):
        return a
    includes = req.values("include")
    return json_reply(render.assignment_json(req.user, a, req.base_url, with_submission="submission" in includes,
                                             statistics="score_statistics" in includes), items=1)


def get_submission(req: ApiRequest, raw_cid: str, raw_aid: str, who: str) -> Reply:
    """Submissions API "Get a single submission": the student may read only their own."""
    a = _assignment_or_error(req, raw_cid, raw_aid)
    if isinstance(a, Reply):
        return a
    denied = _self_or_error(req, who)
    if denied:
        return denied
    return json_reply(public_submission(req.user.submissions[a["id"]]), items=1)


def list_enrollments(req: ApiRequest, raw_id: str) -> Reply:
    """Enrollments API index. The simulated student is alone in the course, so any other
    user_id, or a type/role/state filter that excludes an active student, matches nothing."""
    cid = _course_or_error(req, raw_id)
    if isinstance(cid, Reply):
        return cid
    rows = [render.enrollment_json(req.user, cid, req.base_url, req.now)]
    who = req.first("user_id")
    if who is not None and who not in ("self", str(req.user.user_id)):
        rows = []
    state = rows[0]["enrollment_state"] if rows else "active"
    for name, value in (("type", "StudentEnrollment"), ("role", "StudentEnrollment"), ("state", state)):
        wanted = req.values(name)
        if wanted and value not in wanted:
            rows = []
    return _paged(req, rows, lambda e: [e["id"]])


def _graded_key(sub: dict[str, Any]) -> list[int]:
    graded = parse_iso(sub["graded_at"])
    assert graded is not None  # only graded submissions are listed
    return [-int(graded.timestamp()), -int(sub["id"])]  # newest first


def graded_submissions(req: ApiRequest, who: str) -> Reply:
    denied = _self_or_error(req, who)
    if denied:
        return denied
    with_assignment = "assignment" in req.values("include")
    subs = render.graded_submissions(req.user, req.base_url, include_assignment=with_assignment)
    return _paged(req, subs, _graded_key)


ROUTES: list[tuple[re.Pattern[str], Callable[..., Reply]]] = [
    (re.compile(r"/api/v1/users/(self|\d+)"), get_user),
    (re.compile(r"/api/v1/users/(self|\d+)/profile"), get_profile),
    (re.compile(r"/api/v1/users/(self|\d+)/graded_submissions"), graded_submissions),
    (re.compile(r"/api/v1/courses"), list_courses),
    (re.compile(r"/api/v1/courses/(\d+)"), get_course),
    (re.compile(r"/api/v1/courses/(\d+)/assignment_groups"), list_assignment_groups),
    (re.compile(r"/api/v1/courses/(\d+)/assignments"), list_assignments),
    (re.compile(r"/api/v1/courses/(\d+)/assignments/(\d+)"), get_assignment),
    (re.compile(r"/api/v1/courses/(\d+)/assignments/(\d+)/submissions/(self|\d+)"), get_submission),
    (re.compile(r"/api/v1/courses/(\d+)/enrollments"), list_enrollments),
]


def match(method: str, path: str) -> tuple[Callable[..., Reply], tuple[str, ...]] | None:
    if method != "GET":
        return None
    for pattern, fn in ROUTES:
        m = pattern.fullmatch(path)
        if m:
            return fn, m.groups()
    return None
