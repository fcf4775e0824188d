"""`python -m canvas prune` as an operator runs it: a subprocess against the test database."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine, text

from canvas.db import repo, retention


def seed_history(engine: Engine) -> int:
    """One user with 30 daily runs (their last 20 stay) and three snapshots on one day 20 days ago."""
    with engine.begin() as conn:
        uid = repo.upsert_user(conn, base_url="https://canvas.example.edu", canvas_user_id=1001,
                               name="Student 1", time_zone=None)
        conn.execute(text("""
            INSERT INTO sync_runs (user_id, trigger, worker, started_at, finished_at, outcome)
            SELECT :u, 'schedule', 'w1', now() - make_interval(days => d, hours => 1),
                   now() - make_interval(days => d, hours => 1) + interval '1 minute', 'success'
              FROM generate_series(0, 29) d
        """), {"u": uid})
        conn.execute(text("""
            INSERT INTO course_score_snapshots (user_id, course_id, taken_at, current_score)
            SELECT :u, 7, date_trunc('day', now(), 'UTC') - interval '20 days' + make_interval(hours => h), h
              FROM generate_series(1, 3) h
        """), {"u": uid})
    return uid


def counts(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return (conn.execute(text("SELECT count(*) FROM sync_runs")).scalar_one(),
                conn.execute(text("SELECT count(*) FROM course_score_snapshots")).scalar_one())


def test_dry_run_says_what_would_go_then_prune_removes_exactly_that(cli, engine) -> None:
    seed_history(engine)
    out = cli("prune", "--dry-run", "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["ran"] is True and doc["dry_run"] is True
    assert doc["tables"] == {"course_score_snapshots": 2, "sync_runs": 10, "oauth_states": 0, "change_events": 0,
                             "notify_outbox": 0, "worker_heartbeats": 0, "course_prefs": 0}
    assert counts(engine) == (30, 3), "a dry run deletes nothing"

    out = cli("prune")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("Retention: sync runs older than 14 days")
    assert any(line.split() == ["sync_runs", "10", "deleted"] for line in lines), out.stdout
    assert any(line.split() == ["course_score_snapshots", "2", "deleted"] for line in lines), out.stdout
    assert lines[-1].startswith("12 row(s) deleted")
    assert counts(engine) == (20, 1)


def test_prune_while_a_worker_prunes_does_nothing_and_says_so(cli, engine) -> None:
    seed_history(engine)
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": retention.LOCK_KEY})
        try:
            out = cli("prune")
            as_json = cli("prune", "--json")
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": retention.LOCK_KEY})
    assert out.returncode == 0, out.stderr
    assert "Another process" in out.stdout and "nothing done" in out.stdout
    assert json.loads(as_json.stdout)["ran"] is False
    assert counts(engine) == (30, 3)


@pytest.mark.parametrize(("args", "env", "needle"), [
    (("--batch-size", "0"), {}, "--batch-size"),
    ((), {"CANVAS_RETAIN_SYNC_RUNS_DAYS": "0"}, "CANVAS_RETAIN_SYNC_RUNS_DAYS"),
    ((), {"CANVAS_RETAIN_SYNC_RUNS_PER_USER": "many"}, "CANVAS_RETAIN_SYNC_RUNS_PER_USER"),
    ((), {"CANVAS_RETAIN_SCORE_HISTORY_DAYS": "7"}, "CANVAS_RETAIN_SCORE_HISTORY_DAYS"),
])
def test_bad_input_is_one_line_and_exit_2(cli, engine, args, env, needle) -> None:
    seed_history(engine)
    out = cli("prune", *args, env=env)
    assert out.returncode == 2
    assert len(out.stderr.strip().splitlines()) == 1 and needle in out.stderr, out.stderr
    assert counts(engine) == (30, 3)


def test_help_states_the_batch_size_the_command_uses(cli) -> None:
    out = cli("prune", "--help")
    assert out.returncode == 0
    assert f"(default {retention.BATCH_SIZE})" in " ".join(out.stdout.split())
