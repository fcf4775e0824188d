"""Turn stored records into exactly what the Canvas API returns for a student.

Handles include[] / exclude_response_fields[], the enrollment score fields
(absent under hide_final_grades) and the removal of hidden grade keys.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from canvas.simulator.records import is_hidden, public_submission
from canvas.simulator.store import UserData, is_concluded

# Stored with the course but sent only when an include[] asks (or never: hide_distribution_graphs
# is a course setting, not part of the course JSON).
COURSE_INTERNAL = (
    "term", "grading_periods", "grading_scheme", "points_based_grading_scheme", "scaling_factor",
    "restrict_quantitative_data", "hide_distribution_graphs", "restrict_student_past_view",
)  # fmt: skip
ALL_COURSE_INCLUDES = (
    "total_scores", "current_grading_period_scores", "grading_periods", "term", "concluded",
    "grading_scheme", "restrict_quantitative_data",
)  # fmt: skip


def user_json(ud: UserData) -> dict[str, Any]:
    p = ud.profile
    first, _, last = p["name"].partition(" ")
    return {
        "id": p["id"],
        "name": p["name"],
        "created_at": "2020-08-01T12:00:00Z",
        "sortable_name": p["sortable_name"],
        "short_name": p["short_name"],
        "first_name": first,
        "last_name": last,
        "avatar_url": p["avatar_url"],
        "locale": p["locale"],
        "effective_locale": p["effective_locale"],
        "email": p["primary_email"],
        "permissions": {"can_update_name": True, "can_update_avatar": True},
    }


def profile_json(ud: UserData) -> dict[str, Any]:
    return dict(ud.profile)


def _score_fields(prefix: str, scores: dict[str, Any], course: dict[str, Any]) -> dict[str, Any]:
    # letter grades exist only when the course has a grading scheme enabled
    letters = course.get("grading_standard_id") is not None
    return {
        f"{prefix}current_score": scores.get("current_score"),
        f"{prefix}final_score": scores.get("final_score"),
        f"{prefix}current_grade": scores.get("current_grade") if letters else None,
        f"{prefix}final_grade": scores.get("final_grade") if letters else None,
    }


def _enrollment(ud: UserData, course: dict, includes: Collection[str], now: datetime) -> dict:
    enr: dict[str, Any] = {
        "type": "student",
        "role": "StudentEnrollment",
        "role_id": 3,
        "user_id": ud.user_id,
        "enrollment_state": "completed" if is_concluded(course, now) else "active",
        "limit_privileges_to_course_section": False,
    }
    scores = ud.scores(course["id"], now)
    shown = not course["hide_final_grades"]  # Canvas drops the totals entirely then
    if "total_scores" in includes and shown:
        enr.update(_score_fields("computed_", scores, course))
    if "current_grading_period_scores" in includes:
        has_periods = bool(course["grading_periods"])
        enr["has_grading_periods"] = has_periods
        enr["totals_for_all_grading_periods_option"] = True
        if has_periods:
            period = scores["period"]
            enr["current_grading_period_title"] = period["title"] if period else None
            enr["current_grading_period_id"] = period["id"] if period else None
            if "total_scores" in includes and shown:
                period_scores = scores["period_scores"] or {}
                enr.update(_score_fields("current_period_computed_", period_scores, course))
    return enr


def enrollment_json(ud: UserData, cid: int, base_url: str, now: datetime) -> dict[str, Any]:
    """The student's own enrollment as the Enrollments API shows it (not the courses include)."""
    course = ud.courses[cid]
    uid = ud.user_id
    grades: dict[str, Any] = {"html_url": f"{base_url}/courses/{cid}/grades/{uid}"}
    if not course["hide_final_grades"]:  # Canvas: has_grade_permissions? is false for the student then
        scores = ud.scores(cid, now)
        grades.update({k.removeprefix("computed_"): v for k, v in _score_fields("computed_", scores, course).items()})
    p = ud.profile
    return {
        "id": cid * 100 + 1,
        "course_id": cid,
        "course_section_id": cid * 100 + 2,
        "root_account_id": 1,
        "user_id": uid,
        "associated_user_id": None,
        "type": "StudentEnrollment",
        "role": "StudentEnrollment",
        "role_id": 3,
        "enrollment_state": "completed" if is_concluded(course, now) else "active",
        "limit_privileges_to_course_section": False,
        "created_at": course["created_at"],
        "updated_at": course["created_at"],
        "start_at": None,
        "end_at": None,
        "last_activity_at": None,
        "total_activity_time": 0,
        "html_url": f"{base_url}/courses/{cid}/users/{uid}",
        "grades": grades,
        "user": {"id": uid, "name": p["name"], "sortable_name": p["sortable_name"],
                 "short_name": p["short_name"]},
    }


def course_json(
    ud: UserData, cid: int, includes: Collection[str], now: datetime
) -> dict[str, Any]:
    course = ud.courses[cid]
    if past_view_restricted(course, now):
        return {"id": cid, "access_restricted_by_date": True}  # Canvas's whole record then
    out = {k: v for k, v in course.items() if k not in COURSE_INTERNAL}
    out["enrollments"] = [_enrollment(ud, course, includes, now)]
    if "term" in includes:
        out["term"] = dict(course["term"])
    if "grading_periods" in includes:
        out["grading_periods"] = [dict(p) for p in course["grading_periods"]]
    if "current_grading_period_scores" in includes:
        out["has_grading_periods"] = bool(course["grading_periods"])
    if "concluded" in includes:
        out["concluded"] = is_concluded(course, now)
    if "grading_scheme" in includes:
        # Canvas sends the scheme it applies (the course's, else the default) as fractions, also
        # for a points-based one; newer Canvas adds the two fields its apps read to scale it.
        out["grading_scheme"] = [list(pair) for pair in course["grading_scheme"]]
        out["points_based_grading_scheme"] = course["points_based_grading_scheme"]
        out["scaling_factor"] = course["scaling_factor"]
    if "restrict_quantitative_data" in includes:
        out["restrict_quantitative_data"] = course["restrict_quantitative_data"]
    return out


def past_view_restricted(course: dict[str, Any], now: datetime) -> bool:
    return bool(course.get("restrict_student_past_view")) and is_concluded(course, now)


def shows_statistics(ud: UserData, a: dict[str, Any]) -> bool:
    """Canvas shows a student an assignment's score statistics only when the course does not hide
    distribution graphs (nor all numbers), enough students were graded (a stored statistic) and the
    student's own grade is posted."""
    course = ud.courses.get(a["course_id"]) or {}
    sub = ud.submissions.get(a["id"]) or {}
    return bool(a.get("score_statistics") and not course.get("hide_distribution_graphs")
                and not course.get("restrict_quantitative_data")
                and sub.get("score") is not None and not is_hidden(sub))


def assignment_json(
    ud: UserData,
    a: dict[str, Any],
    base_url: str,
    *,
    with_submission: bool,
    exclude: Collection[str] = (),
    statistics: bool = False,
) -> dict[str, Any]:
    out = dict(a)
    out.pop("score_statistics", None)
    if statistics and shows_statistics(ud, a):
        out["score_statistics"] = dict(a["score_statistics"])
    out["html_url"] = f"{base_url}/courses/{a['course_id']}/assignments/{a['id']}"
    if "description" in exclude:
        out.pop("description", None)
    if "rubric" in exclude:
        out.pop("rubric", None)
        out.pop("rubric_settings", None)
    sub = ud.submissions.get(a["id"])
    if with_submission and sub is not None:
        out["submission"] = public_submission(sub)
    return out


def group_json(
    ud: UserData,
    g: dict[str, Any],
    base_url: str,
    *,
    includes: Collection[str],
    exclude: Collection[str] = (),
) -> dict[str, Any]:
    out = dict(g)
    out["rules"] = dict(g["rules"])
    if "assignments" in includes:
        with_sub = "submission" in includes  # only meaningful with assignments
        stats = "score_statistics" in includes
        out["assignments"] = [
            assignment_json(ud, a, base_url, with_submission=with_sub, exclude=exclude, statistics=stats)
            for a in ud.group_assignments(g["id"])
        ]
    return out


def graded_submissions(
    ud: UserData, base_url: str, *, include_assignment: bool
) -> list[dict[str, Any]]:
    """Posted, graded submissions across all courses, newest graded_at first."""
    out = []
    for aid, sub in ud.submissions.items():
        if sub["workflow_state"] != "graded" or not sub["graded_at"] or is_hidden(sub):
            continue
        item = public_submission(sub)
        if include_assignment:
            a = ud.assignments[aid]
            item["assignment"] = assignment_json(ud, a, base_url, with_submission=False)
        out.append(item)
    out.sort(key=lambda s: (s["graded_at"], s["id"]), reverse=True)
    return out


def dataset(ud: UserData, base_url: str, now: datetime) -> dict[str, Any]:
    """The canonical data for one student, as the API would return it with all includes."""
    includes = ("assignments", "submission", "score_statistics")
    return {
        "profile": profile_json(ud),
        "courses": [course_json(ud, cid, ALL_COURSE_INCLUDES, now) for cid in sorted(ud.courses)],
        "assignment_groups": {
            cid: [
                group_json(ud, g, base_url, includes=includes)
                for g in sorted(ud.groups[cid], key=lambda g: (g["position"], g["id"]))
            ]
            for cid in sorted(ud.courses)
        },
    }
