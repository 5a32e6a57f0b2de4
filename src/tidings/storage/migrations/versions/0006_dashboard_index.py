"""analytics: daily rollups and one covering index for every dashboard query

Replaces ``ix_messages_analytics`` with ``ix_messages_dashboard``, which also holds the
recipient, tag, delivery code and conversation, so analytics read the index only; adds the
daily rollup tables.

Revision ID: 0006
Revises: 0003
Create Date: 2026-11-23 11:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0003"
branch_labels = None
depends_on = None

_COLUMNS = [
    "direction",
    "created_at",
    "status",
    "sender",
    "recipient",
    "tag",
    "delivery_code",
    "segments",
    "final_at",
    "conversation_id",
]


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_analytics")
        batch_op.create_index("ix_messages_dashboard", _COLUMNS, unique=False)
    op.create_table(
        "analytics_days",
        sa.Column("day", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid", sa.Boolean(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_analytics_days")),
    )
    op.create_table(
        "analytics_daily",
        sa.Column("day", sa.DateTime(timezone=True), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("tag", sa.String(length=256), nullable=True),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("code", sa.Integer(), nullable=True),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("segments", sa.Integer(), nullable=False),
    )
    with op.batch_alter_table("analytics_daily", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_analytics_daily_day_number"), ["day", "number"], unique=False
        )
    op.create_table(
        "analytics_daily_latency",
        sa.Column("day", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ms", sa.Integer(), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "ms", name=op.f("pk_analytics_daily_latency")),
    )
    op.create_table(
        "analytics_daily_words",
        sa.Column("day", sa.DateTime(timezone=True), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("word", sa.String(length=64), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
    )
    with op.batch_alter_table("analytics_daily_words", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_analytics_daily_words_day_number"), ["day", "number"], unique=False
        )


def downgrade() -> None:
    op.drop_table("analytics_daily_words")
    op.drop_table("analytics_daily_latency")
    op.drop_table("analytics_daily")
    op.drop_table("analytics_days")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_dashboard")
        batch_op.create_index(
            "ix_messages_analytics",
            ["direction", "created_at", "status", "sender", "segments", "final_at"],
            unique=False,
        )
