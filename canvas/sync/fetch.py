"""Read one student's data from Canvas with the minimal request plan (about C + 2 requests).

1. /users/self/profile                        id, name, time zone
2. /courses (scores, periods, term, grading scheme, letters-only flag included): every active course
   with Canvas's own totals
3. /courses?enrollment_state=completed: the concluded courses (the archive), only when it can hold
   news: on the first sync, or when a cached current course left the active list
4. per course /assignment_groups (assignments, the student's submission and the class's score
   statistics included): every active course, and a concluded one once, when first seen concluded
Courses are fetched concurrently, bounded by the client's in-flight cap. A steady resync is C + 2
requests; the sync that sees a course conclude costs one listing and that course's read more.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any

from canvas import errors, models
from canvas.api.client import CanvasClient

log = logging.getLogger("canvas.sync")

COURSE_INCLUDES = ["total_scores", "current_grading_period_scores", "grading_periods", "term", "concluded",
                   "grading_scheme", "restrict_quantitative_data"]
COURSE_PARAMS = {"enrollment_state": "active", "include[]": COURSE_INCLUDES}
CONCLUDED_PARAMS = {"enrollment_state": "completed", "include[]": COURSE_INCLUDES}
GROUP_PARAMS = {
    "include[]": ["assignments", "submission", "score_statistics"],
    "exclude_response_fields[]": ["description", "rubric"],
}


def fetch_profile(client: CanvasClient) -> dict[str, Any]:
    profile = client.get("users/self/profile")
    if not isinstance(profile, dict) or "id" not in profile:
        raise errors.BadResponseError(200, "/api/v1/users/self/profile", "no user id in profile")
    return profile


def _course_groups(client: CanvasClient, course_id: int) -> list[dict[str, Any]] | errors.ApiError:
    try:
        return client.get_all(f"courses/{course_id}/assignment_groups", GROUP_PARAMS)
    except (errors.ForbiddenError, errors.NotFoundError) as exc:
        return exc  # one unreadable course is skipped; the rest still syncs


GroupsOrSkip = list[dict[str, Any]] | errors.ApiError


def fetch_groups(client: CanvasClient, course_ids: list[int], max_workers: int = 3,
                 on_done: Callable[[int, int], None] | None = None) -> dict[int, GroupsOrSkip]:
    """Every course's assignment groups (or the error that skips it), concurrently within the in-flight cap.
    `on_done(done, total)` reports progress; after a fatal error no further course is started."""
    results: dict[int, GroupsOrSkip] = {}
    with ThreadPoolExecutor(max_workers=max(1, max_workers), thread_name_prefix="canvas-fetch") as pool:
        futures = {pool.submit(_course_groups, client, cid): cid for cid in course_ids}
        try:
            for done, future in enumerate(as_completed(futures), start=1):
                results[futures[future]] = future.result()
                if on_done is not None:
                    on_done(done, len(course_ids))
        except BaseException:
            for future in futures:
                future.cancel()  # a dead token or an unreachable host: don't send more requests
            raise
    return {cid: results[cid] for cid in course_ids}


def fetch_all(client: CanvasClient, user_id: int, max_workers: int = 3,
              cached: models.CachedCourses | None = None,
              on_progress: Callable[[int, int], None] | None = None) -> models.FetchedData:
    """Everything one full sync needs. `cached` (what the cache holds; None = nothing known) decides
    whether the concluded listing is read and which concluded courses are read again.
    `on_progress(done, total)`: current courses whose assignments have arrived, of those to read."""
    profile = fetch_profile(client)
    data = models.FetchedData(profile=profile)
    log.info("📚 Syncing courses...")
    to_read: list[int] = []
    for course in client.get_all("courses", COURSE_PARAMS):
        if isinstance(course, dict) and course.get("access_restricted_by_date"):
            continue  # Canvas hides everything but the id of such a course
        row = _mapped(data, models.course_row, user_id, course)
        if row is not None:
            to_read.append(row["canvas_id"])
            data.courses.append(row)
    active = set(to_read)
    log.info("📝 Syncing assignments...")
    if on_progress is not None:
        on_progress(0, len(to_read))
    if cached is None or not cached.listed or cached.current - active:
        # The concluded listing goes out alongside the current courses' reads (the client's in-flight
        # cap still holds), so it adds no round trip to the sync unless a course newly concluded.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="canvas-fetch-archive") as one:
            listing = one.submit(_concluded, client, user_id, active, cached)
            results = fetch_groups(client, to_read, max_workers, on_done=on_progress)
            concluded, newly = listing.result()
        data.archive_listed = True
        data.courses += concluded.courses
        data.bad_records += concluded.bad_records
        data.restricted_concluded = concluded.restricted_concluded
        results.update(fetch_groups(client, newly, max_workers))
        to_read += newly
    else:
        results = fetch_groups(client, to_read, max_workers, on_done=on_progress)
    data.read_course_ids = to_read
    for course_id, result in results.items():
        if isinstance(result, errors.ApiError):
            log.warning("Skipping course %s: %s", course_id, result)
            data.skipped.append({"course_id": course_id, "status": result.status, "error": type(result).__name__})
            continue
        for group in result:
            group_row = _mapped(data, models.group_row, user_id, course_id, group)
            if group_row is None:
                continue
            data.groups.append(group_row)
            for assignment in group.get("assignments") or []:
                if isinstance(assignment, dict):
                    assignment.setdefault("assignment_group_id", group["id"])
                row = _mapped(data, models.assignment_row, user_id, course_id, assignment)
                if row is not None:
                    data.assignments.append(row)
    if data.bad_records:
        log.warning("Ignored %d malformed record(s) from Canvas", data.bad_records)
    if data.bad_records > max(10, (len(data.courses) + len(data.assignments)) // 10):
        raise errors.BadResponseError(200, "/api/v1/courses", f"{data.bad_records} malformed records")
    return data


def _concluded(client: CanvasClient, user_id: int, active: set[int],
               cached: models.CachedCourses | None) -> tuple[models.FetchedData, list[int]]:
    """Read the concluded listing: its course rows (in a FetchedData of their own, as this runs
    beside the other reads) and the courses to read in full (newly concluded)."""
    out = models.FetchedData(profile={})
    known = cached.concluded if cached is not None else frozenset()
    cached_ids = known | (cached.current if cached is not None else frozenset())
    new: list[int] = []
    for course in client.get_all("courses", CONCLUDED_PARAMS):
        if not isinstance(course, dict):
            out.bad_records += 1
            continue
        if course.get("access_restricted_by_date"):
            cid = models.int_id(course.get("id"))
            if cid is not None and cid in cached_ids and cid not in active:
                out.restricted_concluded.append(cid)  # keep what we had; Canvas shows nothing more
            continue
        row = _mapped(out, models.course_row, user_id, course)
        if row is None or row["canvas_id"] in active:
            continue  # listed as active too (a reopened course): the active record wins
        row["concluded"] = True  # the enrollment is completed, whatever else the record says
        out.courses.append(row)
        if row["canvas_id"] not in known:
            new.append(row["canvas_id"])
    return out, new


def _mapped(data: models.FetchedData, fn: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any] | None:
    """Map one record; a malformed one is skipped and counted, never fatal on its own."""
    try:
        return fn(*args)
    except (KeyError, TypeError, ValueError, AttributeError):
        data.bad_records += 1
        return None
