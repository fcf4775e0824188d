"""Table definitions (SQLAlchemy Core). Canvas ids are BIGINT, times are timestamptz.

Each cached Canvas object keeps its raw JSON next to the typed columns, plus a content hash so an
unchanged object is never rewritten.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

metadata = MetaData()

TS = DateTime(timezone=True)


def _user_fk() -> Column:
    return Column("user_id", BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)


users = Table(
    "users",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("base_url", Text, nullable=False),
    Column("canvas_user_id", BigInteger, nullable=False),
    Column("name", Text, nullable=False, server_default=""),
    Column("time_zone", Text),
    # Fernet ciphertext bound to this row's id; the plaintext token is never stored.
    # auth_kind 'pat': a personal access token. 'oauth': canvas.tokens' JSON of the current access
    # token and the refresh token (one ciphertext, so key rotation and disconnect cover both).
    Column("token_ciphertext", LargeBinary),
    Column("auth_kind", Text, nullable=False, server_default="pat"),
    # OAuth only: when the stored access token should be refreshed (Canvas's expiry minus a margin).
    Column("access_token_expires_at", TS),
    Column("token_hint", Text),
    Column("token_state", Text, nullable=False, server_default="valid"),
    Column("token_error", Text),
    Column("identity_issuer", Text),
    Column("identity_subject", Text),
    # Bumped in every cache-writing transaction: the UI keys its caches on it.
    Column("data_version", BigInteger, nullable=False, server_default="0"),
    Column("created_at", TS, nullable=False, server_default=func.now()),
    Column("updated_at", TS, nullable=False, server_default=func.now()),
    # When a sync last read the concluded-courses listing (NULL: never; the next sync reads it).
    Column("archive_listed_at", TS),
    UniqueConstraint("base_url", "canvas_user_id", name="uq_users_canvas_identity"),
    CheckConstraint("token_state IN ('valid', 'invalid')", name="ck_users_token_state"),
    CheckConstraint("auth_kind IN ('pat', 'oauth')", name="ck_users_auth_kind"),
)

# Pending Canvas OAuth2 authorizations: the `state` sent to Canvas (stored hashed), bound to the
# signed-in identity and the Canvas URL, consumed once by the callback (see canvas.accounts).
oauth_states = Table(
    "oauth_states",
    metadata,
    Column("state_hash", Text, primary_key=True),
    Column("identity_issuer", Text),
    Column("identity_subject", Text),
    Column("base_url", Text, nullable=False),
    Column("created_at", TS, nullable=False, server_default=func.now()),
    Index("ix_oauth_states_created", "created_at"),
)

courses = Table(
    "canvas_courses_cache",
    metadata,
    _user_fk(),
    Column("canvas_id", BigInteger, nullable=False),
    Column("name", Text, nullable=False),
    Column("course_code", Text),
    Column("workflow_state", Text),
    Column("time_zone", Text),
    Column("term_name", Text),
    Column("start_at", TS),
    Column("end_at", TS),
    Column("apply_assignment_group_weights", Boolean, nullable=False, server_default="false"),
    Column("hide_final_grades", Boolean, nullable=False, server_default="false"),
    Column("has_grading_periods", Boolean, nullable=False, server_default="false"),
    Column("current_score", Numeric),
    Column("final_score", Numeric),
    Column("current_grade", Text),
    Column("final_grade", Text),
    # Course facts (migration 0004): Canvas's scheme pairs as sent ([["A", 0.94], ...], fractions
    # also for points-based schemes), letters only for the student, and the archive of finished
    # terms: a concluded course stays cached and is not re-read on every sync.
    Column("grading_scheme", JSONB),
    Column("restrict_quantitative_data", Boolean, nullable=False, server_default="false"),
    Column("concluded", Boolean, nullable=False, server_default="false"),
    Column("term_id", BigInteger),
    Column("term_start_at", TS),
    Column("term_end_at", TS),
    Column("raw", JSONB, nullable=False),
    Column("content_hash", Text, nullable=False),
    Column("synced_at", TS, nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("user_id", "canvas_id"),
)

assignment_groups = Table(
    "canvas_assignment_groups_cache",
    metadata,
    _user_fk(),
    Column("canvas_id", BigInteger, nullable=False),
    Column("course_id", BigInteger, nullable=False),
    Column("name", Text, nullable=False),
    Column("position", Integer),
    Column("group_weight", Numeric),
    Column("drop_lowest", Integer, nullable=False, server_default="0"),
    Column("drop_highest", Integer, nullable=False, server_default="0"),
    Column("never_drop", ARRAY(BigInteger), nullable=False, server_default="{}"),
    Column("raw", JSONB, nullable=False),
    Column("content_hash", Text, nullable=False),
    Column("synced_at", TS, nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("user_id", "canvas_id"),
)

assignments = Table(
    "canvas_assignments_cache",
    metadata,
    _user_fk(),
    Column("canvas_id", BigInteger, nullable=False),
    Column("course_id", BigInteger, nullable=False),
    Column("group_id", BigInteger),
    Column("name", Text, nullable=False),
    Column("due_at", TS),
    Column("lock_at", TS),
    Column("unlock_at", TS),
    Column("points_possible", Numeric),
    Column("grading_type", Text),
    Column("submission_types", ARRAY(Text), nullable=False, server_default="{}"),
    Column("omit_from_final_grade", Boolean, nullable=False, server_default="false"),
    Column("published", Boolean, nullable=False, server_default="true"),
    Column("position", Integer),
    Column("html_url", Text),
    Column("canvas_updated_at", TS),
    # The student's own submission, flattened; score_hidden = Canvas withheld score/grade keys.
    Column("has_submission", Boolean, nullable=False, server_default="false"),
    Column("score", Numeric),
    Column("grade", Text),
    Column("score_hidden", Boolean, nullable=False, server_default="false"),
    Column("submitted_at", TS),
    Column("graded_at", TS),
    Column("posted_at", TS),
    Column("workflow_state", Text),
    Column("late", Boolean, nullable=False, server_default="false"),
    Column("missing", Boolean, nullable=False, server_default="false"),
    Column("excused", Boolean, nullable=False, server_default="false"),
    Column("late_policy_status", Text),
    Column("points_deducted", Numeric),
    Column("raw", JSONB, nullable=False),
    Column("content_hash", Text, nullable=False),
    Column("synced_at", TS, nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("user_id", "canvas_id"),
    Index("ix_assignments_user_due", "user_id", "due_at"),
    Index("ix_assignments_user_course", "user_id", "course_id"),
)

score_snapshots = Table(
    "course_score_snapshots",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    _user_fk(),
    Column("course_id", BigInteger, nullable=False),
    Column("sync_run_id", BigInteger, ForeignKey("sync_runs.id", ondelete="SET NULL")),
    Column("taken_at", TS, nullable=False, server_default=func.now()),
    Column("current_score", Numeric),
    Column("final_score", Numeric),
    Column("current_grade", Text),
    Column("final_grade", Text),
    Index("ix_snapshots_user_course_taken", "user_id", "course_id", "taken_at"),
    # Deleting a sync_runs row nulls sync_run_id here (ON DELETE SET NULL): without this index every
    # deleted run would scan the whole table.
    Index("ix_snapshots_sync_run", "sync_run_id"),
)

sync_runs = Table(
    "sync_runs",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    _user_fk(),
    Column("trigger", Text, nullable=False),  # cli | manual | schedule | app | demo
    Column("kind", Text, nullable=False, server_default="full"),  # full | recent
    Column("worker", Text),
    Column("started_at", TS, nullable=False, server_default=func.now()),
    Column("finished_at", TS),
    Column("outcome", Text, nullable=False, server_default="running"),
    Column("courses", Integer),
    Column("assignments", Integer),
    Column("requests", Integer, nullable=False, server_default="0"),
    Column("bytes", BigInteger, nullable=False, server_default="0"),
    Column("throttled", Integer, nullable=False, server_default="0"),
    Column("retries", Integer, nullable=False, server_default="0"),
    Column("rows_written", Integer, nullable=False, server_default="0"),
    Column("skipped", JSONB, nullable=False, server_default="[]"),
    Column("error_class", Text),
    Column("error_message", Text),
    # Progress of the running run (courses done of courses) and a cancel request (migration 0007).
    Column("progress_done", Integer, nullable=False, server_default="0"),
    Column("progress_total", Integer),
    Column("cancel_requested_at", TS),
    CheckConstraint("outcome IN ('running', 'success', 'failed', 'abandoned')", name="ck_sync_runs_outcome"),
    Index("ix_sync_runs_user_started", "user_id", "started_at"),
    # The worker's sweep for runs of dead workers (every 30 s) reads only running rows.
    Index("ix_sync_runs_running", "user_id", postgresql_where=text("outcome = 'running'")),
)

sync_jobs = Table(
    "sync_jobs",
    metadata,
    Column("user_id", BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("state", Text, nullable=False, server_default="idle"),
    Column("due_at", TS, nullable=False, server_default=func.now()),
    Column("requested_at", TS),
    Column("requested_kind", Text),  # full | recent
    Column("lease_owner", Text),
    Column("lease_until", TS),
    # Bumped on every claim; the cache write checks it so a stale worker can't overwrite.
    Column("fence", BigInteger, nullable=False, server_default="0"),
    Column("attempt", Integer, nullable=False, server_default="0"),
    Column("last_ok_at", TS),
    Column("last_try_at", TS),
    Column("last_error", Text),
    CheckConstraint("state IN ('idle', 'running', 'token_invalid')", name="ck_sync_jobs_state"),
    Index("ix_sync_jobs_due", "due_at"),
)

worker_heartbeats = Table(
    "worker_heartbeats",
    metadata,
    Column("worker_id", Text, primary_key=True),
    Column("host", Text, nullable=False),
    Column("pid", Integer, nullable=False),
    Column("started_at", TS, nullable=False, server_default=func.now()),
    Column("last_beat", TS, nullable=False, server_default=func.now()),
    Column("current_user_id", BigInteger),
    Column("state", Text, nullable=False, server_default="running"),
    Column("synced", Integer, nullable=False, server_default="0"),
    Column("failed", Integer, nullable=False, server_default="0"),
)

# Per-user choices for GPA (migration 0004); validated by the caller, stored as given.
course_prefs = Table(
    "course_prefs",
    metadata,
    _user_fk(),
    Column("course_id", BigInteger, nullable=False),
    Column("credits", Numeric, nullable=False, server_default="1"),  # 0 = left out of GPA
    Column("in_gpa", Boolean, nullable=False, server_default="true"),
    Column("updated_at", TS, nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("user_id", "course_id"),
    CheckConstraint("credits >= 0", name="ck_course_prefs_credits"),
)

gpa_settings = Table(
    "gpa_settings",
    metadata,
    Column("user_id", BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("scale", Text, nullable=False, server_default="us4"),
    Column("custom_table", JSONB),  # {"A": 4.0, ...} for scale 'custom'
    Column("updated_at", TS, nullable=False, server_default=func.now()),
    CheckConstraint("scale IN ('us4', 'us43', 'percent', 'custom')", name="ck_gpa_settings_scale"),
)

# -- change feed and notifications (issue 12) ---------------------------------------------------
# What a sync found different from the previous one, detected by comparing old and new rows in the
# sync's own transaction (canvas.analysis.changes). Pruned by the retention rule.
change_events = Table(
    "change_events",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    _user_fk(),
    Column("sync_run_id", BigInteger),  # no FK: retention deletes runs, the feed outlives them
    Column("kind", Text, nullable=False),
    Column("course_id", BigInteger, nullable=False),
    Column("assignment_id", BigInteger),
    Column("title", Text, nullable=False),
    Column("before", JSONB),
    Column("after", JSONB),
    Column("html_url", Text),
    Column("detected_at", TS, nullable=False, server_default=func.now()),
    Index("ix_change_events_user_detected", "user_id", "detected_at"),
    Index("ix_change_events_detected", "detected_at"),
)

# When the student last looked at the feed (the unseen count and "since your last visit").
change_seen = Table(
    "change_seen",
    metadata,
    Column("user_id", BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("seen_at", TS, nullable=False, server_default=func.now()),
)

notify_prefs = Table(
    "notify_prefs",
    metadata,
    Column("user_id", BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("kinds", ARRAY(Text), nullable=False),
    Column("quiet_start", Text),  # "HH:MM" local time, both or neither
    Column("quiet_end", Text),
    Column("digest", Text, nullable=False, server_default="per_sync"),
    Column("digest_time", Text, nullable=False, server_default="08:00"),
    Column("lead_times_minutes", ARRAY(Integer), nullable=False, server_default="{}"),
    Column("timezone", Text),  # None: the Canvas profile's time zone
    Column("updated_at", TS, nullable=False, server_default=func.now()),
    CheckConstraint("digest IN ('per_sync', 'daily')", name="ck_notify_prefs_digest"),
)

# Apprise URLs, Fernet-encrypted and bound to the user like Canvas tokens; `label` is all that is shown.
notify_targets = Table(
    "notify_targets",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    _user_fk(),
    Column("url_ciphertext", LargeBinary, nullable=False),
    Column("label", Text, nullable=False),
    Column("created_at", TS, nullable=False, server_default=func.now()),
    Column("last_ok_at", TS),
    Column("last_error", Text),
    Column("last_error_at", TS),
    Index("ix_notify_targets_user", "user_id"),
)

# One message for one target. Filled in the sync transaction (or by the reminder scan), drained by
# workers under a lease + fence like sync_jobs: a killed sender's row is taken over after its lease,
# and only the holder of the current fence may mark it sent or failed.
notify_outbox = Table(
    "notify_outbox",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    _user_fk(),
    Column("target_id", BigInteger, ForeignKey("notify_targets.id", ondelete="CASCADE"), nullable=False),
    Column("kind", Text, nullable=False),  # changes | digest | reminder | test
    Column("dedupe_key", Text, nullable=False),
    Column("payload", JSONB, nullable=False, server_default="{}"),
    Column("state", Text, nullable=False, server_default="pending"),
    Column("deliver_after", TS, nullable=False, server_default=func.now()),
    Column("attempt", Integer, nullable=False, server_default="0"),
    Column("fence", BigInteger, nullable=False, server_default="0"),
    Column("lease_owner", Text),
    Column("lease_until", TS),
    Column("last_error", Text),
    Column("created_at", TS, nullable=False, server_default=func.now()),
    Column("finished_at", TS),
    UniqueConstraint("target_id", "dedupe_key", name="uq_notify_outbox_target_key"),
    CheckConstraint("state IN ('pending', 'sending', 'sent', 'failed')", name="ck_notify_outbox_state"),
    Index("ix_notify_outbox_due", "deliver_after", postgresql_where=text("state IN ('pending', 'sending')")),
    Index("ix_notify_outbox_user", "user_id", "created_at"),
    Index("ix_notify_outbox_finished", "finished_at", postgresql_where=text("finished_at IS NOT NULL")),
)
