"""The sidebar's sync status box: what state the data is in, a live progress bar, Cancel.

Drawn by frame.sync_status (a polling fragment). Progress is what actually arrived: courses done
of courses, written on the running sync_runs row by whichever process runs the sync; Cancel
stamps that row and the run stops within about a second (canvas.sync.runner polls it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

import streamlit as st

from canvas import messages
from canvas.dashboard import data, fmt
from canvas.db import progress
from canvas.sync.status import SyncStatus, ago


def running(user_id: int) -> dict[str, Any] | None:
    try:
        with data.engine().connect() as conn:
            return progress.running_progress(conn, user_id=user_id)
    except Exception:
        return None


def _cancel(user_id: int) -> None:
    with data.engine().begin() as conn:
        asked = progress.request_cancel(conn, user_id=user_id)
    st.session_state["sync_feedback"] = (":material/cancel:", "Stopping the sync…" if asked else
                                         "The sync had already finished.")


def progress_text(run: dict[str, Any] | None, deadline_s: float) -> tuple[float, str]:
    """(fraction, caption) from what arrived: the course list first, then courses done of courses."""
    if run is None:
        return 0.0, "Starting…"
    elapsed = max(0.0, (run["db_now"] - run["started_at"]).total_seconds())
    left = max(0, int(deadline_s - elapsed))
    if run.get("cancelling"):
        return 0.0, "Stopping…"
    total = run.get("progress_total")
    if run.get("kind") == "recent":
        return 0.0, f"Fetching recently posted grades · {elapsed:.0f} s"
    if total is None:
        return 0.0, f"Fetching your course list · {elapsed:.0f} s (gives up in {left} s)"
    done = int(run.get("progress_done") or 0)
    if total == 0:
        return 1.0, "No courses to fetch"
    return done / total, f"{done} of {total} courses · {elapsed:.0f} s (gives up in {left} s)"


def render(user_id: int, facts: Mapping[str, Any], status: SyncStatus, syncing_now: bool, deadline_s: float,
           tz: ZoneInfo | None, settings_page: str) -> None:
    state = messages.display_state(status.state, facts)
    with st.container(key="sync_status", border=True):
        if syncing_now:
            st.markdown("**:material/sync: Syncing**")
            fraction, caption = progress_text(running(user_id), deadline_s)
            st.progress(min(1.0, fraction), text=caption)
            st.button("Cancel", key="cancel_sync", icon=":material/cancel:", on_click=_cancel, args=(user_id,),
                      help="Stop this sync; your cached data stays as it is")
        elif facts.get("requested_at") and state != "error":
            st.markdown("**:material/hourglass_top: Sync requested**")
            st.caption("Waiting for the sync service to pick it up…")
        else:
            icon, label = messages.STATE_LABELS[state]
            st.markdown(f"**{icon} {label}**")
        st.caption(f"Last sync: {ago(status.last_sync, facts['db_now'])}  \n"
                   f"Cached: {status.courses} courses · {status.assignments} assignments")
        sentence = None if syncing_now else messages.status_sentence(facts, status.state, tz)
        if sentence:
            (st.info if state == "disconnected" else st.error)(fmt.md_escape(sentence),
                                                               icon=":material/info:" if state == "disconnected"
                                                               else ":material/error:")
            if "settings" in sentence.lower():
                st.page_link(settings_page, label="Open Settings", icon=":material/settings:")


def banner(facts: Mapping[str, Any] | None, status: SyncStatus | None, has_data: bool, running_here: bool,
           now: Any, tz: ZoneInfo | None) -> None:
    """The page-top note: why the data is missing or old, in one sentence."""
    if status is None or facts is None:
        return
    sentence = messages.status_sentence(facts, status.state, tz)
    state = messages.display_state(status.state, facts)
    if not has_data:
        if sentence and state != "disconnected":
            st.error(fmt.md_escape(sentence), icon=":material/error:")
        elif status.state == "syncing" or running_here:
            st.info("The first sync is running: this page fills in as soon as it finishes.", icon=":material/sync:")
        elif state == "disconnected":
            st.info(fmt.md_escape(sentence or messages.DISCONNECTED), icon=":material/link_off:")
        else:
            st.info("Nothing cached yet: press **Sync now** in the sidebar to fetch your courses.",
                    icon=":material/inbox:")
    elif sentence and state != "disconnected":
        age = ago(status.last_sync, now)
        st.warning(f"{fmt.md_escape(sentence)} Showing your data from the last successful sync (**{age}**).",
                   icon=":material/warning:")


