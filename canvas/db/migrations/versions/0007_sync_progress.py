"""sync progress and cancel: courses done of courses on the running sync_runs row, a cancel request

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 02:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Written by the run while it fetches (any process), read by the dashboard's status widget.
    op.add_column("sync_runs", sa.Column("progress_done", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("sync_runs", sa.Column("progress_total", sa.Integer()))
    # Set by "Cancel" in the dashboard; the run (worker, CLI or app thread) polls it and stops.
    op.add_column("sync_runs", sa.Column("cancel_requested_at", sa.TIMESTAMP(timezone=True)))


def downgrade() -> None:
    op.drop_column("sync_runs", "cancel_requested_at")
    op.drop_column("sync_runs", "progress_total")
    op.drop_column("sync_runs", "progress_done")
