"""Fixtures for AppTest runs of the dashboard against the test database and the simulated Canvas."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from sqlalchemy import Engine, text
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
PAGES = {
    "overview": None,
    "assignments": "pages/1_Assignments.py",
    "grades": "pages/2_Grades.py",
    "sync": "pages/3_Sync_activity.py",
    "settings": "pages/4_Settings.py",
    "transcript": "pages/5_Transcript.py",
}
MESSAGE_KINDS = ("info", "warning", "error", "success")
HEADING_KINDS = ("title", "header", "subheader")


# -- helpers shared by the integration tests ---------------------------------------------------------
def run_sql(engine: Engine, sql: str, **params: Any) -> Any:
    with engine.begin() as conn:
        return conn.execute(text(sql), params)


def new_user(engine: Engine, k: int, *, due_now: bool = True) -> int:
    """A connected user with a sync job, without asking Canvas: due now (as after a new token),
    or (`due_now=False`) just its job row."""
    from canvas.db import jobs, repo

    with engine.begin() as conn:
        uid = repo.upsert_user(conn, base_url="https://canvas.example.edu", canvas_user_id=1000 + k,
                               name=f"Student {k}", time_zone=None)
        repo.set_token(conn, user_id=uid, ciphertext=b"sealed", hint="...abcd")
        if due_now:
            jobs.reset_after_new_token(conn, uid)
        else:
            jobs.ensure_job(conn, uid)
    return uid


def open_page(at: AppTest, page: str | None) -> AppTest:
    """Run the app, switch to `page` (None: stay on the overview) and insist nothing raised."""
    at.run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at: AppTest, kinds: tuple[str, ...] = MESSAGE_KINDS) -> str:
    """Everything the page wrote: markdown, captions, text and the given element kinds."""
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [t.value for t in at.text]
    for kind in kinds:
        parts += [e.value for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)


@pytest.fixture
def app_env(monkeypatch, base_env, engine):
    """Point the app at the test database (through the environment, as `streamlit run` would)."""
    from canvas.config import get_settings
    from canvas.dashboard import syncing

    for key in ("DATABASE_URL", "CANVAS_DATA_DIR", "CANVAS_ALLOWED_HOSTS", "CANVAS_RETRY_BACKOFF_MS",
                "CANVAS_DEMO_PORT"):
        monkeypatch.setenv(key, base_env[key])
    get_settings.cache_clear()
    st.cache_data.clear()
    yield engine
    syncing.wait_all(30)
    get_settings.cache_clear()
    st.cache_data.clear()


@pytest.fixture
def synced(app_env, sim, add_user, settings, cipher):
    """Simulated student 1 connected and synced once; returns the user id."""
    from canvas.sync.runner import sync_user_now

    user_id = add_user(sim, 1)
    sync_user_now(app_env, settings, user_id, trigger="cli", owner="test", cipher=cipher)
    return user_id
