"""Webhook deliveries: one request's worth of events for one subscription, and its attempts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from tidings.domain.events import Event


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD_LETTERED = "deadlettered"
    DROPPED = "dropped"  # undeliverable with dead-lettering off
    REDELIVERED = "redelivered"  # a dead letter that was sent again as a new delivery


FINAL = frozenset({DeliveryStatus.DELIVERED, DeliveryStatus.DEAD_LETTERED, DeliveryStatus.DROPPED})


@dataclass(frozen=True)
class NewDelivery:
    id: str
    subscription: str
    event_seqs: tuple[int, ...]
    created_at: datetime


@dataclass(frozen=True)
class ClaimedDelivery:
    """A delivery leased to one worker, with its events in order."""

    id: str
    subscription: str
    attempts: int  # attempts made before this one
    created_at: datetime
    events: tuple[Event, ...]


@dataclass(frozen=True)
class DeliveryResult:
    """What one attempt (or a TTL expiry found before one) changes."""

    delivery_id: str
    subscription: str
    status: DeliveryStatus
    attempted: bool  # False: expired before the attempt, nothing was sent
    attempt: int  # this attempt's number, 1-based
    at: datetime
    next_attempt_at: datetime | None
    outcome: str
    status_code: int | None = None
    duration_ms: float = 0.0
    error: str | None = None
    response_excerpt: str | None = None
    dead_letter_reason: str | None = None
    #: How long the endpoint's probation lasts if this failure puts it on probation.
    probation_seconds: float = 10.0


@dataclass(frozen=True)
class Delivery:
    id: str
    subscription: str
    status: DeliveryStatus
    event_count: int
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_outcome: str | None
    dead_letter_reason: str | None
    finished_at: datetime | None


@dataclass(frozen=True)
class Attempt:
    id: int
    delivery_id: str
    subscription: str
    attempt: int
    attempted_at: datetime
    duration_ms: float
    status_code: int | None
    outcome: str
    error: str | None
    response_excerpt: str | None


@dataclass(frozen=True)
class DeadLetter:
    delivery: Delivery
    event: Event
