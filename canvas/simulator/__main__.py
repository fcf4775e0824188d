"""``python -m canvas.simulator``: same as ``python -m canvas simulate``."""

from __future__ import annotations

import sys

from canvas.simulator.cli import main

sys.exit(main())
