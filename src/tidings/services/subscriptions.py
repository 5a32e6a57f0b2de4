"""Event subscriptions: create or update (with the validation handshake), read, control.

A subscription receives events only once its endpoint has proved it wants them:

* Event Grid schema: a ``SubscriptionValidationEvent`` is POSTed; a 200 echoing the
  ``validationCode`` as ``validationResponse`` validates at once, a 200 without it leaves the
  subscription ``AwaitingManualAction`` until the endpoint GETs the ``validationUrl`` (5 minutes).
* CloudEvents schema: the CloudEvents abuse-protection ``OPTIONS`` request; the endpoint must
  answer 200 with ``WebHook-Allowed-Origin`` naming our origin (or ``*``).

A failed handshake refuses the request and writes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import anyio

from tidings.domain import json_input
from tidings.domain.addresses import AddressPolicy, canonical_host, ip_literal
from tidings.domain.deliveries import Attempt, DeadLetter, DeliveryStatus, NewDelivery
from tidings.domain.ids import new_guid
from tidings.domain.routing import batches, new_delivery_id
from tidings.domain.subscription_validation import parse_config, validate_name
from tidings.domain.subscriptions import (
    DeliverySchema,
    EventSubscription,
    ProvisioningState,
    SubscriptionConfig,
)
from tidings.domain.timefmt import iso_z
from tidings.domain.webhooks import RESPONSE_TIMEOUT_SECONDS, envelope, new_secret
from tidings.errors import Conflict, InvalidInput, NotFound
from tidings.ports import Job, SubscriptionsTx, WebhookSender
from tidings.services.context import ServiceContext
from tidings.services.delivery import JobOutcome

VALIDATION_EVENT = "Microsoft.EventGrid.SubscriptionValidationEvent"
MANUAL_VALIDATION_MINUTES = 5
REPLAY_JOB = "webhooks.replay"
REPLAY_CHUNK = 1000
REDELIVER_CHUNK = 1000
DEFAULT_GRACE_MINUTES = 24 * 60


@dataclass(frozen=True)
class Handshake:
    state: ProvisioningState
    code: str | None = None


class SubscriptionService:
    def __init__(
        self,
        ctx: ServiceContext[SubscriptionsTx],
        sender: WebhookSender,
        *,
        origin: str = "eventgrid.azure.net",
        handshake_timeout: float = RESPONSE_TIMEOUT_SECONDS,
        policy: AddressPolicy | None = None,
    ) -> None:
        self._ctx = ctx
        self._policy = policy
        self._sender = sender
        self._origin = origin
        self._timeout = handshake_timeout

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

    def _vet_destination(self, url: str) -> None:
        """An IP-address destination the address policy refuses is refused here, with a clear
        message; names are checked when the handshake resolves them (and at every delivery)."""
        address = ip_literal(canonical_host(urlsplit(url).hostname or ""))
        policy = self._policy
        if policy is not None and address is not None and not policy.allowed(address.compressed):
            raise InvalidInput(
                f"{address} is in an address range Tidings does not deliver to (see "
                "TIDINGS_WEBHOOK_ALLOW_LOOPBACK and TIDINGS_WEBHOOK_ALLOW_PRIVATE).",
                code="InvalidEndpointUrl",
                target="properties.destination.properties.endpointUrl",
            )

    async def _handshake(self, name: str, config: SubscriptionConfig, base_url: str) -> Handshake:
        url = config.endpoint_url
        static = {h.name: h.value for h in config.headers if h.type == "Static"}
        if config.schema is DeliverySchema.CLOUD_EVENTS:
            result = await self._sender.request(
                "OPTIONS",
                url,
                headers={**static, "WebHook-Request-Origin": self._origin},
                timeout=self._timeout,
            )
            allowed = result.headers.get("webhook-allowed-origin", "")
            if result.status == 200 and allowed.strip() in (self._origin, "*"):
                return Handshake(ProvisioningState.SUCCEEDED)
            raise _handshake_failed(
                url,
                "OPTIONS",
                result.status,
                result.error_message
                or f"the answer must be 200 with WebHook-Allowed-Origin: {self._origin} (or *)",
            )
        code = new_guid()
        event = {
            "id": new_guid(),
            "topic": self._ctx.topic,
            "subject": "",
            "data": {
                "validationCode": code,
                "validationUrl": f"{base_url.rstrip('/')}/webhooks/validate/{name}?code={code}",
            },
            "eventType": VALIDATION_EVENT,
            "eventTime": iso_z(self._ctx.clock.now()),
            "metadataVersion": "1",
            "dataVersion": "1",
        }
        result = await self._sender.request(
            "POST",
            url,
            headers={
                **static,
                "Content-Type": "application/json; charset=utf-8",
                "aeg-event-type": "SubscriptionValidation",
                "aeg-subscription-name": name.upper(),
                "aeg-delivery-count": "0",
                "aeg-metadata-version": "1",
                "aeg-data-version": "1",
            },
            body=json.dumps([event]).encode(),
            timeout=self._timeout,
        )
        if result.status != 200:
            raise _handshake_failed(url, "POST", result.status, result.error_message)
        if _validation_response(result.body) == code:
            return Handshake(ProvisioningState.SUCCEEDED)
        return Handshake(ProvisioningState.AWAITING_MANUAL_ACTION, code)

    def validate(self, name: str, code: str) -> EventSubscription:
        """The asynchronous handshake: the endpoint GETs the validation URL it was sent."""
        now = self._ctx.clock.now()

        def run(tx: SubscriptionsTx) -> EventSubscription:
            sub = tx.subscriptions.get(name, lock=True)
            if sub is None or not sub.validation_code or sub.validation_code != code:
                raise NotFound("No subscription awaits this validation code.")
            if sub.provisioning_state is not ProvisioningState.AWAITING_MANUAL_ACTION or (
                sub.validation_deadline is not None and sub.validation_deadline < now
            ):
                raise Conflict(
                    "The validation URL has expired; update the subscription to try again.",
                    code="ValidationExpired",
                )
            done = replace(
                sub,
                provisioning_state=ProvisioningState.SUCCEEDED,
                validation_code=None,
                validation_deadline=None,
                updated_at=now,
            )
            tx.subscriptions.save(done)
            return done

        return self._ctx.store.write(run)

    def expire_validations(self) -> int:
        """AwaitingManualAction subscriptions whose 5 minutes ran out become Failed."""
        now = self._ctx.clock.now()

        def run(tx: SubscriptionsTx) -> int:
            count = 0
            for sub in tx.subscriptions.all():
                if (
                    sub.provisioning_state is ProvisioningState.AWAITING_MANUAL_ACTION
                    and sub.validation_deadline is not None
                    and sub.validation_deadline < now
                ):
                    tx.subscriptions.save(
                        replace(sub, provisioning_state=ProvisioningState.FAILED, updated_at=now)
                    )
                    count += 1
            return count

        return self._ctx.store.write(run)

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


def _validation_response(body: bytes) -> str | None:
    try:
        parsed = json_input.decode(body, empty=b"null")
    except InvalidInput:
        return None
    if isinstance(parsed, dict):
        for key, value in parsed.items():
            if key.lower() == "validationresponse" and isinstance(value, str):
                return value
    return None


def _handshake_failed(
    url: str, method: str, status: int | None, detail: str | None
) -> InvalidInput:
    answer = f"response code {status}" if status is not None else "no response"
    message = (
        f"Webhook validation handshake failed for {url}. Http {method} request failed with {answer}"
    )
    if detail:
        message += f": {detail}"
    return InvalidInput(message + ".", code="UrlValidationFailed", target="properties.destination")
