"""Event subscriptions: create or update, read, control, and their deliveries.

``put`` creates or replaces a subscription once its endpoint passes the validation handshake
(``services/subscription_handshake.py``); the rest reads and controls subscriptions, shows
their deliveries, and sends events again (redelivery and replay).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import anyio

from tidings.domain.deliveries import Attempt, DeadLetter, DeliveryStatus, NewDelivery
from tidings.domain.routing import batches, new_delivery_id
from tidings.domain.subscription_validation import parse_config, validate_name
from tidings.domain.subscriptions import EventSubscription, ProvisioningState
from tidings.domain.webhooks import envelope, new_secret
from tidings.errors import InvalidInput, NotFound
from tidings.ports import Job, SubscriptionsTx
from tidings.services.delivery import JobOutcome
from tidings.services.subscription_handshake import (
    MANUAL_VALIDATION_MINUTES,
    SubscriptionHandshake,
)

REPLAY_JOB = "webhooks.replay"
REPLAY_CHUNK = 1000
REDELIVER_CHUNK = 1000
DEFAULT_GRACE_MINUTES = 24 * 60


class SubscriptionService(SubscriptionHandshake):
    # -- create, update, delete ---------------------------------------------------------------

    async def put(self, name: str, body: Any, *, base_url: str) -> tuple[EventSubscription, bool]:
        """Create or replace ``name``; returns it and whether it was created."""
        validate_name(name)
        now = self._ctx.clock.now()
        existing = await anyio.to_thread.run_sync(lambda: self._get(name))
        previous = existing.config if existing else None
        config = parse_config(body, now=now, previous=previous)
        self._vet_destination(config.endpoint_url)
        if (
            existing is not None
            and existing.provisioning_state is ProvisioningState.SUCCEEDED
            and existing.config.endpoint_url == config.endpoint_url
            and existing.config.schema is config.schema
        ):
            updated = replace(existing, config=config, updated_at=now)
            await anyio.to_thread.run_sync(
                lambda: self._ctx.store.write(lambda tx: tx.subscriptions.save(updated))
            )
            return updated, False
        handshake = await self._handshake(name, config, base_url)
        deadline = (
            now + timedelta(minutes=MANUAL_VALIDATION_MINUTES)
            if handshake.state is ProvisioningState.AWAITING_MANUAL_ACTION
            else None
        )

        def save(tx: SubscriptionsTx) -> EventSubscription:
            current = tx.subscriptions.get(name, lock=True)
            subscription = EventSubscription(
                name=name,
                config=config,
                provisioning_state=handshake.state,
                enabled=current.enabled if current else True,
                created_at=current.created_at if current else now,
                updated_at=now,
                secret=current.secret if current else new_secret(),
                previous_secret=current.previous_secret if current else None,
                previous_secret_expires=current.previous_secret_expires if current else None,
                created_seq=current.created_seq if current else tx.subscriptions.last_event_seq(),
                validation_code=handshake.code,
                validation_deadline=deadline,
            )
            tx.subscriptions.save(subscription)
            return subscription

        saved = await anyio.to_thread.run_sync(lambda: self._ctx.store.write(save))
        return saved, existing is None

    def get(self, name: str) -> EventSubscription:
        sub = self._get(name)
        if sub is None:
            raise NotFound(f"Event subscription '{name}' was not found.", code="ResourceNotFound")
        return sub

    def _get(self, name: str) -> EventSubscription | None:
        return self._ctx.store.read(lambda tx: tx.subscriptions.get(name))

    def all(self) -> list[EventSubscription]:
        return self._ctx.store.read(lambda tx: tx.subscriptions.all())

    def delete(self, name: str) -> bool:
        def run(tx: SubscriptionsTx) -> bool:
            tx.deliveries.delete_subscription(name)
            return tx.subscriptions.delete(name)

        return self._ctx.store.write(run)

    def set_enabled(self, name: str, enabled: bool) -> EventSubscription:
        now = self._ctx.clock.now()

        def run(tx: SubscriptionsTx) -> EventSubscription:
            sub = self._locked(tx, name)
            changed = replace(sub, enabled=enabled, updated_at=now)
            tx.subscriptions.save(changed)
            return changed

        return self._ctx.store.write(run)

    def rotate_secret(
        self, name: str, grace_minutes: int = DEFAULT_GRACE_MINUTES
    ) -> EventSubscription:
        """A new signing secret; the old one keeps signing too for ``grace_minutes``."""
        if not 0 <= grace_minutes <= 7 * 24 * 60:
            raise InvalidInput(
                "graceMinutes must be between 0 and 10080 (7 days).", target="graceMinutes"
            )
        now = self._ctx.clock.now()

        def run(tx: SubscriptionsTx) -> EventSubscription:
            sub = self._locked(tx, name)
            rotated = replace(
                sub,
                secret=new_secret(),
                previous_secret=sub.secret if grace_minutes else None,
                previous_secret_expires=now + timedelta(minutes=grace_minutes)
                if grace_minutes
                else None,
                updated_at=now,
            )
            tx.subscriptions.save(rotated)
            return rotated

        return self._ctx.store.write(run)

    def _locked(self, tx: SubscriptionsTx, name: str) -> EventSubscription:
        sub = tx.subscriptions.get(name, lock=True)
        if sub is None:
            raise NotFound(f"Event subscription '{name}' was not found.", code="ResourceNotFound")
        return sub

    # -- visibility ---------------------------------------------------------------------------

    def attempts(self, name: str, *, limit: int, offset: int) -> list[Attempt]:
        def run(tx: SubscriptionsTx) -> list[Attempt]:
            self._exists(tx, name)
            return tx.deliveries.attempts(name, limit=limit, offset=offset)

        return self._ctx.store.read(run)

    def dead_letters(
        self, name: str, *, limit: int, offset: int
    ) -> tuple[EventSubscription, list[DeadLetter]]:
        def run(tx: SubscriptionsTx) -> tuple[EventSubscription, list[DeadLetter]]:
            sub = self._exists(tx, name)
            return sub, tx.deliveries.dead_letters(name, limit=limit, offset=offset)

        return self._ctx.store.read(run)

    def stats(self, name: str) -> dict[str, int]:
        def run(tx: SubscriptionsTx) -> dict[str, int]:
            self._exists(tx, name)
            return tx.deliveries.counts(name)

        return self._ctx.store.read(run)

    def _exists(self, tx: SubscriptionsTx, name: str) -> EventSubscription:
        sub = tx.subscriptions.get(name)
        if sub is None:
            raise NotFound(f"Event subscription '{name}' was not found.", code="ResourceNotFound")
        return sub

    # -- redelivery and replay ----------------------------------------------------------------

    def redeliver_event(self, name: str, event_id: str) -> str:
        """Send one event to the subscription again, as a new delivery; returns its id."""
        now = self._ctx.clock.now()

        def run(tx: SubscriptionsTx) -> str:
            self._exists(tx, name)
            found = tx.deliveries.event_by_id(event_id)
            if found is None:
                raise NotFound(f"Event '{event_id}' was not found.")
            delivery = NewDelivery(new_delivery_id(), name, (found[0],), now)
            tx.deliveries.add([delivery])
            return delivery.id

        return self._ctx.store.write(run)

    def redeliver_dead_letters(self, name: str) -> int:
        """Every dead-lettered delivery of the subscription is sent again (new deliveries)."""
        now = self._ctx.clock.now()
        total = 0
        while True:

            def run(tx: SubscriptionsTx) -> int:
                self._exists(tx, name)
                ids = tx.deliveries.dead_lettered_ids(name, REDELIVER_CHUNK)
                if not ids:
                    return 0
                events = tx.deliveries.events_of(ids)
                tx.deliveries.add(
                    [
                        NewDelivery(
                            new_delivery_id(), name, tuple(seq for seq, _ in events[i]), now
                        )
                        for i in ids
                        if events.get(i)
                    ]
                )
                tx.deliveries.mark(ids, DeliveryStatus.REDELIVERED)
                return len(ids)

            done = self._ctx.store.write(run)
            total += done
            if done < REDELIVER_CHUNK:
                return total

    def replay(self, name: str, start: datetime, end: datetime) -> None:
        """Queue the replay of the subscription's matching events published in [start, end)."""
        if end <= start:
            raise InvalidInput("endTime must be after startTime.", target="endTime")
        now = self._ctx.clock.now()

        def run(tx: SubscriptionsTx) -> None:
            self._exists(tx, name)
            tx.jobs.enqueue(
                REPLAY_JOB,
                {
                    "subscription": name,
                    "start": start.isoformat(),
                    "end": end.isoformat(),
                    "after": 0,
                },
                now,
                now=now,
            )

        self._ctx.store.write(run)

    def replay_progress(self, name: str, start: datetime, end: datetime) -> tuple[int, int, bool]:
        """(events looked at, events in the window, finished) of a queued replay."""

        def read(tx: SubscriptionsTx) -> tuple[int, int, bool]:
            total = tx.deliveries.count_events_between(start, end)
            for payload in tx.jobs.pending_payloads(REPLAY_JOB):
                if (payload["subscription"], payload["start"], payload["end"]) == (
                    name,
                    start.isoformat(),
                    end.isoformat(),
                ):
                    after = int(payload["after"])
                    return (
                        tx.deliveries.count_events_between(start, end, upto_seq=after),
                        total,
                        False,
                    )
            return total, total, True

        return self._ctx.store.read(read)

    async def run_replays(self, jobs: list[Job]) -> list[JobOutcome]:
        for job in jobs:
            await anyio.to_thread.run_sync(self._replay, job)
        return [JobOutcome(job) for job in jobs]

    def _replay(self, job: Job) -> None:
        self._ctx.store.write(lambda tx: self._replay_chunk(tx, job))

    def _replay_chunk(self, tx: SubscriptionsTx, job: Job) -> None:
        payload = job.payload
        sub = tx.subscriptions.get(payload["subscription"])
        if sub is None:
            return
        start, end = (
            datetime.fromisoformat(payload["start"]),
            datetime.fromisoformat(payload["end"]),
        )
        rows = tx.deliveries.events_between(
            start, end, after_seq=int(payload["after"]), limit=REPLAY_CHUNK
        )
        now = self._ctx.clock.now()
        matched = [(seq, e) for seq, e in rows if sub.config.filter.matches(envelope(e))]
        tx.deliveries.add(batches(sub, matched, now))
        if len(rows) == REPLAY_CHUNK:
            tx.jobs.enqueue(REPLAY_JOB, {**payload, "after": rows[-1][0]}, now, now=now)
