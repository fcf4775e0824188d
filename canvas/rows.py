"""The shapes that cross layers (pure, types only): the states as `Literal` types and the rows the
database reads hand to the sync rules and the dashboard (TypedDicts, so a renamed column is a type
error rather than a `KeyError` on one page).

The states mirror the CHECK constraints in `canvas/db/tables.py`; a new state goes in both places.
Table-shaped reads (courses, assignments, runs) stay DataFrames; these are the one-row reads.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, TypedDict

TokenState = Literal["valid", "invalid"]  # users.token_state
AuthKind = Literal["pat", "oauth"]  # users.auth_kind
JobState = Literal["idle", "running", "token_invalid"]  # sync_jobs.state
SyncKind = Literal["full", "recent"]  # sync_jobs.requested_kind, sync_runs.kind
SyncTrigger = Literal["cli", "manual", "schedule", "app", "demo"]  # sync_runs.trigger
RunOutcome = Literal["running", "success", "failed", "abandoned"]  # sync_runs.outcome
# What the student sees in the sync widget (canvas.sync.status.compute_status).
SyncState = Literal["syncing", "up_to_date", "needs_sync", "never_synced", "error"]


class UserRow(TypedDict):
    """reads.dashboard_users(): one connected (or disconnected) Canvas account."""

    id: int
    name: str | None
    base_url: str
    time_zone: str | None
    token_hint: str | None
    token_state: TokenState
    token_error: str | None
    data_version: int
    has_token: bool
    updated_at: datetime


class IdentityUserRow(UserRow):
    """reads.user_for_identity(): a UserRow plus how the token was obtained."""

    auth_kind: AuthKind


class SyncFacts(TypedDict):
    """repo.sync_facts(): what the sync status rules need, read in one round trip. The sync_jobs
    columns are None for a user who never had a sync requested (a LEFT JOIN)."""

    token_state: TokenState
    token_error: str | None
    data_version: int
    has_token: bool
    job_state: JobState | None
    lease_live: bool | None
    last_ok_at: datetime | None
    last_error: str | None
    requested_at: datetime | None
    attempt: int | None
    db_now: datetime  # the database's clock: every process judges staleness by it
    courses: int
    assignments: int
    last_success: datetime | None
    retry_at: datetime | None  # sync_jobs.due_at: when the next automatic try is due
    worker_alive: bool  # without a live worker nothing retries by itself (only Sync now)


class RunningRun(TypedDict):
    """reads.running_run(): the user's sync in progress."""

    id: int
    kind: SyncKind
    trigger: SyncTrigger
    worker: str | None
    started_at: datetime
    db_now: datetime


class GradesRefreshed(TypedDict):
    """reads.grades_refreshed_at(): the last successful run's end, on the database's clock."""

    refreshed_at: datetime | None
    db_now: datetime


class GradeInputsDoc(TypedDict):
    """reads.grade_inputs(): one course's raw Canvas JSON, the grade calculator's input (Canvas's own
    shapes, hence `Any` inside: `canvas.analysis.gradecalc_io.from_canvas` validates them)."""

    course: dict[str, Any]
    groups: list[dict[str, Any]]


# -- change feed and notifications (canvas.db.changes, canvas.db.notify) --------------------------
ChangeKind = Literal["grade_posted", "grade_changed", "assignment_added", "assignment_removed", "due_date_changed",
                     "missing_changed", "course_score_changed", "course_concluded"]  # change_events.kind
OutboxState = Literal["pending", "sending", "sent", "failed"]  # notify_outbox.state
OutboxKind = Literal["changes", "digest", "reminder", "test"]  # notify_outbox.kind
DigestMode = Literal["per_sync", "daily"]  # notify_prefs.digest


class ChangeEvent(TypedDict):
    """changes.list_changes(): one thing a sync found different (before/after: number, text, ISO time, bool)."""

    id: int
    kind: ChangeKind
    course_id: int
    assignment_id: int | None
    title: str
    before: Any
    after: Any
    detected_at: datetime
    html_url: str | None
    sync_run_id: int | None


class NotifyPrefs(TypedDict):
    """notify.get_prefs(): what to send and when ("HH:MM" local times; timezone None: the profile's)."""

    kinds: list[str]
    quiet_start: str | None
    quiet_end: str | None
    digest: DigestMode
    digest_time: str
    lead_times_minutes: list[int]
    timezone: str | None


class NotifyTarget(TypedDict):
    """notify.list_targets(): a stored Apprise URL as shown (label only, never the URL)."""

    id: int
    label: str
    created_at: datetime
    last_ok_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None


class NotifyFailure(TypedDict):
    """notify.recent_failures(): a message given up on."""

    id: int
    target_id: int
    label: str
    kind: OutboxKind
    attempts: int
    last_error: str | None
    failed_at: datetime
