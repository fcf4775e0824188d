"""The database layer's boundary: every database failure comes out as `errors.DatabaseError`
(callers above canvas/db never see SQLAlchemy or driver exceptions), bounded transactions stop
waiting for locks, and `listen` hears the worker's wake-up notifications."""

from __future__ import annotations

import socket

import pytest
from sqlalchemy import text

from canvas import errors
from canvas.db import jobs
from canvas.db.engine import make_engine
from canvas.db.session import bounded_transaction, listen
from tests.integration.conftest import new_user


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens there once the socket is closed


def test_an_unreachable_database_is_a_database_error_naming_the_drivers_class() -> None:
    engine = make_engine(f"postgresql+psycopg://nobody@127.0.0.1:{_closed_port()}/nothing")
    try:
        with pytest.raises(errors.DatabaseError) as info, engine.connect():
            pass
    finally:
        engine.dispose()
    assert str(info.value) == "database error: OperationalError"  # what the CLI prints
    assert info.value.cause_class == "OperationalError" and info.value.detail
    assert info.value.__cause__ is not None  # the original stays chained for the log


def test_a_failed_statement_is_a_database_error_and_the_pool_stays_usable(engine) -> None:
    with pytest.raises(errors.DatabaseError) as info, engine.connect() as conn:
        conn.execute(text("SELECT * FROM no_such_table"))
    assert info.value.cause_class == "ProgrammingError"
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar_one() == 1


def test_a_bounded_transaction_gives_up_on_a_held_lock(engine) -> None:
    uid = new_user(engine, 1)
    with engine.begin() as holder:
        holder.execute(text("SELECT 1 FROM users WHERE id = :u FOR UPDATE"), {"u": uid})
        with pytest.raises(errors.DatabaseError) as info, bounded_transaction(engine, lock_timeout_ms=200) as conn:
            conn.execute(text("SELECT 1 FROM users WHERE id = :u FOR UPDATE"), {"u": uid})
    assert info.value.cause_class == "OperationalError" and "lock timeout" in info.value.detail


def test_listen_hears_a_sync_request_and_times_out_without_one(engine) -> None:
    uid = new_user(engine, 1)
    with listen(engine, jobs.NOTIFY_CHANNEL) as notified:
        assert notified(0.2) is False
        with engine.begin() as conn:  # another connection: the notification arrives at commit
            jobs.request_sync(conn, uid, "full")
        assert notified(5.0) is True


def test_listen_on_an_unreachable_database_is_a_database_error() -> None:
    engine = make_engine(f"postgresql+psycopg://nobody@127.0.0.1:{_closed_port()}/nothing")
    try:
        with pytest.raises(errors.DatabaseError), listen(engine, jobs.NOTIFY_CHANNEL):
            pass
    finally:
        engine.dispose()


def test_a_full_pool_is_a_database_error_too(engine) -> None:
    small = make_engine(engine.url, pool_size=1, max_overflow=0, pool_timeout=0.2)
    try:
        with small.connect(), pytest.raises(errors.DatabaseError) as info, small.connect():
            pass
    finally:
        small.dispose()
    assert info.value.cause_class == "TimeoutError"
