"""A ``CarrierSink`` that also takes delivery reports inside the carrier's own transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from tidings.domain.messages import CarrierReport
from tidings.ports.carriers import CarrierSink
from tidings.ports.tx import DeliveryTx


@runtime_checkable
class TransactionalSink(CarrierSink, Protocol):
    """``apply_reports`` records reports (final states and their events) in ``tx``, the
    transaction in which the carrier learnt the outcome: one commit for both, and nothing
    to hand over afterwards. A carrier uses it when its sink has it (``isinstance``), and
    the asynchronous ``delivery_reports`` otherwise. A report for a message already final
    is ignored, so applying one twice is harmless."""

    def apply_reports(self, tx: DeliveryTx, reports: Sequence[CarrierReport]) -> int: ...
