"""The HTTP layer: auth, throttle, faults and byte-exact Canvas-like replies.

Every header name is written in lowercase (Canvas since June 2024), so the
stock ``send_response``/``send_error`` helpers, which add capitalised
``Server``/``Date``/``Content-Type`` headers, are bypassed.
"""

from __future__ import annotations

import logging
import socket
import struct
import time
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from canvas.simulator import api, control, oauth
from canvas.simulator.api import Reply, json_reply
from canvas.simulator.faults import FailRule
from canvas.simulator.throttle import request_cost

if TYPE_CHECKING:
    from canvas.simulator.server import Simulator

log = logging.getLogger(__name__)
REALM = 'Bearer realm="canvas-lms"'
MALFORMED_BODY = b'{"id": 1, "name": "truncated'  # valid start, never closed


def _auth_error(message: str, **extra: Any) -> Reply:
    reply = json_reply({"errors": [{"message": message, **extra}]}, 401)
    reply.headers["www-authenticate"] = REALM
    return reply


def _fault_reply(rule: FailRule) -> Reply:
    status = int(rule.status)
    if rule.body is None:
        code = HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")
        body = {"errors": [{"message": "An error occurred.", "error_code": code}]}
        return json_reply({**body, "error_report_id": 4242}, status)
    if isinstance(rule.body, str):
        ctype = rule.content_type or "text/html; charset=utf-8"
        return Reply(status, rule.body.encode(), ctype)
    return json_reply(rule.body, status)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like a real server
    # Headers and body go out as two writes: with Nagle on, a keep-alive client's delayed ACK stalls
    # every reply (40 ms on Linux, seconds under load). Real servers (nginx: tcp_nodelay) disable it.
    disable_nagle_algorithm = True
    server_version = "canvas-sim"

    @property
    def sim(self) -> Simulator:
        return self.server.sim  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:
        pass  # stats() is the log; stderr noise would drown test output

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # malformed request lines etc.: answer in our own (lowercase) style
        self.close_connection = True
        self._send(json_reply({"errors": [{"message": message or "Bad request"}]}, code))

    # --- plumbing -------------------------------------------------------------

    def _dispatch(self, method: str) -> None:
        arrived = time.time()  # before the simulated latency: the host's request rate counts arrivals
        url = urlsplit(self.path)
        path = url.path.rstrip("/") or "/"  # Rails ignores a trailing slash
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        if path.startswith("/__sim/"):
            self._send(control.handle(self.sim, method, path, body), head=method == "HEAD")
            return
        query = parse_qsl(url.query, keep_blank_values=True)
        if path in (oauth.AUTH_PATH, oauth.TOKEN_PATH):
            self._oauth(method, path, query, body)
            return
        token = self._token(query)
        n = self.sim.user_for_token(token) if token is not None else None
        label = f"user:{n}" if n is not None else ("none" if token is None else "invalid")
        reply = self._api(method, path, query, token, n)
        # recorded before replying, so a client that has its answer also sees it in stats()
        if reply is None:  # "reset" fault: drop the connection without a reply
            self.sim.record(method, path, 0, n, label, 0, query, at=arrived)
            self._reset()
            return
        self.sim.record(method, path, reply.status, n, label, len(reply.body), query, at=arrived)
        self._send(reply, head=method == "HEAD")

    def _token(self, query: list[tuple[str, str]]) -> str | None:
        header = self.headers.get("authorization") or ""
        scheme, _, token = header.partition(" ")
        if scheme == "Bearer" and token:
            return token.strip()
        return next((v for k, v in query if k == "access_token"), None)

    def _api(
        self,
        method: str,
        path: str,
        query: list[tuple[str, str]],
        token: str | None,
        n: int | None,
    ) -> Reply | None:
        sim = self.sim
        route = api.match(method, path)
        if route is None:
            return json_reply(api.NOT_FOUND, 404)  # Rails routing: before auth
        if token is None:
            body = {"status": "unauthenticated", "errors": [{"message": "user authorization required"}]}
            return json_reply(body, 401, 0, **{"www-authenticate": REALM})
        if n is None:
            if sim.oauth.is_expired(token):
                return _auth_error("Expired access token.")
            return _auth_error("Invalid access token.")
        faults = sim.faults.state
        if n in faults.revoke:
            return _auth_error("Revoked access token.")
        if n in faults.expire:
            return _auth_error("Expired access token.", expired_at=faults.expire[n])
        charge = sim.throttle.begin(n)
        if charge is None:
            sim.count_throttled()
            return self._throttled()
        reply: Reply | None = None
        cost = 0.0
        try:
            latency = (sim.latency_ms + faults.latency_ms) / 1000
            if latency > 0:
                time.sleep(latency)  # inside the in-flight window, like slow Canvas
            try:
                reply = self._run(method, path, query, n, route)
            except Exception:  # a simulator bug: answer like Canvas, keep serving
                log.exception("simulated Canvas failed on %s %s", method, path)
                reply = _fault_reply(FailRule.from_dict({"status": 500}))
            cost = request_cost(reply.items if reply else 0, sim.throttle.config.cost)
        finally:
            remaining = sim.throttle.end(n, charge, cost)
        if reply is not None:
            reply.headers["x-request-cost"] = f"{cost}"
            reply.headers["x-rate-limit-remaining"] = f"{remaining}"
            reply.headers["x-canvas-user-id"] = str(sim.canvas_user_id(n))
        return reply

    def _run(
        self, method: str, path: str, query: list[tuple[str, str]], n: int, route: Any
    ) -> Reply | None:
        sim = self.sim
        rule = sim.faults.take_failure(method, path)
        if rule is not None:
            if rule.status == "reset":
                return None
            if rule.status == "malformed":
                return Reply(200, MALFORMED_BODY)
            if rule.status == "timeout":
                sim.stop_event.wait(rule.seconds)  # then answer normally (too late)
            else:
                return _fault_reply(rule)
        fn, args = route
        faults = sim.faults.state
        with sim.lock:
            req = api.ApiRequest(
                path=path,
                query=query,
                user=sim.user_data(n),
                now=sim.now(),
                base_url=sim.base_url,
                forbid_courses=dict(faults.forbid_courses),
                loop_links=faults.loop_links,
                foreign_next=faults.foreign_next,
            )
            return fn(req, *args)

    def _oauth(self, method: str, path: str, query: list[tuple[str, str]], body: bytes) -> None:
        """The OAuth2 endpoints: not throttled (no token yet), but faults and latency apply."""
        sim = self.sim
        faults = sim.faults.state
        form = {**dict(query), **oauth.parse_form(body, self.headers.get("content-type") or "")}
        bearer = self._token([])
        n: int | None = None
        rule = sim.faults.take_failure(method, path)
        latency = (sim.latency_ms + faults.latency_ms) / 1000
        if latency > 0:
            time.sleep(latency)
        reply: Reply | None
        if rule is not None and rule.status == "reset":
            reply = None
        elif rule is not None and rule.status == "malformed":
            reply = Reply(200, MALFORMED_BODY)
        elif rule is not None and rule.status != "timeout":
            reply = _fault_reply(rule)
        else:
            if rule is not None:
                sim.stop_event.wait(rule.seconds)
            if path == oauth.AUTH_PATH and method in ("GET", "HEAD"):
                reply = sim.oauth.authorize(query, deny=faults.oauth_deny, extra_clients=faults.oauth_clients,
                                            max_users=sim.max_users)
            elif path == oauth.TOKEN_PATH and method == "POST":
                reply = sim.oauth.token(form, expires_in=faults.oauth_expires_in,
                                        extra_clients=faults.oauth_clients, user_json=sim.oauth_user_json)
            elif path == oauth.TOKEN_PATH and method == "DELETE":
                n = sim.oauth.user_for_access(bearer) if bearer else None
                reply = sim.oauth.revoke(bearer)
            else:
                reply = json_reply(api.NOT_FOUND, 404)
        label = "oauth"
        if reply is None:
            sim.record(method, path, 0, n, label, 0)
            self._reset()
            return
        sim.record(method, path, reply.status, n, label, len(reply.body))
        self._send(reply, head=method == "HEAD")

    def _throttled(self) -> Reply:
        status = self.sim.throttle.config.status
        text = "403 Forbidden" if status == 403 else "429 Too Many Requests"
        body = f"{text} (Rate Limit Exceeded)\n".encode()
        return Reply(status, body, "text/plain; charset=utf-8", {"x-rate-limit-remaining": "0.0"})

    def _send(self, reply: Reply, head: bool = False) -> None:
        self.send_response_only(reply.status)
        self.send_header("date", formatdate(usegmt=True))
        self.send_header("server", self.server_version)
        self.send_header("content-type", reply.content_type)
        self.send_header("content-length", str(len(reply.body)))
        self.send_header("cache-control", "max-age=0, private, must-revalidate")
        for name, value in reply.headers.items():
            self.send_header(name.lower(), value)
        if self.close_connection:
            self.send_header("connection", "close")
        self.end_headers()
        if not head:
            self.wfile.write(reply.body)

    def _reset(self) -> None:
        # SO_LINGER 0 makes close() send RST: the client sees a connection reset
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
