"""When the student last looked at the dashboard (for "new grades since your last visit").

Stored in a small JSON file under CANVAS_DATA_DIR keyed by user id: for each user the start of the
current visit window (`since`) and when they were last seen. Sessions opened within `SAME_VISIT` of
the last one continue that visit (a reload or a second tab does not empty the "new grades" list).
A failure to read or write the file only loses the window (the Overview then uses the last 7 days).
"""

from __future__ import annotations

import json
import logging
import os
from datetime import datetime, timedelta
from pathlib import Path

log = logging.getLogger(__name__)

SAME_VISIT = timedelta(hours=1)


def visits_path(data_dir: Path) -> Path:
    return data_dir.expanduser() / "dashboard" / "visits.json"


def _load(path: Path) -> dict[str, dict[str, str]]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _time(value: object) -> datetime | None:
    try:
        when = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return when if when is not None and when.tzinfo is not None else None


def start_visit(path: Path, user_id: int, now: datetime, default_window: timedelta) -> datetime:
    """Begin (or continue) a visit at `now`; returns the time new grades are counted from."""
    data = _load(path)
    found = data.get(str(user_id))
    entry = found if isinstance(found, dict) else {}
    last_seen, since = _time(entry.get("last_seen")), _time(entry.get("since"))
    if last_seen is None:
        since = now - default_window
    elif since is None or now - last_seen > SAME_VISIT:
        since = last_seen
    data[str(user_id)] = {"since": since.isoformat(), "last_seen": now.isoformat()}
    _save(path, data)
    return since


def _save(path: Path, data: dict[str, dict[str, str]]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, sort_keys=True))
        os.replace(tmp, path)
    except OSError as exc:
        log.warning("could not record the visit: %s", exc)
