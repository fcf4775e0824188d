"""Migration 0004 on a database that already holds data at 0003: columns backfilled from the cached
raw JSON, new tables empty and cascading, and the next sync reads the archive once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

import canvas.db.engine as db_engine

MIGRATIONS = Path(db_engine.__file__).with_name("migrations")


@pytest.fixture
def old_db(pg_url: str) -> Iterator[str]:
    """A fresh database on the test server, migrated to 0003 only."""
    url = make_url(pg_url)
    name = f"{url.database}_m0004"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    target = url.set(database=name).render_as_string(hide_password=False)
    try:
        yield target
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def upgrade(url: str, revision: str) -> None:
    engine = create_engine(url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    engine.dispose()


def test_upgrade_from_0003_keeps_and_backfills_cached_courses(old_db: str) -> None:
    upgrade(old_db, "0003")
    engine = create_engine(old_db)
    past = {"id": 7, "name": "Old", "workflow_state": "completed", "concluded": True,
            "term": {"id": 998, "name": "Fall", "start_at": "2024-08-20T06:00:00Z", "end_at": "2024-12-20T06:00:00Z"}}
    now = {"id": 8, "name": "Now", "workflow_state": "available", "concluded": False,
           "term": {"id": 999, "name": "Spring", "start_at": "bad date", "end_at": None}}
    with engine.begin() as conn:
        uid = conn.execute(text("INSERT INTO users (base_url, canvas_user_id, name) VALUES ('https://x', 1, 'A') "
                                "RETURNING id")).scalar_one()
        for course in (past, now):
            conn.execute(text("""INSERT INTO canvas_courses_cache (user_id, canvas_id, name, raw, content_hash,
                                     final_score, final_grade)
                                 VALUES (:u, :c, :n, CAST(:raw AS jsonb), 'h', 91.5, 'A-')"""),
                         {"u": uid, "c": course["id"], "n": course["name"], "raw": json.dumps(course)})
    engine.dispose()

    upgrade(old_db, "0004")
    engine = create_engine(old_db)
    with engine.begin() as conn:
        rows = {r.canvas_id: r for r in conn.execute(text(
            "SELECT canvas_id, concluded, term_id, term_start_at, term_end_at, restrict_quantitative_data, "
            "grading_scheme, final_score, final_grade FROM canvas_courses_cache ORDER BY canvas_id"))}
        assert (rows[7].concluded, rows[7].term_id, rows[7].term_end_at.isoformat()) == (
            True, 998, "2024-12-20T06:00:00+00:00")
        assert (rows[8].concluded, rows[8].term_id, rows[8].term_start_at, rows[8].term_end_at) == (
            False, 999, None, None)  # a bad date stays unknown, never fails the upgrade
        assert (float(rows[7].final_score), rows[7].final_grade) == (91.5, "A-")  # cached data kept
        assert rows[7].restrict_quantitative_data is False and rows[7].grading_scheme is None
        assert conn.execute(text("SELECT archive_listed_at FROM users")).scalar_one() is None  # next sync lists once
        conn.execute(text("INSERT INTO course_prefs (user_id, course_id, credits) VALUES (:u, 7, 3)"), {"u": uid})
        conn.execute(text("INSERT INTO gpa_settings (user_id, scale) VALUES (:u, 'us43')"), {"u": uid})
        conn.execute(text("DELETE FROM users"))
        assert conn.execute(text("SELECT count(*) FROM course_prefs")).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM gpa_settings")).scalar_one() == 0
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() >= "0004"
    engine.dispose()
