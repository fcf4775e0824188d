"""Grading schemes: percent -> letter, and letter -> the percent it starts at.

Mirrors Canvas's ``GradingStandard`` (``app/models/grading_standard.rb``): a scheme is a list of
``(name, min_fraction)`` bands; a score gets the highest band whose cutoff × 100 is
<= the score, after rounding to the 2-dp percentage Canvas stores. Negative scores
count as 0, and a score below every cutoff gets the lowest band.

A course's own scale arrives as ``grading_scheme`` on the course (canvas-api.md §10):
``[["A", 0.94], ...]`` fractions, highest first (the grading-standards API spells bands
``{"name", "value"}``; both are read). Points-based schemes keep the same fractions and add
a ``scaling_factor`` (the points a 100% is worth): Canvas compares the score in those
points, rounded to 2 dp, against each cutoff × scaling factor, so the band edges fall on
points, not percents. `GradingScale` carries the bands with that flag and where they
came from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from canvas.analysis.grades import round2
from canvas.errors import UsageError

Scheme = Sequence[tuple[str, Decimal]]

# GradingStandard.default_grading_scheme
DEFAULT_SCHEME: tuple[tuple[str, Decimal], ...] = (
    ("A", Decimal("0.94")),
    ("A-", Decimal("0.90")),
    ("B+", Decimal("0.87")),
    ("B", Decimal("0.84")),
    ("B-", Decimal("0.80")),
    ("C+", Decimal("0.77")),
    ("C", Decimal("0.74")),
    ("C-", Decimal("0.70")),
    ("D+", Decimal("0.67")),
    ("D", Decimal("0.64")),
    ("D-", Decimal("0.61")),
    ("F", Decimal("0")),
)


def letter_for(percent: Decimal | float | int | None, scheme: Scheme = DEFAULT_SCHEME) -> str | None:
    """The letter Canvas shows for a course percent (None when there is no grade)."""
    if percent is None:
        return None
    ordered = _ordered(scheme)
    # Canvas grades the stored, 2-dp rounded percentage, never the raw ratio.
    score = max(round2(_decimal(percent, "percent")), Decimal(0))
    for name, cutoff in ordered:
        if score >= cutoff * 100:
            return name
    return ordered[-1][0]


def min_percent_for(letter: str, scheme: Scheme = DEFAULT_SCHEME) -> Decimal:
    """The lowest percent that earns ``letter`` (e.g. "B+" -> 87)."""
    wanted = _normalise_name(letter)
    for name, cutoff in _ordered(scheme):
        if _normalise_name(name) == wanted:
            return (cutoff * 100).normalize() if cutoff else Decimal(0)
    raise UsageError(f"letter: {letter!r} is not in the grading scheme")


def _ordered(scheme: Scheme) -> list[tuple[str, Decimal]]:
    if not scheme:
        raise UsageError("scheme: expected at least one (name, min_fraction) band")
    bands = []
    for i, band in enumerate(scheme):
        if len(band) != 2 or not isinstance(band[0], str) or not band[0].strip():
            raise UsageError(f"scheme[{i}]: expected (name, min_fraction)")
        cutoff = _decimal(band[1], f"scheme[{i}].min_fraction")
        if cutoff < 0:
            raise UsageError(f"scheme[{i}].min_fraction: expected a number >= 0")
        bands.append((band[0].strip(), cutoff))
    return sorted(bands, key=lambda band: band[1], reverse=True)


def _normalise_name(name: str) -> str:
    # Canvas matches letters case-insensitively and accepts a Unicode minus.
    return name.strip().replace("\u2212", "-").casefold()


def _decimal(value: object, path: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int | float):
        raise UsageError(f"{path}: expected a number")
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    if not number.is_finite():
        raise UsageError(f"{path}: expected a finite number")
    return number


# -- a course's own scale ----------------------------------------------------------------------
COURSE_SCALE = "Course scale"
DEFAULT_SCALE = "Canvas default scale"


@dataclass(frozen=True)
class GradingScale:
    """A scheme as Canvas applies it: bands highest first, points-based or not, and its origin."""

    bands: tuple[tuple[str, Decimal], ...] = DEFAULT_SCHEME
    points_based: bool = False
    scaling_factor: Decimal = Decimal(1)
    source: str = "default"  # "course_scheme" | "default"

    @property
    def label(self) -> str:
        """What a page says it used: "Course scale" or "Canvas default scale"."""
        return COURSE_SCALE if self.source == "course_scheme" else DEFAULT_SCALE

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.bands]

    def letter(self, percent: Decimal | float | int | None) -> str | None:
        """The letter Canvas shows for a course percent under this scale (None when no grade)."""
        if percent is None:
            return None
        if not self.points_based:
            return letter_for(percent, self.bands)
        points = _points(max(_decimal(percent, "percent"), Decimal(0)), self.scaling_factor)
        for name, cutoff in self.bands:
            if points >= round2(cutoff * self.scaling_factor):
                return name
        return self.bands[-1][0]

    def min_percent(self, letter: str) -> Decimal:
        """The lowest 2-dp percent that earns ``letter`` (what the target solver aims for)."""
        floor = min_percent_for(letter, self.bands)
        if not self.points_based or floor == 0:
            return floor
        # Points are rounded before the comparison, so the edge can sit a hundredth below the cutoff:
        # bisect on hundredths between 0 and the cutoff itself (which always earns the band).
        low, high = -1, int(floor * 100)
        while high - low > 1:
            mid = (low + high) // 2
            if self._at_least(Decimal(mid).scaleb(-2), letter):
                high = mid
            else:
                low = mid
        return Decimal(high).scaleb(-2).normalize() if high else Decimal(0)

    def _at_least(self, percent: Decimal, letter: str) -> bool:
        wanted = _normalise_name(letter)
        rank = {_normalise_name(n): i for i, (n, _) in enumerate(self.bands)}
        got = self.letter(percent)
        return got is not None and rank[_normalise_name(got)] <= rank[wanted]

    def band_percent(self, letter: str) -> Decimal:
        """The percent an assignment graded ``letter`` is worth (Canvas's ``grade_to_score``).

        The top band is worth 100; any other band one point below the next-higher band's cutoff,
        or a tenth of a point below when the two cutoffs are less than a point apart.
        """
        wanted = _normalise_name(letter)
        for i, (name, _cutoff) in enumerate(self.bands):
            if _normalise_name(name) != wanted:
                continue
            if i == 0:
                return Decimal(100)
            upper, this = self.bands[i - 1][1] * 100, self.bands[i][1] * 100
            step = Decimal("0.1") if upper - this < 1 else Decimal(1)
            return (upper - step).normalize()
        raise UsageError(f"letter: {letter!r} is not in the grading scheme")


def scale_from_course(course: Mapping[str, Any] | None) -> GradingScale:
    """The scale a course's JSON carries (``grading_scheme``), else Canvas's default scale.

    Reads the pairs Canvas's courses endpoint sends, or a grading-standards object
    (``{"grading_scheme": [...], "points_based": true, "scaling_factor": 4}``). A malformed scheme
    falls back to the default, so a page never fails on it.
    """
    course = course or {}
    raw = course.get("grading_scheme")
    holder: Mapping[str, Any] = course
    if isinstance(raw, Mapping):  # a grading standard object
        holder, raw = raw, raw.get("grading_scheme") or raw.get("data")
    if not raw:
        return GradingScale()
    try:
        bands = tuple(_ordered([_band(b) for b in raw]))
    except (UsageError, TypeError, ValueError, IndexError, ArithmeticError):
        return GradingScale()
    points_based = bool(holder.get("points_based") or course.get("points_based_grading_scheme"))
    factor = holder.get("scaling_factor") or course.get("scaling_factor") or 1
    try:
        scaling = _decimal(factor if not isinstance(factor, str) else Decimal(factor), "scaling_factor")
    except (UsageError, ArithmeticError):
        scaling = Decimal(1)
    if scaling <= 0:
        points_based, scaling = False, Decimal(1)
    if not points_based and bands == tuple(_ordered(DEFAULT_SCHEME)):
        # Canvas sends its default scheme for a course without one of its own: say so
        return GradingScale()
    return GradingScale(bands, points_based, scaling, "course_scheme")


def _band(band: Any) -> tuple[str, Decimal]:
    if isinstance(band, Mapping):
        name, value = band.get("name"), band.get("value")
    else:
        name, value = band[0], band[1]
    if isinstance(value, str):
        value = Decimal(value)
    return str(name), _decimal(value, "grading_scheme value")


def _points(percent: Decimal, scaling_factor: Decimal) -> Decimal:
    return round2(percent * scaling_factor / 100)


def letter_with_source(canvas_letter: Any, percent: Decimal | float | int | None,
                       scale: GradingScale) -> tuple[str | None, str]:
    """The letter to show and where it came from: Canvas's own letter when it sent one ("canvas"),
    else the course's scale ("course_scheme") or Canvas's default ("default") applied to ``percent``."""
    if isinstance(canvas_letter, str) and canvas_letter.strip():
        return canvas_letter.strip(), "canvas"
    return scale.letter(percent), scale.source


def article(word: str) -> str:
    """ "a" or "an" as the word is spoken: an A, an F, a B, an 80%, an 11%, a 60%, an Excellent."""
    text = word.strip()
    if not text:
        return "a"
    if text[0].isdigit():
        whole = text.split(".")[0].rstrip("%")
        # eight..., eighty..., eleven, eighteen are the numbers said with a vowel first
        return "an" if text[0] == "8" or whole in ("11", "18") else "a"
    if len(text) == 1 or not text[1].isalpha():  # a letter grade such as "A-" or "F": the letter's name
        return "an" if text[0].upper() in "AEFHILMNORSX" else "a"
    return "an" if text[0].upper() in "AEIOU" else "a"


def plain_percent(value: Decimal | float | int) -> str:
    """A percent as people write it: "80%", "86.5%", "93.33%" (never "8e+1%")."""
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    text = f"{round2(number):f}"
    return (text.rstrip("0").rstrip(".") if "." in text else text) + "%"
