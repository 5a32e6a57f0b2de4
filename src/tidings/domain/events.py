"""Event Grid events: the envelope and the SMS event payloads, spelled as ACS emits them.

The event-handling seed document is the reference for the envelope and the data: PascalCase
data keys, ``subject`` ``/phonenumber/<digits>`` (the resource's own number), ``eventTime`` to
the second, ``dataVersion`` "1.0" and ``metadataVersion`` "1". ``EventCasing.CAMEL`` spells data
keys as the current ACS service does (``messageId``); see docs/compatibility.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tidings.domain.messages import DeliveryAttempt, DeliveryStatus
from tidings.domain.phone import digits
from tidings.domain.timefmt import iso_7z, iso_seconds_z, iso_z

SMS_RECEIVED = "Microsoft.Communication.SMSReceived"
SMS_DELIVERY_REPORT_RECEIVED = "Microsoft.Communication.SMSDeliveryReportReceived"
CHAT_PREFIX = "Microsoft.Communication.Chat"


@dataclass(frozen=True)
class Event:
    """One Event Grid event (EventGridSchema)."""

    id: str
    event_type: str
    subject: str
    topic: str
    data: dict[str, Any]
    event_time: datetime
    data_version: str = "1.0"
    metadata_version: str = "1"

    def to_event_grid(self) -> dict[str, Any]:
        """The Event Grid schema JSON object, keys in the order the seed samples show.

        ``eventTime`` is to the second for SMS events and to seven fraction digits for chat
        events, as the seed's samples of each spell it.
        """
        chat = self.event_type.startswith(CHAT_PREFIX)
        return {
            "id": self.id,
            "topic": self.topic,
            "subject": self.subject,
            "data": self.data,
            "eventType": self.event_type,
            "dataVersion": self.data_version,
            "metadataVersion": self.metadata_version,
            "eventTime": iso_7z(self.event_time) if chat else iso_seconds_z(self.event_time),
        }


def _camel(key: str) -> str:
    return key[:1].lower() + key[1:]


def _cased(data: dict[str, Any], pascal: bool) -> dict[str, Any]:
    if pascal:
        return data
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, list):
            value = [_cased(v, pascal) if isinstance(v, dict) else v for v in value]
        out[_camel(key)] = value
    return out


def phone_subject(number: str) -> str:
    return f"/phonenumber/{digits(number)}"


def sms_received(
    *,
    message_id: str,
    sender: str,
    recipient: str,
    body: str,
    received_at: datetime,
    segments: int,
    topic: str,
    pascal: bool,
    now: datetime,
) -> Event:
    """``SMSReceived``: ``From``/``To`` without ``+``, subject is our number (``To``)."""
    data: dict[str, Any] = {
        "MessageId": message_id,
        "From": digits(sender),
        "To": digits(recipient),
        "Message": body,
        "ReceivedTimestamp": iso_z(received_at),
    }
    if not pascal:
        data["SegmentCount"] = segments
    return Event(
        id=message_id,
        event_type=SMS_RECEIVED,
        subject=phone_subject(recipient),
        topic=topic,
        data=_cased(data, pascal),
        event_time=now,
    )


def sms_delivery_report(
    *,
    message_id: str,
    sender: str,
    recipient: str,
    status: DeliveryStatus,
    details: str,
    attempts: tuple[DeliveryAttempt, ...],
    received_at: datetime,
    tag: str | None,
    topic: str,
    pascal: bool,
    now: datetime,
) -> Event:
    """``SMSDeliveryReportReceived``: ``From`` without ``+``, ``To`` with it (as the seed)."""
    data: dict[str, Any] = {
        "MessageId": message_id,
        "From": digits(sender),
        "To": recipient,
        "DeliveryStatus": status.value,
        "DeliveryStatusDetails": details,
        "ReceivedTimestamp": iso_z(received_at),
        "DeliveryAttempts": [
            {
                "Timestamp": iso_z(a.timestamp),
                "SegmentsSucceeded": a.segments_succeeded,
                "SegmentsFailed": a.segments_failed,
            }
            for a in attempts
        ],
    }
    if tag is not None:
        data["Tag"] = tag
    return Event(
        id=message_id,
        event_type=SMS_DELIVERY_REPORT_RECEIVED,
        subject=phone_subject(sender),
        topic=topic,
        data=_cased(data, pascal),
        event_time=now,
    )
