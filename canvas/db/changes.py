"""The change feed's SQL: read the rows a sync is about to replace, record what changed, read the feed.

`before_write` / `after_write` are called by `repo.write_full_sync` inside the sync transaction (and
`before_graded` / `after_graded` by `repo.merge_graded`), so an event exists exactly when the cache
change that caused it committed. The comparison itself is pure (canvas.analysis.changes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, func, insert, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert

from canvas import models
from canvas.analysis import changes as diff
from canvas.db import tables as t
from canvas.rows import ChangeEvent


@dataclass(frozen=True)
class Before:
    courses: dict[int, dict[str, Any]]
    assignments: dict[int, dict[str, Any]]


_OLD_ASSIGNMENTS = text(f"""
    SELECT {", ".join(diff.ASSIGNMENT_COLUMNS)} FROM canvas_assignments_cache WHERE user_id = :u
""")
_OLD_COURSES = text("""
    SELECT canvas_id, name, workflow_state, current_score, current_grade, concluded, content_hash
      FROM canvas_courses_cache WHERE user_id = :u
""")


def before_write(conn: Connection, user_id: int) -> Before:
    """The cached rows the comparison needs (two indexed reads of narrow columns)."""
    courses = {int(r["canvas_id"]): dict(r) for r in conn.execute(_OLD_COURSES, {"u": user_id}).mappings()}
    assignments = {int(r["canvas_id"]): dict(r) for r in conn.execute(_OLD_ASSIGNMENTS, {"u": user_id}).mappings()}
    return Before(courses, assignments)


def after_write(conn: Connection, *, user_id: int, run_id: int | None, before: Before,
                data: models.FetchedData) -> int:
    """Record what the full sync changed (and queue its notifications); returns the event count."""
    found = diff.diff_sync(before.courses, before.assignments, data.courses, data.assignments,
                           skipped=data.skipped_ids)
    return record(conn, user_id=user_id, run_id=run_id, changes=found)


def before_graded(conn: Connection, user_id: int, ids: list[int]) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    rows = conn.execute(text(f"""
        SELECT {", ".join(diff.ASSIGNMENT_COLUMNS)} FROM canvas_assignments_cache
         WHERE user_id = :u AND canvas_id = ANY(:ids)
    """), {"u": user_id, "ids": ids}).mappings()
    return {int(r["canvas_id"]): dict(r) for r in rows}


def after_graded(conn: Connection, *, user_id: int, run_id: int | None, before: dict[int, dict[str, Any]],
                 rows: list[dict[str, Any]]) -> int:
    return record(conn, user_id=user_id, run_id=run_id, changes=diff.diff_graded(before, rows))


def record(conn: Connection, *, user_id: int, run_id: int | None, changes: list[diff.Change]) -> int:
    """Store the events and queue the user's notifications for them, in the caller's transaction."""
    if not changes:
        return 0
    from canvas.db import notify  # the outbox belongs to the same transaction

    rows = conn.execute(insert(t.change_events).returning(
        t.change_events.c.id, t.change_events.c.detected_at, sort_by_parameter_order=True), [
        {"user_id": user_id, "sync_run_id": run_id, **c.as_dict()} for c in changes]).all()
    events = [{**c.as_dict(), "id": int(r.id), "detected_at": r.detected_at.isoformat()}
              for c, r in zip(changes, rows, strict=True)]
    notify.enqueue_changes(conn, user_id=user_id, run_id=run_id, events=events)
    return len(changes)


# -- the feed ----------------------------------------------------------------------------------
_FEED_COLUMNS = (t.change_events.c.id, t.change_events.c.kind, t.change_events.c.course_id,
                 t.change_events.c.assignment_id, t.change_events.c.title, t.change_events.c.before,
                 t.change_events.c.after, t.change_events.c.detected_at, t.change_events.c.html_url,
                 t.change_events.c.sync_run_id)


def list_changes(conn: Connection, user_id: int, *, since: datetime | None = None,
                 limit: int = 200) -> list[ChangeEvent]:
    """The user's change events, newest first (events after `since` only, when given): id, kind,
    course_id, assignment_id, title, before, after, detected_at, html_url, sync_run_id."""
    e = t.change_events.c
    stmt = select(*_FEED_COLUMNS).where(e.user_id == user_id)
    if since is not None:
        stmt = stmt.where(e.detected_at > since)
    stmt = stmt.order_by(e.detected_at.desc(), e.id.desc()).limit(limit)
    return [cast(ChangeEvent, dict(r)) for r in conn.execute(stmt).mappings()]


def last_seen(conn: Connection, user_id: int) -> datetime | None:
    return conn.execute(select(t.change_seen.c.seen_at).where(t.change_seen.c.user_id == user_id)).scalar_one_or_none()


def mark_seen(conn: Connection, user_id: int, at: datetime | None = None) -> None:
    """The student has seen the feed up to `at` (default: now, on the database clock)."""
    when = at if at is not None else func.now()
    stmt = pg_insert(t.change_seen).values(user_id=user_id, seen_at=when)
    conn.execute(stmt.on_conflict_do_update(index_elements=["user_id"],
                                            set_={"seen_at": func.greatest(t.change_seen.c.seen_at,
                                                                           stmt.excluded.seen_at)}))


def unseen_count(conn: Connection, user_id: int) -> int:
    return int(conn.execute(text("""
        SELECT count(*) FROM change_events e
         WHERE e.user_id = :u
           AND e.detected_at > coalesce((SELECT seen_at FROM change_seen WHERE user_id = :u), '-infinity')
    """), {"u": user_id}).scalar_one())
