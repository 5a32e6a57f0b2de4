"""Event subscriptions, their deliveries, and the sender of webhook requests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from tidings.domain.deliveries import (
    Attempt,
    ClaimedDelivery,
    DeadLetter,
    Delivery,
    DeliveryResult,
    DeliveryStatus,
    NewDelivery,
)
from tidings.domain.events import Event
from tidings.domain.subscriptions import EventSubscription
from tidings.domain.webhooks import TransportError


class SubscriptionRepo(Protocol):
    def last_event_seq(self) -> int: ...

    def save(self, s: EventSubscription) -> None: ...

    def get(self, name: str, *, lock: bool = False) -> EventSubscription | None: ...

    def all(self) -> list[EventSubscription]: ...

    def delete(self, name: str) -> bool: ...

    def record_health(
        self, outcomes: dict[str, tuple[int, int, float]], now: datetime, threshold: int
    ) -> None: ...


class DeliveryRepo(Protocol):
    def take_unrouted(self, limit: int) -> list[tuple[int, Event]]:
        """The oldest events not yet routed, in order, marked routed in this transaction."""
        ...

    def mark_routed(self, seqs: Sequence[int]) -> None: ...

    def next_attempt_at(self, subscription: str) -> datetime | None: ...

    def add(self, new: Sequence[NewDelivery], *, wake: bool = True) -> None:
        """New pending deliveries, due at once; ``wake``: signal the dispatchers once this
        commits (else the caller leases them itself, or calls ``wake``)."""
        ...

    def wake(self) -> None:
        """Signal the dispatchers once this transaction commits: deliveries are due."""
        ...

    def claim(
        self,
        subscription: str,
        *,
        now: datetime,
        limit: int,
        lease_until: datetime,
        known: Mapping[str, tuple[Event, ...]] | None = None,
    ) -> list[ClaimedDelivery]:
        """Lease up to ``limit`` due deliveries of ``subscription``, with their events
        (those of ``known`` deliveries, just written by the caller, not read again)."""
        ...

    def events_of(self, delivery_ids: Sequence[str]) -> dict[str, list[tuple[int, Event]]]: ...

    def finish(self, results: Sequence[DeliveryResult]) -> None: ...

    def get(self, delivery_id: str) -> Delivery | None: ...

    def page(
        self,
        subscription: str,
        *,
        status: DeliveryStatus | None = None,
        event_id: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Delivery]: ...

    def attempts(
        self,
        subscription: str,
        *,
        delivery_id: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Attempt]: ...

    def dead_letters(self, subscription: str, *, limit: int, offset: int) -> list[DeadLetter]: ...

    def dead_lettered_ids(self, subscription: str, limit: int) -> list[str]: ...

    def mark(self, delivery_ids: Sequence[str], status: DeliveryStatus) -> None: ...

    def event_by_id(self, event_id: str) -> tuple[int, Event] | None: ...

    def events_between(
        self, start: datetime, end: datetime, *, after_seq: int, limit: int
    ) -> list[tuple[int, Event]]: ...

    def count_events_between(
        self, start: datetime, end: datetime, *, upto_seq: int | None = None
    ) -> int: ...

    def counts(self, subscription: str) -> dict[str, int]: ...

    def oldest_pending(self) -> datetime | None: ...

    def delete_subscription(self, subscription: str) -> None: ...

    def prune(self, finished_before: datetime, limit: int = 5000) -> int: ...


@dataclass(frozen=True)
class HttpResult:
    """What a webhook request came back with: a status, or the transport error instead."""

    status: int | None
    duration_ms: float
    headers: dict[str, str]
    body: bytes  # at most the sender's cap
    error: TransportError | None = None
    error_message: str | None = None


class WebhookSender(Protocol):
    """Sends webhook requests: no redirects followed, bodies capped, refused addresses kept."""

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str],
        body: bytes = b"",
        timeout: float,
    ) -> HttpResult: ...

    async def aclose(self) -> None: ...


class WithSubscriptions(Protocol):
    @property
    def subscriptions(self) -> SubscriptionRepo: ...


class WithDeliveries(Protocol):
    @property
    def deliveries(self) -> DeliveryRepo: ...
