"""host request budget: one row per Canvas host, shared by every worker replica

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 02:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # GCRA state: `tat` is the moment the host's budget is next free (canvas.db.budget).
    op.create_table(
        "canvas_host_budget",
        sa.Column("host", sa.Text(), primary_key=True),
        sa.Column("tat", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")),
    )
    # Every Canvas request updates this one row: keep room on the page for HOT updates.
    op.execute("ALTER TABLE canvas_host_budget SET (fillfactor = 50)")


def downgrade() -> None:
    op.drop_table("canvas_host_budget")
