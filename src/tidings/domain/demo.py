"""Realistic demo traffic, generated (not sent): messages across days and numbers with
delivery outcomes, inbound replies, STOP/START/HELP keywords and tags.

Pure and deterministic for a given seed; ``services/demo.py`` writes what this yields in
bulk. Volumes follow a daily rhythm (quiet nights, busy afternoons).
"""

from __future__ import annotations

import functools
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tidings.domain.conversations import conversation_id
from tidings.domain.encoding import analyze
from tidings.domain.ids import incoming_message_id, outgoing_message_id
from tidings.domain.messages import (
    DeliveryCode,
    Direction,
    Message,
    MessageOrigin,
    MessageStatus,
)

TAGS = ("welcome", "otp", "reminder", "promo", None)
_TAG_WEIGHTS = (2, 5, 3, 2, 3)
_BODIES = {
    "welcome": "Welcome to Contoso! Reply HELP for help, STOP to opt out.",
    "otp": "Your Contoso verification code is {code}. It expires in 10 minutes.",
    "reminder": "Reminder: your appointment is tomorrow at {hour}:00. Reply YES to confirm.",
    "promo": "Contoso sale: 20% off everything this weekend! Reply STOP to opt out.",
    None: "Your order #{code} has shipped and arrives in 2 days.",
}
_REPLIES = ("YES", "Yes please", "No", "Thanks!", "ok", "STOP", "START", "HELP", "Who is this?")
_REPLY_WEIGHTS = (30, 8, 10, 20, 15, 6, 2, 3, 6)
_FAILURES = (
    DeliveryCode.BLOCKED_BY_CARRIER,
    DeliveryCode.UNREACHABLE,
    DeliveryCode.OPTED_OUT,
    DeliveryCode.NOT_EXIST,
    DeliveryCode.FAILED,
)
_FAILURE_WEIGHTS = (2, 4, 3, 2, 1)
#: Relative traffic per hour of the day (UTC).
_HOURLY = tuple(0.2 + math.sin(math.pi * max(0, h - 6) / 17) ** 2 for h in range(24))


@functools.cache
def _segments(template: str) -> tuple[str, int]:
    """Encoding and segment count of a template's messages (fillers keep their length)."""
    info = analyze(template)
    return info.encoding.value, info.segment_count


@dataclass(frozen=True)
class OptChange:
    sender: str
    recipient: str
    action: str  # optOut | optIn
    source: str
    at: datetime


@dataclass
class DemoChunk:
    messages: list[Message] = field(default_factory=list)
    opt_changes: list[OptChange] = field(default_factory=list)


@dataclass(frozen=True)
class DemoPlan:
    numbers: list[str]
    messages: int
    days: int
    end: datetime
    seed: int = 1
    reply_share: float = 0.15
    chunk_size: int = 20_000


def demo_numbers(count: int) -> list[str]:
    """``count`` toll-free numbers, starting with the default seed number."""
    return [f"+1800555{100 + i:04d}" for i in range(count)]


def generate(plan: DemoPlan) -> Iterator[DemoChunk]:
    """Chunks of about ``plan.chunk_size`` messages; ``plan.messages`` in all."""
    rng = random.Random(plan.seed)
    start = plan.end - timedelta(days=plan.days)
    span_hours = plan.days * 24
    hour_weights = [_HOURLY[(start + timedelta(hours=h)).hour] for h in range(span_hours)]
    peers = [f"+1555{2000000 + i:07d}" for i in range(max(50, plan.messages // 100))]
    number_weights = [1 / (i + 1) ** 0.7 for i in range(len(plan.numbers))]
    made = 0
    chunk = DemoChunk()
    while made < plan.messages:
        hours = rng.choices(range(span_hours), hour_weights, k=1000)
        for hour in hours:
            if made >= plan.messages:
                break
            created = start + timedelta(hours=hour, seconds=rng.random() * 3600)
            if created >= plan.end:
                continue
            sender = rng.choices(plan.numbers, number_weights)[0]
            peer = rng.choice(peers)
            chunk.messages.append(_outbound(rng, sender, peer, created, plan.end))
            made += 1
            if made < plan.messages and rng.random() < plan.reply_share / (1 - plan.reply_share):
                reply = _reply(rng, sender, peer, created, plan.end, chunk)
                if reply is not None:
                    chunk.messages.append(reply)
                    made += 1
            if len(chunk.messages) >= plan.chunk_size:
                yield chunk
                chunk = DemoChunk()
    if chunk.messages:
        yield chunk


def _outbound(
    rng: random.Random, sender: str, peer: str, created: datetime, end: datetime
) -> Message:
    tag = rng.choices(TAGS, _TAG_WEIGHTS)[0]
    body = _BODIES[tag].format(code=rng.randrange(100000, 999999), hour=rng.randrange(8, 18))
    encoding, segments = _segments(_BODIES[tag])
    latency = timedelta(milliseconds=round(rng.lognormvariate(7.6, 0.8)))  # median ~2 s
    final_at: datetime | None = created + latency
    draw = rng.random()
    if final_at is None or final_at >= end or draw < 0.01:  # still waiting for a report
        status, code, final_at = MessageStatus.SENT, None, None
    elif draw < 0.07:
        status, code = MessageStatus.FAILED, rng.choices(_FAILURES, _FAILURE_WEIGHTS)[0]
    else:
        status, code = MessageStatus.DELIVERED, DeliveryCode.DELIVERED
    return Message(
        id=outgoing_message_id(created),
        direction=Direction.OUTBOUND,
        status=status,
        sender=sender,
        recipient=peer,
        body=body,
        segments=segments,
        encoding=encoding,
        tag=tag,
        enable_delivery_report=True,
        origin=MessageOrigin.API,
        created_at=created,
        sent_at=created,
        final_at=final_at,
        delivery_code=code,
        conversation_id=conversation_id(sender, peer),
    )


def _reply(
    rng: random.Random, ours: str, peer: str, after: datetime, end: datetime, chunk: DemoChunk
) -> Message | None:
    created = after + timedelta(seconds=rng.expovariate(1 / 180))
    if created >= end:
        return None
    body = rng.choices(_REPLIES, _REPLY_WEIGHTS)[0]
    if body in {"STOP", "START"}:
        action = "optOut" if body == "STOP" else "optIn"
        chunk.opt_changes.append(OptChange(ours, peer, action, "keyword", created))
    encoding, segments = _segments(body)
    return Message(
        id=incoming_message_id(created),
        direction=Direction.INBOUND,
        status=MessageStatus.RECEIVED,
        sender=peer,
        recipient=ours,
        body=body,
        segments=segments,
        encoding=encoding,
        tag=None,
        enable_delivery_report=False,
        origin=MessageOrigin.API,
        created_at=created,
        conversation_id=conversation_id(ours, peer),
    )
