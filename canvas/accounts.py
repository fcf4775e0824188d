"""Connecting a Canvas account: check the token live, then store it encrypted (one transaction).

Shared by the CLI (`users add`), the Settings page and the demo path, so all three refuse a bad
URL or token the same way and store nothing when Canvas says no.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from canvas.api.client import CanvasClient
from canvas.api.hosts import CheckedUrl, check_base_url
from canvas.api.oauth import (
    OAuthClient,
    OAuthConfig,
    authorization_url,
    callback_params,
    new_state,
    parse_callback,
    state_hash,
)
from canvas.config import OAUTH_STATE_TTL_S, Settings
from canvas.crypto import TokenCipher, token_hint
from canvas.db import jobs, repo
from canvas.errors import AccountTaken, BadResponseError, CanvasDashboardError, OAuthStateError, PastedTokensRefused
from canvas.tokens import OAuthTokens, access_token_for, pack

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Connected:
    user_id: int
    canvas_user_id: int
    name: str
    base_url: str


def check_token(settings: Settings, base_url: str, token: str) -> tuple[CheckedUrl, dict[str, Any]]:
    """The URL policy, then `/users/self` with the token: (the checked URL, who the token belongs to).
    Raises UrlRefused or AuthError before anything is stored."""
    checked = check_base_url(base_url, settings.allowed_hosts)
    with CanvasClient.from_settings(checked, token, settings) as client:
        return checked, client.get("users/self")


def connect_account(engine: Engine, settings: Settings, cipher: TokenCipher, *, base_url: str,
                    token: str) -> Connected:
    checked, me = check_token(settings, base_url, token)
    base = checked.base_url
    canvas_id = int(me["id"])
    name = str(me.get("name") or "")
    with engine.begin() as conn:
        user_id = repo.upsert_user(conn, base_url=base, canvas_user_id=canvas_id, name=name,
                                   time_zone=me.get("time_zone"))
        repo.set_token(conn, user_id=user_id, ciphertext=cipher.encrypt(user_id, token), hint=token_hint(token))
        jobs.reset_after_new_token(conn, user_id)
    return Connected(user_id, canvas_id, name, base)


def disconnect_account(engine: Engine, *, user_id: int) -> None:
    """Forget the token (cached data stays viewable until the user is removed)."""
    with engine.begin() as conn:
        repo.clear_token(conn, user_id=user_id)


def delete_account(engine: Engine, settings: Settings, cipher: TokenCipher, *, user_id: int) -> None:
    """"Delete my data": revoke an OAuth grant at Canvas (best effort), then remove the user row;
    the cache, history, job and snapshots go with it (ON DELETE CASCADE)."""
    with engine.connect() as conn:
        row = repo.token_row(conn, user_id)
    if row is not None and row.auth_kind == "oauth":
        disconnect_oauth_account(engine, settings, cipher, user_id=user_id)
    with engine.begin() as conn:
        repo.delete_user(conn, user_id=user_id)


# -- shared mode: Canvas OAuth2 ----------------------------------------------------------------------


@dataclass(frozen=True)
class Identity:
    """The signed-in person (shared mode's st.login: OpenID Connect issuer + subject)."""

    issuer: str
    subject: str


def pasted_tokens_allowed(settings: Settings) -> bool:
    """Personal mode always; shared mode only when the operator allows it (Canvas's terms)."""
    return settings.dashboard_mode == "personal" or settings.allow_pasted_tokens


def require_pasted_tokens_allowed(settings: Settings) -> None:
    if not pasted_tokens_allowed(settings):
        raise PastedTokensRefused()


def start_oauth(engine: Engine, settings: Settings, *, base_url: str, identity: Identity | None = None,
                scopes: tuple[str, ...] = (), force_login: bool = False) -> str:
    """Begin "Connect Canvas": check the Canvas URL, remember a fresh `state` (hashed, bound to this
    identity and URL, single use, 15 minutes) and return the Canvas authorization URL to send the
    browser to. Nothing is sent to Canvas here."""
    checked = check_base_url(base_url, settings.allowed_hosts)
    config = OAuthConfig.from_settings(settings)
    state = new_state()
    with engine.begin() as conn:
        repo.prune_oauth_states(conn, max_age_s=OAUTH_STATE_TTL_S)
        repo.save_oauth_state(conn, state_hash=state_hash(state), base_url=checked.base_url,
                              identity_issuer=identity.issuer if identity else None,
                              identity_subject=identity.subject if identity else None)
    return authorization_url(checked.base_url, config, state, scopes=scopes, force_login=force_login)


def finish_oauth(engine: Engine, settings: Settings, cipher: TokenCipher, *,
                 query: str | Mapping[str, Any], identity: Identity | None = None) -> Connected:
    """Handle Canvas's redirect back to CANVAS_OAUTH_REDIRECT_URI (its query string, or
    `st.query_params`): consume the state (it must have been started by this same identity),
    then exchange the code server-side and store the tokens encrypted.

    Raises OAuthStateError (unknown, reused, expired or someone else's state), OAuthDenied (the
    student cancelled), AccountTaken, OAuthReauthorize (Canvas refused the code), UrlRefused,
    CanvasError. Nothing is stored unless everything succeeded."""
    params = callback_params(query)
    state = params.get("state", "")
    if not state:
        raise OAuthStateError()
    with engine.begin() as conn:
        pending = repo.take_oauth_state(conn, state_hash=state_hash(state), max_age_s=OAUTH_STATE_TTL_S)
    expected = (identity.issuer, identity.subject) if identity else (None, None)
    if pending is None or (pending.identity_issuer, pending.identity_subject) != expected:
        raise OAuthStateError()
    code = parse_callback(params, state)  # OAuthDenied when Canvas sent ?error=...
    return connect_oauth_account(engine, settings, cipher, base_url=pending.base_url, code=code,
                                 identity=identity)


def connect_oauth_account(engine: Engine, settings: Settings, cipher: TokenCipher, *, base_url: str,
                          code: str, identity: Identity | None = None) -> Connected:
    """Exchange an authorization code (server-side), check the token live, store it encrypted.

    Lower level than `finish_oauth` (which also checks the state): use that from the UI."""
    checked = check_base_url(base_url, settings.allowed_hosts)
    base = checked.base_url
    config = OAuthConfig.from_settings(settings)
    with OAuthClient.for_checked(checked, config, timeout=settings.request_timeout_s,
                                 max_attempts=settings.sync_max_retries,
                                 backoff_base=settings.retry_backoff_ms / 1000) as oauth_client:
        grant = oauth_client.exchange_code(code)
        try:
            with CanvasClient.from_settings(checked, grant.access_token, settings) as client:
                me = client.get("users/self")
            canvas_id = int(me["id"])
            if grant.canvas_user_id is not None and grant.canvas_user_id != canvas_id:
                raise BadResponseError(200, "/api/v1/users/self", "token belongs to another Canvas user")
            name = str(me.get("name") or grant.user_name or "")
            assert grant.refresh_token is not None  # exchange_code guarantees it
            tokens = OAuthTokens(grant.access_token, grant.refresh_token)
            with engine.begin() as conn:
                user_id = repo.upsert_user(conn, base_url=base, canvas_user_id=canvas_id, name=name,
                                           time_zone=me.get("time_zone"))
                if identity is not None:
                    row = repo.token_row(conn, user_id, lock=True)
                    assert row is not None
                    if row.identity_subject is not None and (row.identity_issuer, row.identity_subject) != (
                            identity.issuer, identity.subject):
                        raise AccountTaken()
                    repo.set_identity(conn, user_id=user_id, issuer=identity.issuer, subject=identity.subject)
                repo.set_oauth_tokens(conn, user_id=user_id, ciphertext=cipher.encrypt(user_id, pack(tokens)),
                                      hint=f"OAuth {token_hint(grant.refresh_token)}", expires_at=grant.expires_at)
                jobs.reset_after_new_token(conn, user_id)
        except BaseException:
            _revoke_quietly(oauth_client, grant.access_token)  # nothing stored: don't leave a live grant
            raise
    return Connected(user_id, canvas_id, name, base)


def disconnect_oauth_account(engine: Engine, settings: Settings, cipher: TokenCipher, *, user_id: int) -> bool:
    """Revoke the grant at Canvas (DELETE /login/oauth2/token), then forget the tokens here.

    Returns whether Canvas confirmed the revocation; the local tokens are forgotten either way."""
    with engine.connect() as conn:
        row = repo.token_row(conn, user_id)
    revoked = False
    if row is not None and row.auth_kind == "oauth" and row.token_ciphertext is not None:
        try:
            token = access_token_for(engine, settings, cipher, user_id)
            with OAuthClient.for_settings(settings, row.base_url) as client:
                client.revoke(token)
            revoked = True
        except CanvasDashboardError as exc:
            log.warning("Could not revoke the Canvas authorization of user %s: %s", user_id, exc)
    disconnect_account(engine, user_id=user_id)
    return revoked


def _revoke_quietly(client: OAuthClient, access_token: str) -> None:
    try:
        client.revoke(access_token)
    except CanvasDashboardError:
        log.warning("Could not revoke an unused Canvas authorization")
