"""GPA: each scale, credits (0 = out), the per-course toggle, custom tables and bad input."""

from __future__ import annotations

from decimal import Decimal

import pytest

from canvas.analysis.gpa import GpaCourse, GpaInputError, compute, parse_credits, parse_custom_table

D = Decimal


def course(cid, letter, percent=None, *, term="Fall 2025", credits=1, in_gpa=True, concluded=True, **kw):
    return GpaCourse(cid, f"Course {cid}", term, letter, None if percent is None else D(str(percent)),
                     D(str(credits)), in_gpa, concluded, **kw)


FALL = [course(1, "A", 95, credits=4), course(2, "B-", 81, credits=3), course(3, "A+", 99, credits=1)]
SPRING = [course(4, "C+", 78, term="Spring 2026", credits=3, concluded=False),
          course(5, "A-", 91, term="Spring 2026", credits=3, concluded=False)]


@pytest.mark.parametrize(
    ("scale", "fall", "spring", "cumulative"),
    [
        # (4*4.0 + 3*2.7 + 1*4.0) / 8 = 3.5125 -> 3.51
        ("us4", D("3.51"), D("3.00"), D("3.29")),  # spring (2.3+3.7)/2 = 3.0; all 14 cr: 46.1/14 = 3.2929
        # A+ = 4.3: (16 + 8.1 + 4.3) / 8 = 3.55
        ("us43", D("3.55"), D("3.00"), D("3.31")),  # 46.4/14 = 3.314
        # credit-weighted percents: (380 + 243 + 99) / 8 = 90.25
        ("percent", D("90.25"), D("84.50"), D("87.71")),  # (722 + 507) / 14 = 87.786.. -> see below
    ],
)
def test_scales(scale, fall, spring, cumulative):
    result = compute(FALL + SPRING, scale)
    assert result.terms["Fall 2025"] == fall
    assert result.terms["Spring 2026"] == spring
    assert result.completed == fall  # only fall has concluded
    if scale != "percent":
        assert result.cumulative == cumulative
    else:
        assert result.cumulative == D("87.79")  # 1229 / 14 = 87.7857


def test_zero_credits_and_toggle_leave_a_course_out():
    result = compute([course(1, "A", credits=3), course(2, "F", credits=0), course(3, "D", in_gpa=False)])
    assert result.cumulative == D("4.00")
    assert result.left_out == {2: "0 credits", 3: "left out of the GPA by you"}


def test_courses_without_a_grade_or_an_unknown_letter_are_listed_with_why():
    result = compute([course(1, "B"), course(2, None, why_no_grade="Canvas hides this course's total"),
                      course(3, "Pass"), course(4, None)])
    assert result.cumulative == D("3.00")
    assert result.left_out == {2: "Canvas hides this course's total", 3: "the letter Pass is not on this GPA scale",
                               4: "no grade yet"}


def test_nothing_counts_gives_no_gpa():
    result = compute([course(1, None, term=None)])
    assert result.terms == {"No term": None} and result.cumulative is None


def test_custom_table():
    table = {"A": 5, "B": "4", "B-": "3.5", "F": 0, "Pass": 4}
    result = compute([course(1, "A", credits=2), course(2, "pass"), course(3, "b−"), course(4, "C")], "custom",
                     table)
    assert result.cumulative == D("4.38")  # (10 + 4 + 3.5) / 4: letters match case-insensitively, any minus
    assert result.left_out == {4: "the letter C is not on this GPA scale"}


def test_letter_only_course_has_no_percentage():
    result = compute([course(1, "A", letter_only=True), course(2, "B", 85)], "percent")
    assert result.cumulative == D("85.00") and "letters only" in result.left_out[1]


@pytest.mark.parametrize(
    ("value", "message"),
    [(-1, "cannot be negative"), ("-0.5", "cannot be negative"), ("three", "must be a number"),
     ("", "must be a number"), (float("nan"), "must be a number"), (True, "must be a number"),
     (101, "at most 100")],
)
def test_bad_credits(value, message):
    with pytest.raises(GpaInputError, match=message):
        parse_credits(value)


@pytest.mark.parametrize(("value", "credits"), [("3", D(3)), (1.5, D("1.5")), (0, D(0)), (" 4 ", D(4))])
def test_good_credits(value, credits):
    assert parse_credits(value) == credits


@pytest.mark.parametrize(
    ("table", "message"),
    [({"A": 4, "B": 3}, "needs an F row"),
     ({"A": "x", "F": 0}, "Grade points for A must be a number"),
     ({"A": -1, "F": 0}, "Grade points for A must be a number of 0 or more"),
     ([["A", 4], ["a", 3], ["F", 0]], "lists a twice"),
     ({"": 4, "F": 0}, "needs a letter"),
     ("A=4", "a letter and its grade points")],
)
def test_bad_custom_tables(table, message):
    with pytest.raises(GpaInputError, match=message):
        parse_custom_table(table)


def test_unknown_scale():
    with pytest.raises(GpaInputError, match="Choose a GPA scale"):
        compute(FALL, "us5")


def test_messages_are_one_sentence():
    for bad in (lambda: parse_credits(-1), lambda: parse_custom_table({"A": 4}), lambda: compute([], "x")):
        with pytest.raises(GpaInputError) as info:
            bad()
        text = str(info.value)
        assert text.endswith(".") and text.count(". ") == 0 and "Error" not in text
