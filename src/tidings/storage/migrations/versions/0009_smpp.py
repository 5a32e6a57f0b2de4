"""smpp: the SMPP connector's queue, correlation, MO parts, outboxes and bind leases

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 19:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "smpp_binds",
        sa.Column("carrier", sa.String(length=32), nullable=False),
        sa.Column("bind", sa.String(length=16), nullable=False),
        sa.Column("mode", sa.String(length=12), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("last_error", sa.String(length=256), nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_used", sa.Integer(), nullable=False),
        sa.Column("submitted", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("carrier", "bind", name=op.f("pk_smpp_binds")),
    )
    op.create_table(
        "smpp_early_receipts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("carrier", sa.String(length=32), nullable=False),
        sa.Column("smsc_id", sa.String(length=72), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("error", sa.String(length=32), nullable=True),
        sa.Column("network_error", sa.String(length=16), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smpp_early_receipts")),
    )
    op.create_index(
        op.f("ix_smpp_early_receipts_carrier_smsc_id"),
        "smpp_early_receipts",
        ["carrier", "smsc_id"],
        unique=False,
    )
    op.create_table(
        "smpp_inbound",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("sender", sa.String(length=32), nullable=False),
        sa.Column("recipient", sa.String(length=32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("segments", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smpp_inbound")),
    )
    op.create_table(
        "smpp_mo_parts",
        sa.Column("carrier", sa.String(length=32), nullable=False),
        sa.Column("sender", sa.String(length=32), nullable=False),
        sa.Column("recipient", sa.String(length=32), nullable=False),
        sa.Column("ref", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "carrier", "sender", "recipient", "ref", "total", "seq", name=op.f("pk_smpp_mo_parts")
        ),
    )
    op.create_table(
        "smpp_reports",
        sa.Column("message_id", sa.String(length=64), nullable=False),
        sa.Column("delivered", sa.Boolean(), nullable=False),
        sa.Column("code", sa.Integer(), nullable=False),
        sa.Column("details", sa.String(length=256), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_smpp_reports")),
    )
    op.create_table(
        "smpp_segments",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("carrier", sa.String(length=32), nullable=False),
        sa.Column("message_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("segments", sa.Integer(), nullable=False),
        sa.Column("sender", sa.String(length=32), nullable=False),
        sa.Column("recipient", sa.String(length=32), nullable=False),
        sa.Column("short_message", sa.LargeBinary(), nullable=False),
        sa.Column("data_coding", sa.Integer(), nullable=False),
        sa.Column("esm_class", sa.Integer(), nullable=False),
        sa.Column("tlvs", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("bind", sa.String(length=16), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("smsc_id", sa.String(length=72), nullable=True),
        sa.Column("delivered", sa.Boolean(), nullable=True),
        sa.Column("code", sa.Integer(), nullable=True),
        sa.Column("details", sa.String(length=256), nullable=True),
        sa.Column("receipt_state", sa.String(length=12), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smpp_segments")),
    )
    op.create_index(
        op.f("ix_smpp_segments_carrier_smsc_id"),
        "smpp_segments",
        ["carrier", "smsc_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_smpp_segments_carrier_state_due_at"),
        "smpp_segments",
        ["carrier", "state", "due_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_smpp_segments_message_id"), "smpp_segments", ["message_id"], unique=False
    )
    # ### end Alembic commands ###


def downgrade() -> None:
    op.drop_index(op.f("ix_smpp_segments_message_id"), table_name="smpp_segments")
    op.drop_index(op.f("ix_smpp_segments_carrier_state_due_at"), table_name="smpp_segments")
    op.drop_index(op.f("ix_smpp_segments_carrier_smsc_id"), table_name="smpp_segments")
    op.drop_table("smpp_segments")
    op.drop_table("smpp_reports")
    op.drop_table("smpp_mo_parts")
    op.drop_table("smpp_inbound")
    op.drop_index(op.f("ix_smpp_early_receipts_carrier_smsc_id"), table_name="smpp_early_receipts")
    op.drop_table("smpp_early_receipts")
    op.drop_table("smpp_binds")
    # ### end Alembic commands ###
