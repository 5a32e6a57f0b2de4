"""A message's parts all done: its delivery report, aggregated over them, handed on in the
transaction that finished the last part: to the sink inside that transaction when it takes
reports so (``relay.SinkRelay.deliver``), else into the outbox (``smpp_reports``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from tidings.domain.smpp_receipts import SegmentOutcome, aggregate
from tidings.ports import Tx
from tidings.ports.smpp import PendingReport, Segment, SegmentUpdate

#: Hands a transaction's reports on; returns those left in the outbox for after the commit.
Deliver = Callable[[Tx, list[PendingReport]], list[PendingReport]]


def outbox(tx: Tx, reports: list[PendingReport]) -> list[PendingReport]:
    """The reports into ``smpp_reports``, for the sink after the commit (``SinkRelay.flush``)."""
    tx.smpp.add_reports(reports)
    return reports


@dataclass
class Applied:
    reports: list[PendingReport]
    matched: int = 0
    early: int = 0


def complete(
    tx: Tx,
    message_ids: set[str],
    now: datetime,
    finals: dict[str, Segment] | None = None,
    deliver: Deliver = outbox,
) -> list[PendingReport]:
    """Reports of the messages all of whose parts are done, handed to ``deliver``; those it
    left for after the commit are returned.

    ``finals``: a part just finished in this transaction, by message; a one-part message
    found there needs no second read."""
    if not message_ids:
        return []
    reports: list[PendingReport] = []
    for message_id, segments in parts_of(tx, message_ids, finals or {}).items():
        if any(s.state != "done" for s in segments):
            continue
        reports.append(report(message_id, segments, now))
    return deliver(tx, reports) if reports else []


def applied_to(segment: Segment, update: SegmentUpdate) -> Segment:
    """``segment`` as ``update`` leaves it."""
    return replace(
        segment,
        state=update.state,
        delivered=update.delivered,
        code=update.code,
        details=update.details,
        receipt_state=update.receipt_state or segment.receipt_state,
    )


def parts_of(tx: Tx, message_ids: set[str], known: dict[str, Segment]) -> dict[str, list[Segment]]:
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


def report(message_id: str, segments: list[Segment], now: datetime) -> PendingReport:
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
