"""Transactions with bounded waits, and LISTEN for the worker's wake-ups.

* `bounded_transaction`: `engine.begin()` plus PostgreSQL's per-transaction timeouts, so a process
  paused or cut off inside it (or stuck behind a lock) can't hold other processes up for longer
  than the caller's budget.
* `listen`: a dedicated autocommit connection LISTENing on a channel; driver errors come out as
  `DatabaseError`, like every other database error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg
from sqlalchemy import Connection, Engine, text

from canvas.db.engine import APPLICATION_NAME, database_error


def set_local_timeouts(conn: Connection, *, lock_timeout_ms: int | None = None,
                       idle_timeout_ms: int | None = None) -> None:
    """For the rest of this transaction: give up waiting for a lock after `lock_timeout_ms`; end the
    session if it sits idle inside the transaction for `idle_timeout_ms` (which frees its locks)."""
    settings = {"lock_timeout": lock_timeout_ms, "idle_in_transaction_session_timeout": idle_timeout_ms}
    for name, ms in settings.items():
        if ms is not None:
            conn.execute(text("SELECT set_config(:name, :ms, true)"), {"name": name, "ms": str(int(ms))})


@contextmanager
def bounded_transaction(engine: Engine, *, lock_timeout_ms: int | None = None,
                        idle_timeout_ms: int | None = None) -> Iterator[Connection]:
    """`engine.begin()` with the timeouts of `set_local_timeouts` set first."""
    with engine.begin() as conn:
        set_local_timeouts(conn, lock_timeout_ms=lock_timeout_ms, idle_timeout_ms=idle_timeout_ms)
        yield conn


@contextmanager
def listen(engine: Engine, channel: str) -> Iterator[Callable[[float], bool]]:
    """LISTEN on `channel` over its own connection (outside the pool: it stays open for hours).

    Yields `wait(timeout_s) -> bool`: True when a notification arrived within the timeout. Raises
    DatabaseError when the connection can't be made or breaks; the caller reconnects."""
    if not channel.isidentifier():
        raise ValueError(f"not a channel name: {channel!r}")
    cargs, cparams = engine.dialect.create_connect_args(engine.url)
    cparams = {k: v for k, v in cparams.items() if k != "context"}
    cparams.update(autocommit=True, connect_timeout=10, application_name=APPLICATION_NAME)

    def wait(timeout_s: float) -> bool:
        try:
            return any(True for _ in conn.notifies(timeout=timeout_s, stop_after=1))
        except psycopg.Error as exc:
            raise database_error(exc) from exc

    try:
        conn = psycopg.connect(*cargs, **cparams)
    except psycopg.Error as exc:
        raise database_error(exc) from exc
    try:
        try:
            conn.execute(f"LISTEN {channel}")
        except psycopg.Error as exc:
            raise database_error(exc) from exc
        yield wait
    finally:
        conn.close()
