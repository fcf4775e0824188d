"""Shared fixtures: a real PostgreSQL, the simulated Canvas over HTTP, the CLI as a subprocess.

Database: with DATABASE_URL set (CI's second pass: the machine's server at 127.0.0.1:5432) a fresh
database is created on that server for the session; without it an embedded PostgreSQL is started
in a temporary directory, exactly like the app does. Tables are emptied before every test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
_SERVER_URL = os.environ.get("DATABASE_URL")  # read before the environment is scrubbed
for _var in [v for v in os.environ if v.startswith("CANVAS_") or v == "DATABASE_URL"]:
    del os.environ[_var]


@pytest.fixture(scope="session")
def session_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="canvas-tests-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_url(session_dir: Path) -> Iterator[str]:
    from canvas.db.scratch import ScratchServer

    with ScratchServer(session_dir, _SERVER_URL) as server:
        yield server.new_database("canvas_test")


@pytest.fixture(scope="session")
def base_env(pg_url: str, session_dir: Path) -> dict[str, str]:
    """Environment for subprocesses (CLI, worker): the test database, fast retries, loopback allowed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CANVAS_") and k != "DATABASE_URL"}
    env.update({
        "DATABASE_URL": pg_url,
        "CANVAS_DATA_DIR": str(session_dir / "data"),
        "CANVAS_ALLOWED_HOSTS": "127.0.0.1",
        "CANVAS_RETRY_BACKOFF_MS": "20",
        "CANVAS_DEMO_PORT": "0",  # the demo's simulator on any free port, never a developer's 8765
        "PYTHONPATH": str(ROOT),
        "XDG_RUNTIME_DIR": env.get("XDG_RUNTIME_DIR", "/tmp"),
    })
    return env


@pytest.fixture(scope="session")
def settings(base_env: dict[str, str]):
    from canvas.config import load_settings

    return load_settings(database_url=base_env["DATABASE_URL"], data_dir=Path(base_env["CANVAS_DATA_DIR"]),
                         allowed_hosts=("127.0.0.1",), retry_backoff_ms=20)


@pytest.fixture(scope="session")
def _migrated(settings):
    from canvas.db.engine import get_engine

    return get_engine(settings)


@pytest.fixture
def engine(_migrated):
    """The migrated test database, emptied before the test."""
    with _migrated.begin() as conn:
        names = conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
        )).scalars().all()
        conn.execute(text("TRUNCATE " + ", ".join(f'"{n}"' for n in names) + " RESTART IDENTITY CASCADE"))
    return _migrated


@pytest.fixture
def cipher(settings):
    from canvas.crypto import TokenCipher

    return TokenCipher.from_settings(settings)


@pytest.fixture
def sim() -> Iterator:
    from canvas.simulator import Simulator

    with Simulator(port=0, seed=1) as s:
        yield s


@pytest.fixture
def add_user(engine, settings, cipher):
    """add_user(sim, n=1) -> user id: connect simulated student n the way `users add` does."""
    from canvas.accounts import connect_account
    from canvas.simulator import token_for

    def _add(simulator, n: int = 1) -> int:
        return connect_account(engine, settings, cipher, base_url=simulator.base_url, token=token_for(n)).user_id

    return _add


@pytest.fixture
def cli(base_env: dict[str, str]):
    """cli("sync", "--user", "1", "--json", env={...}, input="...") -> CompletedProcess (never raises)."""

    def _run(*args: str, env: dict[str, str] | None = None, input: str | None = None,
             timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "canvas", *args], cwd=ROOT, env={**base_env, **(env or {})},
                              input=input, capture_output=True, text=True, timeout=timeout)

    return _run
