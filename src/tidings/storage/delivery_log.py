"""Reading webhook deliveries for the API and the console: a delivery, its attempts, the
dead letters, and the events a replay covers (``SqlDeliveryRepo``'s reading half)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from tidings.domain.deliveries import Attempt, DeadLetter, Delivery, DeliveryStatus
from tidings.domain.events import Event
from tidings.domain.timefmt import ensure_utc
from tidings.storage.events import event_from_row
from tidings.storage.schema import deliveries, delivery_attempts, delivery_events, events


def _opt(value: datetime | None) -> datetime | None:
    return ensure_utc(value) if value is not None else None


def _delivery(r: Any) -> Delivery:
    return Delivery(
        id=r.id,
        subscription=r.subscription,
        status=DeliveryStatus(r.status),
        event_count=r.event_count,
        attempts=r.attempts,
        next_attempt_at=ensure_utc(r.next_attempt_at),
        created_at=ensure_utc(r.created_at),
        last_attempt_at=_opt(r.last_attempt_at),
        last_status_code=r.last_status_code,
        last_outcome=r.last_outcome,
        dead_letter_reason=r.dead_letter_reason,
        finished_at=_opt(r.finished_at),
    )


def _attempt(r: Any) -> Attempt:
    return Attempt(
        id=r.id,
        delivery_id=r.delivery_id,
        subscription=r.subscription,
        attempt=r.attempt,
        attempted_at=ensure_utc(r.attempted_at),
        duration_ms=r.duration_ms,
        status_code=r.status_code,
        outcome=r.outcome,
        error=r.error,
        response_excerpt=r.response_excerpt,
    )


class SqlDeliveryLog:
    def __init__(self, connection: sa.Connection) -> None:
        self._c = connection

    def get(self, delivery_id: str) -> Delivery | None:
        row = self._c.execute(sa.select(deliveries).where(deliveries.c.id == delivery_id)).first()
        return _delivery(row) if row else None

    def page(
        self,
        subscription: str,
        *,
        status: DeliveryStatus | None = None,
        event_id: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Delivery]:
        query = sa.select(deliveries).where(deliveries.c.subscription == subscription)
        if status is not None:
            query = query.where(deliveries.c.status == status.value)
        if event_id is not None:
            seqs = sa.select(events.c.seq).where(events.c.id == event_id)
            ids = sa.select(delivery_events.c.delivery_id).where(
                delivery_events.c.event_seq.in_(seqs)
            )
            query = query.where(deliveries.c.id.in_(ids))
        query = query.order_by(deliveries.c.created_at.desc(), deliveries.c.id)
        return [_delivery(r) for r in self._c.execute(query.limit(limit).offset(offset))]

    def attempts(
        self,
        subscription: str,
        *,
        delivery_id: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Attempt]:
        query = sa.select(delivery_attempts).where(delivery_attempts.c.subscription == subscription)
        if delivery_id is not None:
            query = query.where(delivery_attempts.c.delivery_id == delivery_id)
        query = query.order_by(delivery_attempts.c.id.desc()).limit(limit).offset(offset)
        return [_attempt(r) for r in self._c.execute(query)]

    def dead_letters(self, subscription: str, *, limit: int, offset: int) -> list[DeadLetter]:
        """Dead-lettered events (one record per event, as Event Grid writes them)."""
        # Both tables have an ``id``: the event's is selected as ``event_id``.
        event_columns = [c.label("event_id") if c.name == "id" else c for c in events.c]
        query = (
            sa.select(*deliveries.c, *event_columns)
            .join(delivery_events, delivery_events.c.delivery_id == deliveries.c.id)
            .join(events, events.c.seq == delivery_events.c.event_seq)
            .where(deliveries.c.subscription == subscription)
            .where(deliveries.c.status == DeliveryStatus.DEAD_LETTERED.value)
            .order_by(deliveries.c.finished_at.desc(), delivery_events.c.position)
            .limit(limit)
            .offset(offset)
        )
        return [
            DeadLetter(_delivery(r), replace(event_from_row(r), id=r.event_id))
            for r in self._c.execute(query)
        ]

    def event_by_id(self, event_id: str) -> tuple[int, Event] | None:
        row = self._c.execute(
            sa.select(events).where(events.c.id == event_id).order_by(events.c.seq).limit(1)
        ).first()
        return (row.seq, event_from_row(row)) if row else None

    def events_between(
        self, start: datetime, end: datetime, *, after_seq: int, limit: int
    ) -> list[tuple[int, Event]]:
        query = (
            sa.select(events)
            .where(events.c.event_time >= start)
            .where(events.c.event_time < end)
            .where(events.c.seq > after_seq)
            .order_by(events.c.seq)
            .limit(limit)
        )
        return [(r.seq, event_from_row(r)) for r in self._c.execute(query)]

    def count_events_between(
        self, start: datetime, end: datetime, *, upto_seq: int | None = None
    ) -> int:
        query = (
            sa.select(sa.func.count())
            .select_from(events)
            .where(events.c.event_time >= start, events.c.event_time < end)
        )
        if upto_seq is not None:
            query = query.where(events.c.seq <= upto_seq)
        return int(self._c.execute(query).scalar_one())

    def counts(self, subscription: str) -> dict[str, int]:
        rows = self._c.execute(
            sa.select(deliveries.c.status, sa.func.count())
            .where(deliveries.c.subscription == subscription)
            .group_by(deliveries.c.status)
        )
        return {status: int(count) for status, count in rows}

    def oldest_pending(self) -> datetime | None:
        value = self._c.execute(
            sa.select(sa.func.min(deliveries.c.created_at)).where(
                deliveries.c.status == DeliveryStatus.PENDING.value
            )
        ).scalar_one()
        return ensure_utc(value) if value is not None else None
