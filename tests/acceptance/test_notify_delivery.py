"""Notifications delivered by real worker subprocesses through Apprise to a loopback endpoint
(json://127.0.0.1:PORT), with the outbox in real PostgreSQL: end to end from a sync, SIGKILL
mid-delivery, two workers racing, a failing endpoint retried with backoff then given up."""

from __future__ import annotations

import itertools
import signal
from collections import Counter
from typing import Any

from sqlalchemy import text

from canvas.db import notify, repo
from canvas.sync.runner import sync_user_now
from tests.acceptance import test_worker_service as service
from tests.acceptance.test_worker_service import q, wait_for
from tests.notify_endpoint import Endpoint

LOOPBACK = ("127.0.0.1",)  # CANVAS_ALLOWED_HOSTS of the test environment

worker = service.worker  # the same fixture: `sync_worker.py` subprocesses with their logs

FAST = {"CANVAS_NOTIFY_POLL_MS": "50"}


def _plain_user(engine, n: int = 1) -> int:
    """A user with no Canvas token: workers only deliver their messages, never sync them."""
    with engine.begin() as conn:
        return repo.upsert_user(conn, base_url="https://canvas.example", canvas_user_id=900 + n, name=f"S{n}",
                                time_zone="UTC")


def _outbox(engine) -> list[Any]:
    return q(engine, "SELECT id, state, attempt, last_error FROM notify_outbox ORDER BY id")


def test_a_changed_grade_reaches_the_endpoint_once(engine, settings, cipher, sim, add_user, worker) -> None:
    user_id = add_user(sim)
    sync_user_now(engine, settings, user_id, trigger="cli", owner="test", cipher=cipher)  # baseline
    with Endpoint() as endpoint:
        with engine.begin() as conn:
            target = notify.add_target(conn, cipher, user_id, endpoint.url(), allowed_hosts=LOOPBACK)
        data = sim.dataset(1)
        work = next(a for gs in data["assignment_groups"].values() for g in gs for a in g["assignments"]
                    if a.get("submission") and "score" in a["submission"] and a["submission"]["score"] is None
                    and a["points_possible"])
        sim.mutate(1, "grade", assignment_id=work["id"], score=work["points_possible"] / 2)
        sync_user_now(engine, settings, user_id, trigger="cli", owner="test", cipher=cipher)
        assert [r.state for r in _outbox(engine)] == ["pending"]

        w = worker("--once", env=FAST)
        assert w.wait(90) == 0, w.log()
        assert len(endpoint.accepted) == 1, w.log()
        doc = endpoint.accepted[0]
        assert doc["title"].startswith("Canvas: ")
        assert f"{work['name']}: graded {work['points_possible'] / 2:g}" in doc["message"], doc
        assert [r.state for r in _outbox(engine)] == ["sent"]
        with engine.connect() as conn:
            shown = notify.list_targets(conn, user_id)
        assert [(t["id"], t["label"]) for t in shown] == [(target, "json://…")]
        assert shown[0]["last_ok_at"] is not None and shown[0]["last_error"] is None
        assert "s3cret-path-token" not in w.log()
        stored = q(engine, "SELECT url_ciphertext FROM notify_targets")[0].url_ciphertext
        assert b"s3cret" not in bytes(stored)


def test_sigkill_mid_delivery_loses_nothing_and_it_is_accepted_once(engine, cipher, worker) -> None:
    user_id = _plain_user(engine)
    with Endpoint(mode="hang_first") as endpoint:
        with engine.begin() as conn:
            notify.add_target(conn, cipher, user_id, endpoint.url(), allowed_hosts=LOOPBACK)
            assert notify.enqueue_test(conn, user_id) == 1
        env = {**FAST, "CANVAS_NOTIFY_LEASE_SECONDS": "6"}
        a = worker(env=env, name="a")
        assert endpoint.hung.wait(60), a.log()
        a.send(signal.SIGKILL)  # inside Apprise's request, before the endpoint answered
        a.wait(10)
        endpoint.release.set()
        assert [r.state for r in _outbox(engine)] == ["sending"], "the claimed message is still there"
        b = worker(env=env, name="b")
        wait_for(lambda: _outbox(engine)[0].state == "sent", 60, "the takeover to deliver it")
        b.send(signal.SIGTERM)
        b.wait(30)
    assert len(endpoint.accepted) == 1
    assert len(endpoint.seen) == 2
    assert _outbox(engine)[0].attempt == 2
    # both tries carry the message's id, so a receiver that did get the first one can drop the repeat
    ids = {doc["_message_id"] for _, doc in endpoint.seen}
    assert ids == {f"outbox-{_outbox(engine)[0].id}"}


def test_two_workers_racing_send_each_message_once(engine, cipher, worker) -> None:
    user_id = _plain_user(engine)
    n = 40
    with Endpoint(delay=0.02) as endpoint:
        with engine.begin() as conn:
            notify.add_target(conn, cipher, user_id, endpoint.url(), allowed_hosts=LOOPBACK)
            for i in range(n):
                notify.enqueue_changes(conn, user_id=user_id, run_id=i, events=[
                    {"kind": "assignment_added", "course_id": 1, "assignment_id": i, "title": f"Quiz {i}",
                     "before": None, "after": None, "html_url": None}])
        ws = [worker(env=FAST, name=name) for name in ("a", "b")]
        wait_for(lambda: all(r.state == "sent" for r in _outbox(engine)), 90, "every message to be sent")
        for w in ws:
            w.send(signal.SIGTERM)
        for w in ws:
            w.wait(30)
    titles = Counter(doc["title"] for doc in endpoint.accepted)
    assert len(titles) == n and set(titles.values()) == {1}
    assert len(endpoint.seen) == n


def test_failing_endpoint_is_retried_with_backoff_then_given_up_and_shown(engine, cipher, worker) -> None:
    user_id = _plain_user(engine)
    with Endpoint(mode="fail") as endpoint:
        with engine.begin() as conn:
            target = notify.add_target(conn, cipher, user_id, endpoint.url(), allowed_hosts=LOOPBACK)
            notify.enqueue_test(conn, user_id)
        env = {**FAST, "CANVAS_NOTIFY_MAX_ATTEMPTS": "3", "CANVAS_NOTIFY_RETRY_BASE_MS": "400"}
        w = worker(env=env)
        wait_for(lambda: _outbox(engine)[0].state == "failed", 60, "the message to be given up")
        w.send(signal.SIGTERM)
        w.wait(30)
    times = [at for at, _ in endpoint.seen]
    assert len(times) == 3
    gaps = [b - a for a, b in itertools.pairwise(times)]
    # 400 ms, then 800 ms (jitter up to -20 %): the second wait is longer than the first could ever be
    assert gaps[0] >= 0.3 and gaps[1] >= 0.6, gaps
    with engine.connect() as conn:
        failures = notify.recent_failures(conn, user_id)
        shown = notify.list_targets(conn, user_id)
    assert [(f["target_id"], f["label"], f["attempts"]) for f in failures] == [(target, "json://…", 3)]
    error = failures[0]["last_error"]
    assert error.startswith("the service did not accept the message")
    assert str(endpoint.port) not in error and "s3cret" not in error
    assert shown[0]["last_error"] == error and shown[0]["last_error_at"] is not None
    assert "s3cret-path-token" not in w.log()


def test_no_targets_no_outbox_rows(engine, settings, cipher, sim, add_user) -> None:
    user_id = add_user(sim)
    sync_user_now(engine, settings, user_id, trigger="cli", owner="test", cipher=cipher)
    data = sim.dataset(1)
    work = next(a for gs in data["assignment_groups"].values() for g in gs for a in g["assignments"] if a["due_at"])
    sim.mutate(1, "update_assignment", assignment_id=work["id"], due_at="2030-01-01T00:00:00Z")
    sync_user_now(engine, settings, user_id, trigger="cli", owner="test", cipher=cipher)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM change_events")).scalar_one() == 1
        assert conn.execute(text("SELECT count(*) FROM notify_outbox")).scalar_one() == 0
