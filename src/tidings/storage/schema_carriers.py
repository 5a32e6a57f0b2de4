"""Tables of the carrier registry: carriers, MT routes and the revision workers poll.

Part of ``schema.metadata`` (``schema`` imports this module at its end).
"""

from __future__ import annotations

import sqlalchemy as sa

from tidings.storage.schema import Timestamp, metadata

carriers = sa.Table(
    "carriers",
    metadata,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("options", sa.JSON, nullable=False),  # kind-specific, secrets included
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
)

routes = sa.Table(
    "routes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("carriers", sa.JSON, nullable=False),  # carrier names, in order
    sa.Column("strategy", sa.String(16), nullable=False),  # failover | round-robin
    sa.Column("prefix", sa.String(16), nullable=False),  # "" matches every destination
    sa.Column("sender", sa.String(32), nullable=True),
    sa.Column("number_type", sa.String(16), nullable=True),
    sa.Column("priority", sa.Integer, nullable=False),
    # Round-robin turns taken so far, shared by every worker.
    sa.Column("turn", sa.BigInteger, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
)

#: One row (id 1): moves on every change to ``carriers`` or ``routes``, so workers notice a
#: change by reading one row by its key.
carrier_revision = sa.Table(
    "carrier_revision",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("revision", sa.BigInteger, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
)
