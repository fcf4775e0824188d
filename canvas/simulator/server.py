"""``Simulator``: a simulated Canvas LMS served over real HTTP on loopback.

Data is generated lazily per student from (seed, n, anchor) and cached;
faults, throttling and mutations change it while it serves.
"""

from __future__ import annotations

import copy
import logging
import re
import socket
import sys
import threading
import time
from collections import Counter, deque
from datetime import UTC, datetime, timedelta
from http.server import ThreadingHTTPServer
from typing import Any

from canvas.simulator import demo, generated, mutations, render
from canvas.simulator.builder import canvas_user_id
from canvas.simulator.faults import Faults
from canvas.simulator.handler import Handler
from canvas.simulator.oauth import DEFAULT_CLIENT, OAuthProvider
from canvas.simulator.records import iso
from canvas.simulator.store import UserData
from canvas.simulator.throttle import Throttle, ThrottleConfig

log = logging.getLogger(__name__)
TOKEN_PREFIX = "canvas-sim-token-"
ARRIVALS_KEPT = 2_000_000  # request arrival times kept for rate checks (16 MB at most)
_TOKEN = re.compile(re.escape(TOKEN_PREFIX) + r"([1-9][0-9]{0,8})")


def token_for(n: int) -> str:
    """The valid access token of simulated student n (n >= 1)."""
    if n < 1:
        raise ValueError("simulated students are numbered from 1")
    return f"{TOKEN_PREFIX}{n}"


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a hung "timeout" fault must never block stop()
    allow_reuse_address = True  # a restarted simulator can take its old port back
    request_queue_size = 128  # bursts of parallel clients (throttle tests, benchmarks)
    sim: Simulator

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.open_connections: set[socket.socket] = set()
        self._conn_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._conn_lock:
            self.open_connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._conn_lock:
            self.open_connections.discard(request)
        super().shutdown_request(request)

    def drop_connections(self) -> None:
        """Cut idle keep-alive connections so a stopped simulator really is down."""
        with self._conn_lock:
            conns = list(self.open_connections)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed by the client

    def handle_error(self, request: Any, client_address: Any) -> None:
        # clients hanging up (timeouts, resets) are normal here; anything else is a bug
        exc = sys.exc_info()[1]
        if exc is not None and not isinstance(exc, ConnectionError):
            log.error("simulated Canvas: error while serving %s", client_address, exc_info=exc)


class _Server6(_Server):
    address_family = socket.AF_INET6


class Simulator:
    def __init__(
        self,
        port: int = 0,
        seed: int = 1,
        latency_ms: int = 0,
        host: str = "127.0.0.1",
        anchor: datetime | None = None,
        *,
        max_users: int = 5000,
        courses_per_user: int = 8,
        log_limit: int = 10_000,
        oauth_clients: dict[str, str] | None = None,
    ) -> None:
        real_now = datetime.now(UTC)
        if anchor is None:
            anchor = real_now.replace(minute=0, second=0, microsecond=0)
            self._offset = timedelta(0)
        elif anchor.tzinfo is None:
            raise ValueError("anchor must be a timezone-aware datetime")
        else:
            # the simulated clock starts at the anchor and runs at real speed
            self._offset = anchor - real_now
        self.anchor = anchor.astimezone(UTC)
        self.seed = seed
        self.latency_ms = latency_ms
        self.host = host
        self.port = port
        self.max_users = max_users
        self.courses_per_user = courses_per_user
        self.lock = threading.RLock()  # guards the datasets
        self.stop_event = threading.Event()
        self.faults = Faults()
        self.throttle = Throttle()
        self.oauth = OAuthProvider(oauth_clients)
        self._users: dict[int, UserData] = {}
        self._stats_lock = threading.Lock()
        self._log_limit = log_limit
        self.reset_stats()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle --------------------------------------------------------------

    def start(self) -> Simulator:
        if self._server is not None:
            return self
        cls = _Server6 if ":" in self.host else _Server
        self._server = cls((self.host, self.port), Handler)
        self._server.sim = self
        self.port = self._server.server_address[1]
        self.stop_event.clear()
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},  # stop() waits up to this long
            name=f"canvas-sim:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stop_event.set()  # wakes handlers sleeping in a "timeout" fault
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
            server.drop_connections()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def now(self) -> datetime:
        return (datetime.now(UTC) + self._offset).replace(microsecond=0)

    # --- users --------------------------------------------------------------------

    def user_for_token(self, token: str) -> int | None:
        m = _TOKEN.fullmatch(token)
        if m is None or not 1 <= int(m.group(1)) <= self.max_users:
            return self.oauth.user_for_access(token)  # an OAuth access token, if live
        return int(m.group(1))

    def oauth_user_json(self, n: int) -> dict[str, Any]:
        """The ``user`` object of a token response (Canvas's id and name)."""
        with self.lock:
            profile = self.user_data(n).profile
            return {"id": self.canvas_user_id(n), "name": profile.get("name", ""),
                    "global_id": str(self.canvas_user_id(n)), "effective_locale": "en"}

    def canvas_user_id(self, n: int) -> int:
        return canvas_user_id(n)

    def user_data(self, n: int) -> UserData:
        if not 1 <= n <= self.max_users:
            raise ValueError(f"no simulated student {n} (1..{self.max_users})")
        with self.lock:
            if n not in self._users:
                if n == 1:
                    self._users[n] = demo.build(self.seed, self.anchor)
                else:
                    self._users[n] = generated.build(
                        n, self.seed, self.anchor, self.courses_per_user
                    )
            return self._users[n]

    def dataset(self, n: int) -> dict[str, Any]:
        with self.lock:
            data = render.dataset(self.user_data(n), self.base_url, self.now())
            return copy.deepcopy(data)  # callers may mutate; the store must not change

    def mutate(self, n: int, op: str, **kw: Any) -> Any:
        with self.lock:
            return mutations.apply(self.user_data(n), self.now(), op, **kw)

    # --- faults ---------------------------------------------------------------------

    def set_faults(self, **kw: Any) -> None:
        if "throttle" in kw:
            ThrottleConfig.from_dict(kw["throttle"])  # validate before changing anything
        self.faults.update(iso(self.now()) or "", **kw)
        if "throttle" in kw or kw.get("clear"):
            self.throttle.config = ThrottleConfig.from_dict(self.faults.state.throttle)
            self.throttle.reset()  # a new throttle policy starts with empty buckets

    # --- stats ----------------------------------------------------------------------

    def record(
        self, method: str, path: str, status: int, user: int | None, label: str, nbytes: int,
        query: list[tuple[str, str]] | None = None, at: float | None = None,
    ) -> None:
        at = time.time() if at is None else at  # arrival (wall clock): what a host's rate is measured on
        # the query as sent (tests check the plan's include[]s), never a token passed in it
        params = [[k, v] for k, v in query or () if k != "access_token"]
        with self._stats_lock:
            self._requests += 1
            self._per_second[int(at)] += 1
            self._arrivals.append(at)
            self._by_token[label] += 1
            self._bytes += nbytes
            self._log.append({"method": method, "path": path, "status": status, "user": user, "query": params})

    def count_throttled(self) -> None:
        with self._stats_lock:
            self._throttled += 1

    def stats(self) -> dict[str, Any]:
        with self._stats_lock:
            return {
                "requests": self._requests,
                "by_token": dict(self._by_token),
                "throttled": self._throttled,
                "bytes": self._bytes,
                "log": list(self._log),
                "per_second": dict(sorted(self._per_second.items())),
            }

    def arrivals(self) -> list[float]:
        """Arrival times (epoch seconds) of the API requests since the last reset, in order."""
        with self._stats_lock:
            return sorted(self._arrivals)

    def reset_stats(self) -> None:
        with self._stats_lock:
            self._requests = 0
            self._by_token: Counter[str] = Counter()
            self._throttled = 0
            self._bytes = 0
            self._log: deque[dict[str, Any]] = deque(maxlen=self._log_limit)
            self._per_second: Counter[int] = Counter()
            self._arrivals: deque[float] = deque(maxlen=ARRIVALS_KEPT)

    def info(self) -> dict[str, Any]:
        return {
            "base_url": self.base_url,
            "seed": self.seed,
            "anchor": iso(self.anchor),
            "now": iso(self.now()),
            "max_users": self.max_users,
            "demo_token": token_for(1),
            "oauth_client_id": DEFAULT_CLIENT[0],
            "oauth": self.oauth.describe(),
        }
