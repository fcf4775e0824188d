"""Due-date reminders, preferences, targets and the feed's seen marker on real PostgreSQL, with the
simulated Canvas over HTTP and delivery through Apprise to a loopback endpoint."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from canvas.db import changes, notify
from canvas.errors import UsageError
from canvas.notify import courier
from canvas.sync.runner import sync_user_now
from tests.notify_endpoint import Endpoint

LOOPBACK = ("127.0.0.1",)  # CANVAS_ALLOWED_HOSTS of the test environment


def _open_work(sim) -> dict:
    data = sim.dataset(1)
    return next(a for gs in data["assignment_groups"].values() for g in gs for a in g["assignments"]
                if a.get("published", True) and a.get("submission")
                and a["submission"].get("workflow_state") == "unsubmitted"
                and not set(a.get("submission_types") or []) & {"none", "not_graded", "on_paper"})


def test_one_reminder_per_assignment_and_lead_time_even_with_racing_scanners(engine, settings, cipher, sim,
                                                                             add_user) -> None:
    user_id = add_user(sim)
    sync_user_now(engine, settings, user_id, trigger="cli", owner="test", cipher=cipher)
    work = _open_work(sim)
    due = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)
    sim.mutate(1, "update_assignment", assignment_id=work["id"], due_at=due.isoformat())
    sync_user_now(engine, settings, user_id, trigger="cli", owner="test", cipher=cipher)
    with Endpoint() as endpoint:
        with engine.begin() as conn:
            notify.add_target(conn, cipher, user_id, endpoint.url(), allowed_hosts=LOOPBACK)
            notify.save_prefs(conn, user_id, lead_times_minutes="2d, 3h", kinds=["due_reminder"])
        queued: list[int] = []
        barrier = threading.Barrier(4)

        def scan() -> None:
            barrier.wait()
            queued.append(courier.queue_reminders(engine))

        threads = [threading.Thread(target=scan) for _ in range(4)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(30)
        assert courier.queue_reminders(engine) == 0, "a later scan queues nothing new"
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT dedupe_key, payload FROM notify_outbox WHERE kind = 'reminder'")).all()
        mine = [r for r in rows if r.payload["assignment_id"] == work["id"]]
        assert len(mine) == 1 and mine[0].payload["lead_minutes"] == 180, "the nearest lead time reached, once"
        assert sum(queued) == len(rows)
        result = courier.drain(engine, settings, cipher, "test")
        assert result.sent == len(rows)
    titles = [d["title"] for d in endpoint.accepted]
    assert f"Due in 3h: {work['name']}" in titles and len(titles) == len(rows)


def test_submitted_work_gets_no_reminder(engine, settings, cipher, sim, add_user) -> None:
    user_id = add_user(sim)
    sync_user_now(engine, settings, user_id, trigger="cli", owner="test", cipher=cipher)
    with engine.begin() as conn:
        conn.execute(text("UPDATE canvas_assignments_cache SET due_at = now() + interval '1 hour', "
                          "submitted_at = now(), workflow_state = 'submitted' WHERE user_id = :u"), {"u": user_id})
        notify.add_target(conn, cipher, user_id, "json://127.0.0.1:9/none", allowed_hosts=LOOPBACK)
        notify.save_prefs(conn, user_id, lead_times_minutes="3h")
    assert courier.queue_reminders(engine) == 0


def test_prefs_targets_and_the_seen_marker(engine, cipher) -> None:
    with engine.begin() as conn:
        user_id = conn.execute(text("INSERT INTO users (base_url, canvas_user_id, name) "
                                    "VALUES ('https://c.example', 7, 'S') RETURNING id")).scalar_one()
        assert notify.get_prefs(conn, user_id)["digest"] == "per_sync"
        with pytest.raises(UsageError):
            notify.save_prefs(conn, user_id, quiet_start="22:00")
    with engine.begin() as conn:
        assert notify.get_prefs(conn, user_id)["quiet_start"] is None, "nothing stored after bad input"
        notify.save_prefs(conn, user_id, quiet_start="22:00", quiet_end="07:00", timezone="Europe/Paris")
        tid = notify.add_target(conn, cipher, user_id, "ntfy://secret-topic-name")
        for refused in ("json://127.0.0.1:9/x", "json://10.0.0.7/x", "what://ever"):
            with pytest.raises(UsageError):
                notify.add_target(conn, cipher, user_id, refused, allowed_hosts=())
        changes.record(conn, user_id=user_id, run_id=None, changes=[])
        conn.execute(text("INSERT INTO change_events (user_id, kind, course_id, title) "
                          "VALUES (:u, 'assignment_added', 1, 'Quiz')"), {"u": user_id})
    with engine.begin() as conn:
        assert notify.get_prefs(conn, user_id)["timezone"] == "Europe/Paris"
        assert [t["label"] for t in notify.list_targets(conn, user_id)] == ["ntfy://…"]
        assert changes.unseen_count(conn, user_id) == 1 and changes.last_seen(conn, user_id) is None
        changes.mark_seen(conn, user_id)
    with engine.begin() as conn:
        assert changes.unseen_count(conn, user_id) == 0 and changes.last_seen(conn, user_id) is not None
        assert notify.enqueue_test(conn, user_id) == 1
        assert notify.remove_target(conn, user_id, tid)
        assert notify.outbox_counts(conn, user_id) == {}, "a removed target's queue goes with it"


def _event(i: int) -> dict:
    return {"kind": "grade_posted", "course_id": 1, "assignment_id": i, "title": f"Lab {i}", "before": None,
            "after": 9, "html_url": None}


def test_daily_digest_collects_the_days_changes_and_quiet_hours_hold_messages(engine, cipher) -> None:
    with engine.begin() as conn:
        user_id = conn.execute(text("INSERT INTO users (base_url, canvas_user_id, name, time_zone) "
                                    "VALUES ('https://c.example', 8, 'S', 'UTC') RETURNING id")).scalar_one()
        notify.add_target(conn, cipher, user_id, "json://127.0.0.1:9/digest", allowed_hosts=LOOPBACK)
        notify.save_prefs(conn, user_id, digest="daily", digest_time="08:00")
        notify.enqueue_changes(conn, user_id=user_id, run_id=1, events=[_event(1)])
        notify.enqueue_changes(conn, user_id=user_id, run_id=2, events=[_event(2), _event(3)])
        rows = conn.execute(text("SELECT kind, payload, deliver_after > now() AS later FROM notify_outbox")).all()
    assert len(rows) == 1 and rows[0].kind == "digest" and rows[0].later
    assert [e["title"] for e in rows[0].payload["events"]] == ["Lab 1", "Lab 2", "Lab 3"]

    with engine.begin() as conn:
        conn.execute(text("DELETE FROM notify_outbox"))
        now_h = conn.execute(text("SELECT extract(hour FROM now() AT TIME ZONE 'UTC')::int")).scalar_one()
        start, end = f"{now_h:02d}:00", f"{(now_h + 2) % 24:02d}:00"
        notify.save_prefs(conn, user_id, digest="per_sync", quiet_start=start, quiet_end=end,
                          kinds=["grade_changed"])
        notify.enqueue_changes(conn, user_id=user_id, run_id=3, events=[_event(4)])  # a kind not wanted
        assert notify.outbox_counts(conn, user_id) == {}
        notify.save_prefs(conn, user_id, kinds=["grade_posted"])
        notify.enqueue_changes(conn, user_id=user_id, run_id=4, events=[_event(5)])
        held = conn.execute(text("SELECT deliver_after - now() AS wait FROM notify_outbox")).scalar_one()
    assert timedelta(hours=1) <= held <= timedelta(hours=2), "held until the quiet hours end"


def test_keys_rotation_reencrypts_notification_urls(engine, cipher) -> None:
    with engine.begin() as conn:
        user_id = conn.execute(text("INSERT INTO users (base_url, canvas_user_id, name) "
                                    "VALUES ('https://c.example', 9, 'S') RETURNING id")).scalar_one()
        notify.add_target(conn, cipher, user_id, "ntfy://my-private-topic")
        before = bytes(conn.execute(text("SELECT url_ciphertext FROM notify_targets")).scalar_one())
        assert notify.rotate_targets(conn, cipher) == 1
        after = bytes(conn.execute(text("SELECT url_ciphertext FROM notify_targets")).scalar_one())
    assert after != before and cipher.decrypt(user_id, after) == "ntfy://my-private-topic"


def test_retention_prunes_old_events_and_finished_messages_never_pending_ones(engine, cipher, settings) -> None:
    from canvas.db import retention

    with engine.begin() as conn:
        user_id = conn.execute(text("INSERT INTO users (base_url, canvas_user_id, name) "
                                    "VALUES ('https://c.example', 10, 'S') RETURNING id")).scalar_one()
        tid = notify.add_target(conn, cipher, user_id, "ntfy://some-topic")
        conn.execute(text("""
            INSERT INTO change_events (user_id, kind, course_id, title, detected_at)
            SELECT :u, 'grade_posted', 1, 'Lab', now() - make_interval(days => d) FROM unnest(ARRAY[1, 89, 91, 200]) d
        """), {"u": user_id})
        conn.execute(text("""
            INSERT INTO notify_outbox (user_id, target_id, kind, dedupe_key, state, created_at, finished_at)
            VALUES (:u, :t, 'test', 'a', 'sent', now() - interval '40 days', now() - interval '40 days'),
                   (:u, :t, 'test', 'b', 'failed', now() - interval '31 days', now() - interval '31 days'),
                   (:u, :t, 'test', 'c', 'sent', now() - interval '2 days', now() - interval '2 days'),
                   (:u, :t, 'test', 'd', 'pending', now() - interval '60 days', NULL)
        """), {"u": user_id, "t": tid})
    res = retention.prune(engine, retention.Policy.from_settings(settings))
    assert res.counts["change_events"] == 2 and res.counts["notify_outbox"] == 2
    with engine.connect() as conn:
        left = conn.execute(text("SELECT dedupe_key FROM notify_outbox ORDER BY dedupe_key")).scalars().all()
    assert left == ["c", "d"]


def test_an_in_app_sender_delivers_only_its_users_messages(engine, settings, cipher) -> None:
    with Endpoint() as endpoint:
        with engine.begin() as conn:
            ids = [conn.execute(text("INSERT INTO users (base_url, canvas_user_id, name) "
                                     "VALUES ('https://c.example', :n, 'S') RETURNING id"), {"n": n}).scalar_one()
                   for n in (11, 12)]
            for uid in ids:
                notify.add_target(conn, cipher, uid, endpoint.url(f"hook/{uid}"), allowed_hosts=LOOPBACK)
                notify.enqueue_test(conn, uid)
        result = courier.drain(engine, settings, cipher, "app", user_id=ids[0])
        assert result.sent == 1 and len(endpoint.accepted) == 1
        with engine.connect() as conn:
            assert notify.outbox_counts(conn, ids[1]) == {"pending": 1}


def test_a_message_whose_senders_keep_dying_is_given_up_not_sent_forever(engine, settings, cipher) -> None:
    with Endpoint() as endpoint:
        with engine.begin() as conn:
            uid = conn.execute(text("INSERT INTO users (base_url, canvas_user_id, name) "
                                    "VALUES ('https://c.example', 13, 'S') RETURNING id")).scalar_one()
            notify.add_target(conn, cipher, uid, endpoint.url(), allowed_hosts=LOOPBACK)
            notify.enqueue_test(conn, uid)
            # as left by the last of several workers killed while sending it
            conn.execute(text("UPDATE notify_outbox SET state = 'sending', attempt = :n, "
                              "lease_until = now() - interval '1 second'"), {"n": settings.notify_max_attempts})
        result = courier.drain(engine, settings, cipher, "w")
        assert (result.given_up, endpoint.seen) == (1, [])
        with engine.connect() as conn:
            failures = notify.recent_failures(conn, uid)
        assert "stopped before finishing" in failures[0]["last_error"]
