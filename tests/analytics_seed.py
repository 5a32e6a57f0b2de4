"""A small, hand-checked data set for the analytics tests (see the expectations in
tests/services/test_analytics.py: every figure there is worked out from this table)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tidings.container import Application
from tidings.domain.conversations import OptOutEntry, conversation_id
from tidings.domain.messages import Direction, Message, MessageOrigin, MessageStatus
from tidings.domain.numbers import NumberType
from tidings.ports import Tx

A = "+18005550100"  # the seed number
B = "+18005550101"
P1, P2, P3 = "+15555550001", "+15555550002", "+15555550003"


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, second, tzinfo=UTC)


def outbound(
    mid: str,
    sender: str,
    to: str,
    created: datetime,
    status: MessageStatus,
    *,
    latency: float | None = None,
    code: int | None = None,
    tag: str | None = None,
    segments: int = 1,
) -> Message:
    return Message(
        id=mid,
        direction=Direction.OUTBOUND,
        status=status,
        sender=sender,
        recipient=to,
        body="hello",
        segments=segments,
        encoding="GSM7",
        tag=tag,
        enable_delivery_report=True,
        origin=MessageOrigin.API,
        created_at=created,
        sent_at=created,
        final_at=None if latency is None else created + timedelta(seconds=latency),
        delivery_code=code,
        conversation_id=conversation_id(sender, to),
    )


def inbound(mid: str, peer: str, ours: str, created: datetime, body: str) -> Message:
    return Message(
        id=mid,
        direction=Direction.INBOUND,
        status=MessageStatus.RECEIVED,
        sender=peer,
        recipient=ours,
        body=body,
        segments=1,
        encoding="GSM7",
        tag=None,
        enable_delivery_report=False,
        origin=MessageOrigin.API,
        created_at=created,
        conversation_id=conversation_id(ours, peer),
    )


D, F, S = MessageStatus.DELIVERED, MessageStatus.FAILED, MessageStatus.SENT

MESSAGES = [
    outbound("o1", A, P1, at(20, 10), D, latency=1, code=2000, tag="welcome"),
    outbound("o2", A, P2, at(20, 11), D, latency=3, code=2000, tag="welcome", segments=2),
    outbound("o3", A, P3, at(21, 9), F, latency=0.5, code=4007, tag="promo"),
    outbound("o4", B, P1, at(21, 10), D, latency=2, code=2000),
    outbound("o5", B, P2, at(22, 8), F, latency=4, code=4006, tag="promo", segments=3),
    outbound("o6", B, P3, at(22, 9), S),
    outbound("o7", A, P1, at(19, 10), D, latency=1, code=2000, tag="welcome"),  # before
    outbound("o8", A, P1, at(23, 1), D, latency=1, code=2000, tag="welcome"),  # after
    inbound("i1", P1, A, at(20, 10, 5), "Stop please"),
    inbound("i2", P2, A, at(20, 10, 30), "hello there"),
    inbound("i3", P1, B, at(21, 10, 1, 30), "yes"),
    inbound("i4", P3, A, at(21, 9, 10), "STOP"),
    inbound("i5", P2, A, at(19, 9), "old"),  # before
]


def seed(app: Application) -> None:
    """Store the data set (and number B) straight through the repositories."""
    app.services.numbers.provision(B, NumberType.TOLL_FREE)

    def write(t: Tx) -> None:
        t.messages.add_many([(m, None) for m in MESSAGES])
        t.optouts.add(OptOutEntry(A, P2, "US", at(19, 12), "keyword"))  # before the range
        t.optouts.add(OptOutEntry(A, P1, "US", at(20, 10, 5), "keyword"))
        t.optouts.remove(A, P1, at=at(21, 12), source="keyword")
        t.optouts.add(OptOutEntry(B, P2, "US", at(22, 8, 30), "api"))

    app.services.store.write(write)
