"""Notification preferences: defaults and validation (pure). Bad input raises UsageError with one
sentence a student can act on."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from canvas.analysis.changes import KINDS as CHANGE_KINDS
from canvas.errors import UsageError

REMINDER = "due_reminder"
KINDS = (*CHANGE_KINDS, REMINDER)
DIGESTS = ("per_sync", "daily")
MAX_LEAD_MINUTES = 14 * 24 * 60  # the outbox keeps sent rows longer than this (reminders stay unique)
MAX_LEAD_TIMES = 5

DEFAULTS: dict[str, Any] = {
    "kinds": list(KINDS),
    "quiet_start": None,
    "quiet_end": None,
    "digest": "per_sync",
    "digest_time": "08:00",
    "lead_times_minutes": [],
    "timezone": None,
}

_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_LEAD = re.compile(r"^(\d+)\s*(m|min|mins|minutes?|h|hr|hrs|hours?|d|days?|w|weeks?)$")
_UNIT = {"m": 1, "h": 60, "d": 1440, "w": 10080}


def parse_hhmm(value: str | None, what: str = "quiet hours") -> str | None:
    """"7:30" -> "07:30"; empty -> None."""
    if value is None or not str(value).strip():
        return None
    m = _HHMM.match(str(value).strip())
    if not m:
        raise UsageError(f"Enter {what} as a time like 22:00 (24-hour clock), not {str(value)[:20]!r}.")
    return f"{int(m.group(1)):02d}:{m.group(2)}"


def minutes_of(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


def parse_lead_times(value: str | Iterable[int] | None) -> list[int]:
    """"2d, 3h" -> [2880, 180] (minutes, largest first, no duplicates)."""
    if value is None:
        return []
    if isinstance(value, str):
        out = []
        for part in (p.strip().lower() for p in re.split(r"[,;]", value)):
            if not part:
                continue
            m = _LEAD.match(part)
            if not m:
                raise UsageError(f"Enter reminder times like \"2d, 3h, 30m\", not {part[:20]!r}.")
            out.append(int(m.group(1)) * _UNIT[m.group(2)[0]])
    else:
        try:
            out = [int(v) for v in value]
        except (TypeError, ValueError):
            raise UsageError("Reminder times must be whole numbers of minutes.") from None
    for minutes in out:
        if not 1 <= minutes <= MAX_LEAD_MINUTES:
            raise UsageError("Each reminder must be between 1 minute and 14 days before the due date.")
    unique = sorted(set(out), reverse=True)
    if len(unique) > MAX_LEAD_TIMES:
        raise UsageError(f"Pick at most {MAX_LEAD_TIMES} reminder times.")
    return unique


def format_lead(minutes: int) -> str:
    """2880 -> "2d", 180 -> "3h", 90 -> "90m" (the inverse of parse_lead_times for display)."""
    for unit, size in (("d", 1440), ("h", 60)):
        if minutes % size == 0:
            return f"{minutes // size}{unit}"
    return f"{minutes}m"


def parse_kinds(value: Iterable[str]) -> list[str]:
    kinds = [str(k) for k in value]
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise UsageError(f"Unknown notification kind {unknown[0][:30]!r}; choose from: {', '.join(KINDS)}.")
    return [k for k in KINDS if k in kinds]


def parse_timezone(value: str | None) -> str | None:
    if value is None or not str(value).strip():
        return None
    try:
        ZoneInfo(str(value).strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(f"Unknown time zone {str(value)[:40]!r}; use a name like America/Denver.") from None
    return str(value).strip()


def validate(current: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """`current` with `changes` applied and checked; unknown keys are refused."""
    unknown = set(changes) - set(DEFAULTS)
    if unknown:
        raise UsageError(f"Unknown notification setting {sorted(unknown)[0]!r}.")
    out = {**DEFAULTS, **current}
    if "kinds" in changes:
        out["kinds"] = parse_kinds(changes["kinds"])
    for key in ("quiet_start", "quiet_end"):
        if key in changes:
            out[key] = parse_hhmm(changes[key])
    if (out["quiet_start"] is None) != (out["quiet_end"] is None):
        raise UsageError("Quiet hours need both a start and an end time (or neither).")
    if out["quiet_start"] is not None and out["quiet_start"] == out["quiet_end"]:
        raise UsageError("Quiet hours must start and end at different times.")
    if "digest" in changes:
        if changes["digest"] not in DIGESTS:
            raise UsageError("Choose a message per sync or a daily digest.")
        out["digest"] = changes["digest"]
    if "digest_time" in changes:
        out["digest_time"] = parse_hhmm(changes["digest_time"], "the digest time") or DEFAULTS["digest_time"]
    if "lead_times_minutes" in changes:
        out["lead_times_minutes"] = parse_lead_times(changes["lead_times_minutes"])
    if "timezone" in changes:
        out["timezone"] = parse_timezone(changes["timezone"])
    return out
