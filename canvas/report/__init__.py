"""The fetch report: `python -m canvas fetch BASE_URL` (the seed's canvas_fetcher.py, without a database).

    collect.py   I/O: one CanvasClient, the minimal request plan (2 + C requests), progress, timing
    analyze.py   pure: fetched JSON + now -> the report dict (grades, upcoming, missing/late, statistics)
    render.py    pure: the report dict -> the text a student reads
    progress.py  what the terminal shows while it runs

Nothing here imports canvas.db: the report works with no PostgreSQL at all.
"""

from __future__ import annotations

from canvas.report.analyze import FetchedRaw, build_report, debug_document
from canvas.report.render import render_text

__all__ = ["FetchedRaw", "build_report", "debug_document", "render_text"]
