"""From queued to delivered: submitting to the carrier and applying its delivery reports.

A batch of ``sms.send`` jobs goes through the worker in two transactions::

    claim + prepare (one)          the jobs' lease and attempt, then (if a check raises,
                                   all of it rolls back and the attempt is counted apart):
                                   sender still ours and able to send?   no -> failed 4001
                                   recipient opted out?                   yes -> failed 4007
                                   room in this minute's window?          no -> deferred
    send: carrier.stage(batch)     receipts, or refusals (retryable -> retried later;
                                   no usable route -> retried until the unroutable deadline)
    record + settle (one)          the carrier's queueing (its staged writes), sent /
                                   failed, conversation counters; the jobs acked or
                                   retried; once committed, the carrier is told (woken)

A carrier that cannot stage (``StagingCarrier``) commits its own queueing in ``submit``,
before the settling transaction. Staged, a message is queued for the carrier exactly when it
is recorded sent: a settling transaction that fails queues nothing, and the retried job
hands the messages over again.

``DeliverySink`` (``delivery_sink.py``) is the ``CarrierSink`` carriers hand delivery reports
and inbound messages to. A report is applied once: the first final outcome wins and later
ones change nothing, so a carrier that reports twice, or a report racing
``deliveryReportTimeoutInSeconds``, is safe.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import anyio

from tidings.domain import throughput
from tidings.domain.events import Event, sms_delivery_report
from tidings.domain.messages import (
    SEND_JOB,
    CarrierReport,
    DeliveryAttempt,
    DeliveryCode,
    DeliveryStatus,
    FinalOutcome,
    Message,
    MessageOrigin,
    MessageStatus,
    OutboundSms,
    QueuedSms,
    ReportTarget,
    send_job_ids,
    send_job_payload,
)
from tidings.domain.numbers import PurchasedNumber
from tidings.errors import CarrierError, CarrierUnavailable
from tidings.ports import Carrier, DeliveryTx, Job, Staged, staging
from tidings.services.context import ServiceContext

log = logging.getLogger(__name__)

#: (message, delivered, code, when, attempts or None for a single failed attempt)
_Failure = tuple[
    Message | QueuedSms | ReportTarget, bool, int, datetime, tuple[DeliveryAttempt, ...] | None
]


@dataclass(frozen=True)
class JobOutcome:
    """What happened to a claimed job: ack it, retry it at ``retry_at``, or bury it."""

    job: Job
    retry_at: datetime | None = None
    error: str | None = None
    dead: bool = False
    payload: dict[str, Any] | None = None  # a retried job's new payload (fewer messages)


@dataclass(frozen=True)
class Settlement:
    """A handler's outcomes for its jobs, and what it has to write with them: the worker
    runs ``write`` in the transaction that settles the jobs, so both commit or neither."""

    outcomes: list[JobOutcome]
    write: Callable[[DeliveryTx], None] | None = None
    #: To call on the event loop once that transaction has committed (the carrier's
    #: ``Staged.done``: wake its sender).
    committed: Callable[[], None] | None = None


@dataclass
class Prepared:
    """Claimed send jobs, screened: what goes to the carrier."""

    now: datetime  # when they were claimed
    ready: list[tuple[Job, QueuedSms]] = field(default_factory=list)  # to hand the carrier
    active: list[Job] = field(default_factory=list)  # still claimed: their outcome is ours
    ids: dict[int, list[str]] = field(default_factory=dict)  # each active job's messages
    deferred: int = 0
    sender_types: dict[str, str] = field(default_factory=dict)  # for routes by number type


class DeliveryService:
    def __init__(
        self,
        ctx: ServiceContext[DeliveryTx],
        carrier: Carrier,
        *,
        max_attempts: int = 8,
        unroutable_deadline: timedelta = timedelta(hours=1),
        unroutable_retry: timedelta = timedelta(seconds=30),
    ) -> None:
        self._ctx = ctx
        self._carrier = carrier
        #: The carrier, if it queues what it takes in the transaction that records it sent.
        self._staging = staging(carrier)
        self._max_attempts = max_attempts
        #: How long a message with no usable route waits (``CarrierUnavailable``), counted
        #: from when it was due, and the longest pause between its tries.
        self._unroutable_deadline = unroutable_deadline
        self._unroutable_retry = unroutable_retry.total_seconds()

    def prepare(self, tx: DeliveryTx, jobs: list[Job], now: datetime) -> Prepared:
        """Screen the queued messages of claimed ``sms.send`` jobs, take their room in this
        minute's window, and move the ones without room to a job for the next (the worker
        runs it in the claim's transaction, so claiming and screening commit together)."""
        prepared = Prepared(now)
        ids = {job.id: send_job_ids(job.payload) for job in jobs}
        failures: list[_Failure] = []
        deferred: dict[int, list[str]] = defaultdict(list)
        for sender, items in _queued_by_sender(tx, jobs, ids).items():
            number, sendable = _screen(tx, sender, items, now, failures)
            if number is not None:
                prepared.sender_types[sender] = number.number_type.value
            granted = self._room(tx, sender, number, sendable, now)
            for job, message in sendable[granted:]:
                deferred[job.id].append(message.id)
            prepared.deferred += len(sendable) - granted
            prepared.ready.extend(sendable[:granted])
        _set_aside(tx, jobs, ids, deferred, now, prepared)
        self._finish_all(tx, failures)
        return prepared

    async def send(self, prepared: Prepared) -> Settlement:
        """Hand the prepared messages to the carrier; return each still active job's
        outcome (deferred jobs have none) and the write that records what the carrier said,
        for the transaction that settles the jobs.

        A job names one message or many (``send_job_ids``). It is acked once each of its
        messages is sent or failed; the ones the carrier refused for now stay in it, retried
        together later.
        """
        if not prepared.ready:
            return Settlement([JobOutcome(job) for job in prepared.active])
        now, types = prepared.now, prepared.sender_types
        batch = [
            OutboundSms(m.id, m.sender, m.recipient, m.body, m.segments, types.get(m.sender))
            for _, m in prepared.ready
        ]
        staged = (
            await self._staging.stage(batch)
            if self._staging is not None
            else Staged(await self._carrier.submit(batch))
        )
        answers = staged.answers
        sent: list[tuple[QueuedSms, str, str]] = []
        failed: list[tuple[QueuedSms, int]] = []
        retries: dict[int, list[str]] = defaultdict(list)
        errors: dict[int, str] = {}
        waiting: set[int] = set()  # jobs with messages that wait for a usable route
        for (job, message), answer in zip(prepared.ready, answers, strict=True):
            if not isinstance(answer, CarrierError):
                carrier = answer.carrier or self._carrier.name
                sent.append((message, answer.carrier_message_id, carrier))
            elif isinstance(answer, CarrierUnavailable):
                if self._may_wait(message, now):  # until the deadline, whatever the attempts
                    retries[job.id].append(message.id)
                    errors[job.id] = answer.message
                    waiting.add(job.id)
                else:
                    failed.append((message, _code(answer)))
            elif answer.retryable and job.attempts < self._max_attempts:
                retries[job.id].append(message.id)
                errors[job.id] = answer.message
            else:
                failed.append((message, _code(answer)))
        at = self._ctx.clock.now()
        outcomes: list[JobOutcome] = []
        for job in prepared.active:
            again = retries.get(job.id)
            if not again:
                outcomes.append(JobOutcome(job))
                continue
            cap = self._unroutable_retry if job.id in waiting else 300.0
            delay = timedelta(seconds=min(2.0 ** min(job.attempts, 16), cap))
            narrowed = len(again) < len(prepared.ids[job.id])
            outcomes.append(
                JobOutcome(
                    job,
                    retry_at=now + delay,
                    error=errors[job.id],
                    payload=send_job_payload(again) if narrowed else None,
                )
            )

        def write(tx: DeliveryTx) -> None:
            self._record(tx, sent, failed, at)
            staged.write(tx)  # after the sent marks: a carrier may finish messages there

        return Settlement(outcomes, write, staged.done if staged.committed else None)

    def _may_wait(self, message: QueuedSms, now: datetime) -> bool:
        due = message.scheduled_at or message.created_at
        return now < due + self._unroutable_deadline

    def _room(
        self,
        tx: DeliveryTx,
        sender: str,
        number: PurchasedNumber | None,
        sendable: list[tuple[Job, QueuedSms]],
        now: datetime,
    ) -> int:
        """How many of ``sendable`` this minute's window of the sender has room for."""
        limit = None if number is None else self._ctx.limits.get(number.number_type)
        if number is None or limit is None or not sendable:
            return len(sendable)
        key = throughput.limit_key(number.number_type, sender)
        return tx.rate_windows.take(key, limit, throughput.window_start(now), len(sendable))

    def _record(
        self,
        tx: DeliveryTx,
        sent: list[tuple[QueuedSms, str, str]],
        failed: list[tuple[QueuedSms, int]],
        at: datetime,
    ) -> None:
        tx.messages.mark_sent_many(
            [(m.id, cid, carrier) for m, cid, carrier in sent],
            at,
            [m.sent_target() for m, _, _ in sent],
        )
        self._finish_all(tx, [(m, False, code, at, None) for m, code in failed])
        tx.conversations.touch_many(Counter((m.sender, m.recipient) for m, _, _ in sent), at)

    def apply_reports(self, tx: DeliveryTx, reports: Sequence[CarrierReport]) -> int:
        """Record delivery reports and emit their events; return how many were new."""
        messages = tx.messages.report_targets([r.message_id for r in reports], lock=True)
        return self._finish_all(
            tx,
            [
                (messages[r.message_id], r.delivered, r.code, r.received_at, r.attempts)
                for r in reports
                if r.message_id in messages
            ],
            details={r.message_id: r.details for r in reports if r.details},
        )

    def _finish_all(
        self, tx: DeliveryTx, items: list[_Failure], details: dict[str, str] | None = None
    ) -> int:
        """Give messages their final status and emit their delivery report events.

        The first final outcome wins: messages already final (or twice in ``items``) are
        left as they are. Callers load the messages with ``lock=True`` in the same
        transaction, so no other transaction finishes them meanwhile.
        """
        outcomes: list[FinalOutcome] = []
        events: list[Event] = []
        seen: set[str] = set()
        now = self._ctx.clock.now()
        for message, delivered, code, at, attempts in items:
            if message.status.is_final or message.id in seen:
                continue
            seen.add(message.id)
            attempts = attempts or (DeliveryAttempt(at, 0, message.segments),)
            status = MessageStatus.DELIVERED if delivered else MessageStatus.FAILED
            outcomes.append(
                FinalOutcome(message.id, status, code, at, attempts, message.created_at)
            )
            if message.enable_delivery_report:
                events.append(
                    sms_delivery_report(
                        message_id=message.id,
                        sender=message.sender,
                        recipient=message.recipient,
                        status=DeliveryStatus.DELIVERED if delivered else DeliveryStatus.FAILED,
                        details=(details or {}).get(message.id) or DeliveryCode.details(code),
                        attempts=attempts,
                        received_at=at,
                        tag=message.tag,
                        topic=self._ctx.topic,
                        pascal=self._ctx.pascal_events,
                        now=now,
                    )
                )
        tx.messages.finish_many(outcomes)
        tx.events.append_many(events)
        return len(outcomes)

    async def run_timeouts(self, jobs: list[Job]) -> list[JobOutcome]:
        """``deliveryReportTimeoutInSeconds`` ran out with no report: fail with 5002."""
        now = self._ctx.clock.now()

        def expire_all(tx: DeliveryTx) -> None:
            ids = [str(job.payload["messageId"]) for job in jobs]
            messages = tx.messages.get_many(ids, lock=True)
            code = DeliveryCode.NO_CARRIER_REPORT
            self._finish_all(tx, [(m, False, code, now, None) for m in messages.values()])

        await anyio.to_thread.run_sync(lambda: self._ctx.store.write(expire_all))
        return [JobOutcome(job) for job in jobs]


def _queued_by_sender(
    tx: DeliveryTx, jobs: list[Job], ids: dict[int, list[str]]
) -> dict[str, list[tuple[Job, QueuedSms]]]:
    """The jobs' messages still queued (locked), by sender; the others were handled by an
    earlier attempt."""
    messages = tx.messages.queued([i for job in jobs for i in ids[job.id]], lock=True)
    by_sender: dict[str, list[tuple[Job, QueuedSms]]] = defaultdict(list)
    for job in jobs:
        for message_id in ids[job.id]:
            message = messages.get(message_id)
            if message is not None:
                by_sender[message.sender].append((job, message))
    return by_sender


def _screen(
    tx: DeliveryTx,
    sender: str,
    items: list[tuple[Job, QueuedSms]],
    now: datetime,
    failures: list[_Failure],
) -> tuple[PurchasedNumber | None, list[tuple[Job, QueuedSms]]]:
    """The sender's number and its messages that may go; the others join ``failures``: the
    sender is no longer ours or cannot send (4001), or the recipient opted out (4007)."""
    number = tx.numbers.get(sender)
    if number is None or not number.capabilities.sms.can_send:
        failures.extend((m, False, DeliveryCode.INVALID_FROM, now, None) for _, m in items)
        return None, []
    blocked = tx.optouts.opted_out(sender, [m.recipient for _, m in items])
    sendable: list[tuple[Job, QueuedSms]] = []
    for job, message in items:
        if message.partner != number.partner:
            # The number changed hands (released, or now leased through another
            # Messaging Connect partner) since the message was accepted.
            failures.append((message, False, DeliveryCode.INVALID_FROM, now, None))
        # Keyword auto-replies (the opt-out confirmation itself) are exempt.
        elif message.recipient in blocked and message.origin is not MessageOrigin.AUTO_REPLY:
            failures.append((message, False, DeliveryCode.OPTED_OUT, now, None))
        else:
            sendable.append((job, message))
    return number, sendable


def _set_aside(
    tx: DeliveryTx,
    jobs: list[Job],
    ids: dict[int, list[str]],
    deferred: dict[int, list[str]],
    now: datetime,
    prepared: Prepared,
) -> None:
    """Defer the messages without room to the next window: a job of only such messages
    waits as it is; a job with others goes on with them, the deferred ones moving to a job
    of their own in this transaction, so no message is ever in two jobs."""
    until = throughput.window_start(now) + throughput.WINDOW
    for job in jobs:
        later = deferred.get(job.id, [])
        skip = set(later)
        rest = [i for i in ids[job.id] if i not in skip]
        if later and not rest:
            tx.jobs.defer(job.id, until)
            continue
        if later:
            tx.jobs.enqueue(SEND_JOB, send_job_payload(later), until, now=now)
            tx.jobs.update_payload(job.id, send_job_payload(rest))
        prepared.active.append(job)
        prepared.ids[job.id] = rest


def _code(exc: CarrierError) -> int:
    try:
        return int(exc.code)
    except ValueError:
        return DeliveryCode.FAILED
