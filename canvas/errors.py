"""Typed exceptions: the one tree, grouped by what the caller should do.

    CanvasDashboardError
    ├── UsageError            bad input: say what to fix (CLI exit 2)
    │   ├── ConfigError       a bad setting (names the variable)
    │   ├── UrlRefused        a Canvas URL that policy forbids
    │   ├── OAuthStateError   a sign-in reply that no sign-in here started: start "Connect Canvas" again
    │   ├── PastedTokensRefused  shared mode without pasted tokens: use "Connect Canvas"
    │   └── AccountTaken      that Canvas account belongs to another sign-in here
    ├── TokenUnusable         the user must reconnect Canvas; never retried (sync marks "reconnect")
    │   ├── NoTokenSaved      no token stored for the user
    │   ├── TokenUnreadable   no key opens the stored ciphertext (or it is another user's)
    │   └── AuthError         (also an ApiError, below)
    ├── CanvasError           anything from talking to Canvas (exit 1)
    │   ├── TransportError    no response at all (timeout, connection) -> retry
    │   ├── OAuthDenied       Canvas did not authorize the app (the student cancelled)
    │   └── ApiError(status, path)
    │       ├── AuthError             401 with WWW-Authenticate: token dead, never retried
    │       │   └── OAuthReauthorize  Canvas refused the code or refresh token: connect again
    │       ├── OAuthClientError      Canvas refused the developer key: the operator fixes it
    │       ├── ForbiddenError        401/403 without it: permission, skip the resource
    │       ├── NotFoundError         404: skip the resource
    │       ├── RateLimitedError      403 "Rate Limit Exceeded" or 429 -> back off, retry
    │       ├── ServerError           5xx -> retry
    │       └── BadResponseError      malformed JSON, pagination loops, foreign hosts
    ├── DatabaseError         the database is unreachable or failed (exit 1); canvas/db converts
    │                         every SQLAlchemy error to it, so nothing above the db layer sees those
    ├── SyncBusy              a sync for this user is already running: wait for it
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


class OAuthStateError(UsageError):
    """The sign-in reply from Canvas does not match a sign-in started here (state missing, wrong or
    expired). Start "Connect Canvas" again."""


class PastedTokensRefused(UsageError):
    """This shared dashboard connects Canvas with "Connect Canvas" (OAuth); pasted personal access
    tokens are turned off by the operator (CANVAS_ALLOW_PASTED_TOKENS)."""


class AccountTaken(UsageError):
    """This Canvas account is already connected to another sign-in on this dashboard."""


class TokenUnusable(CanvasDashboardError):
    """This user's Canvas token cannot be used: they must reconnect Canvas (never retried).

    `detail` says why, in words fit for the user's status line."""

    detail = ""


class NoTokenSaved(TokenUnusable):
    """No Canvas token saved."""

    detail = "no Canvas token saved"


class TokenUnreadable(TokenUnusable):
    """The stored Canvas token cannot be decrypted: no key in the ring opens it (or it belongs to
    another user)."""

    detail = "stored token cannot be decrypted"


class CanvasError(CanvasDashboardError):
    """Talking to Canvas failed."""


class TransportError(CanvasError):
    """No response from Canvas (timeout or connection error)."""

    retryable = True


class OAuthDenied(CanvasError):
    """Canvas did not authorize the app (the student clicked Cancel, or Canvas refused)."""

    def __init__(self, error: str = "access_denied") -> None:
        self.error = error
        super().__init__(f"Canvas did not authorize the app ({error})")


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


class AuthError(ApiError, TokenUnusable):
    """401 with WWW-Authenticate: the token is invalid, expired or revoked."""


class OAuthReauthorize(AuthError):
    """Canvas refused the code or the refresh token (invalid_grant or a 401): the student must
    connect Canvas again. An AuthError, so the sync runner marks the user "reconnect Canvas"."""


class OAuthClientError(ApiError):
    """Canvas refused the developer key (invalid_client): an operator must fix the client id or
    secret; the students' refresh tokens are not blamed."""


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

    cause_class = "DatabaseError"  # the driver's error class when canvas/db converted one (OperationalError)
    detail = ""  # the first line of the driver's message (for logs; may name hosts, never a token)


class SyncBusy(CanvasDashboardError):
    """A sync for this user is already running."""


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
