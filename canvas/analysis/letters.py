"""Grading schemes: percent -> letter, and letter -> the percent it starts at.

Mirrors Canvas's ``GradingStandard`` (``app/models/grading_standard.rb``): a scheme is a list of
``(name, min_fraction)`` bands; a score gets the highest band whose cutoff × 100 is
<= the score, after rounding to the 2-dp percentage Canvas stores. Negative scores
count as 0, and a score below every cutoff gets the lowest band.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

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
