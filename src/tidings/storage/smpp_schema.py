"""Tables of the SMPP connector (``carriers/smpp``), in the shared ``metadata``."""

from __future__ import annotations

import sqlalchemy as sa

from tidings.storage.schema import Timestamp, metadata

smpp_segments = sa.Table(
    "smpp_segments",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("carrier", sa.String(32), nullable=False),
    sa.Column("message_id", sa.String(64), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("total", sa.Integer, nullable=False),
    sa.Column("segments", sa.Integer, nullable=False),
    sa.Column("sender", sa.String(32), nullable=False),
    sa.Column("recipient", sa.String(32), nullable=False),
    sa.Column("short_message", sa.LargeBinary, nullable=False),
    sa.Column("data_coding", sa.Integer, nullable=False),
    sa.Column("esm_class", sa.Integer, nullable=False),
    sa.Column("tlvs", sa.JSON, nullable=False),  # [[tag, hex], ...]
    sa.Column("state", sa.String(12), nullable=False),  # queued|inflight|submitted|done
    sa.Column("bind", sa.String(16), nullable=True),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("due_at", Timestamp, nullable=False),
    sa.Column("smsc_id", sa.String(72), nullable=True),  # normalised (domain/smpp_receipts)
    sa.Column("delivered", sa.Boolean, nullable=True),
    sa.Column("code", sa.Integer, nullable=True),
    sa.Column("details", sa.String(256), nullable=True),
    sa.Column("receipt_state", sa.String(12), nullable=True),
    sa.Column("submitted_at", Timestamp, nullable=True),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.Index(None, "carrier", "state", "due_at"),
    sa.Index(None, "carrier", "smsc_id"),
    sa.Index(None, "message_id"),
)

smpp_early_receipts = sa.Table(
    "smpp_early_receipts",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("carrier", sa.String(32), nullable=False),
    sa.Column("smsc_id", sa.String(72), nullable=False),
    sa.Column("state", sa.String(12), nullable=False),
    sa.Column("error", sa.String(32), nullable=True),
    sa.Column("network_error", sa.String(16), nullable=True),
    sa.Column("received_at", Timestamp, nullable=False),
    sa.Column("bind", sa.String(16), nullable=True),  # the bind it arrived on
    sa.Column("raw_id", sa.String(72), nullable=True),  # the id as the SMSC wrote it
    sa.Index(None, "carrier", "smsc_id"),
)

#: What happened to each part of a message at the SMSC, kept as long as the message (the
#: message timeline): ``accepted`` (a submit_sm_resp with its message_id) and ``receipt``
#: (each delivery receipt matched to the part, final or not). ``smpp_segments`` rows, which
#: hold the same ids for correlation, are pruned days after their part is done.
smpp_history = sa.Table(
    "smpp_history",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("message_id", sa.String(64), nullable=False),
    sa.Column("carrier", sa.String(32), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("total", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(12), nullable=False),  # accepted | receipt
    sa.Column("at", Timestamp, nullable=False),
    sa.Column("bind", sa.String(16), nullable=True),
    sa.Column("smsc_id", sa.String(72), nullable=True),  # the part's id, normalised
    sa.Column("raw_id", sa.String(72), nullable=True),  # as the SMSC wrote it
    sa.Column("state", sa.String(12), nullable=True),  # receipt stat (DELIVRD, ENROUTE, ...)
    sa.Column("error", sa.String(32), nullable=True),  # receipt err:
    sa.Column("network_error", sa.String(16), nullable=True),
    sa.Column("final", sa.Boolean, nullable=True),
    sa.Index(None, "message_id", "id"),
)

smpp_reports = sa.Table(
    "smpp_reports",
    metadata,
    sa.Column("message_id", sa.String(64), primary_key=True),
    sa.Column("delivered", sa.Boolean, nullable=False),
    sa.Column("code", sa.Integer, nullable=False),
    sa.Column("details", sa.String(256), nullable=True),
    sa.Column("at", Timestamp, nullable=False),
    sa.Column("attempts", sa.JSON, nullable=False),  # [[iso, succeeded, failed], ...]
)

smpp_mo_parts = sa.Table(
    "smpp_mo_parts",
    metadata,
    sa.Column("carrier", sa.String(32), primary_key=True),
    sa.Column("sender", sa.String(32), primary_key=True),
    sa.Column("recipient", sa.String(32), primary_key=True),
    sa.Column("ref", sa.Integer, primary_key=True),
    sa.Column("total", sa.Integer, primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("received_at", Timestamp, nullable=False),
)

smpp_inbound = sa.Table(
    "smpp_inbound",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("sender", sa.String(32), nullable=False),
    sa.Column("recipient", sa.String(32), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("segments", sa.Integer, nullable=False),
    sa.Column("received_at", Timestamp, nullable=False),
)

smpp_binds = sa.Table(
    "smpp_binds",
    metadata,
    sa.Column("carrier", sa.String(32), primary_key=True),
    sa.Column("bind", sa.String(16), primary_key=True),
    sa.Column("mode", sa.String(12), nullable=False),
    sa.Column("owner", sa.String(64), nullable=True),
    sa.Column("lease_until", Timestamp, nullable=True),
    sa.Column("state", sa.String(12), nullable=False),
    sa.Column("last_error", sa.String(256), nullable=True),
    sa.Column("last_status", sa.Integer, nullable=True),
    sa.Column("since", Timestamp, nullable=False),
    sa.Column("window_used", sa.Integer, nullable=False),
    sa.Column("submitted", sa.BigInteger, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
)
