"""SMS messages: statuses, delivery outcomes and the values passed between layers.

Outbound status transitions::

    queued ──submit──> sent ──report──> delivered
       │                 └───report──> failed
       └──(opted out / carrier refused)──> failed

Inbound messages are stored with status ``received``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Direction(StrEnum):
    OUTBOUND = "outbound"
    INBOUND = "inbound"


class MessageStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    RECEIVED = "received"

    @property
    def is_final(self) -> bool:
        return self in {MessageStatus.DELIVERED, MessageStatus.FAILED, MessageStatus.RECEIVED}


class MessageOrigin(StrEnum):
    API = "api"
    AUTO_REPLY = "autoReply"
    CONSOLE = "console"


class DeliveryStatus(StrEnum):
    """The ``deliveryStatus`` values of ACS delivery reports."""

    DELIVERED = "Delivered"
    FAILED = "Failed"


class DeliveryCode:
    """ACS ``deliveryStatusDetails`` codes (``"2000: No Error"``)."""

    DELIVERED = 2000
    FRAUD = 4000
    INVALID_FROM = 4001
    INVALID_TO = 4002
    UNSUPPORTED_DESTINATION = 4003
    NOT_EXIST = 4004
    BLOCKED_BY_CARRIER = 4005
    UNREACHABLE = 4006
    OPTED_OUT = 4007
    RATE_EXCEEDED = 4008
    FAILED = 5000
    TEMPORARILY_UNAVAILABLE = 5001
    NO_CARRIER_REPORT = 5002
    UNKNOWN = 9999

    TEXT: dict[int, str] = {  # noqa: RUF012 - a constant table
        2000: "No Error",
        4000: "Fraud detected",
        4001: "Invalid From number",
        4002: "Invalid To number",
        4003: "Unsupported destination",
        4004: "Destination number does not exist",
        4005: "Message blocked by carrier",
        4006: "Destination unreachable",
        4007: "Sender blocked for given recipient.",
        4008: "Rate limit exceeded",
        5000: "Message failed",
        5001: "Destination temporarily unavailable",
        5002: "No delivery report received from carrier",
        9999: "Unknown error",
    }

    @classmethod
    def details(cls, code: int) -> str:
        return f"{code}: {cls.TEXT.get(code, 'Unknown error')}"


@dataclass(frozen=True)
class DeliveryAttempt:
    timestamp: datetime
    segments_succeeded: int
    segments_failed: int


@dataclass(frozen=True)
class OutboundSms:
    """What a carrier is asked to deliver."""

    message_id: str
    sender: str
    recipient: str
    body: str
    segments: int
    #: The sender's number type (``NumberType`` value), for routes by number type.
    sender_type: str | None = None


@dataclass(frozen=True)
class CarrierReport:
    """A delivery report as a carrier produces it."""

    message_id: str
    delivered: bool
    code: int
    received_at: datetime
    attempts: tuple[DeliveryAttempt, ...] = field(default_factory=tuple)
    #: ``deliveryStatusDetails`` when the carrier knows more than the code's text (an SMPP
    #: error, say); None: ``DeliveryCode.details(code)``.
    details: str | None = None


@dataclass(frozen=True)
class CarrierInbound:
    """A message a handset sent to one of our numbers."""

    sender: str
    recipient: str
    body: str
    received_at: datetime
    segments: int = 1


@dataclass(frozen=True)
class Message:
    """A stored message, inbound or outbound."""

    id: str
    direction: Direction
    status: MessageStatus
    sender: str
    recipient: str
    body: str
    segments: int
    encoding: str
    tag: str | None
    enable_delivery_report: bool
    origin: MessageOrigin
    created_at: datetime
    sent_at: datetime | None = None
    final_at: datetime | None = None
    delivery_code: int | None = None
    attempts: tuple[DeliveryAttempt, ...] = ()
    conversation_id: str | None = None
    scheduled_at: datetime | None = None
    report_timeout_seconds: int | None = None
    carrier_message_id: str | None = None
    partner: str | None = None  # the Messaging Connect partner that carries it
    carrier: str | None = None  # the carrier it was submitted to (``domain/carriers.py``)

    @property
    def partner_message_id(self) -> str | None:
        """``messagingConnectPartnerMessageId``: the partner's id, once it has the message."""
        return self.carrier_message_id if self.partner else None

    @property
    def delivery_status(self) -> DeliveryStatus | None:
        if self.status is MessageStatus.DELIVERED:
            return DeliveryStatus.DELIVERED
        if self.status is MessageStatus.FAILED:
            return DeliveryStatus.FAILED
        return None

    @property
    def delivery_status_details(self) -> str | None:
        return None if self.delivery_code is None else DeliveryCode.details(self.delivery_code)


#: The job that sends outbound messages. One job sends many: the store writes one for up to
#: ``SEND_JOB_MESSAGES`` messages accepted together, not one per message (few enough that a
#: worker step, up to ``TIDINGS_WORKER_BATCH_SIZE`` jobs, stays well inside its lease).
SEND_JOB = "sms.send"
SEND_JOB_MESSAGES = 20


def send_job_payload(message_ids: list[str]) -> dict[str, object]:
    """The payload of an ``sms.send`` job for ``message_ids`` (``messageId`` for one)."""
    if len(message_ids) == 1:
        return {"messageId": message_ids[0]}
    return {"messageIds": list(message_ids)}


def send_job_ids(payload: dict[str, Any]) -> list[str]:
    """The message ids an ``sms.send`` job sends (either payload form)."""
    if "messageIds" in payload:
        return [str(i) for i in payload["messageIds"]]
    return [str(payload["messageId"])]


@dataclass(frozen=True)
class OutboundBatch:
    """The rows of one accepted send request: its messages (with their repeatability ids) and
    its other jobs (report timeouts, each payload naming its ``messageId``). The store adds
    the ``sms.send`` jobs for the messages it keeps, sharing them with the requests committed
    in the same transaction (``send_job_payload``)."""

    messages: list[tuple[Message, str | None]]
    jobs: list[tuple[str, dict[str, object], datetime]]
    created_at: datetime


@dataclass(frozen=True)
class ReportTarget:
    """What giving a message its final status and its delivery report event needs of it
    (a narrow read of the hot report path; a ``Message`` has the same fields)."""

    id: str
    status: MessageStatus
    sender: str
    recipient: str
    segments: int
    tag: str | None
    enable_delivery_report: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class QueuedSms:
    """A queued message as sending it needs it (the worker's narrow read of the hot send
    path; a ``Message`` has the same fields): screening, the carrier's batch, and a final
    status with its delivery report if it fails."""

    id: str
    status: MessageStatus
    sender: str
    recipient: str
    body: str
    segments: int
    tag: str | None
    enable_delivery_report: bool
    origin: MessageOrigin
    partner: str | None
    created_at: datetime
    scheduled_at: datetime | None

    def sent_target(self) -> ReportTarget:
        """The message once marked sent, as finishing it needs it."""
        return ReportTarget(
            self.id,
            MessageStatus.SENT,
            self.sender,
            self.recipient,
            self.segments,
            self.tag,
            self.enable_delivery_report,
            self.created_at,
        )


@dataclass(frozen=True)
class FinalOutcome:
    """A message's final status, as recorded from a delivery report or a local failure."""

    message_id: str
    status: MessageStatus
    code: int
    at: datetime
    attempts: tuple[DeliveryAttempt, ...]
    #: When the message was created, if the caller read it (the analytics day it counts
    #: in: ``finish_many`` then need not read it again).
    created_at: datetime | None = None
