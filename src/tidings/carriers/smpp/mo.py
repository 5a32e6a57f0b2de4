"""MO messages over SMPP: whole ones go to the inbound outbox, parts wait in
``smpp_mo_parts`` until their message is complete (whatever their order, bind or node)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from tidings.ports import Tx
from tidings.ports.smpp import MoPart, PendingInbound


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


def store_mo(tx: Tx, items: Sequence[MoItem], now: datetime) -> list[PendingInbound]:
    """Whole messages go to the inbound outbox; parts wait until their message is complete."""
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
    stored = repo.add_inbound(whole)
    if parts:
        repo.add_parts(parts)
        stored.extend(assemble(tx, now))
    return stored


def assemble(tx: Tx, now: datetime, limit: int = 500) -> list[PendingInbound]:
    """Turn complete part groups into inbound messages (stored in the outbox)."""
    repo = tx.smpp
    groups = repo.complete_groups(limit)
    if not groups:
        return []
    stored = repo.add_inbound(
        [
            PendingInbound(0, g[0].sender, g[0].recipient, "".join(p.body for p in g), len(g), now)
            for g in groups
        ]
    )
    repo.delete_parts(groups)
    return stored
