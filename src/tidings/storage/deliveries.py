"""Webhook deliveries: routing the outbox, leasing due deliveries, recording every attempt.

::

    events (routed = false) ──route──> deliveries (pending) + delivery_events
    pending ──claim (lease: next_attempt_at moves past the request timeout)──> in flight
    in flight ──finish──> delivered | pending (retry at) | deadlettered | dropped

A worker that dies mid-request leaves its deliveries pending with a lease that runs out, so
another worker sends them again (at least once). On PostgreSQL the routing and the claims take
rows with ``FOR UPDATE SKIP LOCKED``: many workers never route or send the same row twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from tidings.domain.deliveries import (
    ClaimedDelivery,
    DeliveryResult,
    DeliveryStatus,
    NewDelivery,
)
from tidings.domain.events import Event
from tidings.domain.timefmt import ensure_utc
from tidings.storage.delivery_log import SqlDeliveryLog
from tidings.storage.events import event_from_row
from tidings.storage.schema import deliveries, delivery_attempts, delivery_events, events
from tidings.storage.signals import touch
from tidings.wakeups import DELIVERIES

_CHUNK = 500
_DUE = (
    sa.select(deliveries.c.id)
    .where(
        deliveries.c.subscription == sa.bindparam("b_subscription"),
        deliveries.c.status == DeliveryStatus.PENDING.value,
        deliveries.c.next_attempt_at <= sa.bindparam("now"),
    )
    .order_by(deliveries.c.next_attempt_at)
    .limit(sa.bindparam("limit", type_=sa.Integer))
    .with_for_update(skip_locked=True)
)
_CLAIM = (
    deliveries.update()
    .where(deliveries.c.id.in_(_DUE.scalar_subquery()))
    .values(next_attempt_at=sa.bindparam("until", type_=deliveries.c.next_attempt_at.type))
    .returning(deliveries.c.id, deliveries.c.attempts, deliveries.c.created_at)
)


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


#: The oldest unrouted events, marked routed (built once: run in every routing).
_TAKE = (
    events.update()
    .where(
        events.c.seq.in_(
            sa.select(events.c.seq)
            .where(events.c.routed == sa.false())
            .order_by(events.c.seq)
            .limit(sa.bindparam("limit"))
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
    )
    .values(routed=sa.true())
    .returning(*events.c)
)


class SqlDeliveryRepo(SqlDeliveryLog):
    """``DeliveryRepo``: routing, leasing and recording here, reading in ``delivery_log``."""

    # -- routing ------------------------------------------------------------------------------

    def take_unrouted(self, limit: int) -> list[tuple[int, Event]]:
        """The oldest events not yet routed, marked routed by this transaction: one
        ``UPDATE ... RETURNING`` (skipping rows another router holds), in ``seq`` order."""
        rows = [(r.seq, event_from_row(r)) for r in self._c.execute(_TAKE, {"limit": limit})]
        rows.sort(key=lambda row: row[0])  # (RETURNING: any order)
        return rows

    def mark_routed(self, seqs: Sequence[int]) -> None:
        for chunk in _chunks(seqs):
            self._c.execute(events.update().where(events.c.seq.in_(chunk)).values(routed=sa.true()))

    def add(self, new: Sequence[NewDelivery], *, wake: bool = True) -> None:
        """New pending deliveries, due at once."""
        if not new:
            return
        if wake:
            self.wake()
        self._c.execute(
            deliveries.insert(),
            [
                {
                    "id": d.id,
                    "subscription": d.subscription,
                    "status": DeliveryStatus.PENDING.value,
                    "event_count": len(d.event_seqs),
                    "attempts": 0,
                    "next_attempt_at": d.created_at,
                    "created_at": d.created_at,
                }
                for d in new
            ],
        )
        self._c.execute(
            delivery_events.insert(),
            [
                {"delivery_id": d.id, "position": i, "event_seq": seq}
                for d in new
                for i, seq in enumerate(d.event_seqs)
            ],
        )

    def wake(self) -> None:
        touch(self._c, DELIVERIES)

    # -- sending ------------------------------------------------------------------------------

    def claim(
        self,
        subscription: str,
        *,
        now: datetime,
        limit: int,
        lease_until: datetime,
        known: Mapping[str, tuple[Event, ...]] | None = None,
    ) -> list[ClaimedDelivery]:
        """Lease up to ``limit`` due deliveries of ``subscription``, oldest due first: one
        ``UPDATE ... RETURNING`` (its rows locked, skipping those another claim holds),
        then the events of those not in ``known``."""
        result = self._c.execute(
            _CLAIM,
            {"b_subscription": subscription, "now": now, "limit": limit, "until": lease_until},
        )
        rows = sorted(result, key=lambda r: (r.created_at, r.id))  # (RETURNING: any order)
        if not rows:
            return []
        known = known or {}
        by_delivery = self.events_of([r.id for r in rows if r.id not in known])
        return [
            ClaimedDelivery(
                id=r.id,
                subscription=subscription,
                attempts=r.attempts,
                created_at=ensure_utc(r.created_at),
                events=known[r.id]
                if r.id in known
                else tuple(event for _, event in by_delivery.get(r.id, [])),
            )
            for r in rows
        ]

    def events_of(self, delivery_ids: Sequence[str]) -> dict[str, list[tuple[int, Event]]]:
        out: dict[str, list[tuple[int, Event]]] = defaultdict(list)
        for chunk in _chunks(delivery_ids):
            query = (
                sa.select(delivery_events.c.delivery_id, events)
                .join(events, events.c.seq == delivery_events.c.event_seq)
                .where(delivery_events.c.delivery_id.in_(chunk))
                .order_by(delivery_events.c.delivery_id, delivery_events.c.position)
            )
            for r in self._c.execute(query):
                out[r.delivery_id].append((r.seq, event_from_row(r)))
        return out

    def finish(self, results: Sequence[DeliveryResult]) -> None:
        """Record attempts and move each delivery to its new state."""
        attempted = [r for r in results if r.attempted]
        if any(r.status is DeliveryStatus.PENDING for r in attempted):
            touch(self._c, DELIVERIES)  # retries: a due time other dispatchers should know
        if attempted:
            self._c.execute(
                delivery_attempts.insert(),
                [
                    {
                        "delivery_id": r.delivery_id,
                        "subscription": r.subscription,
                        "attempt": r.attempt,
                        "attempted_at": r.at,
                        "duration_ms": r.duration_ms,
                        "status_code": r.status_code,
                        "outcome": r.outcome,
                        "error": r.error,
                        "response_excerpt": r.response_excerpt,
                    }
                    for r in attempted
                ],
            )
        if attempted:
            self._c.execute(
                deliveries.update()
                .where(deliveries.c.id == sa.bindparam("b_id"))
                .values(
                    status=sa.bindparam("b_status"),
                    attempts=sa.bindparam("b_attempts"),
                    next_attempt_at=sa.bindparam("b_next"),
                    last_attempt_at=sa.bindparam("b_last_at"),
                    last_status_code=sa.bindparam("b_code"),
                    last_outcome=sa.bindparam("b_outcome"),
                    dead_letter_reason=sa.bindparam("b_reason"),
                    finished_at=sa.bindparam("b_finished"),
                ),
                [
                    {
                        "b_id": r.delivery_id,
                        "b_status": r.status.value,
                        "b_attempts": r.attempt,
                        "b_next": r.next_attempt_at or r.at,
                        "b_last_at": r.at,
                        "b_code": r.status_code,
                        "b_outcome": r.outcome,
                        "b_reason": r.dead_letter_reason,
                        "b_finished": None if r.status is DeliveryStatus.PENDING else r.at,
                    }
                    for r in attempted
                ],
            )
        # Expired before an attempt: the last attempt's status and outcome stay as they were.
        expired = [r for r in results if not r.attempted]
        if expired:
            self._c.execute(
                deliveries.update()
                .where(deliveries.c.id == sa.bindparam("b_id"))
                .values(
                    status=sa.bindparam("b_status"),
                    dead_letter_reason=sa.bindparam("b_reason"),
                    finished_at=sa.bindparam("b_finished"),
                    last_outcome=sa.func.coalesce(
                        deliveries.c.last_outcome, sa.bindparam("b_outcome")
                    ),
                ),
                [
                    {
                        "b_id": r.delivery_id,
                        "b_status": r.status.value,
                        "b_reason": r.dead_letter_reason,
                        "b_finished": r.at,
                        "b_outcome": r.outcome,
                    }
                    for r in expired
                ],
            )

    def dead_lettered_ids(self, subscription: str, limit: int) -> list[str]:
        rows = self._c.execute(
            sa.select(deliveries.c.id)
            .where(deliveries.c.subscription == subscription)
            .where(deliveries.c.status == DeliveryStatus.DEAD_LETTERED.value)
            .order_by(deliveries.c.created_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [r.id for r in rows]

    def mark(self, delivery_ids: Sequence[str], status: DeliveryStatus) -> None:
        for chunk in _chunks(delivery_ids):
            self._c.execute(
                deliveries.update().where(deliveries.c.id.in_(chunk)).values(status=status.value)
            )

    def next_attempt_at(self, subscription: str) -> datetime | None:
        """When the subscription's earliest pending delivery is due (a retry, a lease that
        runs out), for the dispatcher to sleep until; one seek in the due index."""
        value = self._c.execute(
            sa.select(sa.func.min(deliveries.c.next_attempt_at)).where(
                deliveries.c.subscription == subscription,
                deliveries.c.status == DeliveryStatus.PENDING.value,
            )
        ).scalar_one()
        return ensure_utc(value) if value is not None else None

    def delete_subscription(self, subscription: str) -> None:
        ids = sa.select(deliveries.c.id).where(deliveries.c.subscription == subscription)
        self._c.execute(delivery_events.delete().where(delivery_events.c.delivery_id.in_(ids)))
        self._c.execute(
            delivery_attempts.delete().where(delivery_attempts.c.subscription == subscription)
        )
        self._c.execute(deliveries.delete().where(deliveries.c.subscription == subscription))

    def prune(self, finished_before: datetime, limit: int = 5000) -> int:
        """Forget delivered deliveries (and their attempts) finished before the cutoff."""
        ids = [
            r.id
            for r in self._c.execute(
                sa.select(deliveries.c.id)
                .where(deliveries.c.status == DeliveryStatus.DELIVERED.value)
                .where(deliveries.c.finished_at < finished_before)
                .limit(limit)
            )
        ]
        for chunk in _chunks(ids):
            self._c.execute(
                delivery_events.delete().where(delivery_events.c.delivery_id.in_(chunk))
            )
            self._c.execute(
                delivery_attempts.delete().where(delivery_attempts.c.delivery_id.in_(chunk))
            )
            self._c.execute(deliveries.delete().where(deliveries.c.id.in_(chunk)))
        return len(ids)
