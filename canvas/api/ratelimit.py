"""Client-side pacing for one token: a cap on in-flight requests, a minimum gap, and headroom.

Canvas pre-charges 50 units per in-flight request against its bucket, so concurrency is what gets
a client throttled; the semaphore caps it. When X-Rate-Limit-Remaining runs low we slow down
before Canvas refuses us. Clock and sleep are injectable so tests are instant.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

LOW_HEADROOM = 150.0  # units; below this, pause so the bucket leaks (10 units/s on Canvas)
LEAK_PER_SECOND = 10.0


class RateLimiter:
    def __init__(self, max_in_flight: int = 3, min_interval: float = 0.0,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._slots = threading.BoundedSemaphore(max_in_flight)
        self._min_interval = min_interval
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._pace = threading.Lock()  # held while sleeping on purpose: paced sends go out one by one
        self._last_send: float | None = None
        self.remaining: float | None = None

    def pause_for(self, remaining: float | None) -> float:
        """Seconds to wait before the next request, given the last reported headroom."""
        if remaining is None or remaining >= LOW_HEADROOM:
            return 0.0
        return min(10.0, (LOW_HEADROOM - max(remaining, 0.0)) / LEAK_PER_SECOND)

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold a request until it may go: an in-flight slot, headroom, and the minimum gap measured
        from the previous request actually sent (a late-waking thread can't squeeze in early)."""
        self._slots.acquire()
        try:
            with self._lock:
                pause = self.pause_for(self.remaining)
            with self._pace:
                if self._min_interval > 0 and self._last_send is not None:
                    pause = max(pause, self._last_send + self._min_interval - self._clock())
                if pause > 0:
                    self._sleep(pause)
                self._last_send = self._clock()
            yield
        finally:
            self._slots.release()

    def observe(self, remaining: float | None) -> None:
        if remaining is not None:
            with self._lock:
                self.remaining = remaining
