"""A simulated Canvas LMS over real HTTP: the demo data source and the only test double.

    from canvas.simulator import Simulator, token_for
    with Simulator(seed=1) as sim:
        requests.get(f"{sim.base_url}/api/v1/users/self/profile",
                     headers={"Authorization": f"Bearer {token_for(1)}"})
"""

from __future__ import annotations

from canvas.simulator.server import Simulator, token_for

__all__ = ["Simulator", "token_for"]
