"""The SMPP connector's transactions: queueing parts and applying submit_sm_resp outcomes
(recording each in ``smpp_history``, ``history.py``); receipts are ``receipt_ledger.py``'s,
the report outbox towards the ``CarrierSink`` ``completion.py``'s, MO messages ``mo.py``'s.

Each function runs inside one ``Store.write`` transaction. A message's delivery report is
handed on (``deliver``) in the same transaction as the outcome of its last part: applied by
the sink right there when it can (``TransactionalSink``), or written to ``smpp_reports`` and
handed to the sink afterwards (``flush``): a crash in between leaves the row, which the next
``run_due`` hands over again (the sink applies a report once, so that is safe).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from tidings.carriers.smpp import history, receipt_ledger
from tidings.carriers.smpp.completion import Applied, Deliver, applied_to, complete, outbox
from tidings.carriers.smpp.mo import MoItem, assemble, store_mo
from tidings.carriers.smpp.receipt_ledger import apply_receipts, sweep_early
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
    id_candidates,
    normalize_id,
)
from tidings.ports import Tx
from tidings.ports.smpp import (
    NewSegment,
    PartEvent,
    Segment,
    SegmentUpdate,
)

__all__ = [  # receipts, reports and MO live apart; the bind's modules find them here
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


@dataclass(frozen=True)
class Outcome:
    """What became of one submit_sm: its verdict, command_status and the SMSC's id."""

    segment: Segment
    verdict: SubmitVerdict
    status: int = 0
    smsc_id: str | None = None
    throttle_seconds: float = 1.0


def apply_outcomes(
    tx: Tx,
    options: SmppOptions,
    outcomes: Sequence[Outcome],
    now: datetime,
    deliver: Deliver = outbox,
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
            finals[s.message_id] = applied_to(s, done)
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
            arrivals = [history.from_early(e) for e in early]
            result = receipt_ledger.apply_arrivals(
                tx, options_carrier(outcomes), arrivals, now, deliver
            )
            repo.delete_early([e.id for e in early])
            applied.reports.extend(result.reports)
            applied.matched += result.matched
    applied.reports.extend(complete(tx, touched, now, finals, deliver))
    return applied


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


def expire_unreceipted(
    tx: Tx, options: SmppOptions, carrier: str, now: datetime, deliver: Deliver = outbox
) -> Applied:
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
    return Applied(complete(tx, {s.message_id for s in stale}, now, None, deliver))
