"""AppTest: the "What changed" feed, the sidebar's unseen count, the toast, and Settings → Notifications.

Changes come from the real path: the simulated Canvas is mutated over its control API and the user
is synced again (`sync_user_now`), which records change events in the sync transaction.
"""

from __future__ import annotations

import re
import time

from sqlalchemy import text

from canvas.dashboard import fmt
from canvas.db import changes, jobs, notify
from tests.integration.conftest import PAGES
from tests.integration.test_dashboard_pages import run_page, texts
from tests.notify_endpoint import Endpoint

SECRET_URL = "ntfy://s3cr3t-topic-9f2c"


def _ungraded(sim):
    data = sim.dataset(1)
    work = [a for gs in data["assignment_groups"].values() for g in gs for a in g["assignments"]]
    return next(a for a in work if a.get("submission") and "score" in a["submission"]
                and a["submission"].get("score") is None and a["points_possible"])


def _post_grade_and_sync(app_env, sim, settings, cipher, user_id):
    from canvas.sync.runner import sync_user_now

    target = _ungraded(sim)
    sim.mutate(1, "grade", assignment_id=target["id"], score=target["points_possible"])
    sync_user_now(app_env, settings, user_id, trigger="cli", owner="test", cipher=cipher)
    return target


def _page_links(at):
    return [el.proto.label for el in at.get("page_link")]


def test_feed_shows_what_changed_and_opening_it_marks_it_seen(synced, app_env, sim, settings, cipher):
    at = run_page(PAGES["assignments"])  # the student is on another page when a sync brings changes
    assert not any(label.startswith("What changed") for label in _page_links(at))
    target = _post_grade_and_sync(app_env, sim, settings, cipher, synced)
    with app_env.connect() as conn:
        unseen = changes.unseen_count(conn, synced)
    assert unseen >= 1
    at.run()  # the sync widget reruns the page when the data version moves
    assert f"What changed: {unseen} new" in _page_links(at), "the sidebar counts the unseen changes"

    at.switch_page("app.py").run()
    feed = "\n".join(m.value for m in at.markdown if ":material/" in m.value)
    assert f"**Grade posted** · [{fmt.md_escape(target['name'])}](" in feed
    assert f"graded: **{target['points_possible']:g}**" in feed
    with app_env.connect() as conn:
        assert changes.unseen_count(conn, synced) == 0, "opening the feed marks it seen"
    # Later in the same visit the feed keeps showing this visit's changes...
    at.run()
    assert "Grade posted" in "\n".join(m.value for m in at.markdown)
    # ...and the next visit starts after them.
    fresh = run_page()
    assert "Nothing changed since your last visit." in texts(fresh)
    assert not any(label.startswith("What changed") for label in _page_links(fresh))


def test_a_watched_sync_that_brings_changes_shows_a_toast(synced, app_env, sim, settings, cipher):
    at = run_page()
    assert not at.toast
    target = _post_grade_and_sync(app_env, sim, settings, cipher, synced)
    at.run()  # what the sync widget's fragment does when the data version moves
    toasts = [t.value for t in at.toast]
    assert len(toasts) == 1
    assert re.match(rf"\d+ changes? from Canvas: {re.escape(fmt.md_escape(target['name']))} graded: ", toasts[0])
    at.run()
    assert not at.toast, "told once"


# -- Settings → Notifications --------------------------------------------------------------------
def _submit(at, label):
    next(b for b in at.button if b.label == label).click().run()


def _stored(app_env, user_id):
    with app_env.connect() as conn:
        prefs = conn.execute(text("SELECT count(*) FROM notify_prefs WHERE user_id = :u"), {"u": user_id}).scalar()
        targets = conn.execute(text("SELECT count(*) FROM notify_targets WHERE user_id = :u"),
                               {"u": user_id}).scalar()
    return prefs, targets


def test_notification_settings_refuse_bad_input_in_one_sentence_and_save_nothing(synced, app_env):
    at = run_page(PAGES["settings"])
    assert "Notifications" in [s.value for s in at.subheader]
    cases = [
        ({"notify_quiet_start": "22:00"}, "Quiet hours need both a start and an end time (or neither)."),
        ({"notify_quiet_start": "25:00", "notify_quiet_end": "07:00"}, "Enter quiet hours as a time like 22:00"),
        ({"notify_leads": "2 fortnights"}, "Enter reminder times like"),
        ({"notify_leads": "30d"}, "Each reminder must be between 1 minute and 14 days before the due date."),
    ]
    for values, message in cases:
        for key, value in values.items():
            at.text_input(key=key).input(value)
        _submit(at, "Save notification settings")
        errors = [e.value for e in at.error]
        assert len(errors) == 1 and message in errors[0] and errors[0].endswith("Nothing was saved."), errors
        assert errors[0].count(". ") <= 1, "one sentence, then 'Nothing was saved.'"
        assert _stored(app_env, synced) == (0, 0)
        at = run_page(PAGES["settings"])

    at.text_input(key="notify_url").input("not a url")
    _submit(at, "Add")
    assert "Paste one notification URL" in at.error[0].value and _stored(app_env, synced) == (0, 0)


def test_notification_settings_save_mask_the_url_and_queue_a_test(synced, app_env):
    at = run_page(PAGES["settings"])
    assert next(b for b in at.button if b.key == "notify_test").disabled, "nothing to test yet"
    at.text_input(key="notify_url").input(SECRET_URL)
    _submit(at, "Add")
    assert "Saved" in at.success[0].value
    assert fmt.md_escape("ntfy://…") in texts(at)
    shown = texts(at) + "".join(str(t.value) for t in at.text_input) + str(at.session_state["notify_url"])
    assert "s3cr3t" not in shown, "the URL is never echoed back (the field is cleared, the list shows the kind)"
    with app_env.connect() as conn:
        raw = conn.execute(text("SELECT url_ciphertext, label FROM notify_targets")).one()
    assert b"s3cr3t" not in bytes(raw.url_ciphertext) and raw.label == "ntfy://…"

    at.text_input(key="notify_quiet_start").input("22:00")
    at.text_input(key="notify_quiet_end").input("7:00")
    at.text_input(key="notify_leads").input("2d, 3h")
    at.multiselect(key="notify_kinds").set_value(["grade_posted", "due_reminder"])
    _submit(at, "Save notification settings")
    assert at.success[0].value == "Notification settings saved."
    with app_env.connect() as conn:
        prefs = notify.get_prefs(conn, synced)
    assert (prefs["quiet_start"], prefs["quiet_end"]) == ("22:00", "07:00")
    assert prefs["lead_times_minutes"] == [2880, 180] and prefs["kinds"] == ["grade_posted", "due_reminder"]
    at = run_page(PAGES["settings"])
    assert at.text_input(key="notify_leads").value == "2d, 3h", "saved values shown again"

    with app_env.begin() as conn:  # a live worker: the app only queues the test
        jobs.beat(conn, worker_id="host-a:1:x", host="host-a", pid=1, current_user=None, synced=0)
    at.button(key="notify_test").click().run()
    assert "Test queued for 1 destination" in at.info[0].value
    with app_env.connect() as conn:
        assert notify.outbox_counts(conn, synced).get("pending") == 1
        target_id = notify.list_targets(conn, synced)[0]["id"]

    at.radio(key="notify_digest").set_value("daily")
    _submit(at, "Save notification settings")
    with app_env.connect() as conn:
        assert notify.get_prefs(conn, synced)["digest"] == "daily"
    at.button(key=f"notify_remove_{target_id}").click().run()
    assert at.success[0].value == "Removed." and _stored(app_env, synced)[1] == 0
    assert "No notification destinations yet." in texts(at)


def test_send_a_test_without_a_worker_delivers_it_from_the_app(synced, app_env):
    with Endpoint() as endpoint:
        at = run_page(PAGES["settings"])
        at.text_input(key="notify_url").input(endpoint.url())
        _submit(at, "Add")
        assert "Saved" in at.success[0].value
        at.button(key="notify_test").click().run()
        assert "Sending a test to 1 destination now" in at.info[0].value
        deadline = time.monotonic() + 30
        while not endpoint.accepted and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(endpoint.accepted) == 1, "the loopback endpoint received the test message"
        with app_env.connect() as conn:
            assert notify.outbox_counts(conn, synced).get("sent") == 1
        at = run_page(PAGES["settings"])
        assert "last delivered" in texts(at)
        assert "s3cret-path-token" not in texts(at) + str(endpoint.accepted[0].get("title", ""))


def test_a_delivery_given_up_is_shown_in_settings(synced, app_env, cipher):
    with app_env.begin() as conn:
        notify.add_target(conn, cipher, synced, SECRET_URL)
        notify.enqueue_test(conn, synced)
    with app_env.begin() as conn:
        claim = notify.claim_outbox(conn, owner="test", ttl=30)[0]
        assert notify.mark_failed(conn, claim, error="ntfy answered HTTP 500", retry_in=None)
    at = run_page(PAGES["settings"])
    failed = next(df.value for df in at.dataframe if "error" in df.value.columns)
    assert failed["error"].tolist() == ["ntfy answered HTTP 500"] and failed["what"].tolist() == ["Test"]
    assert "last delivery failed" in texts(at) or "Deliveries that failed" in texts(at)


def test_calendar_download_carries_the_reminder_lead_times(synced, app_env):
    from canvas.dashboard import notify_ui

    with app_env.begin() as conn:
        notify.save_prefs(conn, synced, lead_times_minutes=[2880, 180])
    assert notify_ui.lead_times(synced) == [2880, 180]
    at = run_page(PAGES["assignments"])
    assert not at.exception
