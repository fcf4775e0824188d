"""Settings parse at the edge; secrets never survive into a log line."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from canvas.config import load_settings
from canvas.errors import ConfigError
from canvas.log import RedactingFilter, redact, register_secret


def test_defaults_match_the_seed() -> None:
    s = load_settings()
    assert s.sync_interval == timedelta(hours=2)
    assert s.stale_after == timedelta(hours=1)
    assert (s.sync_batch_size, s.sync_max_retries, s.database_url) == (3, 3, None)


@pytest.mark.parametrize(("var", "value"), [
    ("CANVAS_SYNC_INTERVAL", "soon"), ("CANVAS_SYNC_INTERVAL", "0"), ("CANVAS_SYNC_BATCH_SIZE", "-1"),
    ("CANVAS_SYNC_MAX_RETRIES", "x"), ("CANVAS_SYNC_STALE_AFTER", "1.5h"), ("DATABASE_URL", "mysql://x/y"),
    ("CANVAS_DASHBOARD_MODE", "public"),
])
def test_bad_value_names_the_variable(monkeypatch, var: str, value: str) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(ConfigError, match=var):
        load_settings()


def test_allowed_hosts_and_database_url_normalised(monkeypatch) -> None:
    monkeypatch.setenv("CANVAS_ALLOWED_HOSTS", " 127.0.0.1:8765 , Canvas.Local ")
    monkeypatch.setenv("DATABASE_URL", "postgres://u@h/db")
    s = load_settings()
    assert s.allowed_hosts == ("127.0.0.1:8765", "canvas.local")
    assert s.database_url == "postgresql+psycopg://u@h/db"


@pytest.mark.parametrize("text", [
    "Authorization: Bearer 7~AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
    "GET /api/v1/courses?access_token=supersecretvalue&per_page=100",
    "token 1234~abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ab in body",
    '{"refresh_token": "r-secret-value"}',
])
def test_redact_known_shapes(text: str) -> None:
    out = redact(text)
    assert "[REDACTED]" in out
    for secret in ("7~AbCd", "supersecretvalue", "abcdefghijklmnop", "r-secret-value"):
        assert secret not in out


def test_registered_secret_redacted_in_messages_args_and_tracebacks() -> None:
    register_secret("canvas-sim-token-77")
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "token was %s", ("canvas-sim-token-77",), None)
    try:
        raise RuntimeError("boom canvas-sim-token-77")
    except RuntimeError:
        import sys

        record.exc_info = sys.exc_info()
    RedactingFilter().filter(record)
    assert "canvas-sim-token-77" not in record.getMessage()
    assert "canvas-sim-token-77" not in (record.exc_text or "")
