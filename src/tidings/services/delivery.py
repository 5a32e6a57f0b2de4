"""From queued to delivered: submitting to the carrier and applying its delivery reports.

``submit_due`` is the worker's step for ``sms.send`` jobs; ``DeliverySink`` is the
``CarrierSink`` a carrier hands its delivery reports (and, through ``InboundService``, its
inbound messages) to. A report is applied once: the first final outcome wins, later ones are
ignored, so a carrier that reports twice or a timeout racing a late report change nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import anyio

from tidings.domain.events import sms_delivery_report
from tidings.domain.messages import (
    CarrierInbound,
    CarrierReport,
    DeliveryAttempt,
    DeliveryCode,
    DeliveryStatus,
    MessageStatus,
    OutboundSms,
)
from tidings.errors import CarrierError
from tidings.ports import Carrier, Job, Tx
from tidings.services.context import ServiceContext
from tidings.services.inbound import InboundService
from tidings.services.sms import REPORT_TIMEOUT_JOB, SEND_JOB

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobOutcome:
    """What happened to a claimed job: ack it, retry it at ``retry_at``, or bury it."""

    job: Job
    retry_at: datetime | None = None
    error: str | None = None
    dead: bool = False


class DeliveryService:
    def __init__(self, ctx: ServiceContext, carrier: Carrier, *, max_attempts: int = 8) -> None:
        self._ctx = ctx
        self._carrier = carrier
        self._max_attempts = max_attempts

    async def submit(self, jobs: list[Job]) -> list[JobOutcome]:
        """Submit the messages of claimed ``sms.send`` jobs; record what the carrier said."""
        ids = [str(job.payload["messageId"]) for job in jobs]
        messages = await anyio.to_thread.run_sync(
            lambda: self._ctx.store.read(lambda tx: {i: tx.messages.get(i) for i in ids})
        )
        outcomes: list[JobOutcome] = []
        sent: list[tuple[str, str]] = []
        failed: list[tuple[str, int]] = []
        for job, message_id in zip(jobs, ids, strict=True):
            message = messages.get(message_id)
            if message is None or message.status is not MessageStatus.QUEUED:
                outcomes.append(JobOutcome(job))  # already done (a retried job); just ack
                continue
            outbound = OutboundSms(
                message.id, message.sender, message.recipient, message.body, message.segments
            )
            try:
                receipt = await self._carrier.submit(outbound)
            except CarrierError as exc:
                if exc.retryable and job.attempts < self._max_attempts:
                    delay = min(2.0**job.attempts, 300.0)
                    retry_at = self._ctx.clock.now() + timedelta(seconds=delay)
                    outcomes.append(JobOutcome(job, retry_at=retry_at, error=exc.message))
                    continue
                failed.append((message_id, _code(exc)))
                outcomes.append(JobOutcome(job))
                continue
            sent.append((message_id, receipt.carrier_message_id))
            outcomes.append(JobOutcome(job))
        now = self._ctx.clock.now()

        def record(tx: Tx) -> None:
            for message_id, carrier_id in sent:
                tx.messages.mark_sent(message_id, now, carrier_id)
            for message_id, code in failed:
                self._finish(tx, message_id, False, code, now, None)

        if sent or failed:
            await anyio.to_thread.run_sync(lambda: self._ctx.store.write(record))
        return outcomes

    def apply_report(self, tx: Tx, report: CarrierReport) -> bool:
        """Record a delivery report and emit its event; False if the message already had one."""
        return self._finish(
            tx,
            report.message_id,
            report.delivered,
            report.code,
            report.received_at,
            report.attempts,
        )

    def expire(self, tx: Tx, message_id: str) -> bool:
        """``deliveryReportTimeoutInSeconds`` ran out with no report: fail with 5002."""
        return self._finish(
            tx, message_id, False, DeliveryCode.NO_CARRIER_REPORT, self._ctx.clock.now(), None
        )

    def _finish(
        self,
        tx: Tx,
        message_id: str,
        delivered: bool,
        code: int,
        at: datetime,
        attempts: tuple[DeliveryAttempt, ...] | None,
    ) -> bool:
        message = tx.messages.get(message_id)
        if message is None or message.status.is_final:
            return False
        if attempts is None:
            attempts = (DeliveryAttempt(at, 0, message.segments),)
        status = MessageStatus.DELIVERED if delivered else MessageStatus.FAILED
        if not tx.messages.finish(message_id, status=status, code=code, at=at, attempts=attempts):
            return False
        if message.enable_delivery_report:
            now = self._ctx.clock.now()
            tx.events.append(
                sms_delivery_report(
                    message_id=message.id,
                    sender=message.sender,
                    recipient=message.recipient,
                    status=DeliveryStatus.DELIVERED if delivered else DeliveryStatus.FAILED,
                    details=DeliveryCode.details(code),
                    attempts=attempts,
                    received_at=at,
                    tag=message.tag,
                    topic=self._ctx.topic,
                    pascal=self._ctx.pascal_events,
                    now=now,
                )
            )
        return True

    async def run_timeouts(self, jobs: list[Job]) -> list[JobOutcome]:
        def expire_all(tx: Tx) -> None:
            for job in jobs:
                self.expire(tx, str(job.payload["messageId"]))

        await anyio.to_thread.run_sync(lambda: self._ctx.store.write(expire_all))
        return [JobOutcome(job) for job in jobs]


def _code(exc: CarrierError) -> int:
    try:
        return int(exc.code)
    except ValueError:
        return DeliveryCode.FAILED


class DeliverySink:
    """The ``CarrierSink`` that persists what carriers hand back."""

    def __init__(self, ctx: ServiceContext, delivery: DeliveryService, inbound: InboundService):
        self._ctx = ctx
        self._delivery = delivery
        self._inbound = inbound

    async def delivery_report(self, report: CarrierReport) -> None:
        await anyio.to_thread.run_sync(
            lambda: self._ctx.store.write(lambda tx: self._delivery.apply_report(tx, report))
        )

    async def inbound(self, message: CarrierInbound) -> None:
        await anyio.to_thread.run_sync(lambda: self._inbound.receive(message))


JOB_KINDS = (SEND_JOB, REPORT_TIMEOUT_JOB)
