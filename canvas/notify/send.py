"""The one module that calls Apprise: send one message to one URL, or raise DeliveryFailed.

The URL is a secret: it is registered with the log redaction before Apprise sees it, and the
error kept for Settings has every piece of it scrubbed.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote, urlsplit

from canvas.log import register_secret

DEFAULT_TIMEOUT = 20.0  # seconds for the whole call; the outbox lease is longer (config checks it)


class DeliveryFailed(Exception):
    """The service did not accept the message; str() is safe to store and show (no URL)."""


def _pieces(url: str) -> list[str]:
    """Parts of the URL long enough to identify it (host, user, password, path and query parts)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return [url]
    raw = [url, parts.netloc, parts.path, parts.query, parts.username or "", parts.password or "",
           parts.hostname or ""]
    raw += re.split(r"[/?&=:@]", url.split("://", 1)[-1])
    return sorted({p for p in (*raw, *(unquote(p) for p in raw)) if len(p) >= 6}, key=len, reverse=True)


def scrub(text: str, url: str) -> str:
    for piece in _pieces(url):
        text = text.replace(piece, "…")
    return text


# Generic webhooks get the message's id as a header: a receiver can drop the rare repeat (a worker
# killed after the endpoint accepted a message but before recording it; the outbox is at least once).
_WEBHOOKS = frozenset({"json", "jsons", "form", "forms", "xml", "xmls"})
MESSAGE_ID_HEADER = "X-Canvas-Dashboard-Message"


def with_message_id(url: str, message_id: str | None) -> str:
    if not message_id or url.split("://", 1)[0].lower() not in _WEBHOOKS:
        return url
    return f"{url}{'&' if '?' in url else '?'}+{MESSAGE_ID_HEADER}={quote(message_id)}"


def send(url: str, title: str, body: str, *, timeout: float = DEFAULT_TIMEOUT, message_id: str | None = None) -> None:
    import apprise

    for piece in _pieces(url):
        register_secret(piece)
    apobj = apprise.Apprise()
    if not apobj.add(with_message_id(url, message_id)):
        raise DeliveryFailed("the notification URL is no longer valid; remove it and add it again")
    result = apobj.notify(body=body, title=title, timeout=timeout)
    if result:
        return
    details = [e.message for e in result.logs() if e.level in ("WARNING", "ERROR", "CRITICAL")]
    reason = "; ".join(scrub(" ".join(d.split()), url) for d in details[-2:]) or "no answer from the service"
    if result.timeout_count:
        reason = f"no answer within {timeout:g}s"
    raise DeliveryFailed(f"the service did not accept the message ({reason[:200]})")
