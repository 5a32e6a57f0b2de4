"""Hands reports and inbound messages to the ``CarrierSink``.

A report goes to the sink inside the transaction that finished its message when the sink
takes it so (a ``TransactionalSink``, as the server's is: one commit for the parts, the
message's final state and its event); so does an MO message, inside the transaction that
received it (or its last part). Otherwise it goes through ``smpp_reports``: a report
row is deleted lazily: the ids the sink has taken are deleted by the next transaction of
this carrier (a bind's, or ``run_due``'s), which saves a commit per batch. A
crash before that leaves rows the next ``run_due`` hands over again: the sink applies a
report once, so that is harmless. Inbound rows are deleted at once (a repeated inbound
message would be a second message).
"""

from __future__ import annotations

from collections.abc import Sequence

from tidings.carriers.smpp import ledger
from tidings.carriers.smpp.completion import outbox
from tidings.carriers.smpp.mo import inbox
from tidings.domain.messages import CarrierInbound, CarrierReport, DeliveryAttempt
from tidings.ports import CarrierSink, Store, TransactionalSink, Tx, transactional
from tidings.ports.smpp import PendingInbound, PendingReport


class SinkRelay:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._sink: CarrierSink | None = None
        self._in_tx: TransactionalSink | None = None
        self._delivered: list[str] = []

    @property
    def sink(self) -> CarrierSink | None:
        return self._sink

    @sink.setter
    def sink(self, sink: CarrierSink | None) -> None:
        self._sink, self._in_tx = sink, transactional(sink)

    def deliver(self, tx: Tx, reports: list[PendingReport]) -> list[PendingReport]:
        """Hand ``tx``'s reports on (a ``completion.Deliver``): to the sink inside ``tx``
        when it can take them so, else to the outbox (returned, for ``flush``)."""
        if self._in_tx is not None:
            self._in_tx.apply_reports(tx, [_report(r) for r in reports])
            return []
        return outbox(tx, reports)

    def keep(self, tx: Tx, items: list[PendingInbound]) -> list[PendingInbound]:
        """Hand ``tx``'s whole MO messages on (an ``mo.Keep``): to the sink inside ``tx``
        when it can take them so, else to the outbox (returned, for ``flush``)."""
        if self._in_tx is not None:
            for i in items:
                self._in_tx.receive_in(tx, _inbound(i))
            return []
        return inbox(tx, items)

    def delete_delivered(self, tx: Tx) -> None:
        """Delete the report rows the sink has taken (call inside another transaction)."""
        if self._delivered:
            done, self._delivered = self._delivered, []
            tx.smpp.delete_reports(done)

    async def flush(self, applied: ledger.Applied | None, inbound: Sequence[object]) -> None:
        sink = self.sink
        if sink is None:
            return  # run_due hands them over once a sink is there
        reports = applied.reports if applied else []
        if reports:
            await sink.delivery_reports([_report(r) for r in reports])
            self._delivered.extend(r.message_id for r in reports)
        items = [i for i in inbound if isinstance(i, PendingInbound)]
        for item in items:
            await sink.inbound(_inbound(item))
        if items:
            done = [i.id for i in items]

            def delete(tx: Tx) -> None:
                tx.smpp.delete_inbound(done)
                self.delete_delivered(tx)

            await self._store.write_async(delete)


def _report(r: PendingReport) -> CarrierReport:
    return CarrierReport(
        r.message_id,
        r.delivered,
        r.code,
        r.at,
        tuple(DeliveryAttempt(at, ok, bad) for at, ok, bad in r.attempts),
        details=r.details,
    )


def _inbound(i: PendingInbound) -> CarrierInbound:
    return CarrierInbound(i.sender, i.recipient, i.body, i.received_at, i.segments)
