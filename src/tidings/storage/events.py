"""The events outbox: every event, written in the transaction of the change it reports."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tidings.domain.events import Event
from tidings.domain.timefmt import ensure_utc
from tidings.storage import dialects, driver
from tidings.storage.schema import event_subscriptions, events
from tidings.storage.signals import touch
from tidings.wakeups import EVENTS

#: Taken shared by event writers that skip routing, exclusively when a subscription starts.
SUBSCRIPTIONS_LOCK = "tidings.event-subscriptions"


def _row(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "event_type": event.event_type,
        "subject": event.subject,
        "topic": event.topic,
        "data": event.data,
        "event_time": event.event_time,
        "data_version": event.data_version,
        "metadata_version": event.metadata_version,
    }


_COLUMNS = (
    "id",
    "event_type",
    "subject",
    "topic",
    "data",
    "event_time",
    "data_version",
    "metadata_version",
    "routed",
)


def event_from_row(r: Any) -> Event:
    return Event(
        id=r.id,
        event_type=r.event_type,
        subject=r.subject,
        topic=r.topic,
        data=dict(r.data),
        event_time=ensure_utc(r.event_time),
        data_version=r.data_version,
        metadata_version=r.metadata_version,
    )


class SqlEventOutbox:
    def __init__(self, connection: sa.Connection) -> None:
        self._c = connection

    def append(self, event: Event) -> None:
        self._c.execute(events.insert(), [_row(event)])
        touch(self._c, EVENTS)

    def append_many(self, batch: list[Event]) -> None:
        """One driver-level ``executemany`` for the whole batch (fan-outs write hundreds).

        With no event subscription at all, the rows are written already routed: there is no
        one to route them to, and a subscription created later starts after them (its
        ``created_seq`` is read under ``SUBSCRIPTIONS_LOCK``, which waits for this
        transaction). That saves the router re-writing every row.
        """
        if not batch:
            return
        routed = not self._any_subscription()
        if not routed:
            touch(self._c, EVENTS)
        driver.fast_insert(
            self._c,
            events,
            _COLUMNS,
            [
                (
                    e.id,
                    e.event_type,
                    e.subject,
                    e.topic,
                    driver.json_text(e.data),
                    e.event_time,
                    e.data_version,
                    e.metadata_version,
                    routed,
                )
                for e in batch
            ],
        )

    def _any_subscription(self) -> bool:
        return dialects.any_row_under_shared_lock(self._c, SUBSCRIPTIONS_LOCK, event_subscriptions)

    def last_seq(self) -> int:
        value = self._c.execute(sa.select(sa.func.max(events.c.seq))).scalar_one_or_none()
        return 0 if value is None else int(value)

    def page(
        self, *, after: int = 0, event_types: list[str] | None = None, limit: int = 100
    ) -> list[tuple[int, Event]]:
        query = sa.select(events).where(events.c.seq > after)
        if event_types:
            query = query.where(events.c.event_type.in_(event_types))
        query = query.order_by(events.c.seq).limit(limit)
        return [(r.seq, event_from_row(r)) for r in self._c.execute(query)]

    def count(self) -> int:
        return int(self._c.execute(sa.select(sa.func.count()).select_from(events)).scalar_one())
