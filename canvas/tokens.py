"""The one way to get a usable Canvas access token for a user: `access_token_for`.

* 'pat' users (personal access tokens): decrypt and return.
* 'oauth' users: the row's ciphertext holds `{"v": 1, "access": …, "refresh": …}` (one ciphertext,
  so key rotation and "disconnect" cover both tokens), and `access_token_expires_at` says when to
  refresh (Canvas's expiry minus a margin). A live access token is returned as is; otherwise
  whichever process needs it refreshes, under the user row's lock (`SELECT … FOR UPDATE`), so two
  workers never both refresh: the second waits, re-reads and uses the first one's new token.
  A refresh Canvas refuses (invalid_grant or a 401) marks the user "reconnect Canvas".
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from canvas import errors
from canvas.api.oauth import OAuthClient
from canvas.config import Settings
from canvas.crypto import TokenCipher
from canvas.db import jobs, repo
from canvas.db.session import bounded_transaction
from canvas.log import register_secret

log = logging.getLogger(__name__)

# A sync asks for a token that stays valid this long, so it doesn't die half-way through a run.
SYNC_MIN_TTL = timedelta(minutes=5)
REFRESH_REFUSED_MESSAGE = "Canvas refused to renew access (the authorization was revoked or expired): reconnect Canvas."


@dataclass(frozen=True)
class OAuthTokens:
    access: str = field(repr=False)
    refresh: str = field(repr=False)


def pack(tokens: OAuthTokens) -> str:
    """The plaintext stored (encrypted, bound to the user) for an OAuth user."""
    return json.dumps({"v": 1, "access": tokens.access, "refresh": tokens.refresh}, separators=(",", ":"))


def unpack(plain: str) -> OAuthTokens | None:
    """The OAuth tokens in a decrypted row, or None when the row holds a personal access token."""
    if not plain.startswith("{"):
        return None
    try:
        data = json.loads(plain)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("v") != 1:
        return None
    access, refresh = data.get("access"), data.get("refresh")
    if not isinstance(access, str) or not isinstance(refresh, str):
        return None
    return OAuthTokens(access, refresh)


def _decrypt(cipher: TokenCipher, row: repo.TokenRow) -> str:
    if row.token_ciphertext is None:
        raise errors.NoTokenSaved()
    plain = cipher.decrypt(row.id, row.token_ciphertext)  # TokenUnreadable when no key opens it
    register_secret(plain)
    return plain


def _fresh(expires_at: datetime | None, now: datetime, min_ttl: timedelta) -> bool:
    return expires_at is None or expires_at - min_ttl > now


def _refresh_budget_ms(settings: Settings) -> int:
    """The refresher holds the row lock across one HTTP exchange: bound how long others wait for it,
    and let PostgreSQL drop the lock if the holder stalls mid-transaction."""
    return int((settings.request_timeout_s * 2 * settings.sync_max_retries + 10) * 1000)


def access_token_for(engine: Engine, settings: Settings, cipher: TokenCipher, user_id: int, *,
                     min_ttl: timedelta = timedelta(0), now: datetime | None = None,
                     oauth_client: Callable[[Settings, str], OAuthClient] = OAuthClient.for_settings) -> str:
    """A Canvas access token for this user, valid for at least `min_ttl` more (OAuth users).

    Raises TokenUnusable when there is no usable token (NoTokenSaved, TokenUnreadable, or
    OAuthReauthorize when Canvas refused the refresh: then the user is also marked "reconnect
    Canvas"), OAuthClientError when Canvas refuses
    the developer key, TransportError/ServerError when Canvas can't be reached (try again later)."""
    with engine.connect() as conn:
        row = repo.token_row(conn, user_id)
    if row is None:
        raise errors.UsageError(f"no user with id {user_id}")
    plain = _decrypt(cipher, row)
    tokens = unpack(plain) if row.auth_kind == "oauth" else None
    if tokens is None:
        return plain  # a personal access token (also one saved over an earlier OAuth connection)
    clock = now or datetime.now(UTC)
    if _fresh(row.access_token_expires_at, clock, min_ttl):
        return tokens.access
    return _refresh(engine, settings, cipher, user_id, min_ttl, clock, oauth_client)


def _refresh(engine: Engine, settings: Settings, cipher: TokenCipher, user_id: int, min_ttl: timedelta,
             now: datetime, oauth_client: Callable[[Settings, str], OAuthClient]) -> str:
    refused: errors.OAuthReauthorize | None = None
    budget_ms = _refresh_budget_ms(settings)
    with bounded_transaction(engine, lock_timeout_ms=budget_ms, idle_timeout_ms=budget_ms) as conn:
        row = repo.token_row(conn, user_id, lock=True)  # waits while another process refreshes
        if row is None:
            raise errors.UsageError(f"no user with id {user_id}")
        plain = _decrypt(cipher, row)
        tokens = unpack(plain) if row.auth_kind == "oauth" else None
        if tokens is None:
            return plain
        if _fresh(row.access_token_expires_at, now, min_ttl):
            return tokens.access  # refreshed by someone else while we waited for the lock
        try:
            with oauth_client(settings, row.base_url) as client:
                grant = client.refresh(tokens.refresh)
        except errors.OAuthReauthorize as exc:
            jobs.mark_token_invalid(conn, user_id, REFRESH_REFUSED_MESSAGE)
            refused = exc  # committed below, then raised
        else:
            new = OAuthTokens(grant.access_token, grant.refresh_token or tokens.refresh)
            repo.set_refreshed_token(conn, user_id=user_id, ciphertext=cipher.encrypt(user_id, pack(new)),
                                     expires_at=grant.expires_at)
            log.info("Refreshed the Canvas access token of user %s", user_id)
            return new.access
    assert refused is not None
    log.warning("Canvas refused to refresh the access token of user %s: marked for reconnect", user_id)
    raise refused
