"""``DeliverySink``: where carriers hand delivery reports and inbound messages, persisted by
the delivery and inbound services (in the carrier's own transaction when it can)."""

from __future__ import annotations

from collections.abc import Sequence

import anyio

from tidings.domain.messages import CarrierInbound, CarrierReport
from tidings.ports import DeliveryTx
from tidings.services.context import ServiceContext
from tidings.services.delivery import DeliveryService
from tidings.services.inbound import InboundService


class DeliverySink:
    """The ``CarrierSink`` (a ``TransactionalSink``) that persists what carriers hand back."""

    def __init__(
        self, ctx: ServiceContext[DeliveryTx], delivery: DeliveryService, inbound: InboundService
    ):
        self._ctx = ctx
        self._delivery = delivery
        self._inbound = inbound

    async def delivery_reports(self, reports: Sequence[CarrierReport]) -> None:
        if reports:
            await anyio.to_thread.run_sync(
                lambda: self._ctx.store.write(lambda tx: self.apply_reports(tx, reports))
            )

    def apply_reports(self, tx: DeliveryTx, reports: Sequence[CarrierReport]) -> int:
        """The reports recorded in the carrier's own transaction (a ``TransactionalSink``)."""
        return self._delivery.apply_reports(tx, reports)

    def receive_in(self, tx: DeliveryTx, message: CarrierInbound) -> None:
        """An inbound message recorded in the carrier's own transaction."""
        self._inbound.receive_in(tx, message)

    async def inbound(self, message: CarrierInbound) -> None:
        await anyio.to_thread.run_sync(lambda: self._inbound.receive(message))
