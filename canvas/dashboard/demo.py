""""Try the demo": a simulated Canvas started inside the app, connected as its rich demo student.

The simulator listens on a fixed loopback port (CANVAS_DEMO_PORT, 8765) so the demo account keeps
working across app restarts, and a worker whose CANVAS_ALLOWED_HOSTS names that port (scripts/run.sh
sets it) can sync it too. If something already serves that port (`python -m canvas simulate`), it
is used as is. For the app's own syncs of the demo user, `demo_settings` allow-lists exactly that
host:port, so the URL policy for real accounts is unchanged.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import streamlit as st
from sqlalchemy import Engine

from canvas.accounts import Connected, connect_account
from canvas.config import Settings
from canvas.crypto import TokenCipher
from canvas.dashboard import syncing
from canvas.db import demo_history

log = logging.getLogger("canvas.dashboard.demo")

DEMO_STUDENT = 1
HOST = "127.0.0.1"

_lock = threading.Lock()
_running: dict[str, str] = {}


@dataclass(frozen=True)
class _External:
    """A simulator some other process already runs on the demo port."""

    base_url: str


@st.cache_resource(show_spinner="Starting the simulated Canvas…")
def simulator(port: int) -> object:
    from canvas.simulator import Simulator

    try:
        sim: object = Simulator(port=port, host=HOST, seed=1).start()
    except OSError:
        if not port:
            raise
        log.info("Port %s is taken; using the simulated Canvas already running there", port)
        sim = _External(f"http://{HOST}:{port}")
    with _lock:
        _running["base_url"] = sim.base_url  # type: ignore[attr-defined]
    return sim


def demo_base_url(settings: Settings) -> str | None:
    """The demo's base URL: fixed when a port is configured, else whatever this process started."""
    if settings.demo_port:
        return f"http://{HOST}:{settings.demo_port}"
    with _lock:
        return _running.get("base_url")


def is_demo_user(base_url: str | None, settings: Settings) -> bool:
    demo = demo_base_url(settings)
    return bool(demo and base_url and base_url.rstrip("/") == demo.rstrip("/"))


def demo_settings(settings: Settings, base_url: str) -> Settings:
    host = base_url.split("://", 1)[-1].rstrip("/").lower()
    if host in settings.allowed_hosts:
        return settings
    return settings.model_copy(update={"allowed_hosts": (*settings.allowed_hosts, host)})


def settings_for(settings: Settings, base_url: str | None) -> Settings:
    """The settings to sync a user with; for the demo user this also makes sure its simulator runs."""
    if base_url and is_demo_user(base_url, settings):
        simulator(settings.demo_port)
        return demo_settings(settings, base_url)
    return settings


def start_demo(engine: Engine, settings: Settings, cipher: TokenCipher) -> Connected:
    """Start (or reuse) the simulator, connect the demo student, and start its first sync in the app."""
    from canvas.simulator import token_for

    sim = simulator(settings.demo_port)
    base_url = sim.base_url  # type: ignore[attr-defined]
    demo = demo_settings(settings, base_url)
    connected = connect_account(engine, demo, cipher, base_url=base_url, token=token_for(DEMO_STUDENT))
    _seed_history(engine, sim, connected.user_id)
    syncing.request_sync(engine, demo, connected.user_id, kind="full", cipher=cipher, in_app=True,
                          trigger="demo")
    return connected


HISTORY_WEEKS = 4


def history_points(courses: list[dict[str, Any]], now: datetime, weeks: int = HISTORY_WEEKS) -> list[dict[str, Any]]:
    """A few weeks of weekly scores that end near each course's score today (deterministic), so the
    demo's "Current score over time" has a shape on first look. Pure."""
    points = []
    for course in courses:
        score = next((e.get("computed_current_score") for e in course.get("enrollments") or []
                      if e.get("type") == "student"), None)
        if score is None:
            continue
        for week in range(weeks, 0, -1):
            wobble = ((int(course["id"]) * 7 + week * 13) % 9 - 4) * 0.9  # -3.6 .. +3.6 points
            drift = week * 1.2 * (1 if int(course["id"]) % 2 else -1)  # some courses climb, some slip
            value = max(0.0, min(110.0, float(score) - drift + wobble))
            points.append({"course_id": int(course["id"]), "taken_at": now - timedelta(weeks=week),
                           "current_score": round(value, 2)})
    return points


def _seed_history(engine: Engine, sim: object, user_id: int) -> None:
    """Back-fill the demo student's score history once (a simulator run elsewhere has no dataset here)."""
    dataset = getattr(sim, "dataset", None)
    if dataset is None:
        return
    with engine.begin() as conn:
        if demo_history.has_history(conn, user_id=user_id):
            return
        demo_history.add_snapshots(conn, user_id=user_id,
                                   points=history_points(dataset(DEMO_STUDENT)["courses"], datetime.now(UTC)))
