"""analytics: opt-list change log and the covering index of the dashboard queries

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-23 11:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "opt_changes",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("sender", sa.String(length=32), nullable=False),
        sa.Column("recipient", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=8), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opt_changes")),
    )
    with op.batch_alter_table("opt_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_opt_changes_at_sender"), ["at", "sender"], unique=False
        )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_messages_analytics",
            ["direction", "created_at", "status", "sender", "segments", "final_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_analytics")
    with op.batch_alter_table("opt_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_opt_changes_at_sender"))
    op.drop_table("opt_changes")
