"""Two dashboard replicas behind nginx (deploy/nginx-canvas-dashboard.conf) against one PostgreSQL.

Four students sign in through the proxy with st.login (OpenID provider mock) in four browser
contexts, then all click through the pages at once: in those browsers, or (the load bench's way)
on Streamlit's websocket protocol with the cookies the browsers got. Each must see only their own
data, every student must stay on one replica (websocket included), and both replicas must serve.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bench.common import ROOT
from bench.dashboard_load import NGINX, measure
from tests.support.launch import CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed"),
    pytest.mark.skipif(not Path(NGINX).exists(), reason=f"{NGINX} is not installed (apt-get install nginx)"),
    pytest.mark.skipif(importlib.util.find_spec("oidc_provider_mock") is None,
                       reason="oidc-provider-mock is not installed (requirements-dev.txt)"),
]


@dataclass
class _TestContext:
    """What bench.dashboard_load.measure needs from a bench Context, on the tests' database."""

    url: str
    tmp: Path

    def database(self) -> str:
        return self.url

    def settings(self, url: str, **overrides: Any) -> Any:
        from canvas.config import load_settings

        return load_settings(database_url=url, data_dir=self.tmp / "data", allowed_hosts=("127.0.0.1",),
                             **overrides)

    def env(self, url: str, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CANVAS_") and k != "DATABASE_URL"}
        env.update(DATABASE_URL=url, CANVAS_DATA_DIR=str(self.tmp / "data"), CANVAS_ALLOWED_HOSTS="127.0.0.1",
                   CANVAS_LOG_LEVEL="WARNING", PYTHONPATH=str(ROOT), XDG_RUNTIME_DIR="/tmp", **extra)
        return env


@pytest.mark.parametrize("client", ["browser", "websocket"])
def test_two_replicas_behind_nginx_serve_students_with_sticky_sessions(engine, pg_url, tmp_path, client) -> None:
    # engine: the tests' database, migrated and emptied; the replicas and the students share it
    res = measure(_TestContext(pg_url, tmp_path), 4, rounds=1, replicas=2, client=client, idle_s=1.0)
    assert res["errors"] == 0, res["error_kinds"]
    assert res["page_runs"] == 4 * 4
    assert res["saw_own_data"] == 4, "every student sees their own name after signing in through the proxy"
    assert res["sticky_violations"] == 0, "a browser's requests reached two replicas"
    assert len(res["websockets_per_replica"]) == 2, res["websockets_per_replica"]
    assert min(res["websockets_per_replica"].values()) >= 2, res["websockets_per_replica"]
