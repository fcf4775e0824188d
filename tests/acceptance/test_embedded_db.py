"""With no DATABASE_URL, every process shares one embedded PostgreSQL under CANVAS_DATA_DIR."""

from __future__ import annotations

import json
import subprocess
import sys
import time

from canvas.simulator import token_for
from tests.conftest import ROOT


def test_cli_processes_share_the_embedded_database(base_env, sim, tmp_path) -> None:
    env = {k: v for k, v in base_env.items() if k != "DATABASE_URL"}
    env["CANVAS_DATA_DIR"] = str(tmp_path / "data")

    def run(*args: str, extra: dict[str, str] | None = None) -> subprocess.Popen[str]:
        return subprocess.Popen([sys.executable, "-m", "canvas", *args], cwd=ROOT, env={**env, **(extra or {})},
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    add = run("users", "add", "--base-url", sim.base_url, "--json", extra={"CANVAS_TOKEN": token_for(1)})
    out, err = add.communicate(timeout=180)  # bounds: a loaded machine makes initdb + start slow
    assert add.returncode == 0, err[-1000:]  # say why before parsing: an empty stdout hides the cause
    assert json.loads(out)["user_id"] == 1, err
    assert (tmp_path / "data" / "pg" / "PG_VERSION").exists()
    assert (tmp_path / "data" / "keys" / "token.keys").exists()

    # A sync and two status readers at the same time, all on the one embedded server.
    sim.set_faults(latency_ms=100)
    procs = [run("sync", "--user", "1", "--json"), run("status", "--user", "1", "--json"),
             run("users", "list", "--json")]
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [r[1][-500:] for r in results]
    assert json.loads(results[0][0])["success"] is True

    last = run("status", "--user", "1", "--json")
    out, err = last.communicate(timeout=180)
    assert last.returncode == 0, err[-1000:]
    status = json.loads(out)
    assert status["state"] == "up_to_date"
    assert status["cached"]["courses"] == len(sim.dataset(1)["courses"])

    # The last process to leave stops the server: nothing keeps running in the background. It stops
    # it on its way out (pg_ctl stop -w), so this only allows for a slow shutdown on a loaded machine.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (tmp_path / "data" / "pg" / "postmaster.pid").exists():
        time.sleep(0.2)
    assert not (tmp_path / "data" / "pg" / "postmaster.pid").exists()
