"""Sending SMS: validate, dedupe by repeatability id, schedule within throughput limits.

One call of ``send`` is one transaction: every accepted recipient gets a stored message and
a durable ``sms.send`` job before the API answers 202; nothing is written for a request
that fails as a whole.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from tidings.domain import throughput
from tidings.domain.encoding import analyze
from tidings.domain.events import sms_delivery_report
from tidings.domain.ids import outgoing_message_id
from tidings.domain.messages import (
    DeliveryAttempt,
    DeliveryCode,
    DeliveryStatus,
    Direction,
    Message,
    MessageOrigin,
    MessageStatus,
)
from tidings.domain.phone import parse_e164, parse_sender
from tidings.domain.timefmt import parse_rfc1123
from tidings.errors import Conflict, InvalidInput, Unauthenticated
from tidings.ports import Tx
from tidings.services.context import ServiceContext

MAX_MESSAGE_LENGTH = 2048
MAX_RECIPIENTS = 100
SEND_JOB = "sms.send"
REPORT_TIMEOUT_JOB = "sms.report_timeout"
INVALID_TO = "Invalid To phone number format."
INVALID_FIRST_SENT = (
    "Request sent with Invalid DateTime value for repeatability-first-sent. "
    "Expected is DateTime ,RFC1123 pattern."
)


@dataclass(frozen=True)
class Recipient:
    to: str
    repeatability_request_id: str | None = None
    repeatability_first_sent: str | None = None


@dataclass(frozen=True)
class SendRequest:
    sender: str
    recipients: list[Recipient]
    message: str
    enable_delivery_report: bool = False
    tag: str | None = None
    report_timeout_seconds: int | None = None
    origin: MessageOrigin = MessageOrigin.API


@dataclass(frozen=True)
class RecipientResult:
    to: str
    http_status_code: int
    successful: bool
    message_id: str | None = None
    error_message: str | None = None
    repeatability_result: str | None = None


def _validate(request: SendRequest) -> str:
    if len(request.message) > MAX_MESSAGE_LENGTH:
        raise InvalidInput(
            f"The message is {len(request.message)} characters long; the limit is "
            f"{MAX_MESSAGE_LENGTH}.",
            code="MessageTooLong",
            target="message",
        )
    if not request.recipients:
        raise InvalidInput("At least one recipient is required.", target="smsRecipients")
    if len(request.recipients) > MAX_RECIPIENTS:
        raise InvalidInput(
            f"{len(request.recipients)} recipients given; at most {MAX_RECIPIENTS} are allowed.",
            target="smsRecipients",
        )
    if request.report_timeout_seconds is not None and not (
        60 <= request.report_timeout_seconds <= 43200
    ):
        raise InvalidInput(
            "deliveryReportTimeoutInSeconds must be between 60 and 43200.",
            target="smsSendOptions.deliveryReportTimeoutInSeconds",
        )
    sender = parse_sender(request.sender)
    if sender is None:
        raise InvalidInput("from is not a valid number", target="from")
    return sender.value


class SmsService:
    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx

    def send(self, request: SendRequest) -> list[RecipientResult]:
        """Accept a send request; see the module docstring.

        Raises:
            InvalidInput: the request as a whole is malformed.
            Unauthenticated: the resource does not own ``from`` or may not send from it (ACS
                answers 401 for both).
        """
        sender = _validate(request)
        now = self._ctx.clock.now()
        try:
            return self._ctx.store.write(lambda tx: self._send(tx, request, sender, now))
        except Conflict:
            # A concurrent request took one of our repeatability ids: run again to see it.
            return self._ctx.store.write(lambda tx: self._send(tx, request, sender, now))

    def _send(
        self, tx: Tx, request: SendRequest, sender: str, now: datetime
    ) -> list[RecipientResult]:
        number = tx.numbers.get(sender)
        if number is None:
            raise Unauthenticated(
                f"The number {sender} is not provisioned for this resource.", code="Unauthorized"
            )
        if not number.capabilities.sms.can_send:
            raise Unauthenticated(
                f"The number {sender} is not enabled to send SMS "
                f"(sms capability: {number.capabilities.sms.value}).",
                code="Unauthorized",
            )
        info = analyze(request.message)
        results: list[RecipientResult | None] = [None] * len(request.recipients)
        seen = tx.messages.by_repeatability(
            [r.repeatability_request_id for r in request.recipients if r.repeatability_request_id]
        )
        accepted: list[tuple[int, str, str | None]] = []  # (index, e164, repeatability id)
        claimed_ids: set[str] = set()
        for index, recipient in enumerate(request.recipients):
            rid = recipient.repeatability_request_id
            if rid and (rid in seen or rid in claimed_ids):
                prior = seen.get(rid)
                results[index] = RecipientResult(
                    to=recipient.to,
                    http_status_code=202,
                    successful=True,
                    message_id=prior.id if prior else None,
                    repeatability_result="accepted",
                )
                continue
            if recipient.repeatability_first_sent is not None:
                try:
                    parse_rfc1123(recipient.repeatability_first_sent)
                except ValueError:
                    results[index] = RecipientResult(
                        recipient.to, 400, False, None, INVALID_FIRST_SENT, "rejected"
                    )
                    continue
            e164 = parse_e164(recipient.to)
            if e164 is None:
                results[index] = RecipientResult(recipient.to, 400, False, None, INVALID_TO)
                continue
            if rid:
                claimed_ids.add(rid)
            accepted.append((index, e164, rid))

        blocked = tx.optouts.opted_out(sender, [e for _, e, _ in accepted])
        sendable = [a for a in accepted if a[1] not in blocked]
        number_type = number.number_type
        slots = tx.rate_windows.reserve(
            throughput.limit_key(number_type, sender),
            throughput.LIMITS_PER_MINUTE[number_type],
            throughput.window_start(now),
            len(sendable),
            throughput.WINDOW,
        )
        slot_of = {a[0]: max(now, slot) for a, slot in zip(sendable, slots, strict=True)}

        rows: list[tuple[Message, str | None]] = []
        jobs: list[tuple[str, dict[str, Any], datetime]] = []
        for index, e164, rid in accepted:
            message = Message(
                id=outgoing_message_id(now),
                direction=Direction.OUTBOUND,
                status=MessageStatus.QUEUED,
                sender=sender,
                recipient=e164,
                body=request.message,
                segments=info.segment_count,
                encoding=info.encoding.value,
                tag=request.tag,
                enable_delivery_report=request.enable_delivery_report,
                origin=request.origin,
                created_at=now,
                scheduled_at=slot_of.get(index),
                report_timeout_seconds=request.report_timeout_seconds,
                conversation_id=tx.conversations.touch(sender, e164, now),
            )
            if e164 in blocked:
                message = self._blocked(tx, message, now)
            else:
                jobs.append((SEND_JOB, {"messageId": message.id}, slot_of[index]))
                if request.report_timeout_seconds and request.enable_delivery_report:
                    due = slot_of[index] + timedelta(seconds=request.report_timeout_seconds)
                    jobs.append((REPORT_TIMEOUT_JOB, {"messageId": message.id}, due))
            rows.append((message, rid))
            results[index] = RecipientResult(
                to=request.recipients[index].to,
                http_status_code=202,
                successful=True,
                message_id=message.id,
                repeatability_result="accepted" if rid else None,
            )
        tx.messages.add_many(rows)
        tx.jobs.enqueue_many(jobs, now=now)
        return [r for r in results if r is not None]

    def _blocked(self, tx: Tx, message: Message, now: datetime) -> Message:
        """An opted-out recipient: fail at once with 4007 and never reach the carrier."""
        attempts = (DeliveryAttempt(now, 0, message.segments),)
        failed = replace(
            message,
            status=MessageStatus.FAILED,
            final_at=now,
            delivery_code=DeliveryCode.OPTED_OUT,
            attempts=attempts,
        )
        if message.enable_delivery_report:
            tx.events.append(
                sms_delivery_report(
                    message_id=message.id,
                    sender=message.sender,
                    recipient=message.recipient,
                    status=DeliveryStatus.FAILED,
                    details=DeliveryCode.details(DeliveryCode.OPTED_OUT),
                    attempts=attempts,
                    received_at=now,
                    tag=message.tag,
                    topic=self._ctx.topic,
                    pascal=self._ctx.pascal_events,
                    now=now,
                )
            )
        return failed
