"""The demo's back-filled score history (the demo student only; a real account's history is only
ever what its syncs saw)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select

from canvas.db import tables as t


def has_history(conn: Connection, *, user_id: int) -> bool:
    return conn.execute(select(t.score_snapshots.c.id).where(t.score_snapshots.c.user_id == user_id)
                        .limit(1)).first() is not None


def add_snapshots(conn: Connection, *, user_id: int, points: list[dict[str, Any]]) -> int:
    """points: {course_id, taken_at, current_score}; not tied to a sync run (sync_run_id NULL)."""
    if not points:
        return 0
    conn.execute(insert(t.score_snapshots).values([{"user_id": user_id, **p} for p in points]))
    return len(points)
