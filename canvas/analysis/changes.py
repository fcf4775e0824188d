"""What a sync changed, from the cached rows before and the fetched rows after (pure).

Rows are compared by value, never by timestamp: a grade unhidden after the last sync keeps an
old graded_at but its score still appears here. Only rows whose content hash moved are compared,
so an unchanged resync costs one dictionary look-up per row.

Kinds: grade_posted (a score or grade appears), grade_changed, assignment_added,
assignment_removed, due_date_changed, missing_changed, course_score_changed, course_concluded.
A course that is new in this sync (a new enrolment) reports no assignment_added events for its
work: that would be one notification per assignment of a whole course.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

KINDS = ("grade_posted", "grade_changed", "assignment_added", "assignment_removed", "due_date_changed",
         "missing_changed", "course_score_changed", "course_concluded")

# Columns of the cached rows the comparison reads (canvas.db.changes selects exactly these).
ASSIGNMENT_COLUMNS = ("canvas_id", "course_id", "name", "due_at", "score", "grade", "score_hidden", "missing",
                      "excused", "html_url", "content_hash")
COURSE_COLUMNS = ("canvas_id", "name", "workflow_state", "current_score", "current_grade", "concluded",
                  "content_hash")


@dataclass(frozen=True)
class Change:
    kind: str
    course_id: int
    assignment_id: int | None
    title: str
    before: Any
    after: Any
    html_url: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _json(value: Any) -> Any:
    """Values as the feed stores them (JSONB): numbers, ISO-8601 times, text, booleans."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _grade(row: Mapping[str, Any]) -> Any:
    """What the student sees as the grade: the score, or the grade text when there is no score."""
    if row.get("score_hidden"):
        return None
    if row.get("score") is not None:
        return _json(row["score"])
    return row.get("grade")


def concluded(row: Mapping[str, Any]) -> bool:
    """A course is concluded when Canvas says so (include[]=concluded) or its state is completed."""
    if row.get("concluded") is not None:
        return bool(row["concluded"])
    raw = row.get("raw")
    if isinstance(raw, Mapping) and raw.get("concluded") is not None:
        return bool(raw["concluded"])
    return row.get("workflow_state") == "completed"


def _assignment_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    aid, cid, title, url = int(new["canvas_id"]), int(new["course_id"]), str(new["name"]), new.get("html_url")
    out: list[Change] = []
    before, after = _grade(old), _grade(new)
    if after is not None and before is None:
        out.append(Change("grade_posted", cid, aid, title, None, after, url))
    elif after is not None and before is not None and (before != after or old.get("grade") != new.get("grade")):
        out.append(Change("grade_changed", cid, aid, title, before, after, url))
    if old.get("due_at") != new.get("due_at"):
        out.append(Change("due_date_changed", cid, aid, title, _json(old.get("due_at")), _json(new.get("due_at")),
                          url))
    graded = any(c.kind in ("grade_posted", "grade_changed") for c in out)
    # A grade clears "missing": saying so as well would be two notifications for one event.
    if bool(old.get("missing")) != bool(new.get("missing")) and not (graded and not new.get("missing")):
        out.append(Change("missing_changed", cid, aid, title, bool(old.get("missing")), bool(new.get("missing")),
                          url))
    return out


def diff_assignments(old: Mapping[int, Mapping[str, Any]], new: Sequence[Mapping[str, Any]], *,
                     known_courses: Iterable[int], kept_courses: Iterable[int] = ()) -> list[Change]:
    """Assignment-level changes. `known_courses`: courses cached before this sync (only their new
    work counts as added); `kept_courses`: courses whose rows stay untouched (skipped by Canvas)."""
    known, kept = set(known_courses), set(kept_courses)
    out: list[Change] = []
    seen: set[int] = set()
    for row in new:
        aid = int(row["canvas_id"])
        seen.add(aid)
        before = old.get(aid)
        if before is None:
            if int(row["course_id"]) in known:
                out.append(Change("assignment_added", int(row["course_id"]), aid, str(row["name"]), None,
                                  _json(row.get("due_at")), row.get("html_url")))
        elif before.get("content_hash") != row.get("content_hash"):
            out.extend(_assignment_changes(before, row))
    new_courses = {int(r["course_id"]) for r in new}
    for aid, before in old.items():
        cid = int(before["course_id"])
        # Work of a course that left entirely is not reported item by item; skipped courses keep theirs.
        if aid not in seen and cid not in kept and cid in new_courses:
            out.append(Change("assignment_removed", cid, aid, str(before["name"]), _json(before.get("due_at")), None,
                              before.get("html_url")))
    return out


def diff_courses(old: Mapping[int, Mapping[str, Any]], new: Sequence[Mapping[str, Any]]) -> list[Change]:
    out: list[Change] = []
    for row in new:
        cid = int(row["canvas_id"])
        before = old.get(cid)
        if before is None or before.get("content_hash") == row.get("content_hash"):
            continue
        name = str(row["name"])
        b_score, a_score = _json(before.get("current_score")), _json(row.get("current_score"))
        if b_score != a_score and a_score is not None:
            out.append(Change("course_score_changed", cid, None, name, b_score, a_score))
        elif a_score is None and b_score is None and before.get("current_grade") != row.get("current_grade") \
                and row.get("current_grade") is not None:
            # Letter-only courses show a grade and no percentage.
            out.append(Change("course_score_changed", cid, None, name, before.get("current_grade"),
                              row.get("current_grade")))
        if concluded(row) and not concluded(before):
            out.append(Change("course_concluded", cid, None, name, False, True))
    return out


def diff_sync(old_courses: Mapping[int, Mapping[str, Any]], old_assignments: Mapping[int, Mapping[str, Any]],
              new_courses: Sequence[Mapping[str, Any]], new_assignments: Sequence[Mapping[str, Any]], *,
              skipped: Iterable[int] = ()) -> list[Change]:
    """Everything a full sync changed. A user with nothing cached yet is a baseline: no changes."""
    if not old_courses and not old_assignments:
        return []
    return diff_courses(old_courses, new_courses) + diff_assignments(
        old_assignments, new_assignments, known_courses=old_courses.keys(), kept_courses=skipped)


def diff_graded(old: Mapping[int, Mapping[str, Any]], rows: Sequence[Mapping[str, Any]]) -> list[Change]:
    """The recent-grades refresh: grade and missing changes of already cached assignments (it
    carries no due dates and never adds or removes work)."""
    out: list[Change] = []
    for row in rows:
        before = old.get(int(row["canvas_id"]))
        if before is None:
            continue
        merged = {**before, **{k: row[k] for k in ("score", "grade", "score_hidden", "missing", "excused")
                               if k in row}, "due_at": before.get("due_at")}
        out.extend(c for c in _assignment_changes(before, merged) if c.kind != "due_date_changed")
    return out
