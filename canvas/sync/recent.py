"""The light "recent grades" refresh: newly graded submissions only, newest first.

`/users/self/graded_submissions` is ordered by graded_at descending with bookmark pages, so we stop
at the first submission no newer than what the cache already has: usually a single request.
A grade posted late can keep an old graded_at, which is why the full sync still runs on its timer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from canvas import models
from canvas.api.client import CanvasClient

PARAMS = {"include[]": ["assignment"], "only_current_enrollments": "true"}


def fetch_graded_since(client: CanvasClient, watermark: datetime | None) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for page in client.pages("users/self/graded_submissions", PARAMS):
        for sub in page:
            graded = models.parse_time(sub.get("graded_at"))
            if watermark is not None and graded is not None and graded <= watermark:
                return rows
            if sub.get("assignment_id") is None:
                continue
            assignment = dict(sub.get("assignment") or {"id": sub["assignment_id"]})
            assignment["submission"] = {k: v for k, v in sub.items() if k != "assignment"}
            row = models.assignment_row(0, int(assignment.get("course_id") or 0), assignment)
            row["canvas_id"] = int(sub["assignment_id"])
            rows.append(row)
    return rows
