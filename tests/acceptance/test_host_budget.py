"""The school's request budget toward its Canvas (CANVAS_HOST_MAX_RPS), shared by worker replicas.

Three `sync_worker.py --once` processes sync the same school against one simulated Canvas; the
rate is measured where the institution sees it, at the simulated host (request arrival times).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from bench.worker_scale import add_users, max_in_window

ROOT = Path(__file__).resolve().parents[2]
RATE = 8.0
USERS = 24
COURSES = 2  # C + 2 or 3 requests per user: ~100 requests, ~13 s at 8 per second


def _run_fleet(base_env: dict[str, str], tmp_path: Path, extra: dict[str, str], workers: int = 3) -> list[int]:
    env = {**base_env, "CANVAS_LOG_LEVEL": "INFO", "CANVAS_SYNC_BATCH_SIZE": "3", **extra}
    logs = [(tmp_path / f"worker-{i}.log").open("w") for i in range(workers)]
    procs = [subprocess.Popen([sys.executable, "sync_worker.py", "--once"], cwd=ROOT, env=env, stdout=log,
                              stderr=subprocess.STDOUT) for log in logs]
    try:
        codes = [p.wait(timeout=120) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
        for log in logs:
            log.close()
    return codes


@pytest.fixture
def school(engine, settings):
    from canvas.simulator import Simulator

    with Simulator(port=0, seed=1, latency_ms=50, courses_per_user=COURSES, max_users=USERS + 1) as sim:
        ids = add_users(engine, settings, sim, USERS)
        sim.reset_stats()
        yield sim, ids


def _runs(engine) -> tuple[set[int], dict[str, int]]:
    with engine.connect() as conn:
        ok = set(conn.execute(text("SELECT user_id FROM sync_runs WHERE outcome = 'success'")).scalars())
        per = dict(conn.execute(text("SELECT worker, count(*) FROM sync_runs GROUP BY worker")).all())
    return ok, per


@pytest.mark.parametrize("batch", [1, 4])
def test_three_workers_stay_within_the_school_budget_and_every_student_is_synced(
        engine, base_env, tmp_path, school, batch) -> None:
    sim, ids = school
    codes = _run_fleet(base_env, tmp_path, {"CANVAS_HOST_MAX_RPS": str(RATE),
                                            "CANVAS_HOST_PERMIT_BATCH": str(batch)})
    assert codes == [0, 0, 0], [p.read_text() for p in tmp_path.glob("worker-*.log")]
    arrivals = sim.arrivals()
    with engine.connect() as conn:  # every request the workers sent reached the host (none lost, none extra)
        assert len(arrivals) == conn.execute(text("SELECT sum(requests) FROM sync_runs")).scalar_one()
    assert len(arrivals) >= USERS * (COURSES + 2)
    # Canvas's view: no second-long window holds more than the budget (+3: a slot's edge, and the
    # delay between a permit and its arrival on a loaded machine), and the run averages under it.
    assert max_in_window(arrivals, 1.0) <= RATE + 3, sim.stats()["per_second"]
    span = arrivals[-1] - arrivals[0]
    assert (len(arrivals) - 1) / span <= RATE * 1.05
    # Nobody starves: every student synced once, and every replica got its share of the budget.
    synced, per_worker = _runs(engine)
    assert synced == set(ids)
    assert len(per_worker) == 3 and min(per_worker.values()) >= USERS // 6, per_worker


def test_without_a_budget_the_same_fleet_goes_past_it(engine, base_env, tmp_path, school) -> None:
    """The measurement can fail: unbudgeted, the same three workers send faster than the budget."""
    sim, ids = school
    assert _run_fleet(base_env, tmp_path, {}) == [0, 0, 0]
    assert max_in_window(sim.arrivals(), 1.0) > RATE + 3
    assert _runs(engine)[0] == set(ids)


def test_one_off_syncs_from_the_cli_wait_for_the_same_budget(engine, base_env, tmp_path, school) -> None:
    """`python -m canvas sync` (and the app's "Sync now" with no worker) run outside the worker, but
    they reach the same Canvas: six at once hold the school's rate as the workers do."""
    sim, ids = school
    rate, chosen = 4.0, ids[:6]
    env = {**base_env, "CANVAS_HOST_MAX_RPS": str(rate)}
    procs = [subprocess.Popen([sys.executable, "-m", "canvas", "sync", "--user", str(uid)], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for uid in chosen]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 6, [err for _, err in results]
    arrivals = sim.arrivals()
    assert len(arrivals) >= 6 * (COURSES + 2)
    assert max_in_window(arrivals, 1.0) <= rate + 3, sim.stats()["per_second"]
    assert (len(arrivals) - 1) / (arrivals[-1] - arrivals[0]) <= rate * 1.05
    assert _runs(engine)[0] == set(chosen)
