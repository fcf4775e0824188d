"""Settings page actions (Streamlit callbacks): connect, disconnect, try the demo, Connect Canvas (OAuth).

Callbacks run before the script, so they may set the account picker's state. They do only fast
things: one live token check against Canvas, one transaction, and at most a thread start.

Shared mode: every action re-derives the signed-in identity from `st.user` (never from widget
values or query parameters) and acts only on that identity's own users row. Pasted personal access
tokens are refused server-side unless the operator allows them (`require_pasted_tokens_allowed`),
and the demo is personal mode only (its simulated student is one users row that several sign-ins
would share).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import streamlit as st
from sqlalchemy import Engine

from canvas import errors
from canvas.accounts import (
    Connected,
    Identity,
    check_token,
    connect_account,
    disconnect_account,
    disconnect_oauth_account,
    finish_oauth,
    require_pasted_tokens_allowed,
    start_oauth,
)
from canvas.config import Settings
from canvas.crypto import TokenCipher, token_hint
from canvas.dashboard import data, demo, signin, syncing
from canvas.dashboard.fmt import md_escape
from canvas.db import jobs, repo
from canvas.messages import connect_failed

log = logging.getLogger(__name__)

CALLBACK_KEYS = ("code", "state", "error", "error_description")
AUTHORIZE_KEY = "oauth_authorize"  # session_state: (identity, authorize URL) after "Connect Canvas"


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


def _shared(settings: Settings) -> bool:
    return settings.dashboard_mode == "shared"


def _request_first_sync(engine: Engine, settings: Settings, user_id: int) -> str:
    try:
        return syncing.request_sync(engine, settings, user_id, cipher=data.cipher()).message
    except Exception as exc:
        log.warning("sync request after connect failed: %s", type(exc).__name__)
        return "Press Sync now to fetch your data."


# -- pasted personal access token ------------------------------------------------------------------
def connect() -> None:
    settings, engine = data.settings(), data.engine()
    identity = signin.current_identity() if _shared(settings) else None
    try:
        require_pasted_tokens_allowed(settings)  # enforced here too, not only by hiding the form
    except errors.PastedTokensRefused:
        _say("error", "This dashboard connects Canvas with the Connect Canvas button; pasted tokens are turned off.")
        return
    if _shared(settings) and identity is None:
        _say("error", "Sign in first.")
        return
    url = str(st.session_state.get("connect_url") or "").strip()
    token = str(st.session_state.get("connect_token") or "").strip()
    if not url or not token:
        _say("error", connect_failed("missing"))
        return
    try:
        if identity is None:
            connected = connect_account(engine, settings, data.cipher(), base_url=url, token=token)
        else:
            connected = connect_pasted_for_identity(engine, settings, data.cipher(), base_url=url, token=token,
                                                    identity=identity)
    except errors.AccountTaken:
        _say("error", "This Canvas account is already connected to another sign-in on this dashboard.")
        return
    except (errors.UrlRefused, errors.CanvasError) as exc:
        _say("error", connect_error(exc))  # the form keeps what was typed (clear_on_submit=False)
        return
    st.session_state["connect_token"] = ""  # saved (encrypted): the field need not hold it any longer
    _select(connected.user_id)
    note = _request_first_sync(engine, settings, connected.user_id)
    _say("success", f"Connected as {md_escape(connected.name or 'student')} ({md_escape(connected.base_url)}). "
                    f"{note}")


def connect_error(exc: Exception) -> str:
    """One sentence per way the live check can fail: not a URL, no such host, not allowed (why),
    unreachable, too slow, token rejected, not Canvas."""
    if isinstance(exc, errors.NotAUrl):
        return connect_failed("not_a_url")
    if isinstance(exc, errors.HostUnresolved):
        return connect_failed("unresolved")
    if isinstance(exc, errors.UrlRefused):
        return connect_failed("not_allowed", md_escape(str(exc).rstrip(".")))
    if isinstance(exc, errors.AuthError):
        return connect_failed("rejected")
    if isinstance(exc, errors.TransportError):
        return connect_failed("too_slow" if "timed out" in str(exc) else "unreachable")
    return connect_failed("not_canvas")


def connect_pasted_for_identity(engine: Engine, settings: Settings, cipher: TokenCipher, *, base_url: str,
                                token: str, identity: Identity) -> Connected:
    """Shared mode with pasted tokens allowed: like `connect_account`, but the row is bound to the
    signed-in identity, and a Canvas account another identity already holds is refused (checked
    under the row lock in the same transaction that stores the token)."""
    require_pasted_tokens_allowed(settings)
    checked, me = check_token(settings, base_url, token)  # AuthError here: nothing has been stored
    canvas_id = int(me["id"])
    name = str(me.get("name") or "")
    with engine.begin() as conn:
        user_id = repo.upsert_user(conn, base_url=checked.base_url, canvas_user_id=canvas_id, name=name,
                                   time_zone=me.get("time_zone"))
        row = repo.token_row(conn, user_id, lock=True)
        assert row is not None
        if row.identity_subject is not None and (row.identity_issuer, row.identity_subject) != (
                identity.issuer, identity.subject):
            raise errors.AccountTaken()  # rolls back the upsert too
        repo.set_identity(conn, user_id=user_id, issuer=identity.issuer, subject=identity.subject)
        repo.set_token(conn, user_id=user_id, ciphertext=cipher.encrypt(user_id, token), hint=token_hint(token))
        jobs.reset_after_new_token(conn, user_id)
    return Connected(user_id, canvas_id, name, checked.base_url)


# -- disconnect ----------------------------------------------------------------------------------
def disconnect(user_id: int) -> None:
    settings, engine = data.settings(), data.engine()
    if _shared(settings):
        identity = signin.current_identity()
        own = data.user_for_identity(identity.issuer, identity.subject) if identity else None
        if own is None or int(own["id"]) != int(user_id):  # only ever this identity's own row
            _say("error", "Nothing to disconnect.")
            return
    with engine.connect() as conn:
        row = repo.token_row(conn, user_id)
    if row is not None and row.auth_kind == "oauth":
        revoked = disconnect_oauth_account(engine, settings, data.cipher(), user_id=user_id)
        _say("info", "Disconnected: Canvas access is revoked and the tokens are deleted. Cached data stays viewable "
                     "until you connect again." if revoked else
             "Disconnected: the tokens are deleted here (Canvas could not confirm the revocation). Cached data "
             "stays viewable until you connect again.")
        return
    disconnect_account(engine, user_id=user_id)
    _say("info", "Disconnected: the token is deleted. Cached data stays viewable until you connect again.")


# -- the demo (personal mode only) -----------------------------------------------------------------
def try_demo() -> None:
    if _shared(data.settings()):
        _say("error", "The demo is available in personal mode only.")
        return
    try:
        connected = demo.start_demo(data.engine(), data.settings(), data.cipher())
    except Exception as exc:
        log.warning("demo failed: %s", exc)
        _say("error", "The demo could not start (the simulated Canvas did not come up): try again in a moment.")
        return
    _select(connected.user_id)
    _say("success", f"Demo connected as {md_escape(connected.name)}. The first sync is running: open the Overview in a "
                    "few seconds.")


# -- Connect Canvas (OAuth2, shared mode) ----------------------------------------------------------
def start_connect() -> None:
    """"Connect Canvas": remember a fresh state bound to this identity; the page then shows the
    link to Canvas's authorization page (nothing is sent to Canvas yet)."""
    settings = data.settings()
    identity = signin.current_identity()
    st.session_state.pop(AUTHORIZE_KEY, None)
    if identity is None:
        _say("error", "Sign in first.")
        return
    url = str(st.session_state.get("oauth_url") or "").strip()
    if not url:
        _say("error", "Enter your school's Canvas URL.")
        return
    try:
        authorize = start_oauth(data.engine(), settings, base_url=url, identity=identity)
    except errors.UrlRefused as exc:
        _say("error", f"That URL is not allowed: {md_escape(exc)}")
        return
    except errors.ConfigError as exc:
        _say("error", f"Connect Canvas is not set up on this server: {md_escape(exc)}")
        return
    st.session_state[AUTHORIZE_KEY] = (identity, authorize)


def authorize_url(identity: Identity | None) -> str | None:
    """The pending authorization URL for this session's identity (after "Connect Canvas")."""
    pending = st.session_state.get(AUTHORIZE_KEY)
    if not pending or identity is None or pending[0] != identity:
        return None
    return str(pending[1])


def is_oauth_callback(query: Mapping[str, Any]) -> bool:
    return any(key in query for key in ("code", "state", "error"))


def handle_oauth_callback(identity: Identity | None) -> bool:
    """Canvas sent the browser back here with ?code&state (or ?error): finish once, clear the query.

    Returns True when the page should rerun (the frame then shows the newly connected account)."""
    query = st.query_params.to_dict()
    if not is_oauth_callback(query):
        return False
    params = {k: v for k, v in query.items() if k in CALLBACK_KEYS}
    for key in list(st.query_params):  # the code and state are single use: drop them from the URL now
        del st.query_params[key]
    settings, engine = data.settings(), data.engine()
    if not _shared(settings) or identity is None:
        return False  # personal mode never starts OAuth: ignore a stray callback
    st.session_state.pop(AUTHORIZE_KEY, None)
    try:
        connected = finish_oauth(engine, settings, data.cipher(), query=params, identity=identity)
    except errors.OAuthStateError:
        _say("error", "This Canvas authorization link was already used, has expired or belongs to another sign-in: "
                      "press Connect Canvas again.")
    except errors.OAuthDenied:
        _say("error", "Canvas access was not granted, so nothing was saved.")
    except errors.AccountTaken:
        _say("error", "This Canvas account is already connected to another sign-in on this dashboard.")
    except errors.OAuthReauthorize:
        _say("error", "Canvas refused the authorization (expired or already used): press Connect Canvas again.")
    except errors.OAuthClientError:
        _say("error", "Canvas refused this dashboard's developer key: tell the dashboard's operator.")
    except errors.UrlRefused as exc:
        _say("error", f"That Canvas URL is not allowed: {md_escape(exc)}")
    except errors.ConfigError as exc:
        _say("error", f"Connect Canvas is not set up on this server: {md_escape(exc)}")
    except errors.CanvasError as exc:
        _say("error", connect_error(exc))
    else:
        note = _request_first_sync(engine, settings, connected.user_id)
        _say("success", f"Connected as {md_escape(connected.name or 'student')} "
                        f"({md_escape(connected.base_url)}). {note}")
    return True
