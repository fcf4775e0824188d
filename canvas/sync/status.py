"""The sync status a user sees (pure): syncing, up to date, needs sync, never synced, or error."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from canvas.rows import SyncFacts, SyncState

INVALID_TOKEN_MESSAGE = "Canvas token is invalid, expired or revoked: reconnect in Settings"

LABELS: dict[SyncState, str] = {
    "syncing": "🔄 Syncing",
    "up_to_date": "✅ Up to date",
    "needs_sync": "⚠️ Needs sync",
    "never_synced": "❌ Never synced",
    "error": "❌ Sync error",
}


@dataclass(frozen=True)
class SyncStatus:
    state: SyncState
    last_sync: datetime | None
    needs_sync: bool
    error: str | None
    courses: int
    assignments: int
    data_version: int

    @property
    def label(self) -> str:
        return LABELS[self.state]

    def as_json(self) -> dict[str, Any]:
        return {
            "lastSync": self.last_sync.isoformat() if self.last_sync else None,
            "needsSync": self.needs_sync,
            "cached": {"courses": self.courses, "assignments": self.assignments},
            "state": self.state,
            "error": self.error,
        }


def compute_status(facts: SyncFacts, stale_after: timedelta) -> SyncStatus:
    """`facts` is repo.sync_facts(); its db_now keeps every process on the database's clock."""
    now: datetime = facts["db_now"]
    last_ok: datetime | None = facts.get("last_ok_at") or facts.get("last_success")
    stale = last_ok is None or now - last_ok > stale_after
    error: str | None = None
    state: SyncState
    if facts.get("token_state") == "invalid":
        state, error = "error", facts.get("token_error") or INVALID_TOKEN_MESSAGE
        if "reconnect" not in error.lower():
            error = f"{error} Reconnect in Settings."
    elif not facts.get("has_token"):
        state, error = "error", "No Canvas token saved: connect Canvas in Settings"
    elif facts.get("job_state") == "running" and facts.get("lease_live"):
        state = "syncing"
    elif facts.get("attempt") and facts.get("last_error"):
        state, error = "error", f"Last sync failed ({facts['last_error']}); will retry automatically"
    elif last_ok is None:
        state = "never_synced"
    else:
        state = "needs_sync" if stale else "up_to_date"
    return SyncStatus(state=state, last_sync=last_ok, needs_sync=stale, error=error,
                      courses=int(facts.get("courses") or 0), assignments=int(facts.get("assignments") or 0),
                      data_version=int(facts.get("data_version") or 0))


def ago(then: datetime | None, now: datetime) -> str:
    """'just now', '12 min ago', '3 h ago', '2 days ago', or 'never'."""
    if then is None:
        return "never"
    seconds = max(0.0, (now - then).total_seconds())
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    days = int(seconds // 86400)
    return f"{days} day{'s' if days != 1 else ''} ago"
