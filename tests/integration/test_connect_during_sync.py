"""Connecting (or reconnecting) a Canvas account while that user's sync writes its cache.

The connect transaction and the sync's cache transaction both lock the user row and the job row;
they must take them in one order, or PostgreSQL kills one of them with a deadlock (seen when the
Settings page's first sync ran while the same account was pasted again).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from sqlalchemy import Engine, text

from canvas.accounts import Identity, connect_account
from canvas.db import repo
from canvas.simulator import token_for
from canvas.sync import runner

BOB = Identity("https://id.example.edu", "bob")


def _waiting_on_locks(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )).scalar_one())


def _wait_for_waiters(engine: Engine, n: int, what: str, deadline_s: float = 60.0) -> None:
    deadline = time.monotonic() + deadline_s
    while _waiting_on_locks(engine) < n:
        assert time.monotonic() < deadline, f"{what} within {deadline_s:.0f} s"
        time.sleep(0.05)


def _in_thread(fn: Callable[[], object], failures: list[BaseException]) -> threading.Thread:
    def run() -> None:
        try:
            fn()
        except BaseException as exc:  # the test reports it
            failures.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("how", ["pasted", "pasted_for_identity"])
def test_connecting_while_the_first_sync_writes_its_cache_does_not_deadlock(engine, settings, cipher, sim,
                                                                           add_user, how):
    from canvas.dashboard.accounts_ui import connect_pasted_for_identity

    user_id = add_user(sim, 1)

    def reconnect() -> None:
        if how == "pasted":
            connect_account(engine, settings, cipher, base_url=sim.base_url, token=token_for(1))
        else:
            connect_pasted_for_identity(engine, settings, cipher, base_url=sim.base_url, token=token_for(1),
                                        identity=BOB)

    failures: list[BaseException] = []
    # Pause the sync in the middle of its cache transaction (courses written, assignments not yet) by
    # holding a table lock its next INSERT needs; that is where a connect used to cross it.
    gate = engine.connect()
    gate.begin()
    gate.execute(text("LOCK TABLE canvas_assignments_cache IN SHARE MODE"))
    try:
        sync = _in_thread(lambda: runner.sync_user_now(engine, settings, user_id, trigger="app", owner="test",
                                                      cipher=cipher), failures)
        _wait_for_waiters(engine, 1, "the sync reaches its cache write")
        connect = _in_thread(reconnect, failures)
        _wait_for_waiters(engine, 2, "the connect waits for the sync's locks")
    finally:
        gate.rollback()
        gate.close()
    sync.join(60)
    connect.join(60)
    assert not sync.is_alive() and not connect.is_alive()
    # A deadlock kills one of the two transactions (DatabaseError, cause DeadlockDetected).
    assert not failures, [(repr(f), getattr(f, "cause_class", None), getattr(f, "detail", None)) for f in failures]
    with engine.connect() as conn:
        user = repo.get_user(conn, user_id)
        courses = conn.execute(text("SELECT count(*) FROM canvas_courses_cache WHERE user_id = :u"),
                               {"u": user_id}).scalar_one()
    assert user is not None and user.token_state == "valid" and user.token_ciphertext is not None
    assert courses > 0, "the sync's cache write went through"
