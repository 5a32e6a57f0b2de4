"""The SMPP connector's transactions: queueing parts, applying submit_sm_resp outcomes and
receipts (recording each in ``smpp_history``, ``history.py``), and the report outbox towards
the ``CarrierSink`` (MO messages: ``mo.py``).

Each function runs inside one ``Store.write`` transaction. A message's delivery report is
written to ``smpp_reports`` in the same transaction as the outcome of its last part, and
handed to the sink afterwards (``flush``): a crash in between leaves the row, which the next
``run_due`` hands over again (the sink applies a report once, so that is safe).
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from tidings.carriers.smpp import history
from tidings.carriers.smpp.history import Arrival
from tidings.carriers.smpp.mo import MoItem, assemble, store_mo
from tidings.domain.messages import DeliveryCode, OutboundSms
from tidings.domain.smpp import (
    SmppOptions,
    SubmitVerdict,
    submit_failure_code,
    submit_failure_details,
)
from tidings.domain.smpp_encoding import encode_message
from tidings.domain.smpp_flow import retry_delay
from tidings.domain.smpp_receipts import (
    Receipt,
    SegmentOutcome,
    aggregate,
    id_candidates,
    normalize_id,
)
from tidings.ports import Tx
from tidings.ports.smpp import (
    EarlyReceipt,
    NewSegment,
    PartEvent,
    PendingReport,
    Segment,
    SegmentUpdate,
)

__all__ = [  # MO messages live in mo.py; the session's receiver finds them here
    "Applied",
    "MoItem",
    "Outcome",
    "apply_outcomes",
    "apply_receipts",
    "assemble",
    "expire_unreceipted",
    "new_segments",
    "store_mo",
    "sweep_early",
]


def new_segments(
    carrier: str,
    options: SmppOptions,
    messages: Sequence[OutboundSms],
    now: datetime,
    rng: random.Random,
) -> list[NewSegment]:
    rows: list[NewSegment] = []
    for m in messages:
        ref = rng.randrange(0x10000 if options.long_messages == "udh16" else 0x100)
        if options.long_messages == "sar":
            ref = rng.randrange(0x10000)
        parts = encode_message(m.body, options.encoding, options.long_messages, ref)
        for seq, part in enumerate(parts, start=1):
            rows.append(
                NewSegment(
                    carrier,
                    m.message_id,
                    seq,
                    len(parts),
                    m.segments,
                    m.sender,
                    m.recipient,
                    part.short_message,
                    part.data_coding,
                    part.esm_class,
                    part.tlvs,
                    now,
                )
            )
    return rows


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Outcome:
    """What became of one submit_sm: its verdict, command_status and the SMSC's id."""

    segment: Segment
    verdict: SubmitVerdict
    status: int = 0
    smsc_id: str | None = None
    throttle_seconds: float = 1.0


@dataclass
class Applied:
    reports: list[PendingReport]
    matched: int = 0
    early: int = 0


def apply_outcomes(
    tx: Tx, options: SmppOptions, outcomes: Sequence[Outcome], now: datetime
) -> Applied:
    repo = tx.smpp
    repo.lock_messages(sorted({o.segment.message_id for o in outcomes}))
    finals: dict[str, Segment] = {}
    updates: list[SegmentUpdate] = []
    touched: set[str] = set()
    failed_messages: dict[str, int] = {}
    accepted: list[tuple[Segment, str]] = []
    events: list[PartEvent] = []
    for o in outcomes:
        s = o.segment
        if o.verdict is SubmitVerdict.OK:
            smsc_id = normalize_id(o.smsc_id or "")
            events.append(history.accepted(s, smsc_id, o.smsc_id, now))
            if options.registered_delivery & 0x03 == 0:
                # No receipt was asked for: the SMSC taking it is as far as we will know.
                updates.append(
                    SegmentUpdate(
                        s.id,
                        "done",
                        now,
                        smsc_id=smsc_id,
                        delivered=True,
                        code=DeliveryCode.DELIVERED,
                        details=DeliveryCode.details(2000),
                    )
                )
                touched.add(s.message_id)
            else:
                updates.append(SegmentUpdate(s.id, "submitted", now, smsc_id=smsc_id))
                accepted.append((s, smsc_id))
        elif o.verdict is SubmitVerdict.THROTTLED:
            due = now + timedelta(seconds=o.throttle_seconds)
            updates.append(SegmentUpdate(s.id, "queued", now, due_at=due))
        elif o.verdict is SubmitVerdict.RETRY and s.attempts + 1 < options.max_attempts:
            due = now + timedelta(seconds=retry_delay(s.attempts))
            updates.append(SegmentUpdate(s.id, "queued", now, attempts=s.attempts + 1, due_at=due))
        else:
            code = submit_failure_code(o.status)
            if o.verdict is SubmitVerdict.RETRY:
                code = DeliveryCode.TEMPORARILY_UNAVAILABLE
            details = (
                submit_failure_details(o.status)
                if o.verdict is SubmitVerdict.FAIL
                else f"{DeliveryCode.details(code)} (SMPP retries exhausted)"
            )
            done = SegmentUpdate(s.id, "done", now, delivered=False, code=code, details=details)
            updates.append(done)
            finals[s.message_id] = _applied(s, done)
            failed_messages[s.message_id] = code
            touched.add(s.message_id)
    repo.update_segments(updates)
    tx.smpp_history.add(events)
    if failed_messages:
        _cancel_rest(tx, failed_messages, now)
    applied = Applied([])
    if accepted:
        # Receipts that beat their submit_sm_resp wait in smpp_early_receipts.
        candidates = {c for _, smsc_id in accepted for c in id_candidates(smsc_id)}
        early = repo.early_by_ids(options_carrier(outcomes), sorted(candidates))
        if early:
            result = _apply_receipts(
                tx, options_carrier(outcomes), [history.from_early(e) for e in early], now
            )
            repo.delete_early([e.id for e in early])
            applied.reports.extend(result.reports)
            applied.matched += result.matched
    applied.reports.extend(_complete(tx, touched, now, finals))
    return applied


def _applied(segment: Segment, update: SegmentUpdate) -> Segment:
    """``segment`` as ``update`` leaves it."""
    return replace(
        segment,
        state=update.state,
        delivered=update.delivered,
        code=update.code,
        details=update.details,
    )


def options_carrier(outcomes: Sequence[Outcome]) -> str:
    return outcomes[0].segment.carrier


def _cancel_rest(tx: Tx, failed: dict[str, int], now: datetime) -> None:
    """A part the SMSC refused for good fails its message: parts not sent yet are dropped."""
    updates = [
        SegmentUpdate(
            s.id,
            "done",
            now,
            delivered=False,
            code=failed[s.message_id],
            details="not sent: another part of the message was refused",
        )
        for s in tx.smpp.segments_of(sorted(failed))
        if s.state == "queued"
    ]
    tx.smpp.update_segments(updates)


def apply_receipts(
    tx: Tx, carrier: str, receipts: Sequence[Receipt], now: datetime, *, bind: str | None = None
) -> Applied:
    """Match receipts (arrived now on ``bind``) to parts (exact id first, then hex/decimal
    readings of parts still waiting); unmatched ones wait in ``smpp_early_receipts``."""
    return _apply_receipts(tx, carrier, [history.arrived(r, bind, now) for r in receipts], now)


def _apply_receipts(
    tx: Tx, carrier: str, arrivals: Sequence[tuple[Receipt, Arrival]], now: datetime
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
        updates.append(_receipt_update(segment, r, now))
        events.append(history.receipt(segment, r, arrival))
        if r.final:
            finished.add(segment.id)
            touched.add(segment.message_id)
    repo.update_segments(updates)
    repo.add_early(early)
    tx.smpp_history.add(events)
    applied.early = len(early)
    applied.reports.extend(_complete(tx, touched, now, {}))
    return applied


def _receipted_parts(tx: Tx, carrier: str, receipts: Sequence[Receipt]) -> list[Segment]:
    """The carrier's parts any reading of the receipts' ids names, read again under the lock
    of their messages (when there is one to take)."""
    repo = tx.smpp
    wanted = {c for r in receipts for c in id_candidates(r.smsc_id)}
    found = repo.by_smsc_ids(carrier, sorted(wanted))
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


def _complete(
    tx: Tx, message_ids: set[str], now: datetime, finals: dict[str, Segment] | None = None
) -> list[PendingReport]:
    """Reports of the messages all of whose parts are done, written to the outbox.

    ``finals``: a part just finished in this transaction, by message; a one-part message
    found there needs no second read."""
    if not message_ids:
        return []
    reports: list[PendingReport] = []
    for message_id, segments in _parts_of(tx, message_ids, finals or {}).items():
        if any(s.state != "done" for s in segments):
            continue
        reports.append(_report(message_id, segments, now))
    tx.smpp.add_reports(reports)
    return reports


def _parts_of(tx: Tx, message_ids: set[str], known: dict[str, Segment]) -> dict[str, list[Segment]]:
    """The parts of each message: a one-part message in ``known`` as it is there, the others
    read from the store."""
    parts: dict[str, list[Segment]] = defaultdict(list)
    unknown = sorted(m for m in message_ids if m not in known or known[m].total != 1)
    for m in message_ids:
        if m in known and known[m].total == 1:
            parts[m].append(known[m])
    for s in tx.smpp.segments_of(unknown):
        parts[s.message_id].append(s)
    return parts


def _report(message_id: str, segments: list[Segment], now: datetime) -> PendingReport:
    """The delivery report of a message all of whose parts are done."""
    outcome = aggregate(
        [SegmentOutcome(bool(s.delivered), s.code or 0, s.details or "") for s in segments]
    )
    acs = segments[0].segments
    ok = sum(1 for s in segments if s.delivered)
    if len(segments) == acs:
        attempt = (now, ok, acs - ok)
    else:
        attempt = (now, acs if outcome.delivered else 0, 0 if outcome.delivered else acs)
    return PendingReport(
        message_id, outcome.delivered, outcome.code, outcome.details, now, (attempt,)
    )


def sweep_early(tx: Tx, carrier: str, now: datetime, limit: int = 500) -> Applied:
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
    return _apply_receipts(tx, carrier, [history.from_early(e) for e in ready], now)


def expire_unreceipted(tx: Tx, options: SmppOptions, carrier: str, now: datetime) -> Applied:
    """Parts whose receipt never came within ``receipt_timeout_seconds`` fail with 5002 (an
    SMSC that lost them, a receipt lost on the way)."""
    before = now - timedelta(seconds=options.receipt_timeout_seconds)
    stale = tx.smpp.unreceipted(carrier, before, 1000)
    if not stale:
        return Applied([])
    code = DeliveryCode.NO_CARRIER_REPORT
    tx.smpp.update_segments(
        [
            SegmentUpdate(
                s.id, "done", now, delivered=False, code=code, details=DeliveryCode.details(code)
            )
            for s in stale
        ]
    )
    return Applied(_complete(tx, {s.message_id for s in stale}, now))
