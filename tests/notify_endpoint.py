"""A tiny loopback HTTP endpoint for Apprise's json:// URLs: records what it accepted.

`mode`: "ok" answers 200; "fail" answers 500; "hang_first" holds the first request open until
`release` is set, then drops it unanswered (a delivery cut off mid-way: never accepted).
Only requests answered 200 count as delivered (`accepted`); every request is in `seen`.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Endpoint:
    def __init__(self, mode: str = "ok", delay: float = 0.0) -> None:
        self.mode, self.delay = mode, delay
        self.seen: list[tuple[float, dict[str, Any]]] = []
        self.accepted: list[dict[str, Any]] = []
        self.release = threading.Event()
        self.hung = threading.Event()
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                doc = json.loads(body or b"{}")
                doc["_message_id"] = self.headers.get("X-Canvas-Dashboard-Message")
                with outer._lock:
                    outer.seen.append((time.monotonic(), doc))
                    first = len(outer.seen) == 1
                if outer.mode == "hang_first" and first:
                    outer.hung.set()
                    outer.release.wait(60)
                    self.close_connection = True
                    return  # no answer at all
                if outer.delay:
                    time.sleep(outer.delay)
                if outer.mode == "fail":
                    self.send_response(500)
                    self.end_headers()
                    return
                with outer._lock:
                    outer.accepted.append(doc)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str = "hook/s3cret-path-token") -> str:
        return f"json://127.0.0.1:{self.port}/{path}"

    def __enter__(self) -> Endpoint:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
