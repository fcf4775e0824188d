"""Connecting a Canvas account: check the token live, then store it encrypted (one transaction).

Shared by the CLI (`users add`), the Settings page and the demo path, so all three refuse a bad
URL or token the same way and store nothing when Canvas says no.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from canvas.api.client import CanvasClient
from canvas.api.hosts import check_base_url
from canvas.config import Settings
from canvas.crypto import TokenCipher, token_hint
from canvas.db import jobs, repo


@dataclass(frozen=True)
class Connected:
    user_id: int
    canvas_user_id: int
    name: str
    base_url: str


def connect_account(engine: Engine, settings: Settings, cipher: TokenCipher, *, base_url: str,
                    token: str) -> Connected:
    checked = check_base_url(base_url, settings.allowed_hosts)
    base = checked.base_url
    with CanvasClient.for_checked(checked, token, timeout=settings.request_timeout_s,
                                  max_attempts=settings.sync_max_retries,
                                  backoff_base=settings.retry_backoff_ms / 1000) as client:
        me = client.get("users/self")  # AuthError here: nothing has been stored
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
