"""The report's I/O: read one student's data from Canvas, paced, and time it.

The same request plan, parameters and skip rules as the sync (`canvas.sync.fetch`): the profile,
one /courses call with scores and periods included, then one /assignment_groups call per course
with assignments and the student's submission embedded, about 2 + C requests. The client is the
sync's CanvasClient (bearer auth, per_page=100, retries with backoff, rate limiter), built from
the same settings, but paced at least `min_interval_s` apart and never touching the database.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from canvas import errors
from canvas.api.client import CanvasClient
from canvas.api.hosts import CheckedUrl
from canvas.config import Settings
from canvas.report.analyze import FetchedRaw
from canvas.report.progress import Progress
from canvas.sync.fetch import COURSE_PARAMS, fetch_groups, fetch_profile

log = logging.getLogger("canvas.report")

DEFAULT_MIN_INTERVAL_MS = 100  # the seed's fetcher waited 100 ms between requests


@dataclass(frozen=True)
class FetchRun:
    raw: FetchedRaw
    performance: dict[str, Any]


def open_client(settings: Settings, checked: CheckedUrl, token: str, *, min_interval_s: float) -> CanvasClient:
    """A client configured like the sync's (retries, timeout, in-flight cap, dialling only the addresses
    the URL check resolved), its requests sent at least `min_interval_s` apart."""
    return CanvasClient.from_settings(checked, token, settings, min_interval_s=min_interval_s)


def fetch(client: CanvasClient, progress: Progress | None = None, *, max_workers: int = 3,
          min_interval_ms: int | None = None) -> FetchRun:
    """Fetch everything the report needs; `performance` holds the client's counters and the time taken."""
    progress = progress or Progress(interactive=False)
    started = time.monotonic()
    try:
        raw = collect(client, progress, max_workers)
    finally:
        progress.clear()
    elapsed = time.monotonic() - started
    s = client.stats
    performance = {
        "requests": s.requests,
        "bytes": s.bytes,
        "elapsed_s": round(elapsed, 3),
        "throttled": s.throttled,
        "retries": s.retries,
        "min_rate_limit_remaining": s.min_remaining,
        "min_interval_ms": min_interval_ms,
        "max_in_flight": max_workers,
    }
    log.info("Fetched %d courses in %.2f s (%d requests)", len(raw.courses), elapsed, s.requests)
    return FetchRun(raw, performance)


def collect(client: CanvasClient, progress: Progress, max_workers: int = 3) -> FetchedRaw:
    progress.update("Fetching profile")
    profile = fetch_profile(client)
    progress.update("Fetching courses")
    courses = [c for c in client.get_all("courses", COURSE_PARAMS)
               if isinstance(c, dict) and _id(c) is not None and not c.get("access_restricted_by_date")]
    names = {cid: str(c.get("name") or c.get("course_code") or c["id"]) for c in courses if (cid := _id(c)) is not None}
    ids = list(names)
    progress.update("Fetching assignments", 0, len(ids))
    results = fetch_groups(client, ids, max_workers,
                           on_done=lambda done, total: progress.update("Fetching assignments", done, total))
    raw = FetchedRaw(profile=profile, courses=courses)
    for course_id in ids:
        result = results[course_id]
        if isinstance(result, errors.ApiError):
            log.warning("Skipping course %s: %s", course_id, result)
            raw.skipped.append({"course_id": course_id, "name": names[course_id], "status": result.status,
                                "error": type(result).__name__})
        else:
            raw.groups[course_id] = [g for g in result if isinstance(g, dict)]
    return raw


def _id(course: dict[str, Any]) -> int | None:
    value: Any = course.get("id")
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None  # a malformed course record is left out, as the sync does

