"""Delivery receipts against the parts they are for: matched by the SMSC's id (exact first,
then its hex/decimal readings), recorded in ``smpp_history``; a receipt no part can take yet
waits in ``smpp_early_receipts`` and is tried again (``sweep_early``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from tidings.carriers.smpp import history
from tidings.carriers.smpp.completion import Applied, Deliver, applied_to, complete, outbox
from tidings.carriers.smpp.history import Arrival
from tidings.domain.smpp_receipts import Receipt, id_candidates, normalize_id
from tidings.ports import Tx
from tidings.ports.smpp import EarlyReceipt, PartEvent, Segment, SegmentUpdate

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def apply_receipts(
    tx: Tx,
    carrier: str,
    receipts: Sequence[Receipt],
    now: datetime,
    *,
    bind: str | None = None,
    deliver: Deliver = outbox,
) -> Applied:
    """Match receipts (arrived now on ``bind``) to parts (exact id first, then hex/decimal
    readings of parts still waiting); unmatched ones wait in ``smpp_early_receipts``."""
    arrivals = [history.arrived(r, bind, now) for r in receipts]
    return apply_arrivals(tx, carrier, arrivals, now, deliver)


def apply_arrivals(
    tx: Tx,
    carrier: str,
    arrivals: Sequence[tuple[Receipt, Arrival]],
    now: datetime,
    deliver: Deliver = outbox,
) -> Applied:
    repo = tx.smpp
    receipts = [r for r, _ in arrivals]
    found = _receipted_parts(tx, carrier, receipts)
    by_id = _parts_by_smsc_id(found)
    finished: set[int] = {s.id for s in found if s.state == "done"}
    updates: list[SegmentUpdate] = []
    touched: set[str] = set()
    early: list[EarlyReceipt] = []
    events: list[PartEvent] = []
    finals: dict[str, Segment] = {}  # one-part messages finished here need no second read
    applied = Applied([])
    for r, arrival in arrivals:
        segment = _match_receipt(r, by_id, finished)
        if segment is None or segment.id in finished:
            # No part has the id; or a repeated receipt, or the first for a part whose id an
            # SMSC reused (after a restart) and whose submit_sm_resp is not stored yet: keep
            # it for a while.
            early.append(_early_receipt(carrier, r, arrival))
            continue
        applied.matched += 1
        update = _receipt_update(segment, r, now)
        updates.append(update)
        events.append(history.receipt(segment, r, arrival))
        if r.final:
            finished.add(segment.id)
            touched.add(segment.message_id)
            if segment.total == 1:
                finals[segment.message_id] = applied_to(segment, update)
    repo.update_segments(updates)
    repo.add_early(early)
    tx.smpp_history.add(events)
    applied.early = len(early)
    applied.reports.extend(complete(tx, touched, now, finals, deliver))
    return applied


def _receipted_parts(tx: Tx, carrier: str, receipts: Sequence[Receipt]) -> list[Segment]:
    """The carrier's parts any reading of the receipts' ids names, read again under the lock
    of their messages (when there is one to take)."""
    repo = tx.smpp
    # The exact ids first; the other readings only of ids no part has (the rare case).
    wanted = {id_candidates(r.smsc_id)[0] for r in receipts}
    found = repo.by_smsc_ids(carrier, sorted(wanted))
    named = {s.smsc_id for s in found}
    others = {
        c
        for r in receipts
        if id_candidates(r.smsc_id)[0] not in named
        for c in id_candidates(r.smsc_id)[1:]
    } - wanted
    if others:
        wanted |= others
        found += repo.by_smsc_ids(carrier, sorted(others))
    if found and repo.lock_messages(sorted({s.message_id for s in found})):
        # Every part of the messages concerned is locked now: read them again.
        locked = repo.segments_of(sorted({s.message_id for s in found}))
        found = [s for s in locked if s.smsc_id in wanted and s.carrier == carrier]
    return found


def _parts_by_smsc_id(found: Sequence[Segment]) -> dict[str, Segment]:
    """The part each SMSC id stands for.

    An id can repeat (an SMSC restarted and counts from the start again): the part still
    waiting for its receipt wins, and of those the one submitted last."""
    by_id: dict[str, Segment] = {}
    for s in sorted(found, key=lambda s: (s.state != "done", s.submitted_at or _EPOCH, s.id)):
        if s.smsc_id is not None:
            by_id[s.smsc_id] = s
    return by_id


def _match_receipt(r: Receipt, by_id: dict[str, Segment], finished: set[int]) -> Segment | None:
    """The part a receipt is for: the exact id first, then another reading of the id (hex or
    decimal) naming a part that is not done yet."""
    candidates = id_candidates(r.smsc_id)
    segment = by_id.get(candidates[0])
    if segment is None:
        segment = next(
            (by_id[c] for c in candidates[1:] if c in by_id and by_id[c].id not in finished),
            None,
        )
    return segment


def _early_receipt(carrier: str, r: Receipt, arrival: Arrival) -> EarlyReceipt:
    """A receipt no part can take yet, as it waits in ``smpp_early_receipts`` (from when it
    arrived: its hour runs from then)."""
    return EarlyReceipt(
        0,
        carrier,
        normalize_id(r.smsc_id),
        r.state,
        r.error,
        r.network_error,
        arrival.at,
        arrival.bind,
        arrival.raw_id,
    )


def _receipt_update(segment: Segment, r: Receipt, now: datetime) -> SegmentUpdate:
    """What a receipt does to its part: a final one finishes it, another records its state."""
    if r.final:
        return SegmentUpdate(
            segment.id,
            "done",
            now,
            delivered=r.delivered,
            code=r.code,
            details=r.details(),
            receipt_state=r.state,
        )
    return SegmentUpdate(segment.id, segment.state, now, receipt_state=r.state)


def sweep_early(
    tx: Tx, carrier: str, now: datetime, limit: int = 500, deliver: Deliver = outbox
) -> Applied:
    """Retry early receipts against the parts (a receipt and its submit_sm_resp committed
    by concurrent transactions can each miss the other)."""
    early = tx.smpp.early(carrier, limit)
    if not early:
        return Applied([])
    by_id = {
        s.smsc_id
        for s in tx.smpp.by_smsc_ids(
            carrier, sorted({c for e in early for c in id_candidates(e.smsc_id)})
        )
        if s.state != "done"
    }
    ready = [e for e in early if any(c in by_id for c in id_candidates(e.smsc_id))]
    if not ready:
        return Applied([])
    tx.smpp.delete_early([e.id for e in ready])
    return apply_arrivals(tx, carrier, [history.from_early(e) for e in ready], now, deliver)
