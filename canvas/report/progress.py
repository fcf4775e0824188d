"""What the terminal shows while the fetch runs.

On a terminal (stderr is a TTY) one line is redrawn in place: "Fetching assignments… (3/6)".
Otherwise (a pipe, a log file, cron) only each stage's start goes to the log, once, so redirected
output stays short. Nothing here touches stdout: that belongs to the report.
"""

from __future__ import annotations

import logging
import sys
import threading
from typing import TextIO

log = logging.getLogger("canvas.report")

_CLEAR = "\r\x1b[K"  # carriage return + erase to end of line


class Progress:
    def __init__(self, stream: TextIO | None = None, interactive: bool | None = None) -> None:
        self._stream = stream if stream is not None else sys.stderr
        if interactive is None:
            isatty = getattr(self._stream, "isatty", None)
            interactive = bool(isatty and isatty())
        self.interactive = interactive
        self._lock = threading.Lock()
        self._drawn = False

    def update(self, stage: str, done: int | None = None, total: int | None = None) -> None:
        """Show `stage` (and `done/total` when counting); a new stage is logged when not a TTY."""
        with self._lock:
            if self.interactive:
                counter = f" ({done}/{total})" if done is not None and total is not None else ""
                self._stream.write(f"{_CLEAR}{stage}…{counter}")
                self._stream.flush()
                self._drawn = True
            elif not done:  # the start of a stage, not each step of it
                log.info("%s...", stage if total is None else f"{stage} for {total} course(s)")

    def clear(self) -> None:
        """Erase the progress line so the report (or an error) starts on a clean line."""
        with self._lock:
            if self.interactive and self._drawn:
                self._stream.write(_CLEAR)
                self._stream.flush()
                self._drawn = False
