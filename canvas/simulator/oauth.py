"""Canvas OAuth2 (authorization-code flow) for the simulated Canvas.

    GET    /login/oauth2/auth   no human to click "Authorize": approves at once as the student named
                                by ``unique_id`` / ``login_hint`` (a number, default 1) and answers
                                302 to ``redirect_uri?code=…&state=…`` (``?error=access_denied`` when
                                the ``oauth={"deny": true}`` fault is set)
    POST   /login/oauth2/token  grant_type=authorization_code (client id + secret + the same
                                redirect_uri, code single-use, 10 minutes) or refresh_token
                                (reusable; a new access token, no new refresh token)
    DELETE /login/oauth2/token  revokes the bearer token's grant (access and refresh token)

Access tokens look like Canvas's ("<shard>~<64 alphanumerics>") and work as bearer tokens for the
API until ``expires_in`` seconds pass (``oauth={"expires_in": n}`` for tokens issued later), then
answer 401 "Expired access token.". A refresh replaces the grant's access token, as Canvas does,
so the previous one stops working at once.

Clients: ``Simulator(oauth_clients={"id": "secret"})`` plus any given with the
``oauth_clients`` fault; ``DEFAULT_CLIENT`` is always registered.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from canvas.simulator.api import Reply, json_reply

DEFAULT_CLIENT = ("10000000000001", "canvas-sim-client-secret")
CODE_TTL_S = 600.0
SHARD = "7"
AUTH_PATH = "/login/oauth2/auth"
TOKEN_PATH = "/login/oauth2/token"


def _token() -> str:
    return f"{SHARD}~{secrets.token_hex(32)}"


def _oauth_error(status: int, error: str, description: str) -> Reply:
    return json_reply({"error": error, "error_description": description}, status)


def _redirect(uri: str, params: dict[str, str]) -> Reply:
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    location = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))
    body = f'<html><body>You are being <a href="{location}">redirected</a>.</body></html>'.encode()
    return Reply(302, body, "text/html; charset=utf-8", {"location": location})


@dataclass
class _Code:
    n: int
    client_id: str
    redirect_uri: str
    scope: str
    expires: float


@dataclass
class Grant:
    n: int
    client_id: str
    access_token: str
    refresh_token: str
    access_expires: float  # time.monotonic()
    refreshes: int = 0
    expired_tokens: set[str] = field(default_factory=set)


class OAuthProvider:
    def __init__(self, clients: Mapping[str, str] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self.clients: dict[str, str] = {DEFAULT_CLIENT[0]: DEFAULT_CLIENT[1], **dict(clients or {})}
        self._codes: dict[str, _Code] = {}
        self._by_access: dict[str, Grant] = {}
        self._by_refresh: dict[str, Grant] = {}
        self._expired: dict[str, int] = {}  # access tokens past expires_in -> student
        self.counts = {"authorized": 0, "denied": 0, "exchanged": 0, "refreshed": 0, "revoked": 0}

    # -- used by the API's bearer check ------------------------------------------------------------
    def user_for_access(self, token: str) -> int | None:
        """The student a live access token belongs to (None for unknown, revoked or expired)."""
        with self._lock:
            grant = self._by_access.get(token)
            if grant is None:
                return None
            if self._clock() >= grant.access_expires:
                self._expired[token] = grant.n
                return None
            return grant.n

    def is_expired(self, token: str) -> bool:
        with self._lock:
            grant = self._by_access.get(token)
            if grant is not None and self._clock() >= grant.access_expires:
                return True
            return token in self._expired

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return {"grants": len(self._by_refresh), "codes": len(self._codes), **self.counts}

    # -- endpoints -----------------------------------------------------------------------------
    def authorize(self, query: list[tuple[str, str]], *, deny: bool, extra_clients: Mapping[str, str],
                  max_users: int) -> Reply:
        q = dict(query)  # Canvas keeps the last of repeated parameters (scope included)
        client_id, redirect_uri = q.get("client_id", ""), q.get("redirect_uri", "")
        if self._secret(client_id, extra_clients) is None:
            return _oauth_error(400, "invalid_client", "unknown client")
        if not redirect_uri:
            return _oauth_error(400, "invalid_request", "redirect_uri required")
        state = {"state": q["state"]} if "state" in q else {}
        if q.get("response_type") != "code":
            return _redirect(redirect_uri, {"error": "unsupported_response_type", **state})
        if deny:
            with self._lock:
                self.counts["denied"] += 1
            return _redirect(redirect_uri, {"error": "access_denied",
                                            "error_description": "user denied access", **state})
        who = (q.get("unique_id") or q.get("login_hint") or "1").removeprefix("student")
        if not who.isdigit() or not 1 <= int(who) <= max_users:
            return _oauth_error(400, "invalid_request", "unknown login")
        code = secrets.token_hex(16)
        with self._lock:
            self._codes[code] = _Code(int(who), client_id, redirect_uri, q.get("scope", ""),
                                      self._clock() + CODE_TTL_S)
            self.counts["authorized"] += 1
        return _redirect(redirect_uri, {"code": code, **state})

    def token(self, form: dict[str, str], *, expires_in: int, extra_clients: Mapping[str, str],
              user_json: Callable[[int], dict[str, Any]]) -> Reply:
        client_id = form.get("client_id", "")
        secret = self._secret(client_id, extra_clients)
        if secret is None:
            return _oauth_error(401, "invalid_client", "unknown client")
        if not secrets.compare_digest(form.get("client_secret", ""), secret):
            return _oauth_error(401, "invalid_client", "invalid client")
        grant_type = form.get("grant_type", "")
        now = self._clock()
        grant: Grant | None
        if grant_type == "authorization_code":
            if not form.get("code"):
                return _oauth_error(400, "invalid_request", "You must provide the code parameter.")
            with self._lock:
                code = self._codes.pop(form["code"], None)  # single use, even when refused below
                if code is None or code.expires < now:
                    return _oauth_error(400, "invalid_grant", "authorization_code not found")
                if code.client_id != client_id:
                    return _oauth_error(400, "invalid_grant", "incorrect client")
                if form.get("redirect_uri", "") != code.redirect_uri:
                    return _oauth_error(400, "invalid_request", "redirect_uri does not match client settings")
                grant = Grant(code.n, client_id, _token(), _token(), now + expires_in)
                self._by_access[grant.access_token] = grant
                self._by_refresh[grant.refresh_token] = grant
                self.counts["exchanged"] += 1
            return json_reply({"access_token": grant.access_token, "token_type": "Bearer",
                               "user": user_json(grant.n), "refresh_token": grant.refresh_token,
                               "expires_in": expires_in})
        if grant_type == "refresh_token":
            if not form.get("refresh_token"):
                return _oauth_error(400, "invalid_request", "You must provide the refresh_token parameter.")
            with self._lock:
                grant = self._by_refresh.get(form["refresh_token"])
                if grant is None:
                    return _oauth_error(400, "invalid_grant", "refresh_token not found")
                if grant.client_id != client_id:
                    return _oauth_error(400, "invalid_grant", "incorrect client")
                self._by_access.pop(grant.access_token, None)  # the old access token dies now
                grant.access_token = _token()
                grant.access_expires = now + expires_in
                grant.refreshes += 1
                self._by_access[grant.access_token] = grant
                self.counts["refreshed"] += 1
            return json_reply({"access_token": grant.access_token, "token_type": "Bearer",
                               "user": user_json(grant.n), "expires_in": expires_in})
        return _oauth_error(400, "unsupported_grant_type", "unsupported grant_type")

    def revoke(self, bearer: str | None) -> Reply:
        with self._lock:
            grant = self._by_access.get(bearer or "")
            if grant is None or self._clock() >= grant.access_expires:
                reply = json_reply({"errors": [{"message": "Invalid access token."}]}, 401)
                reply.headers["www-authenticate"] = 'Bearer realm="canvas-lms"'
                return reply
            self._by_access.pop(grant.access_token, None)
            self._by_refresh.pop(grant.refresh_token, None)
            self.counts["revoked"] += 1
        return json_reply({})

    def _secret(self, client_id: str, extra: Mapping[str, str]) -> str | None:
        return extra.get(client_id) or self.clients.get(client_id)


def parse_form(body: bytes, content_type: str) -> dict[str, str]:
    """The token endpoint's parameters: form-encoded (what OAuth clients send) or JSON."""
    if "json" in content_type.lower():
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    return dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))
