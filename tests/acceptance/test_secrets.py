"""A token never leaks: not into logs, stderr, exception text, JSON output or a database dump."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from canvas.simulator import token_for

TOKEN = token_for(1)


@pytest.mark.parametrize("fault", [
    {"fail": [{"path": "/api/v1/courses$", "status": 500, "times": None}]},
    {"fail": [{"path": "/api/v1/courses$", "status": "malformed", "times": None}]},
    {"fail": [{"path": "/api/v1/courses$", "status": "timeout", "seconds": 3, "times": None}]},
    {"revoke": [1]},
], ids=["500", "malformed-json", "timeout", "revoked-401"])
def test_failed_sync_at_debug_leaks_no_token(cli, sim, engine, fault) -> None:
    added = cli("users", "add", "--base-url", sim.base_url, "--json", env={"CANVAS_TOKEN": TOKEN})
    user_id = json.loads(added.stdout)["user_id"]
    sim.set_faults(**fault)
    res = cli("sync", "--user", str(user_id), "--json",
              env={"CANVAS_LOG_LEVEL": "DEBUG", "CANVAS_REQUEST_TIMEOUT": "0.5"})
    assert res.returncode == 1
    assert "Traceback" not in res.stderr
    assert TOKEN not in res.stdout and TOKEN not in res.stderr
    assert json.loads(res.stdout)["success"] is False
    with engine.connect() as conn:
        for table in ("users", "sync_runs", "sync_jobs", "canvas_courses_cache", "canvas_assignments_cache"):
            dump = conn.execute(text(f"SELECT coalesce(string_agg(t::text, ''), '') FROM {table} t")).scalar_one()
            assert TOKEN not in dump, table


def test_keys_rotate_reencrypts_and_sync_still_works(cli, sim, engine) -> None:
    added = cli("users", "add", "--base-url", sim.base_url, "--json", env={"CANVAS_TOKEN": TOKEN})
    user_id = json.loads(added.stdout)["user_id"]
    with engine.connect() as conn:
        before = conn.execute(text("SELECT token_ciphertext FROM users")).scalar_one()
    out = cli("keys", "rotate", "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["rotated"] == 1
    with engine.connect() as conn:
        after = conn.execute(text("SELECT token_ciphertext FROM users")).scalar_one()
    assert bytes(after) != bytes(before)
    assert cli("sync", "--user", str(user_id), "--json").returncode == 0


def test_ciphertext_copied_to_another_user_makes_them_reconnect(cli, sim, engine) -> None:
    a = json.loads(cli("users", "add", "--base-url", sim.base_url, "--json",
                       env={"CANVAS_TOKEN": token_for(1)}).stdout)["user_id"]
    b = json.loads(cli("users", "add", "--base-url", sim.base_url, "--json",
                       env={"CANVAS_TOKEN": token_for(2)}).stdout)["user_id"]
    with engine.begin() as conn:
        conn.execute(text("UPDATE users SET token_ciphertext = (SELECT token_ciphertext FROM users WHERE id = :a) "
                          "WHERE id = :b"), {"a": a, "b": b})
    sim.reset_stats()
    res = cli("sync", "--user", str(b), "--json")
    assert res.returncode == 1
    assert sim.stats()["requests"] == 0  # never sent A's token on B's behalf
    status = json.loads(cli("status", "--user", str(b), "--json").stdout)
    assert status["state"] == "error" and "Settings" in status["error"]
