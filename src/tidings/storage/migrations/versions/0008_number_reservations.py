"""phone numbers: reservations and the numbers they hold

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 19:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "number_reservations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_number_reservations")),
    )
    with op.batch_alter_table("number_reservations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_number_reservations_created_at"), ["created_at"], unique=False
        )
    op.create_table(
        "reserved_numbers",
        sa.Column("reservation_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("hold", sa.String(length=32), nullable=True),
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.Column("number_type", sa.String(length=16), nullable=False),
        sa.Column("assignment_type", sa.String(length=16), nullable=False),
        sa.Column("calling", sa.String(length=24), nullable=False),
        sa.Column("sms", sa.String(length=24), nullable=False),
        sa.Column("cost_amount", sa.Float(), nullable=False),
        sa.Column("currency_code", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("agreement_required", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("reservation_id", "number", name=op.f("pk_reserved_numbers")),
        sa.UniqueConstraint("hold", name=op.f("uq_reserved_numbers_hold")),
    )


def downgrade() -> None:
    op.drop_table("reserved_numbers")
    with op.batch_alter_table("number_reservations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_number_reservations_created_at"))
    op.drop_table("number_reservations")
