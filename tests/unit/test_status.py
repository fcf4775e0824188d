"""Which status a student sees, from the facts the database holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from canvas.sync.status import ago, compute_status

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def facts(**kw):
    base = {"db_now": NOW, "token_state": "valid", "has_token": True, "job_state": "idle", "lease_live": False,
            "last_ok_at": None, "last_error": None, "attempt": 0, "courses": 0, "assignments": 0, "data_version": 0}
    return {**base, **kw}


@pytest.mark.parametrize(("kw", "state", "needs"), [
    ({}, "never_synced", True),
    ({"last_ok_at": NOW - timedelta(minutes=12)}, "up_to_date", False),
    ({"last_ok_at": NOW - 2 * HOUR}, "needs_sync", True),  # older than the 1 h stale window
    ({"job_state": "running", "lease_live": True, "last_ok_at": NOW - 2 * HOUR}, "syncing", True),
    # A running row whose lease expired is a crashed worker, not a sync in progress.
    ({"job_state": "running", "lease_live": False, "last_ok_at": NOW - 5 * HOUR}, "needs_sync", True),
    ({"token_state": "invalid", "last_ok_at": NOW}, "error", False),
    ({"has_token": False}, "error", True),
    ({"attempt": 2, "last_error": "ServerError", "last_ok_at": NOW - 3 * HOUR}, "error", True),
])
def test_state(kw, state, needs) -> None:
    s = compute_status(facts(**kw), HOUR)
    assert (s.state, s.needs_sync) == (state, needs)


def test_invalid_token_says_reconnect_in_settings() -> None:
    s = compute_status(facts(token_state="invalid", token_error="Revoked access token."), HOUR)
    assert "Revoked access token." in s.error and "Settings" in s.error
    assert s.label.startswith("❌")


def test_json_contract() -> None:
    doc = compute_status(facts(last_ok_at=NOW, courses=5, assignments=23), HOUR).as_json()
    assert doc == {"lastSync": NOW.isoformat(), "needsSync": False, "cached": {"courses": 5, "assignments": 23},
                   "state": "up_to_date", "error": None}


@pytest.mark.parametrize(("delta", "text"), [
    (timedelta(seconds=5), "just now"), (timedelta(minutes=12), "12 min ago"), (timedelta(hours=3), "3 h ago"),
    (timedelta(days=1), "1 day ago"), (timedelta(days=3), "3 days ago"),
])
def test_ago(delta, text) -> None:
    assert ago(NOW - delta, NOW) == text
    assert ago(None, NOW) == "never"
