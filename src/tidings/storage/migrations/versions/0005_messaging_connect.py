"""messaging connect partners

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 11:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "messaging_connect_partners",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("key_digests", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_messaging_connect_partners")),
    )
    with op.batch_alter_table("phone_numbers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("partner", sa.String(length=64), nullable=True))
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("partner", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("partner")
    with op.batch_alter_table("phone_numbers", schema=None) as batch_op:
        batch_op.drop_column("partner")
    op.drop_table("messaging_connect_partners")
