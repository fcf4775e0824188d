"""Canvas-style bookmark pagination and the ``link`` header.

Pages are opaque ``bookmark:<urlsafe base64 JSON>`` tokens holding the sort key
of the last item served (first page: ``first``), so inserts between requests
never shift or repeat items. Links carry current/next/first, never last.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

PER_PAGE = 10  # Api::PER_PAGE
MAX_PER_PAGE = 100  # Api::MAX_PER_PAGE
FIRST = "first"
FOREIGN_HOST = "http://evil.example"
_STRIPPED = ("access_token", "api_key", "page", "per_page")

T = TypeVar("T")


def per_page(raw: str | None) -> int:
    """per_page clamped to [1, 100]; junk falls back to the default."""
    try:
        value = int(raw) if raw is not None else PER_PAGE
    except ValueError:
        return PER_PAGE
    return max(1, min(MAX_PER_PAGE, value))


def encode(key: Sequence[Any]) -> str:
    raw = json.dumps(list(key), separators=(",", ":")).encode()
    return "bookmark:" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(page: str | None) -> list[Any] | None:
    """The bookmarked key, or None for the first page (also for junk, as Canvas)."""
    if not page or not page.startswith("bookmark:"):
        return None
    text = page.removeprefix("bookmark:")
    try:
        value = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (binascii.Error, ValueError):
        return None
    if not isinstance(value, list) or not all(isinstance(v, int) for v in value):
        return None
    return value


@dataclass(frozen=True)
class Page:
    items: list[Any]
    current: str  # token of this page
    next: str | None  # token of the following page, None on the last one
    per_page: int


def paginate(
    items: Sequence[T], key: Callable[[T], list[int]], page: str | None, size: int
) -> Page:
    """Slice ``items`` (any order) by their int-list sort ``key``."""
    ordered = sorted(items, key=key)
    mark = decode(page)
    if mark is not None:
        ordered = [i for i in ordered if key(i) > mark]
    chunk = ordered[:size]
    more = len(ordered) > size
    return Page(
        items=chunk,
        current=page if mark is not None and page else FIRST,
        next=encode(key(chunk[-1])) if more and chunk else None,
        per_page=size,
    )


def link_header(
    base_url: str,
    path: str,
    query: list[tuple[str, str]],
    page: Page,
    *,
    loop: bool = False,
    foreign: bool = False,
) -> str:
    """``<url>; rel="current",<url>; rel="next",<url>; rel="first"`` like Canvas."""
    kept = [(k, v) for k, v in query if k not in _STRIPPED]

    def url(token: str, base: str = base_url) -> str:
        params = [*kept, ("page", token), ("per_page", str(page.per_page))]
        return f"{base}{path}?{urlencode(params, safe=':', quote_via=quote)}"

    links = [(url(page.current), "current")]
    if page.next is not None:
        token = page.current if loop else page.next  # loop: a client-guard test
        links.append((url(token, FOREIGN_HOST if foreign else base_url), "next"))
    links.append((url(FIRST), "first"))
    return ",".join(f'<{u}>; rel="{rel}"' for u, rel in links)
