"""A small DSL the data generators use to assemble a student's Canvas data.

Ids are derived from the student number n so users never collide:
course 10_000*n + k, group 100*course + g, assignment 1_000_000*n + seq,
submission 1_000_000*n + 500_000 + seq (explicit big ids allowed for BIGINT tests).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from canvas.simulator.records import (
    iso,
    make_assignment,
    make_group,
    make_submission,
    rubric,
)
from canvas.simulator.scoring import DEFAULT_SCHEME
from canvas.simulator.store import UserData

USER_ID_BASE = 100_000
# Canvas's default grading standard as the courses API sends it (fractions, highest first).
DEFAULT_SCHEME_FRACTIONS: tuple[tuple[str, float], ...] = tuple(
    (letter, cutoff / 100) for letter, cutoff in DEFAULT_SCHEME
)


@dataclass(frozen=True)
class Term:
    """An enrollment term, in days relative to the anchor. A past term's courses are concluded
    (course workflow_state "completed", as when the teacher or the term end concludes them)."""

    id: int
    name: str
    start: float
    end: float
    completed: bool = False


CURRENT_TERM = Term(1000, "Spring Term (simulated)", -80, 65)


def canvas_user_id(n: int) -> int:
    return USER_ID_BASE + n


@dataclass
class Spec:
    """One assignment and the state of the student's submission for it."""

    name: str
    points: float
    due: float | None  # days relative to the anchor; None = no due date
    status: str = "graded"
    grading_type: str = "points"
    pct: float | None = None  # score fraction for graded states; None = random
    types: tuple[str, ...] = ("online_upload",)
    omit: bool = False
    never_drop: bool = False
    rubric: bool = False
    aid: int | None = None
    description: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def score_statistics(aid: int, points: float) -> dict[str, float]:
    """A class's score statistics for one assignment, from its own RNG (so adding them leaves every
    other generated value as it was)."""
    r = random.Random(f"stats/{aid}")
    low, high = points * r.uniform(0.15, 0.5), points * r.uniform(0.93, 1.0)
    lower_q = points * r.uniform(0.62, 0.72)
    median = lower_q + points * r.uniform(0.05, 0.1)
    upper_q = min(high, median + points * r.uniform(0.05, 0.1))
    mean = (lower_q + median + upper_q) / 3
    return {"min": round(low, 1), "max": round(high, 1), "mean": round(mean, 1),
            "upper_q": round(upper_q, 1), "median": round(median, 1), "lower_q": round(lower_q, 1)}


class UserBuilder:
    def __init__(self, n: int, rng: random.Random, anchor: datetime, profile: dict) -> None:
        self.n = n
        self.rng = rng
        self.anchor = anchor
        self.ability = 0.72 + rng.random() * 0.22  # the student's typical score
        self.data = UserData(n=n, user_id=canvas_user_id(n), profile=profile)

    def days(self, d: float) -> datetime:
        return self.anchor + timedelta(days=d)

    def course(
        self,
        k: int,
        name: str,
        code: str,
        *,
        weighted: bool = False,
        hide_final_grades: bool = False,
        standard: bool = True,
        time_zone: str = "America/Denver",
        periods: list[tuple[str, float, float]] | None = None,
        cid: int | None = None,
        scheme: list[tuple[str, float]] | None = None,
        scaling_factor: float | None = None,
        letters_only: bool = False,
        statistics: bool = True,
        term: Term | None = None,
    ) -> int:
        """A course the student is enrolled in. `scheme`: the course's own grading standard as Canvas
        stores it (fractions, highest first; None = Canvas's default); `scaling_factor` makes it
        points-based; `letters_only` = restrict_quantitative_data; `statistics` = the course shows
        class score statistics; a past `term` makes a concluded course."""
        cid = cid if cid is not None else 10_000 * self.n + k
        term = term or CURRENT_TERM
        term_id = term.id if term is not CURRENT_TERM else 1000 + self.n % 7
        start, end = (term.start + 5, term.end - 5)
        self.data.courses[cid] = {
            "id": cid,
            "name": name,
            "course_code": code,
            "uuid": f"sim{cid:020d}",
            "workflow_state": "completed" if term.completed else "available",
            "account_id": 1,
            "root_account_id": 1,
            "enrollment_term_id": term_id,
            "start_at": iso(self.days(start)),
            "end_at": iso(self.days(end)),
            "created_at": iso(self.days(start - 45)),
            "time_zone": time_zone,
            "default_view": "modules",
            "is_public": False,
            "public_syllabus": False,
            "license": "private",
            "restrict_enrollments_to_course_dates": False,
            "blueprint": False,
            "apply_assignment_group_weights": weighted,
            "hide_final_grades": hide_final_grades,
            "grading_standard_id": 1 if standard else None,
            "term": {
                "id": term_id,
                "name": term.name,
                "start_at": iso(self.days(term.start)),
                "end_at": iso(self.days(term.end)),
            },
            # Served only when asked for (include[]=grading_scheme / restrict_quantitative_data).
            "grading_scheme": [[name, value] for name, value in (scheme or DEFAULT_SCHEME_FRACTIONS)],
            "points_based_grading_scheme": scaling_factor is not None,
            "scaling_factor": float(scaling_factor) if scaling_factor is not None else 1.0,
            "restrict_quantitative_data": letters_only,
            "hide_distribution_graphs": not statistics,
            "grading_periods": [
                {
                    "id": cid * 10 + i,
                    "title": title,
                    "start_date": iso(self.days(start)),
                    "end_date": iso(self.days(end)),
                    "close_date": iso(self.days(end + 7)),
                    "weight": None,
                    "is_closed": end + 7 < 0,
                    "is_last": i == len(periods or []),
                }
                for i, (title, start, end) in enumerate(periods or [], start=1)
            ],
        }
        self.data.groups[cid] = []
        return cid

    def group(
        self,
        cid: int,
        name: str,
        weight: float = 0.0,
        *,
        drop_lowest: int = 0,
        drop_highest: int = 0,
    ) -> int:
        groups = self.data.groups[cid]
        rules: dict[str, Any] = {}
        if drop_lowest:
            rules["drop_lowest"] = drop_lowest
        if drop_highest:
            rules["drop_highest"] = drop_highest
        gid = 100 * cid + len(groups) + 1
        groups.append(make_group(gid, name, len(groups) + 1, weight, rules))
        return gid

    def assignment(self, cid: int, gid: int, spec: Spec) -> int:
        seq = self.data.next_seq()
        aid = spec.aid if spec.aid is not None else 1_000_000 * self.n + seq
        due = self.days(spec.due) if spec.due is not None else None
        created = min(due - timedelta(days=21), self.days(-30)) if due else self.days(-90)
        record = make_assignment(
            aid=aid,
            cid=cid,
            gid=gid,
            name=spec.name,
            points=spec.points,
            position=1 + len(self.data.group_assignments(gid)),
            created=created,
            updated=created + timedelta(hours=self.rng.randint(1, 72)),
            due=due,
            lock=due + timedelta(days=7) if due and seq % 3 == 0 else None,
            unlock=due - timedelta(days=14) if due and seq % 4 == 0 else None,
            grading_type=spec.grading_type,
            types=spec.types,
            omit=spec.omit,
            post_manually=spec.status == "hidden",
            description=spec.description,
        )
        record["has_submitted_submissions"] = spec.status not in ("unsubmitted", "missing")
        record.update(spec.extra)
        if spec.due is not None and spec.due < -2 and spec.points > 0 and spec.grading_type != "not_graded":
            # graded for the whole class: Canvas keeps score statistics (shown where the course allows)
            record["score_statistics"] = score_statistics(aid, spec.points)
        if spec.rubric:
            record["rubric"] = rubric(aid, spec.points)
            record["rubric_settings"] = {"points_possible": spec.points}
        self.data.assignments[aid] = record
        pct = spec.pct if spec.pct is not None else self.random_pct()
        self.data.submissions[aid] = make_submission(
            sub_id=1_000_000 * self.n + 500_000 + seq,
            assignment=record,
            user_id=self.data.user_id,
            status=spec.status,
            pct=pct,
            rng=self.rng,
            anchor=self.anchor,
        )
        if spec.never_drop:
            self.data.group(gid)["rules"].setdefault("never_drop", []).append(aid)  # type: ignore[index]
        return aid

    def random_pct(self) -> float:
        return max(0.35, min(1.0, self.rng.gauss(self.ability, 0.09)))

    def past_status(self) -> str:
        """A plausible state for past-due work."""
        return self.rng.choices(
            ("graded", "late", "missing", "excused", "submitted"), (78, 8, 7, 2, 5)
        )[0]
