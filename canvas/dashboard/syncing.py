""""Sync now" for the dashboard: ask the worker, or run the sync in a background thread.

The thread calls `runner.sync_user_now`, which claims the user's lease exactly as the worker and the
CLI do, so a worker and the app never sync one user at once. It touches only the database and
Canvas, never Streamlit APIs; the page learns about progress by polling the database.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Engine

from canvas import errors
from canvas.config import Settings
from canvas.crypto import TokenCipher
from canvas.db import jobs, repo
from canvas.rows import SyncKind, SyncTrigger
from canvas.sync import runner

log = logging.getLogger("canvas.dashboard.sync")

_lock = threading.Lock()
_threads: dict[int, threading.Thread] = {}


@dataclass(frozen=True)
class SyncRequest:
    outcome: Literal["worker", "app", "already_running", "refused"]
    message: str


def owner_name() -> str:
    return f"app:{socket.gethostname()}:{os.getpid()}"


def running_here(user_id: int) -> bool:
    with _lock:
        thread = _threads.get(user_id)
        return thread is not None and thread.is_alive()


def _run(engine: Engine, settings: Settings, user_id: int, kind: SyncKind, trigger: SyncTrigger,
         cipher: TokenCipher) -> None:
    try:
        result = runner.sync_user_now(engine, settings, user_id, trigger=trigger, owner=owner_name(),
                                      cipher=cipher, kind=kind)
        log.info("app sync done for user %s: %s courses, %s assignments", user_id, result.courses,
                 result.assignments)
    except errors.SyncBusy:
        log.info("sync for user %s already running elsewhere", user_id)
    except Exception as exc:  # the runner recorded the failure in sync_runs / sync_jobs already
        log.warning("app sync failed for user %s: %s: %s", user_id, type(exc).__name__, str(exc)[:200])
    finally:
        with _lock:
            if _threads.get(user_id) is threading.current_thread():
                del _threads[user_id]


def start_thread(engine: Engine, settings: Settings, user_id: int, *, kind: SyncKind = "full",
                 trigger: SyncTrigger = "app",
                 cipher: TokenCipher) -> bool:
    """Start the in-app sync for a user; False if this process already runs one for them."""
    with _lock:
        current = _threads.get(user_id)
        if current is not None and current.is_alive():
            return False
        thread = threading.Thread(target=_run, args=(engine, settings, user_id, kind, trigger, cipher),
                                  name=f"canvas-sync-{user_id}", daemon=True)
        _threads[user_id] = thread
        thread.start()
    return True


def request_sync(engine: Engine, settings: Settings, user_id: int, *, kind: SyncKind = "full", cipher: TokenCipher,
                 in_app: bool = False, trigger: SyncTrigger = "app") -> SyncRequest:
    """Record the request for the worker; run it here if no worker is alive (or `in_app`)."""
    if in_app:
        with engine.begin() as conn:
            jobs.ensure_job(conn, user_id)
        started = start_thread(engine, settings, user_id, kind=kind, cipher=cipher, trigger=trigger)
        return SyncRequest("app" if started else "already_running",
                           "Syncing now…" if started else "A sync is already running")
    with engine.begin() as conn:
        user = repo.get_user(conn, user_id)
        if user is None or user.token_ciphertext is None or user.token_state != "valid":
            return SyncRequest("refused", "Canvas refused the saved token: reconnect in Settings")
        jobs.ensure_job(conn, user_id)
        accepted = jobs.request_sync(conn, user_id, kind)
        alive = jobs.any_worker_alive(conn)
    if not accepted:
        return SyncRequest("refused", "Canvas refused the saved token: reconnect in Settings")
    if alive:
        return SyncRequest("worker", "Sync requested: the worker picks it up in a moment")
    if start_thread(engine, settings, user_id, kind=kind, cipher=cipher, trigger=trigger):
        return SyncRequest("app", "Syncing now (no worker running, so the app does it)")
    return SyncRequest("already_running", "A sync is already running")


def wait_all(timeout: float = 60.0) -> None:
    """Join every running sync thread (tests, the screenshot script)."""
    with _lock:
        threads = list(_threads.values())
    for thread in threads:
        thread.join(timeout)
