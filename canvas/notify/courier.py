"""The worker's notification loop: queue due-date reminders, then drain the outbox.

Each message is claimed alone (lease + fence, canvas.db.notify), sent through Apprise outside any
transaction, then marked sent, retried later with exponential backoff, or given up after
CANVAS_NOTIFY_MAX_ATTEMPTS and recorded on its target. Any number of workers may run this.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from canvas import errors
from canvas.config import Settings
from canvas.crypto import TokenCipher, TokenUnreadable
from canvas.db import notify as outbox
from canvas.errors import UsageError
from canvas.notify import render, send, urls

log = logging.getLogger("canvas.notify")

REMINDER_SCAN_SECONDS = 60.0
MAX_BACKOFF_SECONDS = 3600.0


@dataclass
class DrainResult:
    sent: int = 0
    retried: int = 0
    given_up: int = 0

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.given_up


def backoff_seconds(settings: Settings, attempt: int) -> float:
    """After the n-th failed attempt: base * 2^(n-1), capped, with jitter so endpoints recovering from
    an outage are not hit by every message at once."""
    base = settings.notify_retry_base_ms / 1000
    return min(MAX_BACKOFF_SECONDS, base * 2 ** max(0, attempt - 1)) * random.uniform(0.8, 1.0)


def deliver_one(engine: Engine, settings: Settings, cipher: TokenCipher, owner: str,
                result: DrainResult | None = None, *, user_id: int | None = None) -> bool:
    """Claim and deliver one due message (of `user_id` only, when given); False when none is due."""
    result = result if result is not None else DrainResult()
    with engine.begin() as conn:
        claims = outbox.claim_outbox(conn, owner=owner, ttl=settings.notify_lease_seconds, limit=1,
                                     user_id=user_id)
        if not claims:
            return False
        claim = claims[0]
        zone = outbox.user_time_zone(conn, claim.user_id)
    error: str | None = None
    try:
        if claim.attempt > settings.notify_max_attempts:
            # Taken over from dead senders again and again (a message that kills its worker): stop here.
            raise send.DeliveryFailed("the worker sending it stopped before finishing, too many times")
        url = cipher.decrypt(claim.user_id, claim.url_ciphertext)
        urls.check_url(url, settings.allowed_hosts)  # again: DNS may point elsewhere since it was saved
        title, body = render.render(claim.kind, claim.payload, zone)
        send.send(url, title, body, timeout=settings.notify_timeout_s, message_id=f"outbox-{claim.id}")
    except TokenUnreadable:
        error = "the stored notification URL cannot be decrypted (key changed); add it again"
    except UsageError as exc:  # the host policy refused it now
        error = str(exc)
    except send.DeliveryFailed as exc:
        error = str(exc)
    except Exception:  # a bug or a library surprise: the message takes the normal retry path, never loops
        log.exception("Notification %s: unexpected error while sending", claim.id)
        error = "the message could not be sent (unexpected error; see the worker's log)"
    with engine.begin() as conn:
        if error is None:
            ok = outbox.mark_sent(conn, claim)
            result.sent += ok
        else:
            give_up = claim.attempt >= settings.notify_max_attempts
            retry = None if give_up else backoff_seconds(settings, claim.attempt)
            ok = outbox.mark_failed(conn, claim, error=error, retry_in=retry)
            if give_up:
                result.given_up += ok
                log.warning("Notification %s to target %s given up after %d attempt(s): %s", claim.id,
                            claim.target_id, claim.attempt, error)
            else:
                result.retried += ok
                log.info("Notification %s to target %s failed (attempt %d), retrying in %.0fs: %s", claim.id,
                         claim.target_id, claim.attempt, retry, error)
    if not ok:
        log.warning("Notification %s: lease lost while sending (another worker took it over)", claim.id)
    return True


def drain(engine: Engine, settings: Settings, cipher: TokenCipher, owner: str, *, max_messages: int = 200,
          stop: threading.Event | None = None, user_id: int | None = None) -> DrainResult:
    """Deliver due messages until none is left (at most `max_messages`, so other work gets its turn).
    `user_id`: only that user's (the app sending a test message itself when no worker is alive)."""
    result = DrainResult()
    for _ in range(max_messages):
        if stop is not None and stop.is_set():
            break
        if not deliver_one(engine, settings, cipher, owner, result, user_id=user_id):
            break
    return result


def queue_reminders(engine: Engine) -> int:
    with engine.begin() as conn:
        return outbox.enqueue_reminders(conn)


class Courier:
    """The loop a worker runs in its own thread (or once, for `sync_worker.py --once`)."""

    def __init__(self, engine: Engine, settings: Settings, cipher: TokenCipher, owner: str,
                 stop: threading.Event) -> None:
        self.engine, self.settings, self.cipher, self.owner, self.stop = engine, settings, cipher, owner, stop
        self._next_scan = 0.0

    def pass_once(self) -> DrainResult:
        if time.monotonic() >= self._next_scan:
            self._next_scan = time.monotonic() + REMINDER_SCAN_SECONDS
            queued = queue_reminders(self.engine)
            if queued:
                log.info("Queued %d due-date reminder(s)", queued)
        return drain(self.engine, self.settings, self.cipher, self.owner, stop=self.stop)

    def run(self) -> None:
        poll = self.settings.notify_poll_ms / 1000
        while not self.stop.is_set():
            try:
                res = self.pass_once()
                if res.handled:
                    continue  # more may be due right away
            except (SQLAlchemyError, errors.DatabaseError) as exc:  # outages are the claim loop's to report
                log.debug("Notification pass failed (%s); retrying", type(exc).__name__)
            except Exception:
                log.exception("Notification pass failed")
            self.stop.wait(poll)
