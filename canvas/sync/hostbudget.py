"""The worker's side of the per-host request budget: settings + database store -> a permit callable.

Glue only: `canvas.api.permits` hands slots out, `canvas.db.budget` shares them through PostgreSQL.
"""

from __future__ import annotations

import logging

from sqlalchemy import Engine

from canvas.api.permits import HostPermits
from canvas.config import Settings
from canvas.db.budget import HostBudget

log = logging.getLogger("canvas.worker")


def host_permits(engine: Engine, settings: Settings, *, announce: bool = True) -> HostPermits | None:
    """The process's permits for every Canvas host, or None when CANVAS_HOST_MAX_RPS is off.
    `announce`: log the budget (once, at a worker's start; not for every one-off sync)."""
    if settings.host_max_rps is None:
        return None
    if announce:
        log.info("Canvas request budget: %g requests/s per Canvas host, shared by every worker (%d permit(s) "
                 "per database round trip)", settings.host_max_rps, settings.host_permit_batch)
    store = HostBudget(engine, settings.host_max_rps)
    return HostPermits(store.reserve, settings.host_max_rps, batch=settings.host_permit_batch)
