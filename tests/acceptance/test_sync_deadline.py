"""A hung Canvas: the sync gives up at its overall deadline, fails, and leaves the cache whole.

The CLI runs as a subprocess against the simulated Canvas over HTTP and the real PostgreSQL; the
simulator's "timeout" fault accepts every request and answers nothing for 60 s.
"""

from __future__ import annotations

import json
import time

from sqlalchemy import text

from tests.acceptance.test_cli_data_path import export, synced

DEADLINE_S = 4.0


def test_sync_against_a_hung_canvas_fails_within_the_deadline_and_keeps_the_cache(cli, sim, engine) -> None:
    user_id = synced(cli, sim)
    before = export(cli, user_id)
    sim.set_faults(fail=[{"path": "/api/v1/", "status": "timeout", "seconds": 60}])

    started = time.monotonic()
    res = cli("sync", "--user", str(user_id), "--json", env={"CANVAS_SYNC_DEADLINE_SECONDS": str(DEADLINE_S)},
              timeout=60)
    wall = time.monotonic() - started

    assert res.returncode == 1, res.stderr
    doc = json.loads(res.stdout)
    assert doc["results"][0]["success"] is False if "results" in doc else doc.get("error")
    # The request timeout is 30 s: only the deadline can have ended this run (process start included).
    assert wall < DEADLINE_S + 10, wall
    with engine.connect() as conn:
        run = conn.execute(text("""
            SELECT outcome, error_class, requests, extract(epoch FROM finished_at - started_at) AS secs
              FROM sync_runs WHERE user_id = :u ORDER BY id DESC LIMIT 1"""), {"u": user_id}).one()
        job = conn.execute(text("SELECT state, last_error, attempt, due_at > now() AS later FROM sync_jobs "
                                "WHERE user_id = :u"), {"u": user_id}).one()
    assert run.outcome == "failed" and run.error_class == "SyncTimedOut"
    assert run.secs <= DEADLINE_S + 1.5, run.secs
    assert run.requests >= 1  # the request that got no answer is counted
    assert (job.state, job.last_error, job.attempt, job.later) == ("idle", "SyncTimedOut", 1, True)
    assert "❌" in res.stderr and "too slow" in res.stderr  # the console line, in plain words

    sim.set_faults(clear=True)
    assert export(cli, user_id) == before  # the cache is exactly what the last good sync left
