"""A ``CarrierSink`` that also takes reports and inbound messages inside the carrier's own
transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from tidings.domain.messages import CarrierInbound, CarrierReport
from tidings.ports.carriers import CarrierSink
from tidings.ports.tx import DeliveryTx


@runtime_checkable
class TransactionalSink(CarrierSink, Protocol):
    """``apply_reports`` records reports (final states and their events) in ``tx``, the
    transaction in which the carrier learnt the outcome, and ``receive_in`` an inbound
    message: one commit for both, and nothing to hand over afterwards. A carrier uses them
    when its sink has them (``isinstance``), and the asynchronous ``delivery_reports`` and
    ``inbound`` otherwise. A report for a message already final is ignored, so applying
    one twice is harmless."""

    def apply_reports(self, tx: DeliveryTx, reports: Sequence[CarrierReport]) -> int: ...

    def receive_in(self, tx: DeliveryTx, message: CarrierInbound) -> None:
        """Record an inbound message in ``tx`` (``inbound``'s work, in the caller's
        transaction: an SMSC's ``deliver_sm`` is answered once it is committed)."""
        ...


def transactional(sink: CarrierSink | None) -> TransactionalSink | None:
    """``sink`` when it takes work inside the caller's transaction (checked once, when a
    carrier is given its sink: a protocol ``isinstance`` is not free)."""
    return sink if isinstance(sink, TransactionalSink) else None
