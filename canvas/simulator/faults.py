"""Switchable misbehaviour: failures per path, dead tokens, forbidden courses, ...

``set_faults(**kw)`` replaces each given key; ``set_faults(clear=True)`` resets
everything (and applies any other keys given in the same call).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any

SPECIAL = ("timeout", "malformed", "reset")
FORBID_STATUSES = (401, 403, 404)


@dataclass
class FailRule:
    path: re.Pattern[str]
    status: int | str
    times: int | None  # None = every time
    body: Any = None
    seconds: float = 30.0  # for "timeout"
    method: str | None = None
    content_type: str | None = None

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> FailRule:
        status = raw.get("status", 500)
        if isinstance(status, str) and status not in SPECIAL:
            status = int(status)
        times = raw.get("times")
        return cls(
            path=re.compile(raw.get("path", ".*")),
            status=status,
            times=None if times is None else int(times),
            body=raw.get("body"),
            seconds=float(raw.get("seconds", 30.0)),
            method=raw.get("method"),
            content_type=raw.get("content_type"),
        )

    def describe(self) -> dict[str, Any]:
        return {
            "path": self.path.pattern,
            "status": self.status,
            "times": self.times,
            "seconds": self.seconds,
            "method": self.method,
        }


@dataclass
class FaultState:
    latency_ms: int = 0
    fail: list[FailRule] = field(default_factory=list)
    revoke: set[int] = field(default_factory=set)
    expire: dict[int, str] = field(default_factory=dict)  # user -> expired_at
    forbid_courses: dict[int, int] = field(default_factory=dict)
    throttle: dict[str, Any] | None = None
    loop_links: bool = False
    foreign_next: bool = False
    # OAuth2: lifetime of access tokens issued from now on, "deny" the authorization (access_denied)
    oauth_expires_in: int = 3600
    oauth_deny: bool = False
    oauth_clients: dict[str, str] = field(default_factory=dict)  # extra client id -> secret


KEYS = {
    "latency_ms", "fail", "revoke", "expire", "forbid_courses",
    "throttle", "loop_links", "foreign_next", "oauth", "oauth_clients",
}  # fmt: skip
OAUTH_KEYS = {"expires_in", "deny"}


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.state = FaultState()

    def update(self, now_iso: str, **kw: Any) -> None:
        """Validate first, then apply, so a bad call changes nothing."""
        unknown = set(kw) - KEYS - {"clear"}
        if unknown:
            raise ValueError(f"unknown fault keys: {sorted(unknown)}")
        new: dict[str, Any] = {}
        if "latency_ms" in kw:
            new["latency_ms"] = int(kw["latency_ms"] or 0)
        if "fail" in kw:
            new["fail"] = [FailRule.from_dict(r) for r in kw["fail"] or []]
        if "revoke" in kw:
            new["revoke"] = {int(n) for n in kw["revoke"] or []}
        if "expire" in kw:
            new["expire"] = {int(n): now_iso for n in kw["expire"] or []}
        if "forbid_courses" in kw:
            forbid = {int(c): int(s) for c, s in (kw["forbid_courses"] or {}).items()}
            if any(s not in FORBID_STATUSES for s in forbid.values()):
                raise ValueError(f"forbid_courses statuses must be in {FORBID_STATUSES}")
            new["forbid_courses"] = forbid
        if "throttle" in kw:
            new["throttle"] = dict(kw["throttle"]) if kw["throttle"] else None
        for flag in ("loop_links", "foreign_next"):
            if flag in kw:
                new[flag] = bool(kw[flag])
        if "oauth" in kw:
            oauth = dict(kw["oauth"] or {})
            if set(oauth) - OAUTH_KEYS:
                raise ValueError(f"unknown oauth keys: {sorted(set(oauth) - OAUTH_KEYS)}")
            if "expires_in" in oauth:
                if int(oauth["expires_in"]) < 1:
                    raise ValueError("oauth expires_in must be at least 1 second")
                new["oauth_expires_in"] = int(oauth["expires_in"])
            if "deny" in oauth:
                new["oauth_deny"] = bool(oauth["deny"])
        if "oauth_clients" in kw:
            new["oauth_clients"] = {str(k): str(v) for k, v in (kw["oauth_clients"] or {}).items()}
        with self._lock:
            if kw.get("clear"):
                self.state = FaultState()
            for key, value in new.items():
                setattr(self.state, key, value)

    def take_failure(self, method: str, path: str) -> FailRule | None:
        """The first matching rule, consuming one of its ``times``."""
        with self._lock:
            for rule in self.state.fail:
                if rule.method and rule.method.upper() != method:
                    continue
                if not rule.path.search(path):
                    continue
                if rule.times is not None:
                    if rule.times <= 0:
                        continue
                    rule.times -= 1
                return rule
        return None

    def describe(self) -> dict[str, Any]:
        s = self.state
        return {
            "latency_ms": s.latency_ms,
            "fail": [r.describe() for r in s.fail],
            "revoke": sorted(s.revoke),
            "expire": sorted(s.expire),
            "forbid_courses": {str(k): v for k, v in s.forbid_courses.items()},
            "throttle": s.throttle,
            "loop_links": s.loop_links,
            "foreign_next": s.foreign_next,
            "oauth": {"expires_in": s.oauth_expires_in, "deny": s.oauth_deny},
            "oauth_clients": sorted(s.oauth_clients),  # ids only: secrets stay out of replies
        }
