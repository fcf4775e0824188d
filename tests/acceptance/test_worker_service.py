"""sync_worker.py as an operator runs it: real worker subprocesses, real PostgreSQL, the simulated
Canvas over HTTP. Faults are real too: SIGKILL, SIGSTOP/SIGCONT, SIGTERM, pg_terminate_backend.

Every assertion is something a user or an operator would notice: how often Canvas was asked, what
the cache holds, what the run history and the job row say, how the process exits.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text

from canvas.db.jobs import NOTIFY_CHANNEL

ROOT = Path(__file__).resolve().parents[2]
LEASE = 2  # seconds: short leases keep the takeover tests fast


# -- helpers -----------------------------------------------------------------------------------
class WorkerProc:
    """One `python sync_worker.py ...` subprocess with its log in a file (no pipe to fill up)."""

    def __init__(self, base_env: dict[str, str], log_dir: Path, name: str, args: tuple[str, ...],
                 env: dict[str, str] | None) -> None:
        self.name = name
        self.log_path = log_dir / f"worker-{name}.log"
        self._log = self.log_path.open("w")
        full_env = {**base_env, "CANVAS_SYNC_LEASE_SECONDS": str(LEASE), **(env or {})}
        self.proc = subprocess.Popen([sys.executable, "sync_worker.py", *args], cwd=ROOT, env=full_env,
                                     stdout=self._log, stderr=subprocess.STDOUT)
        self.started = time.monotonic()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def send(self, sig: signal.Signals) -> None:
        os.kill(self.proc.pid, sig)

    def wait(self, timeout: float) -> int:
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"worker {self.name} still running after {timeout}s:\n{self.log()}") from None

    def log(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text()

    def close(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGCONT)  # a stopped process must be able to die
            self.proc.kill()
            self.proc.wait(10)
        self._log.close()


@pytest.fixture
def worker(base_env: dict[str, str], tmp_path: Path) -> Iterator[Callable[..., WorkerProc]]:
    """worker(*args, env={...}, name="a") starts `sync_worker.py args` against the test database."""
    started: list[WorkerProc] = []

    def _start(*args: str, env: dict[str, str] | None = None, name: str | None = None) -> WorkerProc:
        w = WorkerProc(base_env, tmp_path, name or str(len(started) + 1), args, env)
        started.append(w)
        return w

    yield _start
    for w in started:
        w.close()
    for w in started:  # whatever happened, no token reached a log line
        text_ = w.log()
        assert "canvas-sim-token" not in text_ and "Bearer " not in text_, w.name


def wait_for(cond: Callable[[], Any], timeout: float, what: str, every: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = cond()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def q(engine: Engine, sql: str, **params: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(text(sql), params).all())


def q1(engine: Engine, sql: str, **params: Any) -> Any:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).one()


def job(engine: Engine, user_id: int) -> Any:
    return q1(engine, "SELECT * FROM sync_jobs WHERE user_id = :u", u=user_id)


def runs(engine: Engine, user_id: int | None = None) -> list[Any]:
    where = "" if user_id is None else "WHERE user_id = :u"
    return q(engine, f"SELECT * FROM sync_runs {where} ORDER BY id", u=user_id)


def sim_view(sim: Any, n: int) -> tuple[dict[int, str], dict[int, tuple[str, Any]]]:
    """What Canvas holds for student n: course names, and each assignment's name and score."""
    data = sim.dataset(n)
    courses = {c["id"]: c["name"] for c in data["courses"]}
    assignments = {a["id"]: (a["name"], (a.get("submission") or {}).get("score"))
                   for groups in data["assignment_groups"].values() for g in groups for a in g["assignments"]}
    return courses, assignments


def cache_view(engine: Engine, user_id: int) -> tuple[dict[int, str], dict[int, tuple[str, Any]]]:
    """The same, from the cache (the raw JSON the cache kept), in one snapshot."""
    with engine.connect() as conn:
        courses = conn.execute(text("SELECT canvas_id, name FROM canvas_courses_cache WHERE user_id = :u"),
                               {"u": user_id}).all()
        assignments = conn.execute(text("SELECT canvas_id, raw FROM canvas_assignments_cache WHERE user_id = :u"),
                                   {"u": user_id}).all()
    return ({int(c.canvas_id): c.name for c in courses},
            {int(a.canvas_id): (a.raw["name"], (a.raw.get("submission") or {}).get("score")) for a in assignments})


def first_sync_requests(sim: Any, n: int) -> int:
    """A user's first sync: profile + active courses + the concluded listing (read once) + one per course."""
    return len(sim.dataset(n)["courses"]) + 3


def requests_by_user(sim: Any) -> Counter[int]:
    return Counter(e["user"] for e in sim.stats()["log"] if e["user"] is not None)


def change_canvas(sim: Any, n: int, tag: str) -> None:
    """A teacher renames a course and adds an assignment: the new data differs in both tables."""
    data = sim.dataset(n)
    course = data["courses"][0]
    group = data["assignment_groups"][course["id"]][0]
    sim.mutate(n, "rename_course", course_id=course["id"], name=f"{course['name']} ({tag})")
    sim.mutate(n, "add_assignment", course_id=course["id"], group_id=group["id"], name=f"Quiz {tag}",
               points_possible=10)


def make_due(engine: Engine, *user_ids: int) -> None:
    """As if the users' last good sync were long ago (the schedule makes them due)."""
    with engine.begin() as conn:
        conn.execute(text("UPDATE sync_jobs SET due_at = now() - interval '1 second', "
                          "last_ok_at = now() - interval '1 day' WHERE user_id = ANY(:u)"),
                     {"u": list(user_ids)})


@pytest.fixture
def users(sim: Any, add_user: Callable[..., int], engine: Engine) -> Callable[[int], dict[int, int]]:
    """users(k) -> {user_id: student n}: k generated students (8 courses each), due at once."""

    def _make(k: int) -> dict[int, int]:
        out = {add_user(sim, n): n for n in range(2, k + 2)}
        sim.reset_stats()
        return out

    return _make


# -- claims: each user once ---------------------------------------------------------------------
@pytest.mark.slow
def test_two_workers_started_at_once_sync_each_user_exactly_once(worker, users, sim, engine) -> None:
    ids = users(20)
    sim.set_faults(latency_ms=100)  # ~0.5 s per user: both workers are surely busy at the same time
    a = worker("--once", env={"CANVAS_SYNC_BATCH_SIZE": "3"}, name="a")
    b = worker("--once", env={"CANVAS_SYNC_BATCH_SIZE": "3"}, name="b")
    assert a.wait(90) == 0, a.log()
    assert b.wait(90) == 0, b.log()

    all_runs = runs(engine)
    per_user = Counter(r.user_id for r in all_runs)
    assert per_user == Counter(dict.fromkeys(ids, 1)), "each due user runs exactly once in the round"
    assert {r.outcome for r in all_runs} == {"success"}
    workers = Counter(r.worker for r in all_runs)
    assert len(workers) == 2, f"both workers shared the round: {workers}"
    # Canvas saw exactly one sync's worth of requests per user: a first sync each.
    seen = requests_by_user(sim)
    for uid, n in ids.items():
        assert seen[n] == first_sync_requests(sim, n), f"user {uid} (student {n})"
        assert cache_view(engine, uid) == sim_view(sim, n)
    fences = {r.user_id: r.fence for r in q(engine, "SELECT user_id, fence FROM sync_jobs")}
    assert set(fences.values()) == {1}, "one claim per user: the fence was bumped once"
    assert all(job(engine, uid).state == "idle" for uid in ids)


def presynced(cli: Callable[..., Any], engine: Engine, sim: Any, users: Callable[[int], dict[int, int]]
              ) -> tuple[int, int, tuple[dict, dict]]:
    """One user with a complete, fresh cache (synced by the CLI): (user_id, student n, cache view)."""
    uid, n = next(iter(users(1).items()))
    res = cli("sync", "--user", str(uid), "--json")
    assert res.returncode == 0, res.stderr
    old = cache_view(engine, uid)
    assert old == sim_view(sim, n)
    sim.reset_stats()
    return uid, n, old


def data_version(engine: Engine, user_id: int) -> int:
    return int(q1(engine, "SELECT data_version FROM users WHERE id = :u", u=user_id)[0])


# -- crashes, pauses, shutdowns ---------------------------------------------------------------
@pytest.mark.slow
def test_worker_killed_mid_sync_another_worker_finishes_after_the_lease(worker, users, sim, engine, cli) -> None:
    uid, n, old = presynced(cli, engine, sim, users)
    version = data_version(engine, uid)
    change_canvas(sim, n, "after the crash")
    make_due(engine, uid)
    sim.set_faults(latency_ms=300)
    a = worker("--once", name="a")
    wait_for(lambda: requests_by_user(sim)[n] >= 3, 30, "worker a to be mid-sync")
    a.send(signal.SIGKILL)
    assert a.wait(10) == -signal.SIGKILL
    time.sleep(0.5)  # the dead worker's requests already inside the simulator finish being counted
    sim.reset_stats()
    sim.set_faults(latency_ms=20)

    # Nothing half-written: the cache is the old one, the dead run never committed.
    assert cache_view(engine, uid) == old
    assert data_version(engine, uid) == version
    stranded = job(engine, uid)
    assert stranded.state == "running" and stranded.lease_owner.split(":")[1] == str(a.pid)

    b = worker("--poll", "0.5", name="b")  # a running service takes the user over once the lease runs out
    done = wait_for(lambda: [r for r in runs(engine, uid) if r.outcome == "success" and r.trigger == "schedule"],
                    30, "worker b to finish the user")
    b.send(signal.SIGTERM)
    assert b.wait(15) == 0, b.log()

    assert len(done) == 1
    assert done[0].started_at >= stranded.lease_until, "taken over only after the lease ran out"
    assert cache_view(engine, uid) == sim_view(sim, n), "the cache equals Canvas's data"
    assert requests_by_user(sim)[n] == len(sim.dataset(n)["courses"]) + 2, "one clean sync, nothing repeated"
    killed = [r for r in runs(engine, uid) if r.worker == stranded.lease_owner]
    assert [(r.outcome, r.error_class) for r in killed] == [("abandoned", "WorkerLost")]
    final = job(engine, uid)
    assert (final.state, final.lease_owner, final.attempt) == ("idle", None, 0)
    assert final.fence == stranded.fence + 1
    assert q(engine, "SELECT 1 FROM sync_runs WHERE outcome = 'running'") == []


@pytest.mark.slow
def test_paused_worker_loses_its_lease_and_its_late_write_is_refused(worker, users, sim, engine, cli) -> None:
    uid, n, _ = presynced(cli, engine, sim, users)
    change_canvas(sim, n, "seen by the paused worker")
    make_due(engine, uid)
    sim.set_faults(latency_ms=300)
    a = worker("--once", name="a")
    wait_for(lambda: requests_by_user(sim)[n] >= 3, 30, "worker a to be mid-sync")
    a.send(signal.SIGSTOP)
    try:
        paused = job(engine, uid)
        wait_for(lambda: q1(engine, "SELECT lease_until < now() FROM sync_jobs WHERE user_id = :u", u=uid)[0],
                 LEASE + 5, "the paused worker's lease to run out")
        change_canvas(sim, n, "newest")  # Canvas moves on; worker b sees this, worker a never fully did
        sim.set_faults(latency_ms=0)
        b = worker("--once", name="b")
        assert b.wait(30) == 0, b.log()
    finally:
        a.send(signal.SIGCONT)
    newest = cache_view(engine, uid)
    assert newest == sim_view(sim, n)
    version = data_version(engine, uid)
    assert a.wait(30) == 0, a.log()

    late = [r for r in runs(engine, uid) if r.worker == paused.lease_owner]
    assert [(r.outcome, r.error_class) for r in late] == [("failed", "LeaseLostError")]
    assert "lease lost" in a.log()
    assert cache_view(engine, uid) == newest, "the newer result stays"
    assert data_version(engine, uid) == version, "the late worker wrote nothing at all"
    final = job(engine, uid)
    assert (final.state, final.attempt, final.last_error) == ("idle", 0, None), "b's success stands"
    assert [r.outcome for r in runs(engine, uid) if r.worker != paused.lease_owner] == ["success", "success"]


@pytest.mark.slow
def test_sigterm_mid_sync_finishes_within_the_grace_period(worker, users, sim, engine, cli) -> None:
    uid, n, _ = presynced(cli, engine, sim, users)
    change_canvas(sim, n, "v2")
    make_due(engine, uid)
    sim.set_faults(latency_ms=200)
    w = worker("--grace", "15", name="svc")
    wait_for(lambda: requests_by_user(sim)[n] >= 2, 30, "the worker to be mid-sync")
    t0 = time.monotonic()
    w.send(signal.SIGTERM)
    assert w.wait(15) == 0, w.log()
    assert time.monotonic() - t0 < 15
    last = runs(engine, uid)[-1]
    assert (last.trigger, last.outcome) == ("schedule", "success"), "the current user was finished, not dropped"
    assert cache_view(engine, uid) == sim_view(sim, n)
    assert job(engine, uid).state == "idle"


@pytest.mark.slow
def test_sigterm_with_a_short_grace_period_releases_the_user(worker, users, sim, engine, cli) -> None:
    uid, n, old = presynced(cli, engine, sim, users)
    change_canvas(sim, n, "v2")
    make_due(engine, uid)
    sim.set_faults(latency_ms=700)
    w = worker("--grace", "1", name="svc")
    wait_for(lambda: requests_by_user(sim)[n] >= 1, 30, "the worker to be mid-sync")
    t0 = time.monotonic()
    w.send(signal.SIGTERM)
    assert w.wait(10) == 0, w.log()
    assert time.monotonic() - t0 < 1 + 2.5, "exits within the grace period (plus process teardown)"

    assert cache_view(engine, uid) == old, "nothing half-written"
    released = job(engine, uid)
    assert (released.state, released.lease_owner) == ("idle", None), "not stranded until the lease expires"
    assert q1(engine, "SELECT due_at <= now() FROM sync_jobs WHERE user_id = :u", u=uid)[0], "due again at once"
    assert released.attempt == 0, "a shutdown is not a failure of the user's sync"
    assert [r.outcome for r in runs(engine, uid)][-1] in ("failed", "abandoned")
    sim.set_faults(latency_ms=0)
    nxt = worker("--once", name="next")
    assert nxt.wait(30) == 0, nxt.log()
    assert runs(engine, uid)[-1].outcome == "success"
    assert cache_view(engine, uid) == sim_view(sim, n)


# -- "sync now" and liveness -------------------------------------------------------------------
@pytest.mark.slow
def test_sync_now_is_picked_up_at_once_and_repeated_clicks_add_at_most_one_run(
        worker, users, sim, engine, cli, base_env) -> None:
    uid, _, _ = presynced(cli, engine, sim, users)  # fresh: nothing is due on the schedule
    w = worker("--poll", "60", name="svc")  # polling this slow: only NOTIFY can explain a quick pickup
    wait_for(lambda: q(engine, "SELECT 1 FROM worker_heartbeats WHERE pid = :p AND state = 'running'", p=w.pid),
             60, "the worker's first heartbeat")
    # Let it LISTEN (a request before that is caught on connect, but not by NOTIFY): wait for its
    # listening connection rather than a fixed pause, which a loaded machine can outlast.
    wait_for(lambda: q(engine, "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() "
                               "AND query = :listen AND state = 'idle'", listen=f"LISTEN {NOTIFY_CHANNEL}"),
             60, "the worker to LISTEN")
    # A sync takes ~40 s at this pace (8 s a request, within the 30 s request timeout): the four
    # clicks below start four CLI processes, which a loaded machine may take many seconds to run.
    sim.set_faults(latency_ms=8000)

    res = cli("sync", "--user", str(uid), "--queue", "--json")
    queued = time.monotonic()
    assert res.returncode == 0 and json.loads(res.stdout) == {"success": True, "queued": [uid]}
    wait_for(lambda: len(runs(engine, uid)) == 2, 30, "the worker to start the requested sync")
    # The next poll is ~60 s away: a pickup well before it can only come from the NOTIFY (the bound
    # is loose because a loaded machine can delay the worker process by seconds).
    assert time.monotonic() - queued < 20, "picked up long before the next poll"

    clicks = [subprocess.Popen([sys.executable, "-m", "canvas", "sync", "--user", str(uid), "--queue"], cwd=ROOT,
                               env=base_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(4)]
    assert [c.wait(60) for c in clicks] == [0, 0, 0, 0]
    assert runs(engine, uid)[1].outcome == "running", "the clicks landed while the sync ran"
    sim.set_faults(latency_ms=0)
    wait_for(lambda: len(runs(engine, uid)) == 3 and runs(engine, uid)[2].outcome == "success", 90,
             "the one extra run")
    time.sleep(1.5)  # a further run would have started by now
    w.send(signal.SIGTERM)
    assert w.wait(30) == 0, w.log()

    _, first, extra = runs(engine, uid)
    assert len(runs(engine, uid)) == 3, "four clicks during a run coalesce into one extra run"
    assert first.outcome == extra.outcome == "success"
    assert extra.started_at >= first.finished_at, "never two runs of one user at once"
    assert job(engine, uid).requested_at is None


@pytest.mark.slow
def test_status_workers_shows_a_running_worker_and_then_its_stop(worker, engine, cli) -> None:
    w = worker(name="svc")
    wait_for(lambda: q(engine, "SELECT 1 FROM worker_heartbeats WHERE pid = :p", p=w.pid), 20, "a heartbeat")
    doc = json.loads(cli("status", "--workers", "--json").stdout)
    mine = [x for x in doc["workers"] if x["pid"] == w.pid]
    assert doc["alive"] == 1 and len(mine) == 1
    assert mine[0]["alive"] is True and mine[0]["state"] == "running"
    assert mine[0]["host"] == os.uname().nodename and mine[0]["last_beat"]
    w.send(signal.SIGTERM)
    assert w.wait(15) == 0, w.log()
    doc = json.loads(cli("status", "--workers", "--json").stdout)
    assert doc["alive"] == 0
    assert [x["state"] for x in doc["workers"] if x["pid"] == w.pid] == ["stopped"]


# -- Canvas and database faults ----------------------------------------------------------------
@pytest.mark.slow
def test_revoked_token_one_401_then_no_more_requests(worker, users, sim, engine, cli) -> None:
    ids = users(2)
    (bad, n_bad), (good, n_good) = ids.items()
    sim.set_faults(revoke=[n_bad])
    first = worker("--once", name="pass1")
    assert first.wait(60) == 0, first.log()

    seen = [e for e in sim.stats()["log"] if e["user"] == n_bad]
    assert [e["status"] for e in seen] == [401], "exactly one 401, no retry storm"
    assert q1(engine, "SELECT token_state FROM users WHERE id = :u", u=bad)[0] == "invalid"
    assert job(engine, bad).state == "token_invalid"
    status = json.loads(cli("status", "--user", str(bad), "--json").stdout)
    assert status["state"] == "error" and "Revoked access token." in status["error"]
    assert "reconnect" in status["error"].lower()
    assert cache_view(engine, good) == sim_view(sim, n_good), "one bad user does not stop the others"
    assert "Bearer" not in first.log() and "canvas-sim-token" not in first.log()

    sim.reset_stats()
    make_due(engine, bad, good)
    assert cli("sync", "--user", str(bad), "--queue").returncode == 0  # even a "sync now" is not attempted
    second = worker("--once", name="pass2")
    assert second.wait(60) == 0, second.log()
    assert requests_by_user(sim)[n_bad] == 0, "no further requests with a dead token"
    assert requests_by_user(sim)[n_good] == len(sim.dataset(n_good)["courses"]) + 2


@pytest.mark.slow
def test_database_connections_killed_mid_write_worker_recovers_cache_old_or_new(
        worker, users, sim, engine, cli, pg_url) -> None:
    uid, n, old = presynced(cli, engine, sim, users)
    version = data_version(engine, uid)
    change_canvas(sim, n, "after the outage")
    # Stale after 1 ms: the failed run is retried on the schedule, after its backoff, with no click.
    w = worker("--poll", "0.5", env={"CANVAS_SYNC_STALE_AFTER": "1"}, name="svc")
    side = create_engine(pg_url, connect_args={"application_name": "canvas-tests"})
    try:
        with side.connect() as locker:
            # Hold the cache table so the worker's write stops half-way through its transaction.
            tx = locker.begin()
            locker.execute(text("LOCK TABLE canvas_courses_cache IN EXCLUSIVE MODE"))
            assert cli("sync", "--user", str(uid), "--queue").returncode == 0
            wait_for(lambda: q(side, "SELECT 1 FROM pg_stat_activity WHERE application_name = 'canvas-dashboard' "
                                     "AND wait_event_type = 'Lock'"), 30, "the worker's write to block mid-way")
            assert cache_view(side, uid) == old  # a reader meanwhile sees the old cache, whole
            killed = q(side, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE application_name = 'canvas-dashboard' AND pid <> pg_backend_pid()")
            assert killed
            tx.rollback()
        assert cache_view(side, uid) == old, "the cut transaction left nothing behind"
        assert data_version(side, uid) == version
        wait_for(lambda: runs(side, uid)[-1].outcome == "success", 30, "a later pass to sync the user")
        assert w.proc.poll() is None, "the worker survived the outage"
        assert cache_view(side, uid) == sim_view(sim, n)
        outcomes = [(r.outcome, r.error_class) for r in runs(side, uid)]
        assert outcomes[0] == ("success", None) and outcomes[-1] == ("success", None)
        assert ("failed", "OperationalError") in outcomes[1:-1]
        assert q1(side, "SELECT now() - last_beat < interval '10 seconds' FROM worker_heartbeats "
                        "WHERE pid = :p", p=w.pid)[0], "its heartbeat came back"
    finally:
        side.dispose()
    w.send(signal.SIGTERM)
    assert w.wait(15) == 0, w.log()


@pytest.mark.slow
def test_a_queued_recent_grades_refresh_costs_one_request_and_merges_the_new_grade(
        worker, users, sim, engine, cli) -> None:
    uid, n, _ = presynced(cli, engine, sim, users)
    data = sim.dataset(n)
    target = next(a for groups in data["assignment_groups"].values() for g in groups for a in g["assignments"]
                  if a.get("submission") and a["submission"].get("score") is None and a["points_possible"])
    sim.mutate(n, "grade", assignment_id=target["id"], score=target["points_possible"])
    sim.reset_stats()
    assert cli("sync", "--user", str(uid), "--queue", "--recent").returncode == 0
    w = worker("--once", name="recent")
    assert w.wait(30) == 0, w.log()
    last = runs(engine, uid)[-1]
    assert (last.kind, last.outcome, last.requests) == ("recent", "success", 1)
    assert requests_by_user(sim)[n] == 1, "newest first, stopping at what the cache has: one request"
    assert cache_view(engine, uid)[1][target["id"]][1] == target["points_possible"]
    # The light refresh does not count as a full sync: the schedule still owns freshness.
    assert job(engine, uid).last_ok_at < last.started_at


@pytest.mark.slow
def test_a_request_slower_than_the_lease_does_not_cost_the_lease(worker, users, sim, engine) -> None:
    (uid, n), = users(1).items()
    # Canvas takes 2.5 s over one request, longer than the whole 2 s lease.
    sim.set_faults(fail=[{"path": "/api/v1/courses$", "status": "timeout", "seconds": 2.5, "times": 1}])
    a = worker("--once", name="slow")
    wait_for(lambda: requests_by_user(sim)[n] >= 1, 30, "worker a to start")
    b = worker("--poll", "0.3", name="watcher")  # would take the user over if a's lease ran out
    assert a.wait(30) == 0, a.log()
    time.sleep(1)
    b.send(signal.SIGTERM)
    assert b.wait(15) == 0, b.log()
    [run] = runs(engine, uid)
    assert (run.outcome, run.error_class, run.worker.split(":")[1]) == ("success", None, str(a.pid))
    assert (run.finished_at - run.started_at).total_seconds() >= 2.5, "the slow request did happen"
    assert "lease lost" not in a.log()
    assert requests_by_user(sim)[n] == first_sync_requests(sim, n)


# -- the student's Cancel, across processes ----------------------------------------------------------
def test_cancel_written_to_postgresql_stops_a_hung_sync_in_the_worker_process(worker, users, sim, engine,
                                                                             cli) -> None:
    from canvas.db import progress

    uid, _n, _ = presynced(cli, engine, sim, users)
    before = cache_view(engine, uid)
    make_due(engine, uid)
    sim.set_faults(fail=[{"path": "/api/v1/courses", "status": "timeout", "seconds": 60}])  # Canvas hangs
    w = worker(name="svc")
    wait_for(lambda: q(engine, "SELECT 1 FROM sync_runs WHERE user_id = :u AND outcome = 'running'", u=uid),
             30, "the worker to start the sync")
    with engine.begin() as conn:  # what the dashboard's Cancel button does (another process)
        assert progress.request_cancel(conn, user_id=uid)
    t0 = time.monotonic()
    wait_for(lambda: runs(engine, uid)[-1].outcome != "running", 10, "the run to stop")
    assert time.monotonic() - t0 < 4, "stopped about a second after the request, not after the 30 s timeout"
    last = runs(engine, uid)[-1]
    assert (last.outcome, last.error_class) == ("abandoned", "CancelRequested")
    j = job(engine, uid)
    assert (j.state, j.attempt, j.last_error) == ("idle", 0, None)  # not a failure the student has to read
    assert cache_view(engine, uid) == before
    assert w.proc.poll() is None, "the worker carries on"
    assert "cancelled from the dashboard" in w.log()
