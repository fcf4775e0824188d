"""course facts, archive of concluded courses, GPA preferences

canvas_courses_cache: grading_scheme, restrict_quantitative_data, concluded, term_id/start/end
(backfilled from each row's raw JSON); users.archive_listed_at; new tables course_prefs and
gpa_settings (both cascade with their user).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 02:30:00.000000
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    courses = "canvas_courses_cache"
    op.add_column(courses, sa.Column("grading_scheme", postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    op.add_column(courses, sa.Column("restrict_quantitative_data", sa.Boolean(), server_default="false",
                                     nullable=False))
    op.add_column(courses, sa.Column("concluded", sa.Boolean(), server_default="false", nullable=False))
    op.add_column(courses, sa.Column("term_id", sa.BigInteger(), nullable=True))
    op.add_column(courses, sa.Column("term_start_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(courses, sa.Column("term_end_at", sa.DateTime(timezone=True), nullable=True))
    # Rows cached before 0004 already hold the term and the concluded flag in their raw JSON (the
    # sync asked for include[]=term and include[]=concluded); a bad timestamp stays NULL.
    op.execute(r"""
        UPDATE canvas_courses_cache SET
            concluded = coalesce((raw->>'concluded')::boolean, false) OR raw->>'workflow_state' = 'completed',
            term_id = CASE WHEN raw->'term'->>'id' ~ '^[0-9]{1,18}$' THEN (raw->'term'->>'id')::bigint END,
            term_start_at = CASE WHEN raw->'term'->>'start_at' ~ '^\d{4}-\d\d-\d\dT'
                                 THEN (raw->'term'->>'start_at')::timestamptz END,
            term_end_at = CASE WHEN raw->'term'->>'end_at' ~ '^\d{4}-\d\d-\d\dT'
                               THEN (raw->'term'->>'end_at')::timestamptz END
         WHERE raw ? 'term' OR raw ? 'concluded' OR raw->>'workflow_state' = 'completed'
    """)
    op.add_column("users", sa.Column("archive_listed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "course_prefs",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("course_id", sa.BigInteger(), nullable=False),
        sa.Column("credits", sa.Numeric(), server_default="1", nullable=False),
        sa.Column("in_gpa", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("credits >= 0", name="ck_course_prefs_credits"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "course_id"),
    )
    op.create_table(
        "gpa_settings",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("scale", sa.Text(), server_default="us4", nullable=False),
        sa.Column("custom_table", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("scale IN ('us4', 'us43', 'percent', 'custom')", name="ck_gpa_settings_scale"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id"),
    )


def downgrade() -> None:
    op.drop_table("gpa_settings")
    op.drop_table("course_prefs")
    op.drop_column("users", "archive_listed_at")
    for column in ("term_end_at", "term_start_at", "term_id", "concluded", "restrict_quantitative_data",
                   "grading_scheme"):
        op.drop_column("canvas_courses_cache", column)
