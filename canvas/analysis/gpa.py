"""Grade point averages: per term and cumulative, weighted by the credits the student sets.

Pure. Each course brings its letter (Canvas's own, else its scale's) and percent, the credits the
student gave it (default 1; 0 leaves it out) and whether it counts. A scale turns letters into grade
points: US 4.0, 4.0 with A+ = 4.3, a custom letter -> points table, or "percent" (the credit-weighted
mean of course percents). GPA = sum(points x credits) / sum(credits) over the courses that count;
a course that cannot count (no grade yet, a letter the table lacks, left out) is listed with why.

Bad input (negative credits, a non-number, a custom table without F) raises `GpaInputError` with one
sentence a student can act on; callers then change nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from canvas.analysis.grades import round2
from canvas.errors import UsageError

SCALES = {
    "us4": "US 4.0",
    "us43": "4.0 with A+ = 4.3",
    "percent": "Percentage average",
    "custom": "Custom table",
}
US4: dict[str, Decimal] = {
    "A+": Decimal("4.0"), "A": Decimal("4.0"), "A-": Decimal("3.7"),
    "B+": Decimal("3.3"), "B": Decimal("3.0"), "B-": Decimal("2.7"),
    "C+": Decimal("2.3"), "C": Decimal("2.0"), "C-": Decimal("1.7"),
    "D+": Decimal("1.3"), "D": Decimal("1.0"), "D-": Decimal("0.7"),
    "F": Decimal("0.0"),
}
US43: dict[str, Decimal] = {**US4, "A+": Decimal("4.3")}
MAX_CREDITS = Decimal(100)
NO_TERM = "No term"


# A credit value, scale or custom table the student typed is unusable: bad input, in the one error tree
# (canvas/errors.py); the name says where it came from.
GpaInputError = UsageError


@dataclass(frozen=True)
class GpaCourse:
    """One course as the GPA sees it."""

    course_id: int
    name: str
    term: str | None
    letter: str | None
    percent: Decimal | None
    credits: Decimal = Decimal(1)
    in_gpa: bool = True
    concluded: bool = False
    why_no_grade: str | None = None  # e.g. Canvas hides the total; shown instead of "no grade yet"
    letter_only: bool = False  # restrict_quantitative_data: no percent to average


@dataclass(frozen=True)
class GpaResult:
    scale: str
    terms: dict[str, Decimal | None]  # term -> GPA (2 dp); None when nothing in the term counts
    cumulative: Decimal | None  # every counted course, this term's current letters included
    completed: Decimal | None  # concluded courses only
    points: dict[int, Decimal] = field(default_factory=dict)  # course id -> grade points (or percent) used
    left_out: dict[int, str] = field(default_factory=dict)  # course id -> why it does not count


# -- validation ---------------------------------------------------------------------------------
def parse_credits(value: Any) -> Decimal:
    """Credits as typed: a number from 0 (left out) to 100."""
    if isinstance(value, bool):
        raise GpaInputError("Credits must be a number, such as 3 or 1.5.")
    try:
        number = Decimal(str(value).strip()) if isinstance(value, str) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise GpaInputError("Credits must be a number, such as 3 or 1.5.") from None
    if not number.is_finite():
        raise GpaInputError("Credits must be a number, such as 3 or 1.5.")
    if number < 0:
        raise GpaInputError("Credits cannot be negative: use 0 to leave a course out of the GPA.")
    if number > MAX_CREDITS:
        raise GpaInputError(f"Credits must be at most {MAX_CREDITS}.")
    return number


def parse_scale(scale: Any) -> str:
    if scale not in SCALES:
        raise GpaInputError("Choose a GPA scale: US 4.0, 4.0 with A+ = 4.3, percentage average or a custom table.")
    return str(scale)


def parse_custom_table(table: Any) -> dict[str, Decimal]:
    """A custom letter -> grade points table: letters non-empty, points 0 or more, F required."""
    rows: Iterable[tuple[Any, Any]]
    if isinstance(table, Mapping):
        rows = table.items()
    elif isinstance(table, list | tuple):
        try:
            rows = [(r[0], r[1]) if not isinstance(r, Mapping) else (r.get("letter"), r.get("points"))
                    for r in table]
        except (IndexError, TypeError, KeyError):
            raise GpaInputError("The custom table must list a letter and its grade points on each row.") from None
    else:
        raise GpaInputError("The custom table must list a letter and its grade points on each row.")
    out: dict[str, Decimal] = {}
    for letter, points in rows:
        name = _norm(letter) if isinstance(letter, str) else ""
        if not name:
            raise GpaInputError("Every row of the custom table needs a letter.")
        try:
            value = parse_credits(points)  # same rules: a finite number >= 0
        except GpaInputError:
            raise GpaInputError(f"Grade points for {str(letter).strip()} must be a number of 0 or more, "
                                "such as 3.3.") from None
        if name in out:
            raise GpaInputError(f"The custom table lists {str(letter).strip()} twice.")
        out[name] = value
    if "F" not in out:
        raise GpaInputError("The custom table needs an F row (the grade that earns the fewest points).")
    return out


def points_table(scale: str, custom: Mapping[str, Any] | None = None) -> dict[str, Decimal] | None:
    """Letter -> grade points for a letter scale; None for the percentage average."""
    scale = parse_scale(scale)
    if scale == "percent":
        return None
    if scale == "custom":
        return parse_custom_table(custom or {})
    return dict(US43 if scale == "us43" else US4)


def _norm(letter: str) -> str:
    # Canvas letters may carry a Unicode minus; tables are matched case-insensitively.
    return letter.strip().replace("\u2212", "-").upper()


# -- the averages -------------------------------------------------------------------------------
def compute(courses: Iterable[GpaCourse], scale: str = "us4", custom: Mapping[str, Any] | None = None) -> GpaResult:
    """Per-term, cumulative and completed-terms GPA on ``scale``."""
    table = points_table(scale, custom)
    points: dict[int, Decimal] = {}
    left_out: dict[int, str] = {}
    weighted: list[tuple[GpaCourse, Decimal]] = []
    terms: dict[str, None] = {}
    for c in courses:
        terms.setdefault(c.term or NO_TERM, None)
        value, why = _course_points(c, table)
        if why is not None:
            left_out[c.course_id] = why
            continue
        assert value is not None
        points[c.course_id] = value
        weighted.append((c, value))
    by_term = {t: _mean([(c, v) for c, v in weighted if (c.term or NO_TERM) == t]) for t in terms}
    return GpaResult(scale, by_term, _mean(weighted), _mean([(c, v) for c, v in weighted if c.concluded]),
                     points, left_out)


def _course_points(c: GpaCourse, table: Mapping[str, Decimal] | None) -> tuple[Decimal | None, str | None]:
    if not c.in_gpa:
        return None, "left out of the GPA by you"
    if c.credits <= 0:
        return None, "0 credits"
    if table is None:
        if c.letter_only:
            return None, "the course shows letters only, so it has no percentage"
        if c.percent is None:
            return None, c.why_no_grade or "no grade yet"
        return Decimal(c.percent), None
    if not c.letter:
        return None, c.why_no_grade or "no grade yet"
    value = table.get(_norm(c.letter))
    if value is None:
        return None, f"the letter {c.letter} is not on this GPA scale"
    return value, None


def _mean(rows: list[tuple[GpaCourse, Decimal]]) -> Decimal | None:
    credits = sum((Fraction(c.credits) for c, _ in rows), Fraction(0))
    if credits <= 0:
        return None
    return round2(sum((Fraction(c.credits) * Fraction(v) for c, v in rows), Fraction(0)) / credits)


def label(scale: str) -> str:
    return SCALES.get(scale, scale)
