"""carriers and MT routes

Adds the carrier registry (``carriers``, ``routes``, ``carrier_revision``) with the built-in
simulator carrier and the default route to it (so a database keeps sending as before), and
``messages.carrier``: the carrier each message was submitted to.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 19:30:00
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    carriers = op.create_table(
        "carriers",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_carriers")),
    )
    routes = op.create_table(
        "routes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("carriers", sa.JSON(), nullable=False),
        sa.Column("strategy", sa.String(length=16), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("sender", sa.String(length=32), nullable=True),
        sa.Column("number_type", sa.String(length=16), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("turn", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routes")),
    )
    revisions = op.create_table(
        "carrier_revision",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carrier_revision")),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("carrier", sa.String(length=32), nullable=True))
    now = datetime.now(UTC)
    op.bulk_insert(
        carriers,
        [
            {
                "name": "simulator",
                "kind": "simulator",
                "options": {},
                "enabled": True,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
        ],
    )
    op.bulk_insert(
        routes,
        [
            {
                "carriers": ["simulator"],
                "strategy": "failover",
                "prefix": "",
                "sender": None,
                "number_type": None,
                "priority": 0,
                "turn": 0,
                "created_at": now,
            }
        ],
    )
    op.bulk_insert(revisions, [{"id": 1, "revision": 1, "updated_at": now}])


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("carrier")
    op.drop_table("carrier_revision")
    op.drop_table("routes")
    op.drop_table("carriers")
