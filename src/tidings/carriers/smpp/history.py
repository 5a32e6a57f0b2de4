"""The rows of ``smpp_history`` the ledger writes: what the SMSC said about each part.

``accepted``: a ``submit_sm_resp`` that took the part, with the SMSC's message id (the
bind is the one that submitted it). ``receipt``: a delivery receipt matched to the part,
final or not, with the bind it arrived on and its id as the SMSC wrote it. The message
timeline reads them (``services/queries.py``); they are written in the ledger's
transactions, so they are as durable as the outcome or receipt itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tidings.domain.smpp_receipts import Receipt
from tidings.ports.smpp import EarlyReceipt, PartEvent, Segment


@dataclass(frozen=True)
class Arrival:
    """Where and when a receipt arrived, and its id as the SMSC wrote it."""

    bind: str | None
    at: datetime
    raw_id: str


def arrived(receipt: Receipt, bind: str | None, now: datetime) -> tuple[Receipt, Arrival]:
    return receipt, Arrival(bind, now, receipt.smsc_id)


def from_early(e: EarlyReceipt) -> tuple[Receipt, Arrival]:
    """An early receipt as it arrived (``smsc_id`` is stored normalised)."""
    receipt = Receipt(e.smsc_id, e.state, e.error, e.network_error)
    return receipt, Arrival(e.bind, e.received_at, e.raw_id or e.smsc_id)


def accepted(segment: Segment, smsc_id: str, raw_id: str | None, now: datetime) -> PartEvent:
    return PartEvent(
        segment.message_id,
        segment.carrier,
        segment.seq,
        segment.total,
        "accepted",
        now,
        segment.bind,
        smsc_id,
        raw_id,
    )


def receipt(segment: Segment, r: Receipt, arrival: Arrival) -> PartEvent:
    return PartEvent(
        segment.message_id,
        segment.carrier,
        segment.seq,
        segment.total,
        "receipt",
        arrival.at,
        arrival.bind,
        segment.smsc_id,
        arrival.raw_id,
        state=r.state,
        error=r.error,
        network_error=r.network_error,
        final=r.final,
    )
