"""scripts/run.sh as a service manager uses it: SIGTERM stops everything it started, and a busy
port gets a message that says how to pick another (PORT)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.support.launch import free_port

ROOT = Path(__file__).resolve().parents[2]


def _marked(marker: str) -> list[tuple[int, str]]:
    """Every live process whose environment carries the marker (so: started by this run.sh)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker.encode() not in (entry / "environ").read_bytes():
                continue
            stat = (entry / "stat").read_text()
            if stat.rsplit(")", 1)[1].split()[0] == "Z":
                continue  # a zombie is already dead (only waiting for its parent to read the status)
            found.append((int(entry.name), (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()[:120]))
        except OSError:
            continue
    return found


def _env(tmp_path: Path, marker: str, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CANVAS_") and k != "DATABASE_URL"}
    env.update({"PORT": str(port), "CANVAS_DATA_DIR": str(tmp_path / "data"), "CANVAS_RUN_MARKER": marker,
                "XDG_RUNTIME_DIR": env.get("XDG_RUNTIME_DIR", "/tmp")})
    return env


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc")
def test_sigterm_stops_everything_run_sh_started(tmp_path: Path) -> None:
    marker = f"i13-{uuid.uuid4().hex}"
    port = free_port()
    log = open(tmp_path / "run.log", "wb")
    proc = subprocess.Popen(["bash", "scripts/run.sh"], cwd=ROOT, env=_env(tmp_path, marker, port),
                            stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:  # the UI answers, and the worker is up (it starts the embedded PostgreSQL)
            assert proc.poll() is None, (tmp_path / "run.log").read_text()[-2000:]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1) as r:
                    up = r.status == 200
            except OSError:
                up = False
            commands = " ".join(cmd for _, cmd in _marked(marker))
            if up and "sync_worker.py" in commands and "postgres" in commands:
                break
            assert time.monotonic() < deadline, f"did not start: {commands}"
            time.sleep(0.5)
        started = _marked(marker)
        assert len(started) >= 3

        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)  # the script itself returns within a few seconds
        time.sleep(10)  # then nothing it started may still be running 10 s later
        left = _marked(marker)
        assert left == [], f"still running after SIGTERM: {left}"
        assert proc.returncode == 143
        with socket.socket() as s:  # and the port is free for the next start (as a server binds it)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", port))
    finally:
        log.close()
        for pid, _ in _marked(marker):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


def test_busy_port_says_how_to_choose_another(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        res = subprocess.run(["bash", "scripts/run.sh"], cwd=ROOT, env=_env(tmp_path, "busy", port),
                             capture_output=True, text=True, timeout=60)
    assert res.returncode == 1
    assert f"Port {port} is already in use" in res.stderr and "PORT=8502 bash scripts/run.sh" in res.stderr
