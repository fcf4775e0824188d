"""A course's own grading scale (canvas-api.md §10, grade-calc.md §11): percent- and points-based
schemes as Canvas sends them, letter -> target percent, letter -> assignment value, and the solver's
wording (plain percents, a/an)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from canvas.analysis.letters import (
    GradingScale,
    article,
    letter_with_source,
    plain_percent,
    scale_from_course,
)
from canvas.analysis.whatif import TargetResult
from canvas.dashboard import whatif_data

# A course scale that differs from the default everywhere (A from 93, B from 83...).
COURSE = {"grading_scheme": [["A", 0.93], ["A-", 0.9], ["B+", 0.87], ["B", 0.83], ["B-", 0.8], ["C", 0.7],
                             ["D", 0.6], ["F", 0.0]]}
# Points-based: a 4-point scale, A from 3.7 pts (92.5%), B from 2.7 pts (67.5%), ...
POINTS = {"grading_scheme": [["A", 0.925], ["B", 0.675], ["C", 0.425], ["D", 0.175], ["F", 0.0]],
          "points_based": True, "scaling_factor": 4.0}


@pytest.mark.parametrize(
    ("course", "percent", "letter"),
    [
        (COURSE, 93, "A"),  # default scale would say A-
        (COURSE, Decimal("92.99"), "A-"),
        (COURSE, Decimal("92.995"), "A"),  # the stored 2-dp percent is 93.00
        (COURSE, 83, "B"),
        (COURSE, Decimal("82.99"), "B-"),
        (COURSE, 75, "C"),
        (COURSE, 59, "F"),
        (COURSE, -3, "F"),
        (COURSE, 120, "A"),
        # points-based: percent -> points (2 dp) compared with cutoff x scaling factor
        (POINTS, Decimal("92.5"), "A"),
        (POINTS, Decimal("92.4"), "A"),  # 3.696 pts rounds to 3.70, the A cutoff
        (POINTS, Decimal("92.3"), "B"),  # 3.692 -> 3.69
        (POINTS, Decimal("67.5"), "B"),
        (POINTS, Decimal("67.3"), "C"),  # 2.692 -> 2.69
        (POINTS, 0, "F"),
    ],
)
def test_course_scale_letters(course, percent, letter):
    assert scale_from_course(course).letter(percent) == letter


def test_default_scale_when_canvas_sends_none_or_garbage():
    for course in ({}, {"grading_scheme": None}, {"grading_scheme": [["A", "x"]]}, {"grading_scheme": "A"}):
        scale = scale_from_course(course)
        assert (scale.source, scale.label) == ("default", "Canvas default scale")
        assert scale.letter(93) == "A-"


def test_canvas_default_sent_as_the_course_scheme_is_labelled_default():
    pairs = [["A", 0.94], ["A-", 0.9], ["B+", 0.87], ["B", 0.84], ["B-", 0.8], ["C+", 0.77], ["C", 0.74],
             ["C-", 0.7], ["D+", 0.67], ["D", 0.64], ["D-", 0.61], ["F", 0.0]]
    assert scale_from_course({"grading_scheme": pairs}).source == "default"
    assert scale_from_course({"grading_scheme": [*pairs[:-1], ["E", 0.0]]}).source == "course_scheme"


def test_grading_standard_object_and_band_dicts():
    scale = scale_from_course({"grading_scheme": {"points_based": True, "scaling_factor": 4,
                                                  "data": [{"name": "A", "value": 0.925},
                                                           {"name": "F", "value": 0}]}})
    assert (scale.source, scale.points_based, scale.scaling_factor) == ("course_scheme", True, 4)
    assert scale.letter(Decimal("92.4")) == "A" and scale.letter(Decimal("92.3")) == "F"
    assert scale.label == "Course scale"


@pytest.mark.parametrize(
    ("course", "letter", "percent"),
    [
        (COURSE, "A", Decimal(93)),
        (COURSE, "b", Decimal(83)),  # case-insensitive, as Canvas matches letters
        (COURSE, "F", Decimal(0)),
        ({}, "B-", Decimal(80)),
        (POINTS, "A", Decimal("92.38")),  # 3.6952 pts rounds to 3.70
        (POINTS, "B", Decimal("67.38")),
    ],
)
def test_min_percent_is_the_band_edge(course, letter, percent):
    scale = scale_from_course(course)
    edge = scale.min_percent(letter)
    assert edge == percent
    assert scale.letter(edge) == scale.bands[[n.casefold() for n in scale.names].index(letter.casefold())][0]
    if edge > 0:  # one hundredth lower falls to the band below
        assert scale.letter(edge - Decimal("0.01")) != scale.letter(edge)


@pytest.mark.parametrize(
    ("course", "letter", "value"),
    [
        ({}, "A", Decimal(100)),  # top band
        ({}, "B", Decimal(86)),  # grade-calc.md §11: next cutoff (87) - 1
        ({}, "F", Decimal(60)),
        ({"grading_scheme": [["A", 0.9], ["A-", 0.895], ["F", 0]]}, "A-", Decimal("89.9")),  # < 1 point apart
    ],
)
def test_letter_as_assignment_value(course, letter, value):
    assert scale_from_course(course).band_percent(letter) == value


def test_letter_source():
    course = scale_from_course(COURSE)
    assert letter_with_source("B+", 10, course) == ("B+", "canvas")
    assert letter_with_source(None, 93, course) == ("A", "course_scheme")
    assert letter_with_source("", 93, GradingScale()) == ("A-", "default")
    assert letter_with_source(None, None, course) == (None, "course_scheme")


@pytest.mark.parametrize(
    ("word", "art"),
    [("A", "an"), ("A-", "an"), ("B", "a"), ("B-", "a"), ("C+", "a"), ("D", "a"), ("F", "an"), ("E", "an"),
     ("80%", "an"), ("8%", "an"), ("85.5%", "an"), ("11%", "an"), ("18%", "an"), ("60%", "a"), ("100%", "a"),
     ("110%", "a"), ("Excellent", "an"), ("Pass", "a")],
)
def test_articles(word, art):
    assert article(word) == art


@pytest.mark.parametrize(
    ("value", "text"),
    [(Decimal("8E+1"), "80%"), (Decimal("80.00"), "80%"), (Decimal("86.50"), "86.5%"), (Decimal("93.333"), "93.33%"),
     (Decimal(0), "0%"), (90.0, "90%")],
)
def test_plain_percent(value, text):
    assert plain_percent(value) == text


def test_solver_text_has_plain_percents_and_articles():
    scale = GradingScale()
    b_minus = whatif_data.target_percent("letter", letter="B-", scale=scale)
    assert whatif_data.target_label("letter", b_minus, "B-") == "a B- (80%)"
    a = whatif_data.target_percent("letter", letter="A", scale=scale)
    assert whatif_data.target_label("letter", a, "A") == "an A (94%)"
    assert whatif_data.target_label("letter", a, "A", letter_only=True) == "an A"
    answer = TargetResult(Decimal(80), "reachable", Decimal("81.50"), ("1", "2"), Decimal(95), Decimal(40))
    text = whatif_data.describe_target(answer, whatif_data.target_label("letter", b_minus, "B-"))
    assert text == "To finish with at least a B- (80%) you need an average of 81.5% on the remaining 2 assignments."
    assert "e+" not in text


def test_course_scale_drives_solver_targets_and_choices():
    scale = scale_from_course(COURSE)
    assert whatif_data.target_letters(scale) == ["A", "A-", "B+", "B", "B-", "C", "D"]
    assert whatif_data.target_percent("letter", letter="B", scale=scale) == 83


def test_letter_only_solver_answers_in_letters():
    scale = GradingScale()
    answer = TargetResult(Decimal(84), "reachable", Decimal("85.20"), ("1",), Decimal(95), Decimal(40))
    text = whatif_data.describe_target_letters(answer, "a B", scale)
    assert text == "To finish with at least a B you need about a B average on the remaining 1 assignment."
    assert "%" not in text


def test_letter_what_if_scores_use_canvas_grade_to_score():
    from canvas.analysis.grades import Assignment, GradeInputs, Group

    inputs = GradeInputs(weighted=False, groups=(Group("g"),),
                         assignments=(Assignment("1", "g", Decimal(20)), Assignment("2", "g", Decimal(50))))
    scores = whatif_data.letter_scores(inputs, {"1": "A", "2": "B", "3": "A", "x": ""}, GradingScale())
    assert scores == {"1": Decimal(20), "2": Decimal(43)}  # B is worth 86% (next cutoff 87 - 1)
    assert whatif_data.letter_scores(inputs, {"1": "Z"}, GradingScale()) == {}
