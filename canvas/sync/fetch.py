"""Read one student's data from Canvas with the minimal request plan (about C + 2 requests).

1. /users/self/profile                        id, name, time zone
2. /courses (scores, periods, term included)  every active course with Canvas's own totals
3. per course /assignment_groups (assignments and the student's submission included)
Courses are fetched concurrently, bounded by the client's in-flight cap.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
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


def fetch_all(client: CanvasClient, user_id: int, max_workers: int = 3) -> models.FetchedData:
    profile = fetch_profile(client)
    data = models.FetchedData(profile=profile)
    log.info("Syncing courses...")
    raw_courses = [c for c in client.get_all("courses", COURSE_PARAMS)
                   if isinstance(c, dict) and "id" in c and not c.get("access_restricted_by_date")]
    data.courses = [models.course_row(user_id, c) for c in raw_courses]
    log.info("Syncing assignments...")
    ids = [int(c["id"]) for c in raw_courses]
    with ThreadPoolExecutor(max_workers=max(1, max_workers), thread_name_prefix="canvas-fetch") as pool:
        results = list(pool.map(lambda cid: _course_groups(client, cid), ids))
    for course_id, result in zip(ids, results, strict=True):
        if isinstance(result, errors.ApiError):
            log.warning("Skipping course %s: %s", course_id, result)
            data.skipped.append({"course_id": course_id, "status": result.status, "error": type(result).__name__})
            continue
        for group in result:
            data.groups.append(models.group_row(user_id, course_id, group))
            for assignment in group.get("assignments") or []:
                assignment.setdefault("assignment_group_id", group["id"])
                data.assignments.append(models.assignment_row(user_id, course_id, assignment))
    return data
