"""The one place that sends HTTP requests to Canvas.

`CanvasClient._send` adds the bearer token, waits for a rate-limit slot, refuses redirects,
classifies the reply into a typed error and counts requests, bytes and throttled replies.
`get` retries transient failures (5xx, timeouts, connection errors, throttling) with exponential
backoff and jitter; 401/403/404 and other 4xx are never retried. Messages name the URL path only.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import requests
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from canvas import errors
from canvas.api import responses, transport
from canvas.api.hosts import CheckedUrl, same_origin
from canvas.api.ratelimit import RateLimiter
from canvas.config import Settings
from canvas.log import register_secret

log = logging.getLogger(__name__)

PER_PAGE = 100  # Canvas's maximum; the default of 10 would cost ten times the requests
MAX_PAGES = 500  # a runaway-pagination guard: 50,000 items is far beyond any student's course


@dataclass
class RequestStats:
    requests: int = 0
    bytes: int = 0
    throttled: int = 0
    retries: int = 0
    min_remaining: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, size: int, throttled: bool, remaining: float | None) -> None:
        with self._lock:
            self.requests += 1
            self.bytes += size
            self.throttled += int(throttled)
            if remaining is not None:
                self.min_remaining = remaining if self.min_remaining is None else min(self.min_remaining,
                                                                                      remaining)

    def add_retry(self) -> None:
        with self._lock:
            self.retries += 1


def _retryable(exc: BaseException) -> bool:
    return bool(getattr(exc, "retryable", False))


class CanvasClient:
    def __init__(self, base_url: str, token: str, *, timeout: float = 30.0, max_attempts: int = 3,
                 max_in_flight: int = 3, min_interval: float = 0.0, backoff_base: float = 0.5,
                 backoff_max: float = 30.0, session: requests.Session | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 on_request: Callable[[], None] | None = None,
                 pin: tuple[str, int, Sequence[str]] | None = None,
                 permit: Callable[[], None] | None = None,
                 deadline: float | None = None) -> None:
        register_secret(token)  # whatever happens next, this string never reaches a log line
        self.base_url = base_url.rstrip("/")
        self._token = token
        self._timeout = timeout
        self._max_attempts = max_attempts
        self._backoff_base = backoff_base
        self._backoff_max = backoff_max
        self._sleep = sleep
        self._on_request = on_request
        self.deadline = deadline  # time.monotonic() by which every request, retries included, has ended
        self._permit = permit  # the host's shared budget (canvas.api.permits), when one is set
        self._session = transport.pinned_session(pin, session)
        self.limiter = RateLimiter(max_in_flight=max_in_flight, min_interval=min_interval, sleep=sleep)
        self.stats = RequestStats()

    @classmethod
    def for_checked(cls, checked: CheckedUrl, token: str, **kw: object) -> CanvasClient:
        """A client bound to a URL that passed the policy, dialling only the addresses checked."""
        return cls(checked.base_url, token, pin=(checked.host, checked.port, checked.addresses), **kw)  # type: ignore[arg-type]

    @classmethod
    def from_settings(cls, checked: CheckedUrl, token: str, settings: Settings, *,
                      on_request: Callable[[], None] | None = None,
                      min_interval_s: float | None = None,
                      permit: Callable[[str], None] | None = None, deadline: float | None = None) -> CanvasClient:
        """The one place settings become a client: timeout, retries, in-flight cap, pacing, deadline."""
        return cls.for_checked(
            checked, token, timeout=settings.request_timeout_s, max_attempts=settings.sync_max_retries,
            max_in_flight=settings.max_in_flight, backoff_base=settings.retry_backoff_ms / 1000,
            min_interval=settings.min_request_interval_ms / 1000 if min_interval_s is None else min_interval_s,
            on_request=on_request, deadline=deadline,
            permit=None if permit is None else partial(permit, f"{checked.host}:{checked.port}"))

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> CanvasClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- one request ---------------------------------------------------------------------------
    def _send(self, url: str, params: dict[str, Any] | None) -> tuple[Any, str | None]:
        path = urlsplit(url).path
        if not same_origin(self.base_url, url):
            raise errors.BadResponseError(0, path, "link to another host refused")
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}
        with self.limiter.slot():
            if self._permit is not None:
                self._permit()  # may wait for the host's budget: the hook below sees a shutdown after it
            if self._on_request is not None:
                self._on_request()
            try:
                resp, content = transport.send(self._session, "GET", url, path, timeout=self._time_left(path),
                                               params=params, headers=headers)
            except errors.TransportError:
                self.stats.record(0, False, None)  # a request that got no reply was still sent
                if self.deadline is not None and time.monotonic() >= self.deadline - 0.05:
                    # its timeout was what was left of the deadline: the run is out of time
                    raise errors.SyncTimedOut(f"gave up on {path}: the sync's time limit was reached") from None
                raise
        remaining, _cost = responses.rate_headers(resp.headers)
        self.limiter.observe(remaining)
        body = transport.text_of(resp, content)
        error = responses.classify(resp.status_code, resp.headers, body, path)
        self.stats.record(len(content), isinstance(error, errors.RateLimitedError), remaining)
        log.debug("GET %s -> %s (remaining %s)", path, resp.status_code, remaining)
        if error is not None:
            raise error
        return responses.parse_json(body, path), responses.next_link(resp.headers)

    def _time_left(self, path: str) -> float:
        """This request's timeout: the usual one, cut to what is left of the overall deadline."""
        if self.deadline is None:
            return self._timeout
        left = self.deadline - time.monotonic()
        if left <= 0.05:
            raise errors.SyncTimedOut(f"gave up on {path}: the sync's time limit was reached")
        return min(self._timeout, left)

    # -- retries -------------------------------------------------------------------------------
    def _wait(self, state: RetryCallState) -> float:
        wait = self._backoff(state)
        if self.deadline is not None:  # never sleep past the deadline; the next try then gives up at once
            wait = max(0.0, min(wait, self.deadline - time.monotonic()))
        return wait

    def _backoff(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        expo = min(self._backoff_max, self._backoff_base * 2.0 ** (state.attempt_number - 1))
        if isinstance(exc, errors.RateLimitedError):
            if exc.retry_after:
                return min(self._backoff_max, exc.retry_after)
            # The bucket leaks 10 units/s; wait long enough for real headroom to return.
            expo = max(expo, min(self._backoff_max, 2.0 * self._backoff_base * 4))
        return expo * (0.5 + random.random() / 2)

    def _before_sleep(self, state: RetryCallState) -> None:
        self.stats.add_retry()
        exc = state.outcome.exception() if state.outcome else None
        log.warning("Retrying after %s (attempt %d of %d)", exc, state.attempt_number, self._max_attempts)

    def _get_with_retry(self, url: str, params: dict[str, Any] | None) -> tuple[Any, str | None]:
        retrying = Retrying(
            stop=stop_after_attempt(self._max_attempts), wait=self._wait,
            retry=retry_if_exception(_retryable), sleep=self._sleep,
            before_sleep=self._before_sleep, reraise=True,
        )
        return retrying(self._send, url, params)

    # -- public --------------------------------------------------------------------------------
    def url(self, path: str) -> str:
        return f"{self.base_url}/api/v1/{path.lstrip('/')}"

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        data, _ = self._get_with_retry(self.url(path), params)
        return data

    def pages(self, path: str, params: dict[str, Any] | None = None) -> Iterator[list[Any]]:
        """Yield each page of a list endpoint, following rel="next" only (opaque bookmarks)."""
        url: str | None = self.url(path)
        query: dict[str, Any] | None = {**(params or {}), "per_page": PER_PAGE}
        seen: set[str] = set()
        while url is not None:
            if url in seen:
                raise errors.BadResponseError(0, urlsplit(url).path, "pagination loop detected")
            if len(seen) >= MAX_PAGES:
                raise errors.BadResponseError(0, urlsplit(url).path, f"more than {MAX_PAGES} pages")
            seen.add(url)
            data, url = self._get_with_retry(url, query)
            query = None  # the next link already carries every parameter
            if isinstance(data, dict):  # JSON:API-style roots, e.g. {"grading_periods": [...], "meta": ...}
                meta_next = ((data.get("meta") or {}).get("pagination") or {}).get("next")
                url = url or (meta_next if isinstance(meta_next, str) else None)
                data = next((v for v in data.values() if isinstance(v, list)), [])
            if not isinstance(data, list):
                raise errors.BadResponseError(200, urlsplit(self.url(path)).path, "expected a list")
            yield data

    def get_all(self, path: str, params: dict[str, Any] | None = None) -> list[Any]:
        return [item for page in self.pages(path, params) for item in page]
