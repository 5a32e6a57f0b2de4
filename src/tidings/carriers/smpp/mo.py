"""MO messages over SMPP: whole ones are handed on (``Keep``: to the sink inside the
transaction when it takes them so, else to the inbound outbox), parts wait in
``smpp_mo_parts`` until their message is complete (whatever their order, bind or node)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from tidings.ports import Tx
from tidings.ports.smpp import MoPart, PendingInbound

#: Hands a transaction's whole MO messages on; returns those left in the outbox (with ids).
Keep = Callable[[Tx, list[PendingInbound]], list[PendingInbound]]


def inbox(tx: Tx, items: list[PendingInbound]) -> list[PendingInbound]:
    """The messages into ``smpp_inbound``, for the sink after the commit."""
    return tx.smpp.add_inbound(items) if items else []


@dataclass(frozen=True)
class MoItem:
    """An MO message or one part of it, decoded (``carriers/smpp/inbound.py``)."""

    carrier: str
    sender: str
    recipient: str
    body: str
    ref: int | None = None
    total: int = 1
    seq: int = 1


def store_mo(
    tx: Tx, items: Sequence[MoItem], now: datetime, keep: Keep = inbox
) -> list[PendingInbound]:
    """Whole messages are handed to ``keep``; parts wait until their message is complete.
    Returns what ``keep`` left for after the commit."""
    repo = tx.smpp
    whole = [
        PendingInbound(0, i.sender, i.recipient, i.body, 1, now)
        for i in items
        if i.ref is None or i.total <= 1
    ]
    parts = [
        MoPart(i.carrier, i.sender, i.recipient, i.ref, i.total, i.seq, i.body, now)
        for i in items
        if i.ref is not None and i.total > 1
    ]
    stored = keep(tx, whole)
    if parts:
        repo.add_parts(parts)
        stored.extend(assemble(tx, now, keep=keep))
    return stored


def assemble(tx: Tx, now: datetime, limit: int = 500, keep: Keep = inbox) -> list[PendingInbound]:
    """Turn complete part groups into inbound messages, handed to ``keep``."""
    repo = tx.smpp
    groups = repo.complete_groups(limit)
    if not groups:
        return []
    stored = keep(
        tx,
        [
            PendingInbound(0, g[0].sender, g[0].recipient, "".join(p.body for p in g), len(g), now)
            for g in groups
        ],
    )
    repo.delete_parts(groups)
    return stored
