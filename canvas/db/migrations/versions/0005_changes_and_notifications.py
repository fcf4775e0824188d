"""change feed and notifications: change_events, change_seen, notify_prefs, notify_targets, notify_outbox

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-06 02:30:00.000000
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _user_fk() -> sa.Column:
    return sa.Column("user_id", sa.BigInteger(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "change_events",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        _user_fk(),
        sa.Column("sync_run_id", sa.BigInteger()),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("course_id", sa.BigInteger(), nullable=False),
        sa.Column("assignment_id", sa.BigInteger()),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("before", postgresql.JSONB()),
        sa.Column("after", postgresql.JSONB()),
        sa.Column("html_url", sa.Text()),
        sa.Column("detected_at", TS, server_default=sa.text("now()"), nullable=False),
    )
    op.create_index("ix_change_events_user_detected", "change_events", ["user_id", "detected_at"])
    op.create_index("ix_change_events_detected", "change_events", ["detected_at"])
    op.create_table(
        "change_seen",
        sa.Column("user_id", sa.BigInteger(), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("seen_at", TS, server_default=sa.text("now()"), nullable=False),
    )
    op.create_table(
        "notify_prefs",
        sa.Column("user_id", sa.BigInteger(), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("kinds", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("quiet_start", sa.Text()),
        sa.Column("quiet_end", sa.Text()),
        sa.Column("digest", sa.Text(), server_default="per_sync", nullable=False),
        sa.Column("digest_time", sa.Text(), server_default="08:00", nullable=False),
        sa.Column("lead_times_minutes", postgresql.ARRAY(sa.Integer()), server_default="{}", nullable=False),
        sa.Column("timezone", sa.Text()),
        sa.Column("updated_at", TS, server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("digest IN ('per_sync', 'daily')", name="ck_notify_prefs_digest"),
    )
    op.create_table(
        "notify_targets",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        _user_fk(),
        sa.Column("url_ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("created_at", TS, server_default=sa.text("now()"), nullable=False),
        sa.Column("last_ok_at", TS),
        sa.Column("last_error", sa.Text()),
        sa.Column("last_error_at", TS),
    )
    op.create_index("ix_notify_targets_user", "notify_targets", ["user_id"])
    op.create_table(
        "notify_outbox",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        _user_fk(),
        sa.Column("target_id", sa.BigInteger(), sa.ForeignKey("notify_targets.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("dedupe_key", sa.Text(), nullable=False),
        sa.Column("payload", postgresql.JSONB(), server_default="{}", nullable=False),
        sa.Column("state", sa.Text(), server_default="pending", nullable=False),
        sa.Column("deliver_after", TS, server_default=sa.text("now()"), nullable=False),
        sa.Column("attempt", sa.Integer(), server_default="0", nullable=False),
        sa.Column("fence", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("lease_owner", sa.Text()),
        sa.Column("lease_until", TS),
        sa.Column("last_error", sa.Text()),
        sa.Column("created_at", TS, server_default=sa.text("now()"), nullable=False),
        sa.Column("finished_at", TS),
        sa.UniqueConstraint("target_id", "dedupe_key", name="uq_notify_outbox_target_key"),
        sa.CheckConstraint("state IN ('pending', 'sending', 'sent', 'failed')", name="ck_notify_outbox_state"),
    )
    op.create_index("ix_notify_outbox_due", "notify_outbox", ["deliver_after"],
                    postgresql_where=sa.text("state IN ('pending', 'sending')"))
    op.create_index("ix_notify_outbox_user", "notify_outbox", ["user_id", "created_at"])
    op.create_index("ix_notify_outbox_finished", "notify_outbox", ["finished_at"],
                    postgresql_where=sa.text("finished_at IS NOT NULL"))


def downgrade() -> None:
    op.drop_table("notify_outbox")
    op.drop_table("notify_targets")
    op.drop_table("notify_prefs")
    op.drop_table("change_seen")
    op.drop_table("change_events")
