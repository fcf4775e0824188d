"""``/__sim/*``: drive a simulator in another process (tests, the dashboard demo).

No auth, not counted in stats, not throttled, not subject to faults.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from canvas.simulator.api import Reply, json_reply

if TYPE_CHECKING:
    from canvas.simulator.server import Simulator

_DATASET = re.compile(r"/__sim/dataset/(\d+)")


class UnknownEndpoint(Exception):
    """No control endpoint has this method and path."""


def _body(raw: bytes) -> dict[str, Any]:
    data = json.loads(raw or b"{}")
    if not isinstance(data, dict):
        raise ValueError("the request body must be a JSON object")
    return data


def _route(sim: Simulator, method: str, path: str, raw: bytes) -> Any:
    if method in ("GET", "HEAD"):
        if path == "/__sim/stats":
            return sim.stats()
        if path == "/__sim/info":
            return sim.info()
        m = _DATASET.fullmatch(path)
        if m:
            return sim.dataset(int(m.group(1)))
    if method == "POST":
        if path == "/__sim/reset_stats":
            sim.reset_stats()
            return {"ok": True}
        if path == "/__sim/faults":
            sim.set_faults(**_body(raw))
            return {"ok": True, "faults": sim.faults.describe()}
        if path == "/__sim/mutate":
            data = _body(raw)
            if "user" not in data or "op" not in data:
                raise ValueError('mutate needs "user" and "op"')
            user, op = int(data.pop("user")), str(data.pop("op"))
            return {"ok": True, "result": sim.mutate(user, op, **data)}
    raise UnknownEndpoint(f"no control endpoint {method} {path}")


def handle(sim: Simulator, method: str, path: str, raw: bytes) -> Reply:
    try:
        return json_reply(_route(sim, method, path, raw))
    except UnknownEndpoint as exc:
        return json_reply({"error": str(exc)}, 404)
    except (ValueError, TypeError) as exc:  # bad JSON, bad kwargs, unknown op/user
        return json_reply({"error": str(exc)}, 400)
