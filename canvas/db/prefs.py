"""The student's own GPA choices: credit hours and "leave out of GPA" per course, and the GPA scale.

Canvas has no credit hours, so they are the student's to set (default 1; 0 = left out). Values are
validated by the caller (canvas.analysis); this module stores them as given and returns defaults
for what was never set. Rows go with their user (ON DELETE CASCADE).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.dialects.postgresql import insert

from canvas.db import tables as t

DEFAULT_CREDITS = Decimal(1)
DEFAULT_SCALE = "us4"
SCALES = ("us4", "us43", "percent", "custom")
_UNSET: Any = object()


def get_course_prefs(conn: Connection, user_id: int) -> dict[int, dict[str, Any]]:
    """{course_id: {"credits": Decimal, "in_gpa": bool}} for the courses the student set something for;
    any other course has the defaults (credits 1, in GPA)."""
    rows = conn.execute(select(t.course_prefs.c.course_id, t.course_prefs.c.credits, t.course_prefs.c.in_gpa)
                        .where(t.course_prefs.c.user_id == user_id)).all()
    return {int(r.course_id): {"credits": r.credits, "in_gpa": r.in_gpa} for r in rows}


def set_course_pref(conn: Connection, user_id: int, course_id: int, *, credits: Decimal | int | float = _UNSET,
                    in_gpa: bool = _UNSET) -> dict[str, Any]:
    """Set one course's credits and/or in_gpa (what is not passed keeps its value, else the default);
    returns the stored pair."""
    values: dict[str, Any] = {}
    if credits is not _UNSET:
        values["credits"] = Decimal(str(credits))
    if in_gpa is not _UNSET:
        values["in_gpa"] = bool(in_gpa)
    stmt = insert(t.course_prefs).values(user_id=user_id, course_id=course_id, **values)
    stmt = stmt.on_conflict_do_update(index_elements=["user_id", "course_id"],
                                      set_={**{k: stmt.excluded[k] for k in values}, "updated_at": func.now()})
    row = conn.execute(stmt.returning(t.course_prefs.c.credits, t.course_prefs.c.in_gpa)).one()
    return {"credits": row.credits, "in_gpa": row.in_gpa}


def get_gpa_settings(conn: Connection, user_id: int) -> dict[str, Any]:
    """{"scale": "us4" | "us43" | "percent" | "custom", "custom_table": {letter: points} | None}."""
    row = conn.execute(select(t.gpa_settings.c.scale, t.gpa_settings.c.custom_table)
                       .where(t.gpa_settings.c.user_id == user_id)).first()
    if row is None:
        return {"scale": DEFAULT_SCALE, "custom_table": None}
    return {"scale": row.scale, "custom_table": row.custom_table}


def set_gpa_settings(conn: Connection, user_id: int, scale: str,
                     custom_table: dict[str, Any] | None = None) -> None:
    """Store the scale (one of SCALES; the database refuses others) and the custom letter -> points table.
    Points are stored as JSON numbers (Decimals as their exact text value's float)."""
    table = None if custom_table is None else {str(k): _json_number(v) for k, v in custom_table.items()}
    stmt = insert(t.gpa_settings).values(user_id=user_id, scale=scale, custom_table=table)
    conn.execute(stmt.on_conflict_do_update(index_elements=["user_id"], set_={
        "scale": stmt.excluded.scale, "custom_table": stmt.excluded.custom_table, "updated_at": func.now()}))


def _json_number(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value
