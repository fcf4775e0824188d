"""The per-Canvas-host request budget shared by every worker replica: one row per host.

GCRA (the "generic cell rate algorithm"): the row holds the host's theoretical arrival time
(`tat`), the moment its budget is next free. Taking n permits moves `tat` forward by n / rate in
one atomic INSERT ... ON CONFLICT DO UPDATE ... RETURNING, and the caller learns when its first
permit's slot begins, relative to the database clock. A permit is a reservation, not a try: no
polling, no retry loop, so one round trip buys n requests however many replicas compete. The
row lock orders concurrent callers; the statement holds it for well under a millisecond.
"""

from __future__ import annotations

from sqlalchemy import Engine, text

_RESERVE = text("""
    INSERT INTO canvas_host_budget AS b (host, tat)
    VALUES (:host, clock_timestamp() + make_interval(secs => :n / :rate))
    ON CONFLICT (host) DO UPDATE
       SET tat = greatest(b.tat, clock_timestamp()) + make_interval(secs => :n / :rate)
    RETURNING extract(epoch FROM b.tat - clock_timestamp())::float8 - :n / :rate AS wait
""")


class HostBudget:
    """`reserve(host, n)`: seconds until the first of n slots (1 / rate apart) begins (<= 0: now)."""

    def __init__(self, engine: Engine, rate: float) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        # Autocommit: the statement is its own transaction (no BEGIN/COMMIT round trips).
        self._engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self.rate = rate
        self.calls = 0

    def reserve(self, host: str, n: int) -> float:
        with self._engine.connect() as conn:
            wait = conn.execute(_RESERVE, {"host": host, "n": float(n), "rate": self.rate}).scalar_one()
        self.calls += 1
        return float(wait)


def reset(engine: Engine, host: str | None = None) -> None:
    """Forget the budget state (tests, benches): the next permit is free at once."""
    with engine.begin() as conn:
        if host is None:
            conn.execute(text("DELETE FROM canvas_host_budget"))
        else:
            conn.execute(text("DELETE FROM canvas_host_budget WHERE host = :h"), {"h": host})
