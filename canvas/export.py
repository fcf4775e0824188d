"""The `export --json` document (pure): cached Canvas objects, values as Canvas reported them."""

from __future__ import annotations

from typing import Any

from canvas.models import student_enrollment

SCORE_FIELDS = ("computed_current_score", "computed_final_score", "computed_current_grade", "computed_final_grade")


def export_document(data: dict[str, list[Any]]) -> dict[str, Any]:
    courses = data["courses"]
    grades = []
    for course in courses:
        enrollment = student_enrollment(course)
        grades.append({
            "course_id": course["id"],
            "concluded": bool(course.get("concluded")),
            "workflow_state": course.get("workflow_state"),
            "term": (course.get("term") or {}).get("name"),
            "current_score": enrollment.get("computed_current_score"),
            "final_score": enrollment.get("computed_final_score"),
            "current_grade": enrollment.get("computed_current_grade"),
            "final_grade": enrollment.get("computed_final_grade"),
            # Canvas omits the totals when the course hides them; say so rather than print 0.
            "hidden": not any(f in enrollment for f in SCORE_FIELDS),
        })
    return {"courses": courses, "assignments": data["assignments"], "assignment_groups": data["assignment_groups"],
            "grades": grades}
