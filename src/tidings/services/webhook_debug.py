"""What the console needs to debug a webhook beyond the Event Grid API: the request a delivery
sends (body and fixed headers, the same for each of its attempts) with each attempt's answer,
the event types of each delivery in the log, and a test event sent to one subscription."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tidings.domain import json_input
from tidings.domain.deliveries import Attempt, Delivery, DeliveryStatus, NewDelivery
from tidings.domain.event_types import EMITTED_TYPES, sample_event
from tidings.domain.events import SMS_RECEIVED, Event
from tidings.domain.ids import new_guid
from tidings.domain.routing import new_delivery_id
from tidings.domain.subscriptions import DeliverySchema, EventSubscription
from tidings.domain.webhooks import render
from tidings.errors import InvalidInput, NotFound
from tidings.ports import Tx
from tidings.services.context import ServiceContext


@dataclass(frozen=True)
class DeliveryRequest:
    content_type: str
    body: Any  # the JSON body, parsed
    events: list[Event]


@dataclass(frozen=True)
class DeliveryDetail:
    delivery: Delivery
    request: DeliveryRequest
    attempts: list[Attempt]


def _subscription(tx: Tx, name: str) -> EventSubscription:
    sub = tx.subscriptions.get(name)
    if sub is None:
        raise NotFound(f"Event subscription '{name}' was not found.", code="ResourceNotFound")
    return sub


class WebhookDebugService:
    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx

    def deliveries(
        self,
        name: str,
        *,
        status: DeliveryStatus | None,
        event_id: str | None,
        limit: int,
        offset: int,
    ) -> list[tuple[Delivery, list[Event]]]:
        """A page of the delivery log with the events of each delivery."""

        def run(tx: Tx) -> list[tuple[Delivery, list[Event]]]:
            _subscription(tx, name)
            rows = tx.deliveries.page(
                name, status=status, event_id=event_id, limit=limit, offset=offset
            )
            events = tx.deliveries.events_of([d.id for d in rows])
            return [(d, [e for _, e in events.get(d.id, [])]) for d in rows]

        return self._ctx.store.read(run)

    def delivery(self, name: str, delivery_id: str) -> DeliveryDetail:
        """One delivery: the request it sends and every attempt with its answer."""

        def run(tx: Tx) -> DeliveryDetail:
            sub = _subscription(tx, name)
            found = tx.deliveries.get(delivery_id)
            if found is None or found.subscription != name:
                raise NotFound(f"Delivery '{delivery_id}' was not found.")
            events = [e for _, e in tx.deliveries.events_of([delivery_id]).get(delivery_id, [])]
            attempts = tx.deliveries.attempts(name, delivery_id=delivery_id, limit=1000)
            payload = render(
                events,
                cloud=sub.config.schema is DeliverySchema.CLOUD_EVENTS,
                batched=sub.config.max_events_per_batch > 1,
            )
            request = DeliveryRequest(payload.content_type, json_input.decode(payload.body), events)
            return DeliveryDetail(found, request, attempts)

        return self._ctx.store.read(run)

    def send_test_event(self, name: str, event_type: str | None) -> tuple[str, Event]:
        """A sample event of ``event_type`` (default: the subscription's first type, else
        ``SMSReceived``) delivered to this subscription only, whatever its filters; returns
        the delivery id and the event. The event is kept (routed, so no other subscription
        gets it) so that the delivery log can show what was sent."""
        now = self._ctx.clock.now()

        def run(tx: Tx) -> tuple[str, Event]:
            sub = _subscription(tx, name)
            chosen = event_type or next(
                iter(sub.config.filter.included_event_types or ()), SMS_RECEIVED
            )
            if chosen not in EMITTED_TYPES:
                raise InvalidInput(
                    f"'{chosen}' is not an event type Tidings emits.", target="eventType"
                )
            event = sample_event(chosen, new_guid(), self._ctx.topic, now)
            tx.events.append(event)
            stored = tx.deliveries.event_by_id(event.id)
            assert stored is not None
            tx.deliveries.mark_routed([stored[0]])
            delivery = NewDelivery(new_delivery_id(), name, (stored[0],), now)
            tx.deliveries.add([delivery])
            return delivery.id, event

        return self._ctx.store.write(run)
