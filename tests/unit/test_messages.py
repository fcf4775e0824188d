"""The sentences a student reads: one per failure kind, the next try's time, never a class name."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from canvas import messages

NOW = datetime(2026, 12, 6, 16, 0, tzinfo=UTC)
DENVER = ZoneInfo("America/Denver")
CLASS = re.compile(r"[A-Z][a-z]+[A-Z]\w*")  # CamelCase: an exception class name


@pytest.mark.parametrize("kind", [*messages.FAILURES, "SomethingNew", None])
def test_every_kind_is_one_plain_sentence_with_the_next_step(kind) -> None:
    text = messages.sync_failed(kind, NOW + timedelta(minutes=4), NOW, DENVER)
    assert not CLASS.search(text), text
    assert text.endswith(".") and text[0].isupper()
    if kind == "AuthError":
        assert "reconnect in Settings" in text
    else:
        assert "tries again at 9:04 AM, or press Sync now." in text


def test_retry_time_now_and_unknown() -> None:
    assert messages.sync_failed("TransportError", NOW - timedelta(seconds=1), NOW).endswith("trying again now.")
    assert messages.sync_failed("TransportError", None, NOW).endswith("press Sync now to try again.")


def test_one_time_format() -> None:
    assert messages.clock(datetime(2026, 12, 6, 0, 5, tzinfo=UTC)) == "12:05 AM"
    assert messages.clock(datetime(2026, 12, 6, 17, 0, tzinfo=UTC)) == "5:00 PM"
    assert messages.next_sync(NOW + timedelta(hours=1), NOW, DENVER) == "today at 10:00 AM"
    assert messages.next_sync(NOW + timedelta(days=1), NOW, DENVER) == "Mon Dec 7 at 9:00 AM"
    assert messages.next_sync(None, NOW) == "in a moment"


def test_status_sentence_by_state() -> None:
    base = {"db_now": NOW, "has_token": True, "token_state": "valid", "last_error": "SyncTimedOut",
            "retry_at": NOW + timedelta(minutes=2), "worker_alive": True}
    assert messages.status_sentence(base, "up_to_date") is None
    assert messages.status_sentence(base, "error", DENVER).startswith("Canvas was too slow to answer")
    assert "press Sync now" in messages.status_sentence({**base, "worker_alive": False}, "error")
    revoked = {**base, "token_state": "invalid"}
    assert messages.status_sentence(revoked, "error") == messages.TOKEN_INVALID
    gone = {**base, "has_token": False}
    assert messages.display_state("error", gone) == "disconnected"  # neutral after a deliberate disconnect
    assert messages.display_state("error", revoked) == "error"


@pytest.mark.parametrize(("outcome", "error", "words"), [
    ("success", None, "Synced"), ("failed", "ServerError", "Canvas had a problem on its side"),
    ("abandoned", "CancelRequested", "Cancelled"), ("abandoned", "WorkerLost", "interrupted"),
    ("abandoned", None, "shut down"), ("failed", "Weird", "did not finish"),
])
def test_run_results_in_words(outcome, error, words) -> None:
    assert words in messages.run_result(outcome, error)


@pytest.mark.parametrize("kind", ["not_a_url", "unresolved", "unreachable", "too_slow", "rejected", "not_canvas",
                                  "missing"])
def test_connect_sentences(kind) -> None:
    text = messages.connect_failed(kind)
    assert text.endswith("Nothing was saved.") and "CANVAS_" not in text and not CLASS.search(text)
