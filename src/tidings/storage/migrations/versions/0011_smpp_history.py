"""smpp history: each part's SMSC id and every receipt, kept for the message timeline

Adds ``smpp_history`` (one row per ``submit_sm_resp`` accepted and per delivery receipt
matched to a part) and, on ``smpp_early_receipts``, the bind a receipt arrived on and its id
as the SMSC wrote it (so a receipt that waits for its part keeps both).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 09:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "smpp_history",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("message_id", sa.String(length=64), nullable=False),
        sa.Column("carrier", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("bind", sa.String(length=16), nullable=True),
        sa.Column("smsc_id", sa.String(length=72), nullable=True),
        sa.Column("raw_id", sa.String(length=72), nullable=True),
        sa.Column("state", sa.String(length=12), nullable=True),
        sa.Column("error", sa.String(length=32), nullable=True),
        sa.Column("network_error", sa.String(length=16), nullable=True),
        sa.Column("final", sa.Boolean(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smpp_history")),
    )
    op.create_index(
        op.f("ix_smpp_history_message_id_id"), "smpp_history", ["message_id", "id"], unique=False
    )
    with op.batch_alter_table("smpp_early_receipts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bind", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("raw_id", sa.String(length=72), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("smpp_early_receipts", schema=None) as batch_op:
        batch_op.drop_column("raw_id")
        batch_op.drop_column("bind")
    op.drop_index(op.f("ix_smpp_history_message_id_id"), table_name="smpp_history")
    op.drop_table("smpp_history")
