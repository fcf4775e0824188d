"""Canvas's leaky-bucket request throttle, one bucket per access token.

Each request first reserves an up-front charge; it is refused when the bucket
is then at or above the high-water mark (so parallel requests fill it fast).
On completion the charge is swapped for the request's actual cost.
The bucket leaks ``outflow`` units per second on a monotonic clock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import Any


@dataclass(frozen=True)
class ThrottleConfig:
    hwm: float = 600.0
    maximum: float = 800.0
    outflow: float = 10.0  # units per second
    up_front: float = 50.0
    status: int = 403  # Canvas today; 429 after Instructure's announced change
    cost: float = 0.0  # extra cost per request, lets tests fill a bucket serially

    @classmethod
    def from_dict(cls, raw: dict[str, Any] | None) -> ThrottleConfig:
        if not raw:
            return cls()
        known = {f.name for f in fields(cls)}
        unknown = set(raw) - known
        if unknown:
            raise ValueError(f"unknown throttle keys: {sorted(unknown)}")
        values: dict[str, Any] = {k: float(v) for k, v in raw.items() if k != "status"}
        cfg = replace(cls(), **values)
        if "status" in raw:
            if int(raw["status"]) not in (403, 429):
                raise ValueError("throttle status must be 403 or 429")
            cfg = replace(cfg, status=int(raw["status"]))
        return cfg


def request_cost(items: int, extra: float = 0.0) -> float:
    """A small cost growing with the rows returned (Canvas: CPU + DB seconds)."""
    return round(0.05 + 0.002 * items + extra, 4)


class Throttle:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[Any, tuple[float, float]] = {}  # key -> (count, touched)
        self.config = ThrottleConfig()

    def _leak(self, key: Any) -> float:
        count, touched = self._buckets.get(key, (0.0, self._clock()))
        now = self._clock()
        count = max(0.0, count - self.config.outflow * (now - touched))
        self._buckets[key] = (count, now)
        return count

    def begin(self, key: Any) -> float | None:
        """Admit a request: returns the up-front charge held, or None if refused.

        Like Canvas's ``reserve_capacity``, the charge is added *before* the
        ``count >= hwm`` check, so with hwm 600 the 12th parallel request is refused.
        """
        with self._lock:
            count = self._leak(key)
            charge = self.config.up_front
            charged = min(count + charge, self.config.maximum)
            if charged >= self.config.hwm:
                return None  # refused: the charge is refunded at once
            self._buckets[key] = (charged, self._clock())
            return charge

    def end(self, key: Any, charge: float, cost: float) -> float:
        """Swap the up-front charge for the real cost; returns x-rate-limit-remaining."""
        with self._lock:
            count = self._leak(key)
            count = max(0.0, min(count - charge + cost, self.config.maximum))
            self._buckets[key] = (count, self._clock())
            return round(self.config.hwm - count, 4)

    def level(self, key: Any) -> float:
        with self._lock:
            return self._leak(key)

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()
