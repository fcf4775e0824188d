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

import streamlit as st
from sqlalchemy import Engine

from canvas.accounts import Connected, connect_account
from canvas.config import Settings
from canvas.crypto import TokenCipher
from canvas.dashboard import syncing

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
    syncing.request_sync(engine, demo, connected.user_id, kind="full", cipher=cipher, in_app=True,
                          trigger="demo")
    return connected
