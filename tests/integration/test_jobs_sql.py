"""The job SQL (canvas.db.jobs) against real PostgreSQL: what gets claimed when, fencing, backoff,
dead tokens, "sync now" requests, heartbeats; and the fence check inside the runner's cache write."""

from __future__ import annotations

import itertools
import threading
from datetime import timedelta
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, text

from canvas import errors
from canvas.db import jobs, repo
from tests.integration.conftest import new_user, run_sql

STALE = timedelta(hours=1)
INTERVAL = timedelta(hours=2)
TTL = 60.0


def claim(engine: Engine, owner: str = "w1", batch: int = 10) -> list[jobs.Claim]:
    with engine.begin() as conn:
        return jobs.claim_due(conn, owner=owner, batch=batch, ttl=TTL, stale_after=STALE, interval=INTERVAL)


def job(engine: Engine, uid: int) -> Any:
    with engine.connect() as conn:
        return conn.execute(text("SELECT *, due_at - now() AS due_in FROM sync_jobs WHERE user_id = :u"),
                            {"u": uid}).one()


def complete(engine: Engine, c: jobs.Claim) -> None:
    with engine.begin() as conn:
        jobs.complete(conn, c, interval=INTERVAL, full=True)


# -- what is due --------------------------------------------------------------------------------
def test_a_never_synced_user_is_claimed_once_with_a_fence_bump(engine) -> None:
    uid = new_user(engine, 1)
    before = job(engine, uid).fence
    [c] = claim(engine)
    assert (c.user_id, c.kind, c.requested) == (uid, "full", False)
    assert c.fence == before + 1
    j = job(engine, uid)
    assert (j.state, j.lease_owner) == ("running", "w1")
    assert claim(engine, owner="w2") == [], "a live lease is never claimed twice"


def test_users_synced_less_than_stale_after_ago_are_not_claimed_unless_requested(engine) -> None:
    uid = new_user(engine, 1)
    complete(engine, claim(engine)[0])
    j = job(engine, uid)
    assert j.state == "idle" and j.last_ok_at is not None
    # Due again at the user's own phase, at least half an interval and at most one and a half away.
    assert INTERVAL / 2 <= j.due_in <= INTERVAL * 1.5 + timedelta(seconds=5)
    assert claim(engine) == []

    run_sql(engine, "UPDATE sync_jobs SET due_at = now() - interval '1 s', "
                    "last_ok_at = now() - interval '30 minutes'")
    assert claim(engine) == [], "due, but the last good sync is younger than stale_after"

    with engine.begin() as conn:
        assert jobs.request_sync(conn, uid, "full") is True
    [c] = claim(engine)
    assert c.requested and c.kind == "full", "a 'sync now' overrides freshness"
    complete(engine, c)

    run_sql(engine, "UPDATE sync_jobs SET due_at = now() - interval '1 s', last_ok_at = now() - interval '2 hours'")
    assert [c.user_id for c in claim(engine)] == [uid], "stale and due: claimed"


def test_a_user_in_backoff_waits_for_due_at_but_a_request_goes_first(engine) -> None:
    uid = new_user(engine, 1)
    c = claim(engine)[0]
    with engine.begin() as conn:
        jobs.fail(conn, c, error_class="ServerError", token_invalid=False, interval=INTERVAL, retry_base=60)
    assert claim(engine) == [], "never synced, so stale, but not due yet"
    with engine.begin() as conn:
        jobs.request_sync(conn, uid)
    assert [c.user_id for c in claim(engine)] == [uid]


def test_requests_are_served_before_scheduled_users(engine) -> None:
    scheduled = [new_user(engine, k) for k in range(1, 4)]
    asked = new_user(engine, 9)
    with engine.begin() as conn:
        jobs.request_sync(conn, asked)
    assert [c.user_id for c in claim(engine, batch=1)] == [asked]
    assert {c.user_id for c in claim(engine)} == set(scheduled)


# -- fencing --------------------------------------------------------------------------------------
def test_an_expired_lease_is_taken_over_and_the_old_fence_can_change_nothing(engine) -> None:
    uid = new_user(engine, 1)
    old = claim(engine, owner="old")[0]
    with engine.begin() as conn:
        assert jobs.renew(conn, old, TTL) is True
    run_sql(engine, "UPDATE sync_jobs SET lease_until = now() - interval '1 s'")
    new = claim(engine, owner="new")[0]
    assert new.fence == old.fence + 1

    with engine.begin() as conn:
        assert jobs.renew(conn, old, TTL) is False, "the old owner learns it lost the lease"
        assert jobs.holds_fence(conn, old) is False, "and its cache write would be refused"
        jobs.complete(conn, old, interval=INTERVAL, full=True)
        jobs.fail(conn, old, error_class="X", token_invalid=True, interval=INTERVAL)
        jobs.release(conn, old)
    j = job(engine, uid)
    # attempt 1 is the takeover itself (counted); the old owner's fail() added nothing.
    assert (j.state, j.lease_owner, j.fence, j.attempt, j.last_ok_at) == ("running", "new", new.fence, 1, None)
    with engine.begin() as conn:
        assert jobs.holds_fence(conn, new) is True


def test_a_user_whose_sync_keeps_killing_workers_is_taken_over_ever_more_slowly(engine) -> None:
    uid = new_user(engine, 1)
    claim(engine, owner="w1")
    run_sql(engine, "UPDATE sync_jobs SET lease_until = now() - interval '1 s'")
    [first] = claim(engine, owner="w2")
    j = job(engine, uid)
    assert (j.attempt, j.last_error) == (1, "WorkerLost"), "the first takeover is immediate, but counted"

    run_sql(engine, "UPDATE sync_jobs SET lease_until = now() - interval '30 s'")
    assert claim(engine, owner="w3") == [], "the second waits a backoff step (60 s) past the lease"
    run_sql(engine, "UPDATE sync_jobs SET lease_until = now() - interval '61 s'")
    [second] = claim(engine, owner="w3")
    assert second.fence == first.fence + 1 and job(engine, uid).attempt == 2

    complete(engine, second)
    j = job(engine, uid)
    assert (j.attempt, j.last_error) == (0, None), "one success and it is a normal user again"


def test_a_worker_never_claims_its_own_running_user_again(engine) -> None:
    uid = new_user(engine, 1)
    claim(engine, owner="w1")
    run_sql(engine, "UPDATE sync_jobs SET lease_until = now() - interval '1 s'")  # e.g. renewals blocked
    with engine.begin() as conn:
        assert jobs.claim_due(conn, owner="w1", batch=5, ttl=TTL, stale_after=STALE, interval=INTERVAL,
                              exclude=[uid]) == []
        assert [c.user_id for c in jobs.claim_due(conn, owner="w2", batch=5, ttl=TTL, stale_after=STALE,
                                                     interval=INTERVAL)] == [uid]


def test_a_new_token_fences_a_running_sync(engine) -> None:
    uid = new_user(engine, 1)
    c = claim(engine)[0]
    with engine.begin() as conn:
        jobs.reset_after_new_token(conn, uid)
        assert jobs.holds_fence(conn, c) is False
    assert job(engine, uid).state == "idle"


def test_concurrent_claimers_never_get_the_same_user(engine) -> None:
    ids = {new_user(engine, k) for k in range(1, 41)}
    got: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(4)

    def claimer(name: str) -> None:
        barrier.wait()
        while True:
            batch = claim(engine, owner=name, batch=3)
            if not batch:
                return
            with lock:
                got.extend(c.user_id for c in batch)

    threads = [threading.Thread(target=claimer, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(got) == sorted(ids), "every user claimed exactly once (SKIP LOCKED, no duplicates)"


# -- failures ---------------------------------------------------------------------------------------
def test_backoff_grows_exponentially_with_jitter_and_is_capped_at_the_interval(engine) -> None:
    uid = new_user(engine, 1)
    delays = []
    for attempt in range(9):
        run_sql(engine, "UPDATE sync_jobs SET state = 'idle', lease_until = NULL")
        with engine.begin() as conn:
            c = jobs.claim_user(conn, user_id=uid, owner="w", ttl=TTL)
            jobs.fail(conn, c, error_class="ServerError", token_invalid=False, interval=INTERVAL, retry_base=60)
        j = job(engine, uid)
        assert (j.state, j.attempt, j.last_error, j.lease_owner) == ("idle", attempt + 1, "ServerError", None)
        full = min(INTERVAL.total_seconds(), 60 * 2 ** attempt)
        delay = j.due_in.total_seconds()
        assert full * 0.5 - 1 <= delay <= full + 1, f"attempt {attempt}: {delay}s"
        delays.append(delay)
    assert delays[0] <= 61 and delays[4] >= 60 * 16 * 0.5 - 1, "1 min at first, then doubling"
    assert max(delays) <= INTERVAL.total_seconds() + 1, "never longer than the normal interval"

    with engine.begin() as conn:
        c = jobs.claim_user(conn, user_id=uid, owner="w", ttl=TTL)
        jobs.complete(conn, c, interval=INTERVAL, full=True)
    j = job(engine, uid)
    assert (j.attempt, j.last_error) == (0, None), "a success resets the backoff"


def test_a_dead_token_is_never_claimed_until_a_new_one_is_saved(engine) -> None:
    uid = new_user(engine, 1)
    c = claim(engine)[0]
    with engine.begin() as conn:
        jobs.mark_token_invalid(conn, uid, "Invalid access token.")
        jobs.fail(conn, c, error_class="AuthError", token_invalid=True, interval=INTERVAL)
    run_sql(engine, "UPDATE sync_jobs SET due_at = now() - interval '1 day'")
    assert job(engine, uid).state == "token_invalid"
    with engine.begin() as conn:
        assert jobs.request_sync(conn, uid) is False, "'sync now' is refused for a dead token"
    assert claim(engine) == []

    # The user row alone also blocks claims (e.g. marked invalid by key rotation), as does no token.
    other = new_user(engine, 2)
    with engine.begin() as conn:
        jobs.mark_token_invalid(conn, other, "Stored token cannot be decrypted.")
    assert claim(engine) == []
    third = new_user(engine, 3)
    with engine.begin() as conn:
        repo.clear_token(conn, user_id=third)
    assert claim(engine) == []

    with engine.begin() as conn:
        repo.set_token(conn, user_id=uid, ciphertext=b"new", hint="...wxyz")
        jobs.reset_after_new_token(conn, uid)
    j = job(engine, uid)
    assert (j.state, j.attempt, j.last_error) == ("idle", 0, None)
    assert [c.user_id for c in claim(engine)] == [uid]


# -- "sync now" ---------------------------------------------------------------------------------------
def _listener(engine: Engine) -> psycopg.Connection:
    cargs, cparams = engine.dialect.create_connect_args(engine.url)
    cparams = {k: v for k, v in cparams.items() if k != "context"}
    conn = psycopg.connect(*cargs, **cparams, autocommit=True)
    conn.execute(f"LISTEN {jobs.NOTIFY_CHANNEL}")
    return conn


def test_requests_coalesce_and_each_one_notifies(engine) -> None:
    uid = new_user(engine, 1)
    listener = _listener(engine)
    try:
        with engine.begin() as conn:
            jobs.request_sync(conn, uid, "recent")
        first = job(engine, uid).requested_at
        for kind in ("recent", "full", "recent"):
            with engine.begin() as conn:
                assert jobs.request_sync(conn, uid, kind) is True
        j = job(engine, uid)
        assert j.requested_at == first, "later clicks join the pending request"
        assert j.requested_kind == "full", "a full request wins over a recent one"
        notes = list(listener.notifies(timeout=2.0, stop_after=4))
        assert [n.payload for n in notes] == [str(uid)] * 4
    finally:
        listener.close()


def test_a_request_made_during_a_run_causes_exactly_one_more_run(engine) -> None:
    uid = new_user(engine, 1)
    c = claim(engine)[0]
    for _ in range(5):
        with engine.begin() as conn:
            jobs.request_sync(conn, uid)
    complete(engine, c)
    [again] = claim(engine)
    assert again.requested
    complete(engine, again)
    assert claim(engine) == [] and job(engine, uid).requested_at is None


def test_releasing_a_requested_run_keeps_the_request(engine) -> None:
    uid = new_user(engine, 1)
    complete(engine, claim(engine)[0])  # fresh: only a request makes it claimable
    with engine.begin() as conn:
        jobs.request_sync(conn, uid, "recent")
    c = claim(engine)[0]
    assert c.requested and c.kind == "recent"
    with engine.begin() as conn:
        jobs.release(conn, c)  # shutdown before it finished
    j = job(engine, uid)
    assert (j.state, j.lease_owner, j.attempt) == ("idle", None, 0)
    assert j.requested_at is not None and j.requested_kind == "recent"
    [again] = claim(engine)
    assert again.requested and again.kind == "recent", "the next worker still does what was asked"


def test_a_cli_recent_refresh_does_not_swallow_a_pending_full_request(engine) -> None:
    uid = new_user(engine, 1)
    complete(engine, claim(engine)[0])
    with engine.begin() as conn:
        jobs.request_sync(conn, uid, "full")
        c = jobs.claim_user(conn, user_id=uid, owner="cli", ttl=TTL, kind="recent")
    assert c is not None
    with engine.begin() as conn:
        jobs.complete(conn, c, interval=INTERVAL, full=False)
    [full] = claim(engine)
    assert full.kind == "full" and full.requested


# -- runs and heartbeats ---------------------------------------------------------------------------
def test_runs_of_a_lost_worker_are_closed_but_live_ones_are_not(engine) -> None:
    uid = new_user(engine, 1)
    dead = claim(engine, owner="dead")[0]
    with engine.begin() as conn:
        dead_run = repo.start_run(conn, user_id=uid, trigger="schedule", kind="full", worker="dead")
    run_sql(engine, "UPDATE sync_jobs SET lease_until = now() - interval '1 s'")
    claim(engine, owner="alive")
    with engine.begin() as conn:
        live_run = repo.start_run(conn, user_id=uid, trigger="schedule", kind="full", worker="alive")
        assert jobs.abandon_lost_runs(conn) == 1
    with engine.connect() as conn:
        outcomes = dict(conn.execute(text("SELECT id, outcome FROM sync_runs")).all())
    assert outcomes == {dead_run: "abandoned", live_run: "running"}
    assert dead.fence  # the dead worker's fence is stale; its late finish would be refused


def test_heartbeats_tell_live_workers_from_silent_ones(engine) -> None:
    with engine.begin() as conn:
        jobs.beat(conn, worker_id="a", host="h1", pid=11, current_user=None)
        jobs.beat(conn, worker_id="b", host="h2", pid=22, current_user=None, synced=3)
        jobs.beat(conn, worker_id="old", host="h3", pid=33, current_user=None)
    run_sql(engine, "UPDATE worker_heartbeats SET last_beat = now() - interval '2 minutes' WHERE worker_id = 'b'")
    run_sql(engine, "UPDATE worker_heartbeats SET last_beat = now() - interval '8 days' WHERE worker_id = 'old'")
    with engine.begin() as conn:
        assert jobs.prune_heartbeats(conn) == 1
        workers = {w["worker_id"]: w for w in jobs.live_workers(conn)}
        assert jobs.any_worker_alive(conn) is True
    assert set(workers) == {"a", "b"}
    assert workers["a"]["alive"] is True and workers["b"]["alive"] is False
    assert workers["b"]["synced"] == 3
    with engine.begin() as conn:
        jobs.beat(conn, worker_id="a", host="h1", pid=11, current_user=None, state="stopped")
        assert jobs.any_worker_alive(conn) is False, "a stopped worker is not sync running"


# -- the runner's fence check ------------------------------------------------------------------------
def test_the_cache_write_is_refused_when_another_worker_took_over_during_the_fetch(
        engine, settings, cipher, sim, add_user, monkeypatch) -> None:
    from canvas.sync import runner

    uid = add_user(sim, 2)
    c = claim(engine, owner="slow")[0]
    real_fetch = runner.fetch.fetch_all
    taken: list[jobs.Claim] = []

    def fetch_then_lose_the_lease(*args: Any, **kw: Any) -> Any:
        data = real_fetch(*args, **kw)
        # Meanwhile this worker stalled past its lease and another one claimed the user.
        run_sql(engine, "UPDATE sync_jobs SET lease_until = now() - interval '1 s'")
        taken.extend(claim(engine, owner="fast"))
        return data

    monkeypatch.setattr(runner.fetch, "fetch_all", fetch_then_lose_the_lease)
    with pytest.raises(errors.LeaseLostError):
        runner.run_claimed(engine, settings, c, trigger="schedule", owner="slow", cipher=cipher)
    with engine.connect() as conn:
        cached = conn.execute(text("SELECT count(*) FROM canvas_assignments_cache")).scalar_one()
        run = conn.execute(text("SELECT outcome, error_class FROM sync_runs")).one()
        version = conn.execute(text("SELECT data_version FROM users WHERE id = :u"), {"u": uid}).scalar_one()
    assert cached == 0 and version == 0, "nothing written"
    assert tuple(run) == ("failed", "LeaseLostError")
    j = job(engine, uid)
    assert (j.state, j.lease_owner, j.fence, j.attempt) == ("running", "fast", taken[0].fence, 1), \
        "the new owner's job is untouched (attempt 1 is its takeover, not the loser's failure)"


def test_finished_users_are_due_again_spread_evenly_over_the_interval(engine) -> None:
    """A school that connects everyone at once must not burst at the top of every cycle: 60 users
    finished in the same second fall due across the whole next interval, each at its own phase."""
    uids = [new_user(engine, k) for k in range(60)]
    for c in claim(engine, batch=100):
        complete(engine, c)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT user_id, extract(epoch FROM due_at)::float8 AS due, "
                                 "extract(epoch FROM now())::float8 AS now FROM sync_jobs "
                                 "WHERE user_id = ANY(:u)"), {"u": uids}).all()
    iv = INTERVAL.total_seconds()
    offsets = sorted(r.due - r.now for r in rows)
    assert iv / 2 <= offsets[0] and offsets[-1] <= iv * 1.5 + 5
    gaps = [b - a for a, b in itertools.pairwise(offsets)]
    assert max(gaps) < 3 * iv / len(uids), "no stretch of the interval is left without users"
    # the same user finishing again later keeps its phase: exactly one interval on, in steady state
    first = {r.user_id: r.due for r in rows}
    run_sql(engine, "UPDATE sync_jobs SET state = 'running', fence = fence + 1 WHERE user_id = :u", u=uids[0])
    fence = job(engine, uids[0]).fence
    with engine.begin() as conn:
        jobs.complete(conn, jobs.Claim(uids[0], fence, "full"), interval=INTERVAL, full=True)
    assert abs(job(engine, uids[0]).due_at.timestamp() - first[uids[0]]) < 1.0
