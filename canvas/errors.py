"""Typed exceptions, grouped by what the caller should do.

    CanvasDashboardError
    ├── UsageError            bad input (CLI exit 2)
    │   └── ConfigError       a bad setting (names the variable)
    ├── UrlRefused            a Canvas URL that policy forbids (exit 2)
    ├── CanvasError           anything from talking to Canvas (exit 1)
    │   ├── TransportError    no response at all (timeout, connection) -> retry
    │   └── ApiError(status, path)
    │       ├── AuthError             401 with WWW-Authenticate: token dead, never retried
    │       ├── ForbiddenError        401/403 without it: permission, skip the resource
    │       ├── NotFoundError         404: skip the resource
    │       ├── RateLimitedError      403 "Rate Limit Exceeded" or 429 -> back off, retry
    │       ├── ServerError           5xx -> retry
    │       └── BadResponseError      malformed JSON, pagination loops, foreign hosts
    ├── DatabaseError         the database is unreachable or failed (exit 1)
    ├── LeaseLostError        another worker owns this user's sync now (fencing)
    └── Cancelled             the process is shutting down; the user is released, not failed

Messages carry the URL *path*, never a token or a header.
"""

from __future__ import annotations


class CanvasDashboardError(Exception):
    """Base of every error this package raises on purpose."""

    exit_code = 1

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or (self.__doc__ or self.__class__.__name__).strip())


class UsageError(CanvasDashboardError):
    """Bad input."""

    exit_code = 2


class ConfigError(UsageError):
    """A setting has a bad value."""


class UrlRefused(UsageError):
    """This Canvas URL is not allowed."""


class CanvasError(CanvasDashboardError):
    """Talking to Canvas failed."""


class TransportError(CanvasError):
    """No response from Canvas (timeout or connection error)."""

    retryable = True


class ApiError(CanvasError):
    """Canvas answered with an error status."""

    retryable = False

    def __init__(self, status: int, path: str, detail: str = "") -> None:
        self.status = status
        self.path = path
        self.detail = detail
        text = f"Canvas returned {status} for {path}"
        if detail:
            text += f": {detail}"
        super().__init__(text)


class AuthError(ApiError):
    """401 with WWW-Authenticate: the token is invalid, expired or revoked."""


class ForbiddenError(ApiError):
    """401/403 without WWW-Authenticate: this token may not read that resource."""


class NotFoundError(ApiError):
    """404: the resource does not exist (or is not visible)."""


class RateLimitedError(ApiError):
    """Canvas throttled the request (403 Rate Limit Exceeded or 429)."""

    retryable = True

    def __init__(self, status: int, path: str, remaining: float | None = None,
                 retry_after: float | None = None) -> None:
        self.remaining = remaining
        self.retry_after = retry_after
        super().__init__(status, path, "rate limit exceeded")


class ServerError(ApiError):
    """Canvas failed with a 5xx."""

    retryable = True


class BadResponseError(ApiError):
    """Canvas's reply could not be used (malformed JSON, pagination loop, foreign link)."""


class DatabaseError(CanvasDashboardError):
    """The database is unreachable or failed."""


class LeaseLostError(CanvasDashboardError):
    """This worker no longer holds the user's sync lease; its result is discarded."""


class Cancelled(CanvasDashboardError):
    """The sync was cancelled because the process is shutting down."""


class SyncTimedOut(TransportError):
    """The sync did not finish within its overall deadline (CANVAS_SYNC_DEADLINE_SECONDS)."""

    retryable = False  # the deadline is for the whole run: retrying inside it would only overrun it


class CancelRequested(CanvasDashboardError):
    """The student cancelled the sync; the cache is left as it was."""


class NotAUrl(UrlRefused):
    """That is not a web address."""


class HostUnresolved(UrlRefused):
    """The Canvas host name could not be resolved (no such site, or no DNS)."""
