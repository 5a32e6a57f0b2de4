"""Every event type Tidings emits, for the subscription form's choices, and the sample event
that "send test event" delivers to one subscription."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tidings.domain import chat_events as chat
from tidings.domain.events import SMS_DELIVERY_REPORT_RECEIVED, SMS_RECEIVED, Event
from tidings.domain.timefmt import iso_z

#: (group, event type), in the order the console lists them.
EMITTED: tuple[tuple[str, str], ...] = (
    ("SMS", SMS_RECEIVED),
    ("SMS", SMS_DELIVERY_REPORT_RECEIVED),
    *(("Chat (per user)", t) for t in chat.PER_USER_TYPES),
    *(
        ("Chat (per thread)", t)
        for t in (
            chat.MESSAGE_RECEIVED_IN_THREAD,
            chat.MESSAGE_EDITED_IN_THREAD,
            chat.MESSAGE_DELETED_IN_THREAD,
            chat.THREAD_CREATED,
            chat.THREAD_DELETED,
            chat.THREAD_PROPERTIES_UPDATED,
            chat.THREAD_PARTICIPANT_ADDED,
            chat.THREAD_PARTICIPANT_REMOVED,
            chat.TYPING_IN_THREAD,
        )
    ),
)
EMITTED_TYPES = frozenset(t for _, t in EMITTED)

#: The subject of test events (no real number or thread has it).
TEST_SUBJECT = "/tidings/test"
TEST_NUMBER = "15555550100"
OUR_NUMBER = "18005550100"


def sample_event(event_type: str, event_id: str, topic: str, now: datetime) -> Event:
    """A sample ``event_type`` event with plausible data, marked as a test by its subject
    and by ``data.tidingsTest``; it is delivered to one subscription and no message or
    thread exists behind it."""
    stamp = iso_z(now)
    data: dict[str, Any]
    if event_type == SMS_RECEIVED:
        data = {
            "MessageId": event_id,
            "From": TEST_NUMBER,
            "To": OUR_NUMBER,
            "Message": "This is a test event from the Tidings console",
            "ReceivedTimestamp": stamp,
        }
    elif event_type == SMS_DELIVERY_REPORT_RECEIVED:
        data = {
            "MessageId": event_id,
            "From": OUR_NUMBER,
            "To": f"+{TEST_NUMBER}",
            "DeliveryStatus": "Delivered",
            "DeliveryStatusDetails": "No error.",
            "ReceivedTimestamp": stamp,
            "DeliveryAttempts": [{"Timestamp": stamp, "SegmentsSucceeded": 1, "SegmentsFailed": 0}],
            "Tag": "test",
        }
    else:
        data = {
            "threadId": "19:test-thread@thread.v2",
            "transactionId": event_id,
            "createTime": stamp,
        }
    data["tidingsTest"] = True
    return Event(
        id=event_id,
        event_type=event_type,
        subject=TEST_SUBJECT,
        topic=topic,
        data=data,
        event_time=now,
    )
