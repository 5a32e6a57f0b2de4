"""Tables of the simulated network (``storage/simulator.py``): handsets, their inboxes and the
carrier's rules, in the shared ``metadata``."""

from __future__ import annotations

import sqlalchemy as sa

from tidings.storage.schema import Timestamp, metadata

handsets = sa.Table(
    "handsets",
    metadata,
    sa.Column("number", sa.String(32), primary_key=True),
    sa.Column("created_at", Timestamp, nullable=False),
    # Auto-respond script: [{"match": "<regex>", "reply": "<text>", "delaySeconds": 0}, ...]
    sa.Column("script", sa.JSON, nullable=True),
)

handset_messages = sa.Table(
    "handset_messages",
    metadata,
    sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("handset", sa.String(32), nullable=False),
    sa.Column("direction", sa.String(8), nullable=False),  # received | sent
    sa.Column("peer", sa.String(32), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("message_id", sa.String(80), nullable=True),
    sa.Column("at", Timestamp, nullable=False),
    sa.Index(None, "handset", "id"),
)

carrier_rules = sa.Table(
    "carrier_rules",
    metadata,
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("pattern", sa.String(64), nullable=False),  # E.164 prefix, or glob with ?/*
    sa.Column("outcome", sa.String(16), nullable=False),  # deliver | fail | unreachable | ...
    sa.Column("delay_seconds", sa.Float, nullable=False),
    sa.Column("code", sa.Integer, nullable=True),
)
