"""Driving a simulator over HTTP (/__sim/*) and from the command line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from canvas.simulator import Simulator, token_for

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(port=0, seed=1) as s:
        yield s


def api(sim: Simulator, path: str, n: int = 1) -> requests.Response:
    return requests.get(f"{sim.base_url}/api/v1{path}", headers={"Authorization": f"Bearer {token_for(n)}"},
                        params={"per_page": "5"}, timeout=5)


def control(sim: Simulator, method: str, path: str, body: object = None) -> requests.Response:
    return requests.request(method, f"{sim.base_url}/__sim/{path}", json=body, timeout=5)


def test_stats_count_requests_without_leaking_tokens(sim: Simulator) -> None:
    api(sim, "/courses")
    api(sim, "/courses", n=2)
    requests.get(f"{sim.base_url}/api/v1/courses", headers={"Authorization": "Bearer secret-xyz"}, timeout=5)
    requests.get(f"{sim.base_url}/api/v1/courses", params={"access_token": "secret-in-query", "include[]": "term"},
                 timeout=5)
    control(sim, "GET", "stats")  # control traffic is not counted
    stats = control(sim, "GET", "stats").json()
    assert stats["requests"] == 4 and stats["throttled"] == 0 and stats["bytes"] > 0
    assert stats["by_token"] == {"user:1": 1, "user:2": 1, "invalid": 2}
    # the query is logged as sent (tests check a plan's include[]s), a token in it never
    assert stats["log"][0] == {"method": "GET", "path": "/api/v1/courses", "status": 200, "user": 1,
                               "query": [["per_page", "5"]]}
    assert stats["log"][2]["status"] == 401 and stats["log"][2]["user"] is None
    assert stats["log"][3]["query"] == [["include[]", "term"]]
    text = json.dumps(stats)
    assert "canvas-sim-token" not in text and "secret-xyz" not in text and "secret-in-query" not in text
    assert control(sim, "POST", "reset_stats").json() == {"ok": True}
    assert sim.stats()["requests"] == 0 and sim.stats()["log"] == []


def test_faults_over_http(sim: Simulator) -> None:
    r = control(sim, "POST", "faults", {"fail": [{"path": "/courses$", "status": 502, "times": 1}]})
    assert r.status_code == 200 and r.json()["faults"]["fail"][0]["times"] == 1
    assert api(sim, "/courses").status_code == 502
    assert api(sim, "/courses").status_code == 200
    control(sim, "POST", "faults", {"revoke": [1]})
    assert api(sim, "/courses").status_code == 401
    control(sim, "POST", "faults", {"clear": True})
    assert api(sim, "/courses").status_code == 200
    assert control(sim, "POST", "faults", {"nope": 1}).status_code == 400


def test_mutate_and_dataset_over_http(sim: Simulator) -> None:
    r = control(sim, "POST", "mutate", {"user": 1, "op": "rename_course", "course_id": 10001, "name": "Renamed"})
    assert r.json() == {"ok": True, "result": None}
    data = control(sim, "GET", "dataset/1").json()
    assert data == json.loads(json.dumps(sim.dataset(1)))  # course-id keys become strings in JSON
    assert data["courses"][0]["name"] == "Renamed"
    group_id = data["assignment_groups"]["10001"][0]["id"]
    r = control(sim, "POST", "mutate", {"user": 1, "op": "add_assignment", "course_id": 10001,
                                        "group_id": group_id, "name": "New", "points_possible": 10})
    assert isinstance(r.json()["result"], int)
    assert control(sim, "POST", "mutate", {"user": 1, "op": "explode"}).status_code == 400
    assert control(sim, "POST", "mutate", {"op": "grade"}).status_code == 400
    assert control(sim, "GET", "dataset/0").status_code == 400
    assert control(sim, "GET", "nothing").status_code == 404
    info = control(sim, "GET", "info").json()
    assert info["base_url"] == sim.base_url and info["demo_token"] == token_for(1)


def test_cli_serves_until_sigterm() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    code = "from canvas.simulator.cli import main; raise SystemExit(main(['--port', '0', '--seed', '3']))"
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stderr.readline()
        assert line.startswith("Simulated Canvas at http://127.0.0.1:") and "demo token: canvas-sim-token-1" in line
        base_url = line.split(" at ")[1].split(" ")[0]
        r = requests.get(f"{base_url}/api/v1/users/self", headers={"Authorization": f"Bearer {token_for(1)}"},
                         timeout=5)
        assert r.status_code == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()


def test_stop_really_stops_and_start_reuses_the_port() -> None:
    sim = Simulator(port=0, seed=1).start()
    with requests.Session() as session:  # keep-alive: the pooled connection must not outlive stop()
        session.headers["Authorization"] = f"Bearer {token_for(1)}"
        url = f"{sim.base_url}/api/v1/users/self"
        assert session.get(url, timeout=5).status_code == 200
        sim.stop()
        with pytest.raises(requests.ConnectionError):
            session.get(url, timeout=5)
        sim.start()
        try:
            assert sim.base_url in url and session.get(url, timeout=5).status_code == 200
        finally:
            sim.stop()
