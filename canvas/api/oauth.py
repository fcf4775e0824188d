"""Canvas OAuth2 (authorization-code flow): the authorization URL, the code exchange, refresh, revoke.

Pure helpers (URL building, callback and token-response parsing, expiry math) come first; the
`OAuthClient` below them is the only part that speaks HTTP. It obeys the same outbound policy as
`CanvasClient`: the Canvas URL is checked by `canvas.api.hosts.check_base_url`, connections go only
to the addresses that check resolved (`PinnedAdapter`), proxies from the environment are ignored,
redirects are never followed and replies are size-capped.

Secrets (client secret, codes, access and refresh tokens) travel only in request bodies and the
Authorization header, are registered with the log redactor, and never appear in an exception
message or a repr.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode

import requests

from canvas import errors
from canvas.api import responses, transport
from canvas.api.hosts import CheckedUrl, check_base_url
from canvas.config import Settings
from canvas.errors import OAuthClientError, OAuthDenied, OAuthReauthorize, OAuthStateError
from canvas.log import register_secret

log = logging.getLogger(__name__)

AUTH_PATH = "/login/oauth2/auth"
TOKEN_PATH = "/login/oauth2/token"
EXPIRY_SKEW = timedelta(seconds=60)  # refresh this long before Canvas's expiry


# -- configuration -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class OAuthConfig:
    client_id: str
    client_secret: str = field(repr=False)
    redirect_uri: str

    @classmethod
    def from_settings(cls, settings: Settings) -> OAuthConfig:
        missing = [var for var, value in (("CANVAS_OAUTH_CLIENT_ID", settings.oauth_client_id),
                                          ("CANVAS_OAUTH_CLIENT_SECRET", settings.oauth_client_secret),
                                          ("CANVAS_OAUTH_REDIRECT_URI", settings.oauth_redirect_uri))
                   if not value]
        if missing:
            raise errors.ConfigError(f"{missing[0]}: required for Canvas OAuth2 (a developer key)")
        assert settings.oauth_client_secret is not None and settings.oauth_redirect_uri is not None
        secret = settings.oauth_client_secret.get_secret_value()
        register_secret(secret)
        return cls(str(settings.oauth_client_id), secret, settings.oauth_redirect_uri)


@dataclass(frozen=True)
class TokenGrant:
    """What a token response gives: the access token, its refresh point, and who it belongs to."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)  # None after a refresh: the old one stays valid
    expires_at: datetime | None  # when to refresh (Canvas's expiry minus a margin); None = never
    canvas_user_id: int | None
    user_name: str


# -- pure helpers ------------------------------------------------------------------------------------
def new_state() -> str:
    """An unguessable `state` for one authorization (the caller stores it, then checks the reply)."""
    return secrets.token_urlsafe(32)


def state_hash(state: str) -> str:
    """How a state is stored server-side (the raw value only ever lives in the browser's URL)."""
    return hashlib.sha256(state.encode()).hexdigest()


def authorization_url(base_url: str, config: OAuthConfig, state: str, *, scopes: tuple[str, ...] = (),
                      unique_id: str | None = None, force_login: bool = False,
                      purpose: str | None = None) -> str:
    """The Canvas page the student's browser is sent to. Scopes go space-separated in one parameter
    (a repeated `scope=` keeps only the last value)."""
    if not state:
        raise ValueError("state is required")
    params: list[tuple[str, str]] = [("client_id", config.client_id), ("response_type", "code"),
                                     ("redirect_uri", config.redirect_uri), ("state", state)]
    if scopes:
        params.append(("scope", " ".join(scopes)))
    if purpose:
        params.append(("purpose", purpose))
    if force_login:
        params.append(("force_login", "1"))
    if unique_id:
        params.append(("unique_id", unique_id))
    return f"{base_url.rstrip('/')}{AUTH_PATH}?{urlencode(params)}"


def callback_params(query: str | Mapping[str, Any]) -> dict[str, str]:
    """The redirect's query as a flat dict (from a raw query string or e.g. `st.query_params`)."""
    if isinstance(query, str):
        return dict(parse_qsl(query.lstrip("?"), keep_blank_values=True))
    out: dict[str, str] = {}
    for key, value in query.items():
        if isinstance(value, list | tuple):
            value = value[-1] if value else ""
        out[str(key)] = str(value)
    return out


def parse_callback(query: str | Mapping[str, Any], expected_state: str) -> str:
    """Check the redirect back from Canvas and return the authorization code.

    The state is compared first (in constant time), so a forged redirect is refused even when it
    carries an error instead of a code."""
    params = callback_params(query)
    got = params.get("state", "")
    if not expected_state or not got or not secrets.compare_digest(got, expected_state):
        raise OAuthStateError()
    if params.get("error"):
        raise OAuthDenied(params["error"][:50])
    code = params.get("code", "")
    if not code:
        raise OAuthDenied("no_code")
    return code


def expires_at(now: datetime, expires_in: float | None) -> datetime | None:
    """When to refresh: now + expires_in - 60 s (for very short lifetimes, half-way instead)."""
    if expires_in is None:
        return None
    lifetime = timedelta(seconds=max(0.0, float(expires_in)))
    return now + lifetime - min(EXPIRY_SKEW, lifetime / 2)


def parse_token_response(data: Any, now: datetime, path: str = TOKEN_PATH) -> TokenGrant:
    """Read `{"access_token", "token_type": "Bearer", "user": {"id", "name"}, "refresh_token"?,
    "expires_in"?}`; anything else is a BadResponseError (which never quotes the body)."""
    if not isinstance(data, dict):
        raise errors.BadResponseError(200, path, "token response is not a JSON object")
    access = data.get("access_token")
    if not isinstance(access, str) or not access:
        raise errors.BadResponseError(200, path, "token response has no access_token")
    if str(data.get("token_type", "Bearer")).lower() != "bearer":
        raise errors.BadResponseError(200, path, "token response is not a Bearer token")
    refresh = data.get("refresh_token")
    if refresh is not None and (not isinstance(refresh, str) or not refresh):
        raise errors.BadResponseError(200, path, "token response has a malformed refresh_token")
    raw_expiry = data.get("expires_in")
    if raw_expiry is not None and (isinstance(raw_expiry, bool) or not isinstance(raw_expiry, int | float)
                                   or raw_expiry <= 0):
        raise errors.BadResponseError(200, path, "token response has a malformed expires_in")
    raw_user = data.get("user")
    user: dict[str, Any] = raw_user if isinstance(raw_user, dict) else {}
    try:
        canvas_id = int(user["id"]) if user.get("id") is not None else None
    except (TypeError, ValueError):
        raise errors.BadResponseError(200, path, "token response has a malformed user id") from None
    register_secret(access)
    register_secret(refresh)
    return TokenGrant(access, refresh, expires_at(now, raw_expiry), canvas_id, str(user.get("name") or ""))


def token_error(status: int, headers: Mapping[str, str], body: str, path: str = TOKEN_PATH) -> errors.CanvasError:
    """Map a failed token-endpoint reply to the exception it means (the body is never quoted)."""
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    code = str(data.get("error") or "") if isinstance(data, dict) else ""
    code = code if code.replace("_", "").isalnum() else ""
    if code == "invalid_client":
        return OAuthClientError(status, path, "Canvas refused the developer key (invalid_client)")
    if code == "invalid_grant" or status == 401:
        return OAuthReauthorize(status, path, f"Canvas refused the authorization ({code or 'unauthorized'})")
    classified = responses.classify(status, headers, body, path)
    if classified is not None and not isinstance(classified, errors.AuthError | errors.ForbiddenError):
        if code and type(classified) is errors.ApiError:
            return errors.ApiError(status, path, code)
        return classified
    return errors.ApiError(status, path, code or "token request refused")


# -- HTTP ----------------------------------------------------------------------------------------------
class OAuthClient:
    """Talks to one checked Canvas URL's /login/oauth2/token (use `for_checked`)."""

    def __init__(self, checked: CheckedUrl, config: OAuthConfig, *, timeout: float = 30.0,
                 max_attempts: int = 3, backoff_base: float = 0.5, session: requests.Session | None = None,
                 now: Any = None) -> None:
        register_secret(config.client_secret)
        self.base_url = checked.base_url.rstrip("/")
        self._config = config
        self._timeout = timeout
        self._max_attempts = max(1, max_attempts)
        self._backoff_base = backoff_base
        self._now = now or (lambda: datetime.now(UTC))
        self._session = transport.pinned_session((checked.host, checked.port, checked.addresses), session)

    @classmethod
    def for_checked(cls, checked: CheckedUrl, config: OAuthConfig, **kw: Any) -> OAuthClient:
        return cls(checked, config, **kw)

    @classmethod
    def for_settings(cls, settings: Settings, base_url: str) -> OAuthClient:
        """A client for this Canvas URL, checked against the URL policy now (before any request)."""
        checked = check_base_url(base_url, settings.allowed_hosts)
        return cls(checked, OAuthConfig.from_settings(settings), timeout=settings.request_timeout_s,
                   max_attempts=settings.sync_max_retries, backoff_base=settings.retry_backoff_ms / 1000)

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> OAuthClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- public ------------------------------------------------------------------------------------
    def exchange_code(self, code: str) -> TokenGrant:
        """Trade the authorization code for tokens (server-side; never retried: a code is single-use)."""
        register_secret(code)
        grant = self._token({"grant_type": "authorization_code", "code": code}, attempts=1)
        if grant.refresh_token is None:
            raise errors.BadResponseError(200, TOKEN_PATH, "token response has no refresh_token")
        return grant

    def refresh(self, refresh_token: str) -> TokenGrant:
        """A new access token for a stored refresh token (retried on 5xx/timeouts: refresh is reusable)."""
        register_secret(refresh_token)
        return self._token({"grant_type": "refresh_token", "refresh_token": refresh_token},
                           attempts=self._max_attempts)

    def revoke(self, access_token: str) -> None:
        """DELETE /login/oauth2/token: Canvas forgets this grant (its access and refresh token)."""
        register_secret(access_token)
        status, headers, body = self._send("DELETE", None, {"Authorization": f"Bearer {access_token}"})
        if not 200 <= status < 300:
            raise token_error(status, headers, body)

    # -- plumbing ----------------------------------------------------------------------------------
    def _token(self, form: dict[str, str], *, attempts: int) -> TokenGrant:
        form = {**form, "client_id": self._config.client_id, "client_secret": self._config.client_secret,
                "redirect_uri": self._config.redirect_uri}
        last: errors.CanvasError | None = None
        for attempt in range(attempts):
            if attempt:
                time.sleep(self._backoff_base * 2 ** (attempt - 1))
            try:
                status, headers, body = self._send("POST", form, {})
            except errors.TransportError as exc:
                last = exc
                continue
            if 200 <= status < 300:
                return parse_token_response(responses.parse_json(body, TOKEN_PATH), self._now())
            last = token_error(status, headers, body)
            if not getattr(last, "retryable", False):
                break
            log.warning("Retrying the Canvas token request after %s", last)
        assert last is not None
        raise last

    def _send(self, method: str, form: dict[str, str] | None,
              headers: dict[str, str]) -> tuple[int, Mapping[str, str], str]:
        url = self.base_url + TOKEN_PATH
        resp, content = transport.send(self._session, method, url, TOKEN_PATH, timeout=self._timeout, data=form,
                                       headers={"Accept": "application/json", **headers})
        log.debug("%s %s -> %s", method, TOKEN_PATH, resp.status_code)
        return resp.status_code, resp.headers, transport.text_of(resp, content)
