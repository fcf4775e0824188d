"""Assignment status rules (pure): the one place that decides missing, late, submitted, graded,
upcoming and the single status a student sees. The dashboard (`canvas.dashboard.fmt`, column-wise
over a whole table) and the fetch report (`canvas.report.analyze`, one item at a time) both use it.

Missing and late are **Canvas's own flags, nothing else.** Canvas computes them on the server
(canvas-lms `Submission#missing?` / `#late?`): excused → neither; a custom grade status → not
missing; a teacher's `late_policy_status`, when set, decides ("missing" → missing, "late" → late,
"none"/"extended" → neither); otherwise missing is "past due, nothing submitted, and the assignment
expects a submission" and late is "submitted after the due date". So `late_policy_status ==
"missing"` is already inside the `missing` flag; counting it a second time could only disagree with
the Canvas page (a custom status set over a stale policy status), never add a true case.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

Status = Literal["upcoming", "past_due", "missing", "submitted", "graded", "excused"]
Tag = Literal["graded", "late", "missing", "submitted", "upcoming", "excused"]
Flags = npt.NDArray[np.bool_]

STATUSES: tuple[Tag, ...] = ("upcoming", "missing", "late", "submitted", "graded", "excused")
# Submission workflow states that mean "handed in, waiting for a grade".
SUBMITTED_STATES = frozenset({"submitted", "pending_review"})
# Sorted, so each row's tag list comes out in the same order the filters show them.
_TAG_ORDER: tuple[Tag, ...] = ("graded", "late", "missing", "submitted", "upcoming")


# -- one submission (the report) ------------------------------------------------------------------
def is_excused(sub: Mapping[str, Any]) -> bool:
    return bool(sub.get("excused"))


def is_missing(sub: Mapping[str, Any]) -> bool:
    """Canvas's `missing` flag (see the module docstring for why it is the only input)."""
    return bool(sub.get("missing")) and not is_excused(sub)


def is_late(sub: Mapping[str, Any]) -> bool:
    """Canvas's `late` flag, for the same reason as `is_missing`."""
    return bool(sub.get("late")) and not is_excused(sub)


def is_submitted(sub: Mapping[str, Any]) -> bool:
    """Handed in: a submission time, or a state that only handed-in work reaches."""
    return sub.get("submitted_at") is not None or sub.get("workflow_state") in SUBMITTED_STATES


def is_handed_in(sub: Mapping[str, Any]) -> bool:
    """Submitted, or graded without a submission (work handed in on paper): the report's "submitted"."""
    return is_submitted(sub) or sub.get("workflow_state") == "graded"


# -- a whole table (the dashboard) ------------------------------------------------------------------
def classify(*, excused: Flags, missing: Flags, late: Flags, submitted: Flags, graded: Flags,
             not_yet_due: Flags) -> tuple[list[list[Tag]], list[Status], Flags]:
    """The same rules column-wise (a per-row pass was ~5x slower on the Overview's 500 rows).

    Inputs are the raw per-row facts: Canvas's flags, `is_submitted`, "has a grade" (a graded state
    or a graded_at time) and "no due date, or due from now on". Returns per row:
    the filter `tags` (work can be late *and* graded; excused overrides everything); the one
    `status` shown, by precedence excused > graded > missing > submitted > upcoming, else past due;
    and `unsubmitted`, work still to do.
    """
    graded = graded & ~excused
    upcoming = ~submitted & ~graded & ~missing & not_yet_due
    per_row = zip(*(f.tolist() for f in (graded, late, missing, submitted, upcoming)), strict=True)  # _TAG_ORDER
    tags: list[list[Tag]] = [
        ["excused"] if ex else [n for n, on in zip(_TAG_ORDER, row, strict=True) if on]
        for ex, row in zip(excused.tolist(), per_row, strict=True)]
    chosen = np.select([excused, graded, missing, submitted, upcoming],
                       ["excused", "graded", "missing", "submitted", "upcoming"], "past_due")
    status: list[Status] = chosen.tolist()
    return tags, status, ~(submitted | graded | excused)
