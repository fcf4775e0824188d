"""Fixtures for AppTest runs of the dashboard against the test database and the simulated Canvas."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st

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
