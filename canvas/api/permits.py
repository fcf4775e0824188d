"""Permits to send a request to a Canvas host under a budget shared with other processes.

The institution sees the sum of every token's requests, so a school deployment caps the rate per
Canvas host across all worker replicas. The store that shares the budget (PostgreSQL, see
canvas.db.budget) is injected as `reserve(host, n) -> seconds until the first of n slots`; this
module only hands the reserved slots out, so canvas.api stays free of database code.

Slots are `1 / rate` apart. A batch of n permits costs one round trip to the store; a slot not
used by the time the next one begins is dropped (sending it late could put two requests closer
together than the budget allows), so with batches the bound is rate + 2 requests in any second.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from canvas import errors

MAX_WAIT_SECONDS = 300.0  # a wait this long means the budget is far too small for the fleet: say so


class BudgetExhausted(errors.CanvasError):
    """The next permit is further away than MAX_WAIT_SECONDS (the budget cannot serve the load)."""


class HostPermits:
    def __init__(self, reserve: Callable[[str, int], float], rate: float, *, batch: int = 1,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
                 max_wait: float = MAX_WAIT_SECONDS) -> None:
        if rate <= 0 or batch < 1:
            raise ValueError("rate must be positive and batch at least 1")
        self._reserve, self.rate, self.batch = reserve, rate, batch
        self._clock, self._sleep, self._max_wait = clock, sleep, max_wait
        self._slots: dict[str, deque[float]] = {}
        self._lock = threading.Lock()  # one refill at a time: concurrent threads share the batch
        self.round_trips = 0
        self.dropped = 0
        self.waited = 0.0

    def slot(self, host: str) -> float:
        """Take the next slot for `host` (a time on this process's clock)."""
        step = 1.0 / self.rate
        with self._lock:
            queue = self._slots.setdefault(host, deque())
            now = self._clock()
            while queue and queue[0] < now - step:
                queue.popleft()
                self.dropped += 1
            if not queue:
                wait = self._reserve(host, self.batch)
                self.round_trips += 1
                start = self._clock() + max(wait, 0.0)  # the store's "now" ~ when its answer arrived
                queue.extend(start + i * step for i in range(self.batch))
            return queue.popleft()

    def __call__(self, host: str) -> None:
        """Block until one request to `host` may be sent."""
        at = self.slot(host)
        pause = at - self._clock()
        if pause > self._max_wait:
            raise BudgetExhausted(f"the request budget for {host} is booked {pause:.0f} s ahead")
        if pause > 0:
            self.waited += pause
            self._sleep(pause)
