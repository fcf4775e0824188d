"""The change comparison (pure): old cached rows against freshly fetched ones."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from canvas.analysis.changes import diff_graded, diff_sync

DUE = datetime(2026, 12, 10, 23, 59, tzinfo=UTC)


def a(aid: int, *, course: int = 1, h: str | None = None, **kw) -> dict:
    row = {"canvas_id": aid, "course_id": course, "name": f"A{aid}", "due_at": DUE, "score": None, "grade": None,
           "score_hidden": False, "missing": False, "excused": False, "html_url": f"https://c/a/{aid}"}
    row.update(kw)
    row["content_hash"] = h or repr(sorted((k, str(v)) for k, v in row.items()))
    return row


def c(cid: int, **kw) -> dict:
    row = {"canvas_id": cid, "name": f"C{cid}", "workflow_state": "available", "current_score": Decimal("90"),
           "current_grade": "A-", "concluded": None, "raw": {}}
    row.update(kw)
    row["content_hash"] = repr(sorted((k, str(v)) for k, v in row.items()))
    return row


def by_id(rows):
    return {r["canvas_id"]: r for r in rows}


def kinds(changes):
    return sorted((ch.kind, ch.assignment_id or ch.course_id, ch.before, ch.after) for ch in changes)


def test_first_sync_is_a_baseline() -> None:
    assert diff_sync({}, {}, [c(1)], [a(1, score=Decimal(5))]) == []


def test_unchanged_rows_give_nothing() -> None:
    old_c, old_a = [c(1)], [a(1), a(2, score=Decimal(5))]
    assert diff_sync(by_id(old_c), by_id(old_a), [c(1)], [a(1), a(2, score=Decimal(5))]) == []


def test_a_grade_unhidden_counts_as_posted_whatever_its_graded_at() -> None:
    # Canvas withheld the score at the last sync (muted); now it shows, with an old graded_at.
    old = [a(1, score_hidden=True, graded_at="2020-01-01")]
    new = [a(1, score=Decimal("8.5"), grade="8.5", graded_at="2020-01-01")]
    assert kinds(diff_sync(by_id([c(1)]), by_id(old), [c(1)], new)) == [("grade_posted", 1, None, 8.5)]


def test_grade_changed_due_moved_missing_added_removed() -> None:
    later = DUE.replace(day=12)
    old = [a(1, score=Decimal(7)), a(2), a(3), a(4)]
    new = [a(1, score=Decimal(9)), a(2, due_at=later), a(3, missing=True), a(5)]
    got = kinds(diff_sync(by_id([c(1)]), by_id(old), [c(1)], new))
    assert got == sorted([("grade_changed", 1, 7, 9), ("due_date_changed", 2, DUE.isoformat(), later.isoformat()),
                          ("missing_changed", 3, False, True), ("assignment_added", 5, None, DUE.isoformat()),
                          ("assignment_removed", 4, DUE.isoformat(), None)])


def test_letter_grade_change_without_score() -> None:
    old, new = [a(1, grade="B")], [a(1, grade="A")]
    assert kinds(diff_sync(by_id([c(1)]), by_id(old), [c(1)], new)) == [("grade_changed", 1, "B", "A")]


def test_skipped_course_keeps_its_work_and_a_new_course_is_not_item_by_item() -> None:
    old = [a(1, course=1), a(2, course=2)]
    new = [a(3, course=3)]  # course 2 skipped (403), course 3 new enrolment; course 1 left entirely
    got = diff_sync(by_id([c(1), c(2)]), by_id(old), [c(2), c(3)], new, skipped=[2])
    assert got == []


def test_course_score_and_conclusion() -> None:
    old = [c(1), c(2), c(3, current_score=None, current_grade="B")]
    new = [c(1, current_score=Decimal("91.5")), c(2, raw={"concluded": True}),
           c(3, current_score=None, current_grade="A")]
    got = kinds(diff_sync(by_id(old), {}, new, []))
    assert got == [("course_concluded", 2, False, True), ("course_score_changed", 1, 90, 91.5),
                   ("course_score_changed", 3, "B", "A")]


def test_recent_refresh_reports_grades_only() -> None:
    old = by_id([a(1), a(2, score=Decimal(3))])
    rows = [{"canvas_id": 1, "score": Decimal(4), "grade": "4", "score_hidden": False, "missing": False,
             "excused": False, "due_at": None},
            {"canvas_id": 2, "score": Decimal(3), "grade": None, "score_hidden": False, "missing": False,
             "excused": False}]
    got = diff_graded(old, rows)
    assert kinds(got) == [("grade_posted", 1, None, 4)]
    assert got[0].title == "A1" and got[0].course_id == 1


def test_a_grade_that_clears_missing_is_one_change() -> None:
    old, new = [a(1, missing=True)], [a(1, missing=False, score=Decimal(6))]
    assert kinds(diff_sync(by_id([c(1)]), by_id(old), [c(1)], new)) == [("grade_posted", 1, None, 6)]
    old, new = [a(1, missing=False)], [a(1, missing=True, score=Decimal(0))]  # graded 0 and marked missing
    assert kinds(diff_sync(by_id([c(1)]), by_id(old), [c(1)], new)) == [("grade_posted", 1, None, 0),
                                                                         ("missing_changed", 1, False, True)]
