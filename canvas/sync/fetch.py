"""Read one student's data from Canvas with the minimal request plan (about C + 2 requests).

1. /users/self/profile                        id, name, time zone
2. /courses (scores, periods, term included)  every active course with Canvas's own totals
3. per course /assignment_groups (assignments and the student's submission included)
Courses are fetched concurrently, bounded by the client's in-flight cap.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any

from canvas import errors, models
from canvas.api.client import CanvasClient

log = logging.getLogger("canvas.sync")

COURSE_PARAMS = {
    "enrollment_state": "active",
    "include[]": ["total_scores", "current_grading_period_scores", "grading_periods", "term", "concluded"],
}
GROUP_PARAMS = {
    "include[]": ["assignments", "submission"],
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
              on_progress: Callable[[int, int], None] | None = None) -> models.FetchedData:
    """`on_progress(done, total)`: courses whose assignments have arrived, of the courses to fetch."""
    profile = fetch_profile(client)
    data = models.FetchedData(profile=profile)
    log.info("📚 Syncing courses...")
    raw_courses = []
    for course in client.get_all("courses", COURSE_PARAMS):
        if isinstance(course, dict) and course.get("access_restricted_by_date"):
            continue  # Canvas hides everything but the id of such a course
        row = _mapped(data, models.course_row, user_id, course)
        if row is not None:
            raw_courses.append(course)
            data.courses.append(row)
    log.info("📝 Syncing assignments...")
    ids = [int(c["id"]) for c in raw_courses]
    if on_progress is not None:
        on_progress(0, len(ids))
    for course_id, result in fetch_groups(client, ids, max_workers, on_done=on_progress).items():
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


def _mapped(data: models.FetchedData, fn: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any] | None:
    """Map one record; a malformed one is skipped and counted, never fatal on its own."""
    try:
        return fn(*args)
    except (KeyError, TypeError, ValueError, AttributeError):
        data.bad_records += 1
        return None
