"""The grades report (CLI `grades --json`) and the page helpers built on course facts: letters from the
right source, archived courses, credits/in-GPA, letter-only and hidden-total courses, terms, class stats."""

from __future__ import annotations

import math

import pandas as pd

from canvas.dashboard import class_stats, course_view
from canvas.grades_report import course_facts, current_term, report, term_order

PM = [["A", 0.93], ["A-", 0.9], ["B+", 0.87], ["B", 0.83], ["B-", 0.8], ["F", 0.0]]


def raw(cid, name, *, term="Fall 2026", start="2026-08-20", scores=(None, None), grades=(None, None),
        state="active", **extra):
    enr = {"enrollment_state": state}
    if scores != "hidden":
        enr.update({"computed_current_score": scores[0], "computed_final_score": scores[1],
                    "computed_current_grade": grades[0], "computed_final_grade": grades[1]})
    return {"course_id": cid, "name": name, "raw": {"id": cid, "name": name, "term": {"name": term, "start_at": start},
                                                    "enrollments": [enr], **extra}}


COURSES = [
    raw(1, "Calculus", scores=(92.5, 80.0), grading_scheme=PM),  # no letter from Canvas: the course scale
    raw(2, "Biology", scores=(88.0, 70.0), grades=("B+", "C-")),  # Canvas's own letter
    raw(3, "History", scores=(95.0, 60.0), grades=("A", "D-"), grading_scheme=PM, restrict_quantitative_data=True),
    raw(4, "French", scores="hidden", hide_final_grades=True),
    raw(5, "Linear Algebra", term="Spring 2026", start="2026-01-10", scores=(85.0, 85.0), grading_scheme=PM,
        state="completed"),
    raw(6, "Writing", term="Spring 2026", start="2026-01-10", scores=(91.0, 91.0), grades=("A-", "A-"),
        workflow_state="completed"),
]


def by_id(doc):
    return {c["course_id"]: c for c in doc["courses"]}


def test_every_course_with_letter_source_and_gpa():
    doc = report(COURSES, {6: {"credits": 3, "in_gpa": True}, 2: {"credits": 0, "in_gpa": True}}, {"scale": "us4"})
    c = by_id(doc)
    assert set(c) == {1, 2, 3, 4, 5, 6}
    assert (c[1]["letter"], c[1]["letter_source"], c[1]["scale"]) == ("A-", "course_scheme", "Course scale")
    assert (c[2]["letter"], c[2]["letter_source"]) == ("B+", "canvas")  # active: the current letter
    assert (c[4]["letter"], c[4]["current_score"]) == (None, None)
    assert c[4]["left_out_because"] == "Canvas hides this course's total"
    # archived: final score and letter; the course's own scale says 85 is a B (the default would too)
    assert (c[5]["concluded"], c[5]["letter"], c[5]["letter_source"]) == (True, "B", "course_scheme")
    assert (c[6]["concluded"], c[6]["letter"], c[6]["credits"]) == (True, "A-", 3.0)
    assert c[2]["left_out_because"] == "0 credits"
    # letter-only: no numbers leave the report
    assert (c[3]["current_score"], c[3]["final_score"], c[3]["letter"]) == (None, None, "A")
    for key in ("course_id", "name", "term", "concluded", "current_score", "final_score", "letter",
                "letter_source", "credits", "in_gpa"):
        assert all(key in row for row in doc["courses"])
    g = doc["gpa"]
    assert g["scale"] == "us4"
    # Fall: Calculus A- 3.7, History A 4.0 (1 credit each) = 3.85; Spring: B 3.0 x1 + A- 3.7 x3 = 3.525
    assert g["terms"] == {"Fall 2026": 3.85, "Spring 2026": 3.53}
    assert g["cumulative"] == round((3.7 + 4.0 + 3.0 + 3.7 * 3) / 6, 2)
    assert g["completed"] == 3.53


def test_percent_scale_and_leaving_out():
    doc = report(COURSES, {1: {"credits": 1, "in_gpa": False}}, {"scale": "percent"})
    c = by_id(doc)
    assert c[1]["in_gpa"] is False and c[1]["left_out_because"] == "left out of the GPA by you"
    assert "letters only" in c[3]["left_out_because"]
    assert doc["gpa"]["terms"]["Fall 2026"] == 88.0  # Biology alone (History is letter-only, French hidden)


def test_terms_newest_first_and_current_term():
    facts = [course_facts(c) for c in COURSES]
    assert term_order(facts) == ["Fall 2026", "Spring 2026"]
    assert current_term(facts) == "Fall 2026"
    assert course_view.term_options(facts) == ["Current term", "Fall 2026", "Spring 2026", "All terms"]
    assert course_view.term_ids(facts, "Spring 2026") == {5, 6}
    assert course_view.term_ids(facts, "Current term") == {1, 2, 3, 4}
    assert course_view.term_ids(facts, "All terms") is None
    single = [course_facts(COURSES[0])]
    assert course_view.term_options(single) == ["All terms"]  # nothing to pick between


def test_letter_only_work_shows_letters_not_numbers():
    facts = [course_facts(c) for c in COURSES]
    work = pd.DataFrame({"course_id": [3, 3, 1], "score": [9.0, 7.0, 9.0], "points_possible": [10.0, 10.0, 10.0],
                         "grade": ["9", "B+", "9"], "percent": [90.0, 70.0, 90.0]})
    out = course_view.letters_only_work(work, facts)
    assert list(out["grade"]) == ["A-", "B+", "9"]  # 90% on the course scale; a letter grade stays
    assert math.isnan(out["score"][0]) and math.isnan(out["percent"][1]) and math.isnan(out["points_possible"][0])
    assert out["score"][2] == 9.0  # other courses untouched
    courses = pd.DataFrame({"course_id": [1, 3], "name": ["Calculus", "History"], "current_score": [92.5, 95.0],
                            "final_score": [80.0, 60.0]})
    blanked = course_view.letters_only_courses(courses, facts)
    assert blanked["current_score"].tolist()[0] == 92.5 and math.isnan(blanked["current_score"].tolist()[1])


def test_overview_average_names_what_it_leaves_out():
    facts = [course_facts(c) for c in COURSES[:4]]
    courses = pd.DataFrame({"course_id": [1, 2, 3, 4], "name": ["Calculus", "Biology", "History", "French"],
                            "current_score": [92.5, 88.0, 95.0, None]})
    average, left_out = course_view.average_current(courses, facts)
    assert average == (92.5 + 88.0) / 2
    assert left_out == ["History (letters only)", "French (hides its total)"]


def test_you_vs_class_only_where_canvas_sends_statistics():
    stats = {"min": 40, "max": 100, "mean": 78.5, "upper_q": 90, "median": 80, "lower_q": 65}
    inputs = {"groups": [{"assignments": [
        {"id": 1, "name": "Quiz", "points_possible": 100, "score_statistics": stats, "submission": {"score": 85}},
        {"id": 2, "name": "Essay", "points_possible": 50, "submission": {"score": 40}},
        {"id": 3, "name": "Lab", "points_possible": 20, "score_statistics": {**stats, "mean": 15}, "submission": {}},
    ]}]}
    frame = class_stats.you_vs_class(inputs)
    assert list(frame["name"]) == ["Quiz", "Lab"]
    assert frame["you"].tolist()[0] == 85 and math.isnan(frame["you"].tolist()[1])
    assert frame["mean"].tolist() == [78.5, 15]
    fig = class_stats.figure(frame)
    assert [t.name for t in fig.data] == ["Class", "You"]
    assert class_stats.you_vs_class({"groups": []}).empty


def test_overview_letters_say_which_scale():
    facts = [course_facts(c) for c in COURSES[:4]]
    courses = pd.DataFrame({"course_id": [1, 2, 3, 4], "name": ["Calculus", "Biology", "History", "French"],
                            "current_score": [92.5, 88.0, 95.0, None]})
    frame = course_view.letters_frame(courses, facts)
    rows = {r["name"]: (r["letter"], r["scale"]) for r in frame.to_dict("records")}
    assert rows == {"Calculus": ("A-", "Course scale"), "Biology": ("B+", "Canvas"), "History": ("A", "Canvas"),
                    "French": ("hidden", "Canvas default scale")}
    assert math.isnan(frame["score"].tolist()[2]), "letter-only: no number"
