"""Tables of number reservations (``storage/reservations.py``), on the shared ``metadata``."""

from __future__ import annotations

import sqlalchemy as sa

from tidings.storage.schema import Timestamp, metadata

number_reservations = sa.Table(
    "number_reservations",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("created_at", Timestamp, nullable=False, index=True),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.Column("expires_at", Timestamp, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
)

reserved_numbers = sa.Table(
    "reserved_numbers",
    metadata,
    sa.Column("reservation_id", sa.String(36), primary_key=True),
    sa.Column("number", sa.String(32), primary_key=True),
    # The number while the reservation holds it, else NULL: unique, so two reservations
    # cannot hold one number even when they are written at the same moment.
    sa.Column("hold", sa.String(32), nullable=True, unique=True),
    sa.Column("country_code", sa.String(2), nullable=False),
    sa.Column("number_type", sa.String(16), nullable=False),
    sa.Column("assignment_type", sa.String(16), nullable=False),
    sa.Column("calling", sa.String(24), nullable=False),
    sa.Column("sms", sa.String(24), nullable=False),
    sa.Column("cost_amount", sa.Float, nullable=False),
    sa.Column("currency_code", sa.String(3), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("agreement_required", sa.Boolean, nullable=False),
)
