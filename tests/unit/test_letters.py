"""Letter grades: Canvas's default scheme and its boundary rule.

Source: instructure/canvas-lms app/models/grading_standard.rb (default_grading_scheme,
score_to_grade, place_in_scheme).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from canvas.analysis.letters import DEFAULT_SCHEME, letter_for, min_percent_for
from canvas.errors import UsageError

PASS_FAIL = [("Pass", Decimal("0.6")), ("Fail", Decimal("0"))]


@pytest.mark.parametrize(
    ("percent", "letter"),
    [
        (100, "A"),
        (150, "A"),  # extra credit stays in the top band
        (94, "A"),  # the cutoff itself belongs to the band (score >= cutoff)
        (Decimal("93.99"), "A-"),
        (Decimal("93.995"), "A"),  # Canvas grades the stored 2-dp percent: 94.00
        (Decimal("93.994"), "A-"),
        (90, "A-"),
        (Decimal("89.99"), "B+"),
        (87, "B+"),
        (84, "B"),
        (80, "B-"),
        (77, "C+"),
        (74, "C"),
        (70, "C-"),
        (67, "D+"),
        (64, "D"),
        (61, "D-"),
        (Decimal("60.99"), "F"),
        (0, "F"),
        (-5, "F"),  # negative scores count as 0
        (88.5, "B+"),  # floats are read via their shortest text
    ],
)
def test_default_scheme_boundaries(percent, letter):
    assert letter_for(percent) == letter


def test_no_grade_has_no_letter():
    assert letter_for(None) is None


def test_default_scheme_matches_canvas():
    assert [(name, str(cut)) for name, cut in DEFAULT_SCHEME] == [
        ("A", "0.94"),
        ("A-", "0.90"),
        ("B+", "0.87"),
        ("B", "0.84"),
        ("B-", "0.80"),
        ("C+", "0.77"),
        ("C", "0.74"),
        ("C-", "0.70"),
        ("D+", "0.67"),
        ("D", "0.64"),
        ("D-", "0.61"),
        ("F", "0"),
    ]


@pytest.mark.parametrize(
    ("scheme", "percent", "letter"),
    [
        (PASS_FAIL, 60, "Pass"),
        (PASS_FAIL, Decimal("59.99"), "Fail"),
        (list(reversed(PASS_FAIL)), 75, "Pass"),  # order of bands does not matter
        # no 0% band: a score under every cutoff gets the lowest band (max_by fallback)
        ([("High", Decimal("0.8")), ("Low", Decimal("0.5"))], 10, "Low"),
    ],
)
def test_custom_schemes(scheme, percent, letter):
    assert letter_for(percent, scheme) == letter


@pytest.mark.parametrize(
    ("letter", "minimum"),
    [
        ("A", "94"),
        ("B+", "87"),
        ("b+", "87"),  # Canvas matches letters case-insensitively
        ("A\u2212", "90"),  # and accepts a Unicode minus sign
        ("D-", "61"),
        ("F", "0"),
    ],
)
def test_min_percent_for_letter(letter, minimum):
    assert min_percent_for(letter) == Decimal(minimum)


def test_min_percent_round_trips_to_letter():
    for name, _ in DEFAULT_SCHEME:
        assert letter_for(min_percent_for(name)) == name


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: min_percent_for("E"), "letter: 'E' is not in the grading scheme"),
        (lambda: letter_for(50, []), "scheme: expected at least one"),
        (lambda: letter_for(50, [("A", "0.9")]), r"scheme\[0\].min_fraction: expected a number"),
        (lambda: letter_for(50, [("A", Decimal("-0.1"))]), r"scheme\[0\].min_fraction: expected a number >= 0"),
        (lambda: letter_for("90"), "percent: expected a number"),
    ],
)
def test_bad_input(call, message):
    with pytest.raises(UsageError, match=message):
        call()
