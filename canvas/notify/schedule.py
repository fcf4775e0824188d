"""When a message may go out (pure): quiet hours and the daily digest, in the student's time zone."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from canvas.notify.prefs import minutes_of


def zone(name: str | None) -> ZoneInfo | timezone:
    try:
        return ZoneInfo(name) if name else UTC
    except (ZoneInfoNotFoundError, ValueError):
        return UTC  # a Canvas profile with an odd zone name must not stop delivery


def in_quiet_hours(local: datetime, start: str, end: str) -> bool:
    now_m, s, e = local.hour * 60 + local.minute, minutes_of(start), minutes_of(end)
    return s <= now_m < e if s < e else (now_m >= s or now_m < e)  # a window across midnight


def _next_local(local: datetime, hhmm: str) -> datetime:
    """The next moment (strictly after `local`, or now when equal) the local clock shows hhmm."""
    at = time(*divmod(minutes_of(hhmm), 60))
    candidate = datetime.combine(local.date(), at, tzinfo=local.tzinfo)
    if candidate < local:
        candidate = datetime.combine(local.date() + timedelta(days=1), at, tzinfo=local.tzinfo)
    return candidate


def deliver_after(now: datetime, prefs: Mapping[str, Any], tz_name: str | None) -> datetime:
    """`now`, or the end of the quiet hours when `now` falls inside them."""
    start, end = prefs.get("quiet_start"), prefs.get("quiet_end")
    if not start or not end:
        return now
    local = now.astimezone(zone(tz_name))
    if not in_quiet_hours(local, start, end):
        return now
    return _next_local(local, end).astimezone(UTC)


def digest_slot(now: datetime, prefs: Mapping[str, Any], tz_name: str | None) -> tuple[str, datetime]:
    """The daily digest this moment's changes belong to: (its key, when it is sent)."""
    local = now.astimezone(zone(tz_name))
    at = _next_local(local, prefs.get("digest_time") or "08:00")
    if at == local:
        at += timedelta(days=1)  # the digest of this very minute may already be on its way
    return f"digest:{at.date().isoformat()}", at.astimezone(UTC)
