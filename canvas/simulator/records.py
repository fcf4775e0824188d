"""Constructors for the stored Canvas records (course, group, assignment, submission).

Records are plain dicts in the API's own shape, so rendering is mostly a copy.
Submissions are built from a *status* word so both data generators share the
fiddly date/score rules (late deductions, graded_at before the anchor, ...).
"""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from canvas.simulator.scoring import letter_for

STATUSES = (
    "graded", "late", "missing", "excused", "submitted",
    "pending", "hidden", "unsubmitted", "early",
)  # fmt: skip
LATE_PENALTY_PER_DAY = 0.10  # of points_possible, like a common late policy
HIDDEN_KEYS = ("score", "grade", "entered_score", "entered_grade")


def iso(dt: datetime | None) -> str | None:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if dt else None


def parse_iso(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def num(value: float) -> float | int:
    """Canvas prints whole scores without a fraction ("10", not "10.0")."""
    return int(value) if float(value).is_integer() else round(value, 2)


def pts(value: float) -> float:
    """Scores and points are floats in Canvas's JSON (``10.0``), rounded to 2 dp."""
    return round(float(value), 2)


def grade_text(score: float | None, points: float, grading_type: str) -> str | None:
    """The ``grade`` string Canvas stores for a score."""
    if score is None:
        return None
    pct = score / points * 100 if points else 100.0
    if grading_type == "pass_fail":
        return "complete" if score >= points * 0.6 else "incomplete"
    if grading_type in ("letter_grade", "gpa_scale"):
        return letter_for(round(pct, 2))
    if grading_type == "percent":
        return f"{num(round(pct, 2))}%"
    return str(num(score))


def make_group(
    gid: int, name: str, position: int, weight: float, rules: dict[str, Any]
) -> dict[str, Any]:
    return {
        "id": gid,
        "name": name,
        "position": position,
        "group_weight": float(weight),
        "sis_source_id": None,
        "integration_data": {},
        "rules": rules,  # keys appear only when set, like Canvas
        "any_assignment_in_closed_grading_period": False,
    }


def make_assignment(
    *,
    aid: int,
    cid: int,
    gid: int,
    name: str,
    points: float,
    position: int,
    created: datetime,
    updated: datetime,
    due: datetime | None = None,
    lock: datetime | None = None,
    unlock: datetime | None = None,
    grading_type: str = "points",
    types: list[str] | tuple[str, ...] = ("online_upload",),
    omit: bool = False,
    post_manually: bool = False,
    description: str | None = None,
) -> dict[str, Any]:
    """An assignment record; html_url is added at render time (it needs base_url)."""
    return {
        "id": aid,
        "name": name,
        "description": description
        if description is not None
        else f"<p>Instructions for <strong>{name}</strong>.</p>",
        "created_at": iso(created),
        "updated_at": iso(updated),
        "due_at": iso(due),
        "lock_at": iso(lock),
        "unlock_at": iso(unlock),
        "has_overrides": False,
        "course_id": cid,
        "assignment_group_id": gid,
        "points_possible": pts(points),
        "grading_type": grading_type,
        "grading_standard_id": None,
        "submission_types": list(types),
        "omit_from_final_grade": omit,
        "hide_in_gradebook": False,
        "published": True,
        "unpublishable": False,
        "only_visible_to_overrides": False,
        "locked_for_user": False,
        "muted": post_manually,
        "post_manually": post_manually,
        "anonymize_students": False,
        "moderated_grading": False,
        "allowed_attempts": -1,
        "workflow_state": "published",
        "position": position,
        "is_quiz_assignment": "online_quiz" in types,
        "has_submitted_submissions": False,
    }


def rubric(aid: int, points: float) -> list[dict[str, Any]]:
    half = num(points / 2)
    return [
        {
            "id": f"_{aid % 10000}_{k}",
            "points": half,
            "description": desc,
            "long_description": "",
            "ratings": [
                {"id": f"r{k}a", "points": half, "description": "Full marks"},
                {"id": f"r{k}b", "points": 0, "description": "No marks"},
            ],
        }
        for k, desc in enumerate(("Correctness", "Clarity"), start=1)
    ]


def score_for(pct: float, points: float, grading_type: str) -> float:
    if grading_type == "pass_fail":
        return float(points) if pct >= 0.6 else 0.0
    step = 0.5 if points <= 20 else 1.0
    return min(float(points), round(pct * points / step) * step)


def make_submission(
    *,
    sub_id: int,
    assignment: dict[str, Any],
    user_id: int,
    status: str,
    pct: float,
    rng: random.Random,
    anchor: datetime,
) -> dict[str, Any]:
    """A submission in the given status; every date stays before the anchor."""
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    due = parse_iso(assignment.get("due_at"))
    points = float(assignment.get("points_possible") or 0)
    gtype = assignment.get("grading_type", "points")
    sub: dict[str, Any] = {
        "id": sub_id,
        "assignment_id": assignment["id"],
        "user_id": user_id,
        "url": None,
        "score": None,
        "grade": None,
        "entered_score": None,
        "entered_grade": None,
        "submitted_at": None,
        "graded_at": None,
        "posted_at": None,
        "late": False,
        "missing": False,
        "excused": False,
        "late_policy_status": None,
        "points_deducted": None,
        "seconds_late": 0,
        "attempt": None,
        "workflow_state": "unsubmitted",
        "submission_type": None,
        "grade_matches_current_submission": True,
        "grader_id": None,
        "extra_attempts": None,
        "redo_request": False,
        "cached_due_date": assignment.get("due_at"),
    }
    kind = (assignment.get("submission_types") or ["none"])[0]
    if status == "unsubmitted":
        # Canvas derives "missing": past due, nothing turned in, submission expected
        expected = kind not in ("none", "on_paper", "not_graded", "external_tool")
        sub["missing"] = bool(due and due < anchor and expected)
        return sub
    if status == "missing":
        sub.update(missing=True)
        return sub
    ref = due or anchor - timedelta(days=rng.randint(5, 30))
    latest = anchor - timedelta(hours=1)
    submitted = min(ref - timedelta(hours=rng.randint(1, 40)), latest)
    start = max(ref, submitted)
    graded = start + timedelta(hours=rng.randint(20, 96), seconds=rng.randint(0, 3599))
    if graded > latest:  # not graded yet by the anchor: spread within what is left
        graded = start + (latest - start) * rng.uniform(0.3, 0.95) if start < latest else latest
    sub.update(
        submitted_at=iso(submitted),
        attempt=1,
        workflow_state="submitted",
        submission_type=kind if kind.startswith("online") else None,
    )
    if status in ("submitted", "early"):
        return sub
    sub.update(workflow_state="graded", graded_at=iso(graded), grader_id=9001)
    if status == "excused":
        sub.update(excused=True, posted_at=iso(graded))
        return sub
    entered = score_for(pct, points, gtype)
    score = entered
    if status == "late" and due:
        late_secs = rng.randint(2 * 3600, 3 * 86400)
        late_at = min(due + timedelta(seconds=late_secs), latest - timedelta(hours=1))
        late_secs = max(int((late_at - due).total_seconds()), 60)
        deducted = round(points * LATE_PENALTY_PER_DAY * math.ceil(late_secs / 86400), 2)
        score = max(0.0, entered - deducted)
        sub.update(
            submitted_at=iso(late_at),
            graded_at=iso(min(late_at + timedelta(hours=30), latest)),
            late=True,
            seconds_late=late_secs,
            points_deducted=pts(deducted),
        )
    if status == "pending":
        # a quiz whose essay part awaits manual grading: partial stored score
        score = entered = round(entered * 0.6)
        sub["workflow_state"] = "pending_review"
    sub.update(
        score=pts(score),
        grade=grade_text(score, points, gtype),
        entered_score=pts(entered),
        entered_grade=grade_text(entered, points, gtype),
        posted_at=None if status == "hidden" else sub["graded_at"],
    )
    return sub


def is_hidden(sub: dict[str, Any]) -> bool:
    """A grade the student may not see yet: graded (or scored) but unposted."""
    graded = sub.get("workflow_state") == "graded" or sub.get("score") is not None
    return graded and sub.get("posted_at") is None and not sub.get("excused")


def public_submission(sub: dict[str, Any]) -> dict[str, Any]:
    """What the API shows the student: hidden grade keys are removed, not nulled."""
    out = dict(sub)
    if is_hidden(sub):
        for key in HIDDEN_KEYS:
            out.pop(key, None)
    return out
