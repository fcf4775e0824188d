"""What a student reads when something went wrong: one plain sentence per kind of failure.

Pure: an error kind (the exception class name the run recorded, or a token state) in, words out.
Class names never reach the screen; an unknown kind gets the generic sentence. The sentence says
what happened and what happens next (the automatic retry's time, or what to do).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

# What happened, by the kind recorded in sync_jobs.last_error / sync_runs.error_class.
FAILURES: dict[str, str] = {
    "TransportError": "Canvas did not answer (it may be down, or the connection dropped)",
    "SyncTimedOut": "Canvas was too slow to answer, so the sync stopped at its time limit",
    "ServerError": "Canvas had a problem on its side",
    "RateLimitedError": "Canvas asked the dashboard to slow down",
    "BadResponseError": "Canvas sent a reply the dashboard could not read",
    "ForbiddenError": "Canvas would not show part of your data",
    "NotFoundError": "Canvas could not find part of your data",
    "WorkerLost": "The sync was interrupted because the sync service stopped",
    "DatabaseError": "The dashboard's database was unavailable",
    "LeaseLostError": "Another sync took over this one",
    "AuthError": "Canvas no longer accepts your access token (it was revoked or has expired)",
}
GENERIC = "The last sync did not finish"
TOKEN_INVALID = ("Canvas no longer accepts your access token (it was revoked or has expired): "
                 "reconnect in Settings to sync again.")
NO_TOKEN = "No Canvas account is connected: connect one in Settings to sync."
DISCONNECTED = "Disconnected: connect Canvas again in Settings to sync."


def clock(ts: datetime, tz: ZoneInfo | None = None) -> str:
    """The one time-of-day format of the app: '5:04 PM'."""
    dt = ts.astimezone(tz) if tz is not None else ts
    return f"{dt.hour % 12 or 12}:{dt:%M} {'AM' if dt.hour < 12 else 'PM'}"


def failure_sentence(kind: str | None) -> str:
    """What happened, without the next step (log lines, the history table)."""
    return FAILURES.get(kind or "", GENERIC) + "."


def sync_failed(kind: str | None, retry_at: datetime | None, now: datetime, tz: ZoneInfo | None = None) -> str:
    """What happened and when the next automatic try is, e.g. "Canvas did not answer (...); the
    dashboard tries again at 5:04 PM, or press Sync now." """
    what = FAILURES.get(kind or "", GENERIC)
    if kind == "AuthError":
        return TOKEN_INVALID
    if retry_at is None:
        return f"{what}; press Sync now to try again."
    if retry_at <= now:
        return f"{what}; the dashboard is trying again now."
    return f"{what}; the dashboard tries again at {clock(retry_at, tz)}, or press Sync now."


def connect_failed(kind: str, detail: str = "") -> str:
    """The Settings page's connect check: one sentence per way it can fail (nothing was saved)."""
    sentences = {
        "not_a_url": "That does not look like a web address: enter your school's Canvas address, "
                     "e.g. https://school.instructure.com.",
        "unresolved": "No site answers to that address (the name could not be found): check the spelling.",
        "not_allowed": f"This address cannot be used: {detail}.",
        "unreachable": "Canvas could not be reached at that address: check it, or try again in a minute.",
        "too_slow": "Canvas at that address did not answer in time: try again in a minute.",
        "rejected": "Canvas rejected this access token (wrong, expired or revoked): create a new one in "
                    "Canvas under Account → Settings.",
        "not_canvas": "That site answered, but not like Canvas: check the address.",
        "missing": "Enter both your school's Canvas address and an access token.",
    }
    return sentences[kind] + " Nothing was saved."


# -- the sync status a student sees ------------------------------------------------------------------
# (icon, label) per state of canvas.sync.status; Material icons render without an emoji font.
STATE_LABELS: dict[str, tuple[str, str]] = {
    "syncing": (":material/sync:", "Syncing"),
    "up_to_date": (":material/check_circle:", "Up to date"),
    "needs_sync": (":material/schedule:", "Needs sync"),
    "never_synced": (":material/cloud_off:", "Never synced"),
    "error": (":material/error:", "Sync error"),
    "disconnected": (":material/link_off:", "Not connected"),
}


def display_state(state: str, facts: Mapping[str, Any]) -> str:
    """The state to show: a deliberate disconnect (no token saved, and Canvas never refused one)
    is a neutral "Not connected", not a red error."""
    if not facts.get("has_token") and facts.get("token_state") != "invalid":
        return "disconnected"
    return state


def status_sentence(facts: Mapping[str, Any], state: str, tz: ZoneInfo | None = None) -> str | None:
    """The one sentence under the status for a user whose last sync did not work, else None."""
    if facts.get("token_state") == "invalid":
        return TOKEN_INVALID
    if not facts.get("has_token"):
        return DISCONNECTED
    if state == "error":
        # without a worker nothing retries by itself: only Sync now (the app) does
        retry_at = facts.get("retry_at") if facts.get("worker_alive", True) else None
        return sync_failed(facts.get("last_error"), retry_at, facts["db_now"], tz)
    return None


def run_result(outcome: str | None, error_class: str | None) -> str:
    """One sync in the history, in words: "Synced", "Cancelled", or what went wrong."""
    if outcome == "success":
        return "Synced"
    if outcome == "running":
        return "Running…"
    if error_class == "CancelRequested":
        return "Cancelled"
    if outcome == "abandoned" and error_class in (None, "Cancelled", "KeyboardInterrupt", "SystemExit"):
        return "Stopped (the sync service shut down)"
    return FAILURES.get(error_class or "", GENERIC)


def next_sync(due_at: datetime | None, now: datetime, tz: ZoneInfo | None = None) -> str:
    """When the automatic sync runs next, e.g. 'today at 5:04 PM', 'in a moment'."""
    if due_at is None or due_at <= now:
        return "in a moment"
    local, today = due_at.astimezone(tz) if tz else due_at, now.astimezone(tz) if tz else now
    day = "today" if local.date() == today.date() else f"{local:%a %b} {local.day}"
    return f"{day} at {clock(due_at, tz)}"
