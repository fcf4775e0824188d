"""Settings → Notifications: where to send (Apprise URLs), what, when, and a test message.

An Apprise URL is a secret (it carries webhook tokens or passwords): it is typed into a password
field that is cleared on submit, checked (Apprise must understand it; the host policy of Canvas URLs
applies), stored encrypted by `canvas.db.notify.add_target`, and from then on shown only as its
masked label ("ntfy://…"). Messages never repeat it.

Every save is one transaction after validation (`canvas.notify.prefs`): bad input shows the rule's
one sentence and stores nothing. Delivery is the worker's: "Send a test" queues a message; only when
no worker is alive does the app drain that user's messages itself, in a background thread (the same
claim, lease and fence as the worker, so the two can never both send it).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import pandas as pd
import streamlit as st

from canvas.dashboard import changes_feed, data, fmt, syncing
from canvas.db import jobs, notify
from canvas.errors import UsageError
from canvas.notify import courier
from canvas.notify import prefs as rules
from canvas.rows import NotifyFailure, NotifyPrefs, NotifyTarget

log = logging.getLogger(__name__)

FEEDBACK = "notify_feedback"
DIGEST_LABELS = {"per_sync": "One message per sync", "daily": "One daily digest"}


def _say(kind: str, message: str) -> None:
    st.session_state[FEEDBACK] = (kind, message)


def _show_feedback() -> None:
    feedback = st.session_state.pop(FEEDBACK, None)
    if feedback:
        kind, message = feedback
        {"success": st.success, "error": st.error, "info": st.info}[kind](message)


# -- callbacks (fast: one transaction each) --------------------------------------------------
def add_target(user_id: int) -> None:
    url = str(st.session_state.get("notify_url") or "")
    st.session_state["notify_url"] = ""  # not kept in the session, never echoed back (also on errors)
    if not url.strip():
        _say("error", "Paste a notification URL first, such as ntfy://my-topic.")
        return
    try:  # add_target checks the URL (Apprise understands it, host policy, how many) before storing it
        with data.engine().begin() as conn:
            notify.add_target(conn, data.cipher(), user_id, url, allowed_hosts=data.settings().allowed_hosts)
    except UsageError as exc:
        _say("error", f"{exc} Nothing was saved.")
        return
    _say("success", "Saved. Use **Send a test** to check that messages arrive.")


def remove_target(user_id: int, target_id: int) -> None:
    with data.engine().begin() as conn:
        removed = notify.remove_target(conn, user_id, target_id)
    _say("success" if removed else "info", "Removed." if removed else "That destination was already removed.")


def save_prefs(user_id: int) -> None:
    s = st.session_state
    changes = {
        "kinds": list(s.get("notify_kinds") or []),
        "quiet_start": s.get("notify_quiet_start") or None,
        "quiet_end": s.get("notify_quiet_end") or None,
        "digest": s.get("notify_digest") or "per_sync",
        "digest_time": s.get("notify_digest_time") or None,
        "lead_times_minutes": str(s.get("notify_leads") or ""),
    }
    if not changes["digest_time"]:
        changes.pop("digest_time")
    try:
        with data.engine().begin() as conn:
            notify.save_prefs(conn, user_id, **changes)
    except UsageError as exc:
        _say("error", f"{exc} Nothing was saved.")
        return
    _say("success", "Notification settings saved.")


def send_test(user_id: int) -> None:
    with data.engine().begin() as conn:
        queued = notify.enqueue_test(conn, user_id)
        alive = jobs.any_worker_alive(conn)
    if not queued:
        _say("error", "Add a notification URL first.")
        return
    where = f"{queued} destination{'s' if queued != 1 else ''}"
    if alive:
        _say("info", f"Test queued for {where}: the sync worker sends it within a minute. Reload this page to "
                     "see whether it arrived; failures show below.")
        return
    _send_here(user_id)
    _say("info", f"Sending a test to {where} now (no worker is running, so the app sends it). Reload this page "
                 "in a few seconds to see whether it arrived.")


def _send_here(user_id: int) -> None:
    """Deliver this user's due messages from a background thread (touches only the database and the
    notification services, never Streamlit; the page learns the outcome from the targets' rows)."""
    engine, settings, cipher = data.engine(), data.settings(), data.cipher()

    def run() -> None:
        try:
            courier.drain(engine, settings, cipher, syncing.owner_name(), max_messages=20, user_id=user_id)
        except Exception as exc:  # the outbox row stays pending for the next sender
            log.warning("in-app notification send failed: %s", type(exc).__name__)

    threading.Thread(target=run, name=f"canvas-notify-{user_id}", daemon=True).start()


# -- reads -----------------------------------------------------------------------------------
@data.guarded
def _reads(user_id: int) -> tuple[NotifyPrefs, list[NotifyTarget], list[NotifyFailure]]:
    with data.engine().connect() as conn:
        return notify.get_prefs(conn, user_id), notify.list_targets(conn, user_id), \
            notify.recent_failures(conn, user_id)


# -- the section -----------------------------------------------------------------------------
def section(frame: Any) -> None:
    """Settings' Notifications section (nothing without a connected account)."""
    st.subheader("Notifications")
    if frame.user is None:
        st.caption("Connect a Canvas account first.")
        return
    uid = frame.user_id
    prefs, targets, failures = _reads(uid)
    _show_feedback()
    st.write("Get grades, due-date changes and reminders on your phone or in chat. Paste an "
             "[Apprise URL](https://github.com/caronc/apprise/wiki) for ntfy, email, Discord, Slack, Telegram, "
             "Matrix and many more.")
    _targets(uid, targets, frame)
    with st.form("notify_add", clear_on_submit=True, border=True):
        st.text_input("Notification URL", key="notify_url", type="password", placeholder="ntfy://my-topic",
                      help="Stored encrypted and never shown again: only its kind (ntfy://…) is listed.")
        st.form_submit_button("Add", icon=":material/add_alert:", on_click=add_target, args=(uid,))
    _prefs_form(uid, prefs, frame)
    st.button("Send a test", key="notify_test", icon=":material/send:", on_click=send_test, args=(uid,),
              disabled=not targets, help="Queue a test message to every destination above")
    _failures(failures, frame)


def _targets(user_id: int, targets: list[NotifyTarget], frame: Any) -> None:
    if not targets:
        st.caption("No notification destinations yet.")
        return
    for t in targets:
        left, right = st.columns([4, 1], vertical_alignment="center")
        status = "never used"
        ok_at, error, error_at = t["last_ok_at"], t["last_error"], t["last_error_at"]
        if error and (ok_at is None or (error_at is not None and error_at > ok_at)):
            status = f":red[last delivery failed: {fmt.md_escape(error)}]"
        elif ok_at is not None:
            status = f"last delivered {fmt.md_escape(fmt.relative(ok_at, frame.now))}"
        left.markdown(f":material/notifications: **{fmt.md_escape(t['label'])}** · {status}")
        right.button("Remove", key=f"notify_remove_{t['id']}", icon=":material/delete:", on_click=remove_target,
                     args=(user_id, int(t["id"])), width="stretch")


def _prefs_form(user_id: int, prefs: NotifyPrefs, frame: Any) -> None:
    with st.form("notify_prefs", border=True):
        st.multiselect("Send me", list(rules.KINDS), default=list(prefs["kinds"]), key="notify_kinds",
                       format_func=changes_feed.kind_label)
        q1, q2 = st.columns(2)
        q1.text_input("Quiet hours from", value=prefs.get("quiet_start") or "", key="notify_quiet_start",
                      placeholder="22:00", help="24-hour clock, in your time zone; leave both empty for none")
        q2.text_input("Quiet hours until", value=prefs.get("quiet_end") or "", key="notify_quiet_end",
                      placeholder="07:00")
        d1, d2 = st.columns(2)
        d1.radio("How", list(rules.DIGESTS), index=list(rules.DIGESTS).index(prefs.get("digest") or "per_sync"),
                 key="notify_digest", format_func=DIGEST_LABELS.get, horizontal=True)
        d2.text_input("Daily digest at", value=prefs.get("digest_time") or "08:00", key="notify_digest_time",
                      help="Used with the daily digest")
        st.text_input("Remind me before due dates", key="notify_leads",
                      value=", ".join(rules.format_lead(m) for m in prefs.get("lead_times_minutes") or []),
                      placeholder="2d, 3h",
                      help="For work not yet submitted, e.g. \"2d, 3h\" (up to 5, each at most 14 days). The "
                           "calendar (.ics) download on Assignments carries the same reminders.")
        st.caption(f"Times are in {fmt.md_escape(prefs.get('timezone') or frame.tz.key)}.")
        st.form_submit_button("Save notification settings", icon=":material/save:", type="primary",
                              on_click=save_prefs, args=(user_id,))


def _failures(failures: list[NotifyFailure], frame: Any) -> None:
    if not failures:
        return
    st.markdown("**Deliveries that failed** (tried several times, then given up)")
    st.dataframe(
        pd.DataFrame([{"when": fmt.fmt_when(f.get("failed_at"), frame.tz), "to": f.get("label"),
                       "what": changes_feed.kind_label(str(f.get("kind"))) if f.get("kind") != notify.TEST_KIND
                       else "Test", "tries": f.get("attempts"), "error": f.get("last_error")} for f in failures]),
        hide_index=True, width="stretch", key="notify_failures",
        column_config={"when": st.column_config.TextColumn("When", width=130),
                       "to": st.column_config.TextColumn("To", width=90),
                       "what": st.column_config.TextColumn("What", width=120),
                       "tries": st.column_config.NumberColumn("Tries", width=50),
                       "error": st.column_config.TextColumn("Error", width=300)})


@data.guarded
def lead_times(user_id: int) -> list[int]:
    """The reminder lead times (minutes), for the .ics download's alarms."""
    with data.engine().connect() as conn:
        return [int(m) for m in notify.get_prefs(conn, user_id).get("lead_times_minutes") or []]
