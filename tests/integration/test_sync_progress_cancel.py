"""Progress and Cancel go through PostgreSQL: the run writes courses done of courses on its
sync_runs row and stops soon after the row's cancel flag is set (from any process)."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text

from canvas import errors
from canvas.db import progress
from canvas.sync.runner import sync_user_now


def test_progress_is_what_arrived(engine, settings, cipher, sim, add_user) -> None:
    user_id = add_user(sim, 1)
    seen: list[tuple[int, int | None]] = []
    stop = threading.Event()

    def watch() -> None:  # what the dashboard would read while the run goes
        while not stop.is_set():
            with engine.connect() as conn:
                run = progress.running_progress(conn, user_id=user_id)
            if run is not None:
                seen.append((run["progress_done"], run["progress_total"]))
            time.sleep(0.02)

    sim.set_faults(latency_ms=150)  # slow enough to watch six courses arrive
    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        sync_user_now(engine, settings, user_id, trigger="cli", owner="test", cipher=cipher)
    finally:
        stop.set()
        watcher.join(5)
    totals = {t for _, t in seen if t is not None}
    assert totals == {6}
    dones = [d for d, t in seen if t is not None]
    assert dones == sorted(dones) and 0 < len(set(dones)) and max(dones) <= 6
    with engine.connect() as conn:
        row = conn.execute(text("SELECT progress_done, progress_total FROM sync_runs")).one()
    assert tuple(row) == (6, 6)


def test_cancel_from_another_connection_stops_a_hung_sync_and_is_not_a_failure(engine, settings, cipher, sim,
                                                                                add_user) -> None:
    user_id = add_user(sim, 1)
    sim.set_faults(fail=[{"path": "/api/v1/courses", "status": "timeout", "seconds": 60}])
    outcome: dict[str, BaseException] = {}

    def run() -> None:
        try:
            sync_user_now(engine, settings, user_id, trigger="app", owner="test", cipher=cipher)
        except BaseException as exc:
            outcome["exc"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 10
    while True:
        with engine.begin() as conn:
            if progress.request_cancel(conn, user_id=user_id):
                break
        assert time.monotonic() < deadline, "the run never started"
        time.sleep(0.05)
    asked = time.monotonic()
    thread.join(10)
    assert not thread.is_alive()
    assert time.monotonic() - asked < 3.0  # polled about once a second, not after the 30 s request timeout
    assert isinstance(outcome.get("exc"), errors.CancelRequested)
    with engine.connect() as conn:
        run_row = conn.execute(text("SELECT outcome, error_class FROM sync_runs")).one()
        job = conn.execute(text("SELECT state, attempt, last_error, requested_at, due_at > now() + interval '1 hour' "
                                "FROM sync_jobs")).one()
        cached = conn.execute(text("SELECT count(*) FROM canvas_courses_cache")).scalar_one()
    assert tuple(run_row) == ("abandoned", "CancelRequested")
    # not an error the student has to read, not retried at once (they just stopped it)
    assert tuple(job) == ("idle", 0, None, None, True)
    assert cached == 0


@pytest.mark.parametrize("fault", [{"status": "timeout", "seconds": 60}])
def test_hung_canvas_fails_at_the_deadline(engine, settings, cipher, sim, add_user, fault) -> None:
    user_id = add_user(sim, 1)
    sim.set_faults(fail=[{"path": "/api/v1/", **fault}])
    started = time.monotonic()
    with pytest.raises(errors.SyncTimedOut):
        sync_user_now(engine, settings.model_copy(update={"sync_deadline_s": 2.0}), user_id, trigger="cli",
                      owner="test", cipher=cipher)
    assert time.monotonic() - started < 3.5
