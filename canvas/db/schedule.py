"""When a user's next scheduled sync falls: a fixed phase per user, spread evenly over the interval.

Due times taken as "finished + interval" keep the shape of the first cycle: a school that
connects everyone on one morning bursts at the top of every cycle. Instead each user owns a
phase in the interval (the golden-ratio hash of the id: consecutive ids land far apart, and any
N users cover the interval almost evenly), and a finished full sync is due again at the first
moment of its phase at least half an interval away. In steady state that is exactly one interval
later; after a "sync now" or a backlog the user drifts back to their phase within one cycle. The
"stale after" rule is untouched: a claim still needs the last good sync to be that old.
"""

from __future__ import annotations

GOLDEN = 0.6180339887498949  # (sqrt(5) - 1) / 2

_IV = "CAST(:iv AS numeric)"
_PHASE = f"({_IV} * mod(user_id * {GOLDEN}, 1))"


def _first_phase_after(earliest: str) -> str:
    """SQL: the first moment at or after `earliest` (epoch seconds) that is the user's phase."""
    return f"to_timestamp({earliest} + mod(mod({_PHASE} - {earliest}, {_IV}) + {_IV}, {_IV}))"


# SQL for sync_jobs.due_at (bind :iv, the interval in seconds); used by canvas.db.jobs.complete.
NEXT_DUE_SQL = _first_phase_after(f"(extract(epoch FROM now()) + {_IV} / 2)")
# The same phase from now on: a school's jobs in their steady state (benches, a bulk import).
PHASE_DUE_SQL = _first_phase_after("extract(epoch FROM now())")

def phase(user_id: int, interval_s: float) -> float:
    """Seconds into the interval at which this user's scheduled syncs fall (as NEXT_DUE_SQL)."""
    return interval_s * ((user_id * GOLDEN) % 1.0)


def next_due(user_id: int, interval_s: float, now_s: float) -> float:
    """NEXT_DUE_SQL in Python (epoch seconds), for planning and benches."""
    earliest = now_s + interval_s / 2
    return earliest + (phase(user_id, interval_s) - earliest) % interval_s
