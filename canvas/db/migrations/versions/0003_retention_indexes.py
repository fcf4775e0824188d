"""retention indexes: course_score_snapshots (sync_run_id), running sync_runs

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 12:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Retention deletes sync_runs; the FK's ON DELETE SET NULL looks snapshots up by sync_run_id.
    op.create_index("ix_snapshots_sync_run", "course_score_snapshots", ["sync_run_id"], unique=False)
    # The worker's 30 s sweep (jobs.abandon_lost_runs) and the running-run read touch only these rows.
    op.create_index("ix_sync_runs_running", "sync_runs", ["user_id"], unique=False,
                    postgresql_where=sa.text("outcome = 'running'"))


def downgrade() -> None:
    op.drop_index("ix_sync_runs_running", table_name="sync_runs", postgresql_where=sa.text("outcome = 'running'"))
    op.drop_index("ix_snapshots_sync_run", table_name="course_score_snapshots")
