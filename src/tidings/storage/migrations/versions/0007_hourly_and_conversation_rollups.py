"""analytics: hourly rollups and per-day conversation pieces

Adds ``analytics_hourly`` and ``analytics_daily_conversations`` and marks every rolled-up
day for counting again, so existing rollups gain their new rows on the next question that
needs them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 15:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analytics_daily_conversations",
        sa.Column("day", sa.DateTime(timezone=True), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=True),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("tag", sa.String(length=256), nullable=True),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
    )
    with op.batch_alter_table("analytics_daily_conversations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_analytics_daily_conversations_day_number"),
            ["day", "number"],
            unique=False,
        )
    op.create_table(
        "analytics_hourly",
        sa.Column("day", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hour", sa.SmallInteger(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=True),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("segments", sa.Integer(), nullable=False),
    )
    with op.batch_alter_table("analytics_hourly", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_analytics_hourly_day_number"), ["day", "number"], unique=False
        )
    op.execute(sa.text("UPDATE analytics_days SET valid = false"))


def downgrade() -> None:
    op.drop_table("analytics_hourly")
    op.drop_table("analytics_daily_conversations")
