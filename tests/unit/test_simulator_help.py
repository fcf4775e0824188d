"""Every fault and mutation recipe that `python -m canvas simulate --help` prints works as printed."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import requests

from canvas.simulator import Simulator
from canvas.simulator.cli import CONTROLS


def test_help_shows_the_controls() -> None:
    out = subprocess.run([sys.executable, "-m", "canvas", "simulate", "--help"], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0
    for words in ("Canvas hangs", "revokes the token", "posts a grade", "__sim/faults", "__sim/mutate"):
        assert words in out.stdout


def test_every_recipe_is_accepted() -> None:
    recipes = re.findall(r"(?:(__sim/\w+) )?-d '(\{.*?\})'", CONTROLS)
    assert len(recipes) >= 8
    with Simulator(port=0, seed=1) as sim:
        for endpoint, body in recipes:
            url = f"{sim.base_url}/{endpoint or '__sim/faults'}"
            reply = requests.post(url, data=body, timeout=10)
            assert reply.status_code == 200, (body, reply.text)
            assert reply.json()["ok"] is True
        # the revoke recipe really kills the token the way Canvas does
        requests.post(f"{sim.base_url}/__sim/faults", data=json.dumps({"clear": True, "revoke": [1]}), timeout=10)
        from canvas.simulator import token_for

        dead = requests.get(f"{sim.base_url}/api/v1/users/self", headers={"Authorization": f"Bearer {token_for(1)}"},
                            timeout=10)
        assert dead.status_code == 401 and "www-authenticate" in {k.lower() for k in dead.headers}
