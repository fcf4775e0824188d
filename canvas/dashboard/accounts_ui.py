"""Settings page actions (Streamlit callbacks): connect, disconnect, try the demo.

Callbacks run before the script, so they may set the account picker's state. They do only fast
things: one live token check against Canvas, one transaction, and at most a thread start.
"""

from __future__ import annotations

import logging

import streamlit as st

from canvas import errors
from canvas.accounts import connect_account, disconnect_account
from canvas.dashboard import data, demo, syncing
from canvas.dashboard.fmt import md_escape

log = logging.getLogger(__name__)


def _say(kind: str, message: str) -> None:
    st.session_state["settings_feedback"] = (kind, message)


def show_feedback() -> None:
    feedback = st.session_state.pop("settings_feedback", None)
    if not feedback:
        return
    kind, message = feedback
    {"success": st.success, "error": st.error, "info": st.info}[kind](message)


def _select(user_id: int) -> None:
    st.session_state["dashboard_user"] = user_id
    st.session_state.pop("grades_refresh_requested", None)


def connect() -> None:
    url = str(st.session_state.get("connect_url") or "").strip()
    token = str(st.session_state.get("connect_token") or "").strip()
    if not url or not token:
        _say("error", "Enter both the Canvas URL and an access token.")
        return
    settings, engine = data.settings(), data.engine()
    try:
        connected = connect_account(engine, settings, data.cipher(), base_url=url, token=token)
    except errors.UrlRefused as exc:
        _say("error", f"That URL is not allowed: {md_escape(exc)}")
        return
    except errors.AuthError:
        _say("error", "Canvas rejected this token (invalid, expired or revoked). Nothing was saved.")
        return
    except errors.CanvasError as exc:
        _say("error", f"Could not reach Canvas: {type(exc).__name__}. Nothing was saved.")
        return
    _select(connected.user_id)
    try:
        result = syncing.request_sync(engine, settings, connected.user_id, cipher=data.cipher())
        note = result.message
    except Exception as exc:
        log.warning("sync request after connect failed: %s", exc)
        note = "Press Sync now to fetch your data."
    _say("success", f"Connected as {md_escape(connected.name or 'student')} ({md_escape(connected.base_url)}). "
                    f"{note}")


def disconnect(user_id: int) -> None:
    disconnect_account(data.engine(), user_id=user_id)
    _say("info", "Disconnected: the token is deleted. Cached data stays viewable until you connect again.")


def try_demo() -> None:
    try:
        connected = demo.start_demo(data.engine(), data.settings(), data.cipher())
    except Exception as exc:
        log.warning("demo failed: %s", exc)
        _say("error", f"The demo could not start: {type(exc).__name__}: {md_escape(str(exc)[:200])}")
        return
    _select(connected.user_id)
    _say("success", f"Demo connected as {md_escape(connected.name)}. The first sync is running: open the Overview in a "
                    "few seconds.")
