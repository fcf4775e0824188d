"""Pure functions that read Canvas responses: error classification, JSON, Link headers."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from canvas import errors

_PREFIX = "while(1);"


def _header(headers: Mapping[str, str], name: str) -> str | None:
    # Canvas sends lowercase names since 2024; requests' headers are case-insensitive, dicts are not.
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def canvas_message(body: str) -> str:
    """The first `errors[].message` of a Canvas error body, else ''."""
    try:
        data = json.loads(body)
    except ValueError:
        return ""
    errs = data.get("errors") if isinstance(data, dict) else None
    if isinstance(errs, list) and errs and isinstance(errs[0], dict):
        return str(errs[0].get("message", ""))[:200]
    if isinstance(errs, str):
        return errs[:200]
    return ""


def classify(status: int, headers: Mapping[str, str], body: str, path: str) -> errors.ApiError | None:
    """Map a Canvas response to the exception it means, or None for success (2xx)."""
    if 200 <= status < 300:
        return None
    remaining = _float(_header(headers, "x-rate-limit-remaining"))
    if status == 429 or (status == 403 and "Rate Limit Exceeded" in body):
        return errors.RateLimitedError(status, path, remaining=remaining,
                                       retry_after=_float(_header(headers, "retry-after")))
    if status == 401:
        if _header(headers, "www-authenticate") is not None:
            return errors.AuthError(status, path, canvas_message(body) or "Invalid access token.")
        return errors.ForbiddenError(status, path, canvas_message(body) or "not authorized")
    if status == 403:
        return errors.ForbiddenError(status, path, canvas_message(body) or "forbidden")
    if status == 404:
        return errors.NotFoundError(status, path, canvas_message(body))
    if 300 <= status < 400:
        return errors.BadResponseError(status, path, "redirect refused")
    if status >= 500:
        return errors.ServerError(status, path)
    return errors.ApiError(status, path, canvas_message(body))


def parse_json(body: str, path: str) -> Any:
    text = body.lstrip()
    if text.startswith(_PREFIX):
        text = text[len(_PREFIX):]
    try:
        return json.loads(text)
    except ValueError:
        raise errors.BadResponseError(200, path, "malformed JSON") from None


def next_link(headers: Mapping[str, str]) -> str | None:
    """The rel="next" URL of a Link header (the only rel we follow)."""
    link = _header(headers, "link")
    if not link:
        return None
    for part in link.split(","):
        segs = [s.strip() for s in part.split(";")]
        if len(segs) < 2 or not segs[0].startswith("<") or not segs[0].endswith(">"):
            continue
        rels = {s.split("=", 1)[1].strip('"').lower() for s in segs[1:] if s.lower().startswith("rel=")}
        if any("next" in r.split() for r in rels):
            return segs[0][1:-1]
    return None


def rate_headers(headers: Mapping[str, str]) -> tuple[float | None, float | None]:
    """(X-Rate-Limit-Remaining, X-Request-Cost)."""
    return _float(_header(headers, "x-rate-limit-remaining")), _float(_header(headers, "x-request-cost"))
