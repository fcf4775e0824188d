"""Formatting and classification for the dashboard (pure: no Streamlit, no I/O).

Canvas strings are untrusted: `md_escape` makes them inert in Markdown, `plot_text` in plotly labels
(which understand a few HTML tags), and `safe_url` keeps only http(s) links.
"""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

STATUSES = ("upcoming", "missing", "late", "submitted", "graded", "excused")
STATUS_LABELS = {
    "upcoming": "📅 Upcoming",
    "past_due": "⏰ Past due",
    "missing": "❗ Missing",
    "submitted": "📤 Submitted",
    "graded": "✅ Graded",
    "excused": "➖ Excused",
}

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def zone(name: str | None) -> ZoneInfo:
    """The student's Canvas time zone (IANA name), UTC when unknown or unset."""
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def md_escape(value: object) -> str:
    """Backslash-escape Markdown (and Streamlit directive) characters so Canvas text renders literally."""
    return _MD_SPECIAL.sub(r"\\\1", "" if value is None else str(value)).replace("\n", " ")


def plot_text(value: object) -> str:
    """Plotly renders <b>, <a href>, <br> in labels: escape so a Canvas name is shown as typed."""
    return html.escape("" if value is None else str(value), quote=False)


def safe_url(value: object) -> str | None:
    text = "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value).strip()
    return text if re.fullmatch(r"https?://[^\s\"'<>\\]+", text, re.IGNORECASE) else None


def csv_cell(value: object) -> object:
    """Neutralise spreadsheet formulas (a Canvas name starting with =, +, -, @) in CSV exports."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def local(ts: datetime | pd.Timestamp | None, tz: ZoneInfo) -> datetime | None:
    if ts is None or pd.isna(ts):
        return None
    return pd.Timestamp(ts).tz_convert(tz).to_pydatetime()


def fmt_when(ts: datetime | pd.Timestamp | None, tz: ZoneInfo) -> str:
    """'Tue Dec 2, 11:59 PM' in the student's zone ('—' for none)."""
    dt = local(ts, tz)
    if dt is None:
        return "—"
    return f"{dt:%a %b} {dt.day}, {dt.hour % 12 or 12}:{dt:%M %p}"


def relative(ts: datetime | pd.Timestamp | None, now: datetime) -> str:
    """'in 3 days', 'in 5 h', '2 days ago' (coarse, for due dates)."""
    if ts is None or pd.isna(ts):
        return ""
    delta = pd.Timestamp(ts).to_pydatetime() - now
    seconds = delta.total_seconds()
    future = seconds >= 0
    s = abs(seconds)
    if s < 3600:
        amount = f"{max(1, int(s // 60))} min"
    elif s < 86400:
        amount = f"{int(s // 3600)} h"
    else:
        days = int(s // 86400)
        amount = f"{days} day{'s' if days != 1 else ''}"
    return f"in {amount}" if future else f"{amount} ago"


def pct(value: float | None, digits: int = 1) -> str:
    if value is None or pd.isna(value):
        return "—"
    return f"{value:.{digits}f}%"


def _submitted(row: pd.Series) -> bool:
    return bool(pd.notna(row.get("submitted_at")) or row.get("workflow_state") in ("submitted", "pending_review"))


def _graded(row: pd.Series) -> bool:
    return bool(row.get("workflow_state") == "graded" or pd.notna(row.get("graded_at"))) \
        and not bool(row.get("excused"))


def tags(row: pd.Series, now: datetime) -> set[str]:
    """The filter statuses one assignment has (it can be late *and* graded)."""
    out: set[str] = set()
    if row.get("excused"):
        return {"excused"}
    if row.get("missing"):
        out.add("missing")
    if row.get("late"):
        out.add("late")
    submitted, graded = _submitted(row), _graded(row)
    if submitted:
        out.add("submitted")
    if graded:
        out.add("graded")
    due = row.get("due_at")
    if not submitted and not graded and not row.get("missing") and (pd.isna(due) or pd.Timestamp(due) >= now):
        out.add("upcoming")
    return out


def primary_status(row: pd.Series, now: datetime, row_tags: set[str] | None = None) -> str:
    t = tags(row, now) if row_tags is None else row_tags
    for key in ("excused", "graded", "missing", "submitted", "upcoming"):
        if key in t:
            return key
    return "past_due"


def status_label(row: pd.Series, now: datetime, row_tags: set[str] | None = None) -> str:
    key = primary_status(row, now, row_tags)
    label = STATUS_LABELS[key]
    if key != "missing" and row.get("late"):
        label += " · late"
    return label


def score_percent(row: pd.Series) -> float | None:
    points, score = row.get("points_possible"), row.get("score")
    if row.get("score_hidden") or score is None or pd.isna(score) or not points or pd.isna(points):
        return None
    return float(score) / float(points) * 100.0


def score_text(row: pd.Series) -> str:
    """'8.5 / 10', 'hidden', 'excused', or the letter/pass-fail grade when there are no points."""
    if row.get("excused"):
        return "excused"
    if row.get("score_hidden"):
        return "hidden"
    score, points = row.get("score"), row.get("points_possible")
    if score is None or pd.isna(score):
        return "—"
    if points is None or pd.isna(points) or not points:
        return str(row.get("grade") or f"{float(score):g}")
    return f"{float(score):g} / {float(points):g}"


def default_order(df: pd.DataFrame, now: datetime) -> pd.DataFrame:
    """Upcoming work first (soonest first), then past work (most recent first), undated last."""
    if df.empty:
        return df
    due = df["due_at"]
    future = df[due.notna() & (due >= now)].sort_values("due_at", kind="stable")
    past = df[due.notna() & (due < now)].sort_values("due_at", ascending=False, kind="stable")
    return pd.concat([future, past, df[due.isna()]])


def is_unsubmitted(row: pd.Series) -> bool:
    """Work still to do: not submitted, graded or excused."""
    return not (_submitted(row) or _graded(row) or row.get("excused"))


# The columns the per-row rules below read (to_dict on all 30 columns cost more than the rules).
_ROW_FIELDS = ("excused", "missing", "late", "submitted_at", "workflow_state", "graded_at", "due_at",
               "points_possible", "score", "score_hidden")


def enrich(assignments: pd.DataFrame, now: datetime, tz: ZoneInfo) -> pd.DataFrame:
    """Add the derived columns the pages show: status, tags, percent, local due time, a safe link."""
    df = assignments.copy()
    if df.empty:
        for col in ("status", "status_label", "tags", "percent", "due_local", "link", "unsubmitted"):
            df[col] = pd.Series(dtype=object)
        return df
    # One pass over plain dicts: DataFrame.apply(axis=1) builds a Series per row and was ~30x slower.
    records = df[[c for c in _ROW_FIELDS if c in df.columns]].to_dict("records")
    row_tags = [tags(r, now) for r in records]
    df["tags"] = [sorted(t) for t in row_tags]
    df["status"] = [primary_status(r, now, t) for r, t in zip(records, row_tags, strict=True)]
    df["status_label"] = [status_label(r, now, t) for r, t in zip(records, row_tags, strict=True)]
    df["percent"] = pd.Series([score_percent(r) for r in records], index=df.index, dtype="float64")
    df["due_local"] = df["due_at"].dt.tz_convert(tz)
    df["link"] = df["html_url"].map(safe_url)
    df["unsubmitted"] = [is_unsubmitted(r) for r in records]
    return df


def filter_assignments(df: pd.DataFrame, *, courses: list[str] | None = None,
                       statuses: list[str] | None = None, search: str = "") -> pd.DataFrame:
    out = df
    if courses:
        out = out[out["course_name"].isin(courses)]
    if statuses:
        wanted = set(statuses)
        out = out[out["tags"].map(lambda t: bool(wanted.intersection(t)))]
    if search.strip():
        out = out[out["name"].str.contains(search.strip(), case=False, regex=False, na=False)]
    return out


def due_within(df: pd.DataFrame, now: datetime, days: int) -> pd.DataFrame:
    """Unsubmitted work due between now and now + days, soonest first."""
    if df.empty:
        return df
    end = now + timedelta(days=days)
    mask = df["due_at"].notna() & (df["due_at"] >= now) & (df["due_at"] <= end) & df["unsubmitted"]
    return df[mask].sort_values("due_at")


def newly_graded(df: pd.DataFrame, since: datetime) -> pd.DataFrame:
    """Grades posted (or graded, when Canvas gives no posted_at) after `since`, newest first."""
    if df.empty:
        return df
    when = df["posted_at"].fillna(df["graded_at"])
    mask = when.notna() & (when > since) & ~df["score_hidden"].astype(bool)
    out = df[mask].copy()
    out["posted"] = when[mask]
    return out.sort_values("posted", ascending=False)


def average_current(courses: pd.DataFrame) -> float | None:
    scores = courses["current_score"].dropna() if not courses.empty else pd.Series(dtype=float)
    return float(scores.mean()) if len(scores) else None


def duration(seconds: float | None) -> str:
    if seconds is None or pd.isna(seconds):
        return "—"
    if seconds < 60:
        return f"{seconds:.1f} s"
    return f"{int(seconds // 60)} min {int(seconds % 60)} s"
