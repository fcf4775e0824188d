"""Shared mode's sign-in: Streamlit's native `st.login` (OpenID Connect) and `st.user`.

The identity is the ID token's issuer + subject (`iss`, `sub`), never the e-mail or a name. The
identity provider is configured by the operator in `.streamlit/secrets.toml` ([auth], see
`.streamlit/secrets.toml.example`); without it the sign-in page says so instead of crashing.

An anonymous session gets `sign_in_page()` on every page URL: the frame calls it before it draws
the sidebar or touches the database, so nothing else is ever sent to an anonymous browser.
"""

from __future__ import annotations

import logging
from typing import NoReturn

import streamlit as st

from canvas.accounts import Identity
from canvas.dashboard.fmt import md_escape

log = logging.getLogger(__name__)

APP_NAME = "Canvas Dashboard"


def auth_configured() -> bool:
    """Whether `[auth]` exists in the secrets (st.secrets raises when there is no secrets file)."""
    try:
        section = st.secrets.get("auth")
    except Exception:  # StreamlitSecretNotFoundError (no secrets.toml at all), a malformed file
        return False
    return bool(section)


def current_identity() -> Identity | None:
    """The signed-in identity of this session, or None (anonymous, or claims without iss/sub)."""
    try:
        user = st.user
        if not user.get("is_logged_in"):
            return None
        issuer, subject = user.get("iss"), user.get("sub")
    except Exception as exc:  # pragma: no cover - st.user outside a script run
        log.warning("st.user unavailable: %s", type(exc).__name__)
        return None
    if not isinstance(issuer, str) or not isinstance(subject, str) or not issuer or not subject:
        return None
    return Identity(issuer, subject)


def display_name() -> str:
    """What the sidebar shows for the signed-in person (name, else e-mail); Markdown-escaped."""
    try:
        user = st.user
        name = user.get("name") or user.get("email") or ""
    except Exception:  # pragma: no cover
        name = ""
    return md_escape(str(name)[:80]) if name else "signed in"


def sign_in_page() -> NoReturn:
    """The only thing an anonymous session sees: the title and a "Sign in" button. Stops the run."""
    st.title(f"🎓 {APP_NAME}")
    configured = auth_configured()
    st.button("Sign in", key="sign_in", icon=":material/login:", type="primary", disabled=not configured,
              on_click=_login if configured else None)
    if not configured:
        st.error("Sign-in is not configured on this server: the operator must add an [auth] section to "
                 ".streamlit/secrets.toml (see .streamlit/secrets.toml.example).", icon=":material/error:")
    elif _half_signed_in():
        st.error("Your sign-in provider did not send an issuer and subject: sign in again.", icon=":material/warning:")
    st.stop()
    raise AssertionError("unreachable")  # st.stop() raises


def _half_signed_in() -> bool:
    try:
        return bool(st.user.get("is_logged_in"))
    except Exception:  # pragma: no cover
        return False


def _login() -> None:
    st.login()


def sign_out_button() -> None:
    """Sidebar: who is signed in, and "Sign out" (st.logout clears the identity cookie)."""
    st.caption(f"Signed in as {display_name()}")
    st.button("Sign out", key="sign_out", icon=":material/logout:", width="stretch", on_click=st.logout)
