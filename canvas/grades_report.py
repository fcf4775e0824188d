"""Every course (active and archived) with its letter, credits and GPA: `python -m canvas grades`.

`course_facts` reads one cached course (the courses row, its raw Canvas JSON under ``raw``) into the
facts the Transcript page and the CLI share; `report` turns those, the student's per-course prefs and
GPA settings into the JSON document. Pure; `load` does the reads, `run` is what the CLI command
(`canvas/cli/grades.py`) calls.

The letter a course carries is the one the GPA uses: a concluded course's final letter, an active
course's current letter ("if current letters hold"). Canvas's own letter wins when it sends one
(``letter_source`` "canvas"); else the course's own scale ("course_scheme") or Canvas's default
("default") is applied to the matching score.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd

from canvas.analysis import gpa
from canvas.analysis.letters import GradingScale, letter_with_source, scale_from_course
from canvas.models import to_decimal

HIDDEN_TOTALS = "Canvas hides this course's total"


@dataclass(frozen=True)
class CourseFacts:
    course_id: int
    name: str
    term: str | None
    term_start: str | None  # ISO date for ordering terms, when known
    concluded: bool
    current_score: Decimal | None
    final_score: Decimal | None
    current_grade: str | None
    final_grade: str | None
    scale: GradingScale
    letter_only: bool
    hidden_totals: bool

    @property
    def percent(self) -> Decimal | None:
        """The score the GPA uses: final once concluded, current while the course runs."""
        return self.final_score if self.concluded else self.current_score

    @property
    def letter_and_source(self) -> tuple[str | None, str]:
        canvas = self.final_grade if self.concluded else self.current_grade
        return letter_with_source(canvas, self.percent, self.scale)


def _get(row: Mapping[str, Any], raw: Mapping[str, Any], *keys: str) -> Any:
    for key in keys:
        for source in (row, raw):
            value = source.get(key)
            if value is not None and not (isinstance(value, float) and math.isnan(value)):
                return value
    return None


def _enrollment(raw: Mapping[str, Any]) -> Mapping[str, Any]:
    enrollments = raw.get("enrollments") or []
    return enrollments[0] if enrollments and isinstance(enrollments[0], Mapping) else {}


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def course_facts(row: Mapping[str, Any]) -> CourseFacts:
    """Facts from one cached course: columns first, then its raw Canvas JSON (``row["raw"]``)."""
    raw_value = row.get("raw")
    raw: Mapping[str, Any] = raw_value if isinstance(raw_value, Mapping) else {}
    enr = _enrollment(raw)
    term_value = raw.get("term")
    term: Mapping[str, Any] = term_value if isinstance(term_value, Mapping) else {}
    state = _get(row, raw, "workflow_state")
    concluded = bool(_get(row, raw, "concluded")) or state == "completed" or \
        enr.get("enrollment_state") == "completed"
    hidden = bool(_get(row, raw, "hide_final_grades"))

    def score(kind: str) -> Decimal | None:
        return to_decimal(_get(row, enr, f"{kind}_score", f"computed_{kind}_score"))

    def grade(kind: str) -> str | None:
        return _text(_get(row, enr, f"{kind}_grade", f"computed_{kind}_grade"))

    scheme_keys = {"grading_scheme": _get(row, raw, "grading_scheme"),
                   "points_based_grading_scheme": _get(row, raw, "points_based", "points_based_grading_scheme"),
                   "scaling_factor": _get(row, raw, "scaling_factor")}
    return CourseFacts(
        course_id=int(_get(row, raw, "course_id", "canvas_id", "id")),
        name=str(_get(row, raw, "name") or ""),
        term=_text(_get(row, {}, "term_name", "term")) or _text(term.get("name")),
        term_start=_iso(_get(row, term, "term_start_at", "start_at")),
        concluded=concluded,
        current_score=score("current"), final_score=score("final"),
        current_grade=grade("current"), final_grade=grade("final"),
        scale=scale_from_course(scheme_keys),
        letter_only=bool(_get(row, raw, "restrict_quantitative_data")),
        hidden_totals=hidden,
    )


def _iso(value: Any) -> str | None:
    if value is None or value is pd.NaT:
        return None
    return value.isoformat() if hasattr(value, "isoformat") else (str(value) or None)


def gpa_course(facts: CourseFacts, pref: Mapping[str, Any] | None) -> gpa.GpaCourse:
    pref = pref or {}
    credits = pref.get("credits")
    letter, _ = facts.letter_and_source
    return gpa.GpaCourse(
        course_id=facts.course_id, name=facts.name, term=facts.term, letter=letter, percent=facts.percent,
        credits=Decimal(str(credits)) if credits is not None else Decimal(1),
        in_gpa=bool(pref.get("in_gpa", True)), concluded=facts.concluded,
        why_no_grade=HIDDEN_TOTALS if facts.hidden_totals and facts.percent is None and not letter else None,
        letter_only=facts.letter_only)


def term_order(facts: Iterable[CourseFacts]) -> list[str]:
    """Terms newest first (by their start, then name); courses without a term last."""
    starts: dict[str, str] = {}
    for f in facts:
        name = f.term or gpa.NO_TERM
        starts[name] = max(starts.get(name, ""), f.term_start or "")
    return sorted(starts, key=lambda t: (t == gpa.NO_TERM, not starts[t], _neg(starts[t]), t))


def _neg(text: str) -> tuple[int, ...]:
    return tuple(-ord(ch) for ch in text)


def current_term(facts: list[CourseFacts]) -> str | None:
    """The term shown by default: the newest term with an active course, else the newest term."""
    order = term_order(facts)
    active = {f.term or gpa.NO_TERM for f in facts if not f.concluded}
    for term in order:
        if term in active:
            return term
    return order[0] if order else None


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def report(courses: Iterable[Mapping[str, Any]], prefs: Mapping[int, Mapping[str, Any]],
           settings: Mapping[str, Any] | None) -> dict[str, Any]:
    """The `grades --json` document: every course, then the GPA per term and cumulative."""
    settings = settings or {}
    scale = str(settings.get("scale") or "us4")
    facts = [course_facts(c) for c in courses]
    result = gpa.compute([gpa_course(f, prefs.get(f.course_id)) for f in facts], scale,
                         settings.get("custom_table"))
    out = []
    for f in facts:
        letter, source = f.letter_and_source
        c = gpa_course(f, prefs.get(f.course_id))
        out.append({
            "course_id": f.course_id, "name": f.name, "term": f.term, "concluded": f.concluded,
            # letter-only courses: Canvas shows the student letters, so the numbers stay out here too
            "current_score": None if f.letter_only else _float(f.current_score),
            "final_score": None if f.letter_only else _float(f.final_score),
            "letter": letter, "letter_source": source, "scale": f.scale.label, "letter_only": f.letter_only,
            "credits": float(c.credits), "in_gpa": c.in_gpa, "gpa_points": _float(result.points.get(f.course_id)),
            "left_out_because": result.left_out.get(f.course_id),
        })
    return {"courses": out,
            "gpa": {"terms": {t: _float(v) for t, v in result.terms.items()},
                    "cumulative": _float(result.cumulative), "completed": _float(result.completed),
                    "scale": scale, "scale_label": gpa.label(scale)}}


# -- reads and the CLI ----------------------------------------------------------------------------
def load(conn: Any, user_id: int) -> tuple[list[dict[str, Any]], dict[int, dict[str, Any]], dict[str, Any]]:
    """Every cached course (the archive read: current and concluded), the student's per-course prefs
    and GPA settings."""
    from canvas.db import prefs as prefs_db
    from canvas.db import reads

    courses = reads.archive(conn, user_id=user_id).to_dict("records")
    return courses, _prefs_map(prefs_db.get_course_prefs(conn, user_id)), dict(
        prefs_db.get_gpa_settings(conn, user_id) or {})


def _prefs_map(rows: Any) -> dict[int, dict[str, Any]]:
    if isinstance(rows, Mapping):
        return {int(k): dict(v) for k, v in rows.items()}
    return {int(r["course_id"]): dict(r) for r in rows or []}


def run(user_id: int, settings: Any) -> dict[str, Any]:
    """The document for one user, read from the cache (UsageError when there is no such user)."""
    from canvas import errors
    from canvas.db import repo
    from canvas.db.engine import get_engine

    with get_engine(settings).connect() as conn:
        if repo.get_user(conn, user_id) is None:
            raise errors.UsageError(f"no user with id {user_id}")
        return report(*load(conn, user_id))


def as_text(doc: Mapping[str, Any]) -> str:
    """The document as lines for a terminal."""
    lines = []
    for c in doc["courses"]:
        mark = " (archived)" if c["concluded"] else ""
        lines.append(f"{c['term'] or gpa.NO_TERM:<16} {c['name']}{mark}: {c['letter'] or '—'} "
                     f"[{c['letter_source']}] credits {c['credits']:g}{'' if c['in_gpa'] else ', not in GPA'}")
    g = doc["gpa"]
    lines.append(f"GPA ({g['scale_label']}): cumulative {_show(g['cumulative'])}")
    lines.extend(f"  {term}: {_show(value)}" for term, value in g["terms"].items())
    return "\n".join(lines)


def _show(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"
