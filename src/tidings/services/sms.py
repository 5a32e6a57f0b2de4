"""Accepting SMS: validate, dedupe by repeatability id, store durably, answer per recipient.

Accepting is kept to what must happen before the 202: the request is validated as a whole,
each recipient on its own, and every accepted recipient's message and ``sms.send`` job are
committed in one transaction (group-committed with concurrent requests on the API path).
Nothing is written for a request that fails as a whole. Throughput limits and the opt-out
list are applied when the worker sends (``services/delivery.py``), as ACS reports opted-out
recipients through a failed delivery report rather than in the send response.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import anyio

from tidings.domain.conversations import conversation_id
from tidings.domain.encoding import analyze
from tidings.domain.ids import outgoing_message_id
from tidings.domain.messages import (
    Direction,
    Message,
    MessageOrigin,
    MessageStatus,
    OutboundBatch,
)
from tidings.domain.numbers import PurchasedNumber
from tidings.domain.partners import Partner, PartnerRoute
from tidings.domain.phone import is_phone_like, parse_e164, parse_sender
from tidings.domain.timefmt import parse_rfc1123
from tidings.errors import InvalidInput, Unauthenticated, ValidationFailed
from tidings.ports import SmsTx
from tidings.services.context import ServiceContext
from tidings.services.singleflight import SingleFlight

MAX_MESSAGE_LENGTH = 2048
MAX_RECIPIENTS = 100
REPORT_TIMEOUT_JOB = "sms.report_timeout"
SENDER_CACHE_SECONDS = 1.0
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
    messaging_connect: PartnerRoute | None = None


@dataclass(frozen=True)
class RecipientResult:
    to: str
    http_status_code: int
    successful: bool
    message_id: str | None = None
    error_message: str | None = None
    repeatability_result: str | None = None


def _validate(request: SendRequest) -> str:
    """The request as a whole, as the 2026-01-23 API validates it (ASP.NET validation
    problem details, field names as ACS's models spell them); then the sender."""
    errors: dict[str, list[str]] = {}
    if len(request.message) > MAX_MESSAGE_LENGTH:
        errors["Message"] = [
            "The field Message must be a string or array type with a maximum length of "
            f"'{MAX_MESSAGE_LENGTH}'."
        ]
    if not request.recipients:
        errors["SmsRecipients"] = [
            "The field SmsRecipients must be a string or array type with a minimum length of '1'."
        ]
    elif len(request.recipients) > MAX_RECIPIENTS:
        errors["SmsRecipients"] = [
            f"Max of {MAX_RECIPIENTS} phone numbers are allowed in the To field."
        ]
    for index, recipient in enumerate(request.recipients[:MAX_RECIPIENTS]):
        if not is_phone_like(recipient.to):
            errors[f"SmsRecipients[{index}].To"] = [
                f"The To field must be a phone number in E.164 format; got {recipient.to!r}."
            ]
    if request.report_timeout_seconds is not None and not (
        60 <= request.report_timeout_seconds <= 43200
    ):
        errors["SmsSendOptions.DeliveryReportTimeoutInSeconds"] = [
            "The field DeliveryReportTimeoutInSeconds must be between 60 and 43200."
        ]
    if errors:
        raise ValidationFailed(errors)
    sender = parse_sender(request.sender)
    if sender is None:
        raise InvalidInput("from is not a valid number", target="from")
    return sender.value


def _check_sender(
    sender: str,
    number: PurchasedNumber | None,
    route: PartnerRoute | None = None,
    partner: Partner | None = None,
) -> None:
    """ACS answers 401 for a ``from`` the resource may not send from; with Messaging
    Connect the partner must exist (400), accept the API key and lease the number (401)."""
    if route is not None:
        number = _check_partner(sender, number, route, partner)
    elif number is None:
        raise Unauthenticated(
            f"The number {sender} is not provisioned for this resource.", code="Unauthorized"
        )
    elif number.partner is not None:
        raise Unauthenticated(
            f"The number {sender} is leased through the Messaging Connect partner "
            f"{number.partner!r}: send from it with smsSendOptions.messagingConnect.",
            code="Unauthorized",
        )
    if not number.capabilities.sms.can_send:
        raise Unauthenticated(
            f"The number {sender} is not enabled to send SMS "
            f"(sms capability: {number.capabilities.sms.value}).",
            code="Unauthorized",
        )


def _check_partner(
    sender: str, number: PurchasedNumber | None, route: PartnerRoute, partner: Partner | None
) -> PurchasedNumber:
    if partner is None:
        raise InvalidInput(
            f"Messaging Connect partner {route.partner!r} is not configured on this resource.",
            code="InvalidMessagingConnectPartner",
            target="smsSendOptions.messagingConnect.partner",
        )
    if not partner.accepts(route.api_key):
        raise Unauthenticated(
            f"The Messaging Connect partner {partner.name!r} did not accept the apiKey in "
            "partnerParams.",
            code="Unauthorized",
        )
    if number is None or number.partner != partner.name:
        raise Unauthenticated(
            f"The number {sender} is not leased through the Messaging Connect partner "
            f"{partner.name!r}.",
            code="Unauthorized",
        )
    return number


def _lookup(
    tx: SmsTx, sender: str, request: SendRequest
) -> tuple[PurchasedNumber | None, PartnerRoute | None, Partner | None]:
    route = request.messaging_connect
    partner = tx.partners.get(route.partner) if route is not None else None
    return tx.numbers.get(sender), route, partner


@dataclass(frozen=True)
class _Plan:
    batch: OutboundBatch
    results: list[RecipientResult]
    rid_of: dict[int, str]  # result index -> repeatability id, for accepted recipients


class SmsService:
    def __init__(self, ctx: ServiceContext[SmsTx]) -> None:
        self._ctx = ctx
        self._senders: dict[str, tuple[float, PurchasedNumber]] = {}
        self._lookups = SingleFlight()

    def send(self, request: SendRequest) -> list[RecipientResult]:
        """Accept a send request in its own transaction; see the module docstring.

        Raises:
            InvalidInput: the request as a whole is malformed.
            Unauthenticated: the resource does not own ``from`` or may not send from it (ACS
                answers 401 for both).
        """
        sender = _validate(request)
        _check_sender(sender, *self._ctx.store.read(lambda tx: _lookup(tx, sender, request)))
        plan = self._plan(request, sender, self._ctx.clock.now())
        repeated = self._ctx.store.write(lambda tx: tx.messages.accept(plan.batch))
        return _results(plan, repeated)

    async def send_async(self, request: SendRequest) -> list[RecipientResult]:
        """``send`` for the event loop: group-committed with concurrent requests."""
        sender = _validate(request)
        if request.messaging_connect is None:
            _check_sender(sender, await self._sender(sender))
        else:
            found = await anyio.to_thread.run_sync(
                lambda: self._ctx.store.read(lambda tx: _lookup(tx, sender, request))
            )
            _check_sender(sender, *found)
        plan = self._plan(request, sender, self._ctx.clock.now())
        repeated = await self._ctx.store.accept_outbound(plan.batch)
        return _results(plan, repeated)

    async def _sender(self, sender: str) -> PurchasedNumber | None:
        """The sender's number, cached for ``SENDER_CACHE_SECONDS`` once found (the worker
        checks again when sending); a number not found is looked up again next time, so a
        number bought a moment ago can send at once."""
        cached = self._senders.get(sender)
        if cached is not None and time.monotonic() - cached[0] < SENDER_CACHE_SECONDS:
            return cached[1]
        number = await self._lookups.run(
            sender, lambda: self._ctx.store.read(lambda tx: tx.numbers.get(sender))
        )
        if number is not None:
            if len(self._senders) > 10_000:
                self._senders.clear()
            self._senders[sender] = (time.monotonic(), number)
        return number

    def _plan(self, request: SendRequest, sender: str, now: datetime) -> _Plan:
        info = analyze(request.message)
        results: list[RecipientResult] = []
        rid_of: dict[int, str] = {}
        rows: list[tuple[Message, str | None]] = []
        jobs: list[tuple[str, dict[str, object], datetime]] = []
        for recipient in request.recipients:
            rid = recipient.repeatability_request_id or None
            if recipient.repeatability_first_sent is not None:
                try:
                    parse_rfc1123(recipient.repeatability_first_sent)
                except ValueError:
                    results.append(
                        RecipientResult(
                            recipient.to, 400, False, None, INVALID_FIRST_SENT, "rejected"
                        )
                    )
                    continue
            e164 = parse_e164(recipient.to)
            if e164 is None:
                results.append(RecipientResult(recipient.to, 400, False, None, INVALID_TO))
                continue
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
                scheduled_at=now,
                report_timeout_seconds=request.report_timeout_seconds,
                conversation_id=conversation_id(sender, e164),
                partner=request.messaging_connect.partner if request.messaging_connect else None,
            )
            rows.append((message, rid))  # its sms.send job is the store's (OutboundBatch)
            if request.report_timeout_seconds and request.enable_delivery_report:
                due = now + timedelta(seconds=request.report_timeout_seconds)
                jobs.append((REPORT_TIMEOUT_JOB, {"messageId": message.id}, due))
            if rid:
                rid_of[len(results)] = rid
            results.append(
                RecipientResult(
                    to=recipient.to,
                    http_status_code=202,
                    successful=True,
                    message_id=message.id,
                    repeatability_result="accepted" if rid else None,
                )
            )
        return _Plan(OutboundBatch(rows, jobs, now), results, rid_of)


def _results(plan: _Plan, repeated: dict[str, str]) -> list[RecipientResult]:
    """Recipients whose repeatability id was seen before get the first message's id."""
    if not repeated:
        return plan.results
    results = list(plan.results)
    for index, rid in plan.rid_of.items():
        if rid in repeated:
            results[index] = RecipientResult(
                to=results[index].to,
                http_status_code=202,
                successful=True,
                message_id=repeated[rid],
                repeatability_result="accepted",
            )
    return results
