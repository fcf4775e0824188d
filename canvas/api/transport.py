"""The socket-level pieces every Canvas request shares: a pinned session and a capped, timed send.

Both the REST client and the OAuth token client go through `send`, so they get the same rules:
no proxies from the environment, connections only to the checked addresses, no redirects, a body
size cap and an overall deadline, and errors that name the URL path and nothing else.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import requests

from canvas import errors
from canvas.api.pinning import PinnedAdapter

MAX_BODY = 64 * 1024 * 1024  # bytes; the biggest real reply (260 assignments with submissions) is ~1 MB


def pinned_session(pin: tuple[str, int, Sequence[str]] | None, session: requests.Session | None = None
                   ) -> requests.Session:
    session = session or requests.Session()
    session.trust_env = False  # proxies from the environment must not see tokens or secrets
    if pin is not None and pin[2]:
        adapter = PinnedAdapter(*pin)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
    return session


def send(session: requests.Session, method: str, url: str, path: str, *, timeout: float,
         **kw: Any) -> tuple[requests.Response, bytes]:
    """One request, redirects refused, the body read with a size cap and a deadline of 2 x timeout."""
    try:
        resp = session.request(method, url, timeout=timeout, allow_redirects=False, stream=True, **kw)
        return resp, _read_capped(resp, path, time.monotonic() + 2 * timeout)
    except requests.Timeout:
        raise errors.TransportError(f"timed out reading {path}") from None
    except requests.RequestException as exc:
        raise errors.TransportError(f"could not reach Canvas for {path} ({exc.__class__.__name__})") from None


def _read_capped(resp: requests.Response, path: str, deadline: float) -> bytes:
    """A trickling or enormous reply can't stall a sync past its lease or fill memory."""
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in resp.iter_content(chunk_size=65536):
            size += len(chunk)
            if size > MAX_BODY:
                raise errors.BadResponseError(resp.status_code, path, f"reply larger than {MAX_BODY} bytes")
            if time.monotonic() > deadline:
                raise errors.TransportError(f"timed out reading {path} (reply too slow)")
            chunks.append(chunk)
    finally:
        resp.close()
    return b"".join(chunks)


def text_of(resp: requests.Response, content: bytes) -> str:
    return content.decode(resp.encoding or "utf-8", errors="replace")
