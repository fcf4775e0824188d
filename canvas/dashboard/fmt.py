"""Formatting for the dashboard (pure: no Streamlit, no I/O). The status rules themselves live in
`canvas.analysis.status`; `classify` only feeds them the table's columns and adds the labels.

Canvas strings are untrusted: `md_escape` makes them inert in Markdown, `plot_text` in plotly labels
(which understand a few HTML tags), and `safe_url` keeps only http(s) links.
"""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from canvas.analysis import status as rules

STATUSES = rules.STATUSES
# Plain words: the table cells are drawn on a canvas, where an emoji is a box without an emoji font.
STATUS_LABELS: dict[rules.Status, str] = {
    "upcoming": "Upcoming",
    "past_due": "Past due",
    "missing": "Missing",
    "submitted": "Submitted",
    "graded": "Graded",
    "excused": "Excused",
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


SCORE_DIGITS = 2  # every score percentage on every page, as Canvas shows them (79.64%)


def pct(value: float | None, digits: int = SCORE_DIGITS) -> str:
    if value is None or pd.isna(value):
        return "—"
    return f"{value:.{digits}f}%"


def _flags(df: pd.DataFrame, col: str) -> np.ndarray:
    """A boolean column as a numpy array; absent or null counts as False."""
    if col not in df.columns:
        return np.zeros(len(df), dtype=bool)
    values = df[col].to_numpy(dtype=object)
    return np.where(pd.isna(values), False, values).astype(bool)


def _present(df: pd.DataFrame, col: str) -> np.ndarray:
    return df[col].notna().to_numpy() if col in df.columns else np.zeros(len(df), dtype=bool)


def classify(df: pd.DataFrame, now: datetime) -> pd.DataFrame:
    """`canvas.analysis.status.classify` on the table's columns, plus the label each status shows.

    Per assignment: `tags` (the filter statuses), `status` (the one shown), `status_label`,
    `percent` and `unsubmitted` (work still to do).
    """
    excused, late = _flags(df, "excused"), _flags(df, "late")
    state = df["workflow_state"] if "workflow_state" in df.columns else pd.Series(None, index=df.index)
    due = pd.to_datetime(df["due_at"], utc=True)  # an all-empty column arrives without a zone
    tags, status, unsubmitted = rules.classify(
        excused=excused, missing=_flags(df, "missing"), late=late,
        submitted=_present(df, "submitted_at") | state.isin(tuple(rules.SUBMITTED_STATES)).to_numpy(),
        graded=(state == "graded").to_numpy() | _present(df, "graded_at"),
        not_yet_due=(due.isna() | (due >= now)).to_numpy())
    labels = [STATUS_LABELS[s] + (" · late" if lt and s != "missing" else "")
              for s, lt in zip(status, late.tolist(), strict=True)]
    return pd.DataFrame({"tags": tags, "status": status, "status_label": labels,
                         "percent": score_percent(df), "unsubmitted": unsubmitted},
                        index=df.index)


def score_percent(df: pd.DataFrame) -> np.ndarray:
    """Score as a percentage of the points; NaN when hidden, unscored or worth no points."""
    score = pd.to_numeric(df["score"], errors="coerce").to_numpy(dtype=float)
    points = pd.to_numeric(df["points_possible"], errors="coerce").to_numpy(dtype=float)
    shown = ~_flags(df, "score_hidden") & ~np.isnan(score) & ~np.isnan(points) & (points != 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(shown, score / np.where(points == 0, 1.0, points) * 100.0, np.nan)


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


def enrich(assignments: pd.DataFrame, now: datetime, tz: ZoneInfo) -> pd.DataFrame:
    """Add the derived columns the pages show: status, tags, percent, local due time, a safe link."""
    df = assignments.copy()
    if df.empty:
        for col in ("status", "status_label", "tags", "percent", "due_local", "link", "unsubmitted"):
            df[col] = pd.Series(dtype=object)
        return df
    derived = classify(df, now)
    for col in derived.columns:
        df[col] = derived[col]
    df["due_local"] = pd.to_datetime(df["due_at"], utc=True).dt.tz_convert(tz)
    df["link"] = [safe_url(u) for u in df["html_url"].tolist()]
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
