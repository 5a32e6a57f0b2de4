"""Event subscriptions, modelled on Event Grid's ``Microsoft.EventGrid/eventSubscriptions``.

What a subscription is: its destination, filter and delivery settings (``SubscriptionConfig``)
and its state (``EventSubscription``). ``subscription_validation`` turns the resource JSON a
client PUTs into a ``SubscriptionConfig``, and back to its stored form.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from tidings.domain.filters import EventFilter


class DeliverySchema(StrEnum):
    EVENT_GRID = "EventGridSchema"
    CLOUD_EVENTS = "CloudEventSchemaV1_0"


class ProvisioningState(StrEnum):
    CREATING = "Creating"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    AWAITING_MANUAL_ACTION = "AwaitingManualAction"


@dataclass(frozen=True)
class DeliveryHeader:
    name: str
    #: "Static" (``value``) or "Dynamic" (``source_field``, a key into the event like a filter's).
    type: str
    value: str = ""
    source_field: str = ""
    is_secret: bool = False

    def to_json(self, *, reveal: bool = False) -> dict[str, Any]:
        if self.type == "Dynamic":
            props: dict[str, Any] = {"sourceField": self.source_field}
        else:
            shown = self.value if reveal or not self.is_secret else None
            props = {"value": shown, "isSecret": self.is_secret}
        return {"name": self.name, "type": self.type, "properties": props}


@dataclass(frozen=True)
class SubscriptionConfig:
    """What the client chose: everything a PUT carries."""

    endpoint_url: str
    schema: DeliverySchema = DeliverySchema.EVENT_GRID
    filter: EventFilter = field(default_factory=EventFilter)
    max_delivery_attempts: int = 30
    event_ttl_minutes: int = 1440
    max_events_per_batch: int = 1
    preferred_batch_size_kb: int = 64
    headers: tuple[DeliveryHeader, ...] = ()
    dead_letter: bool = False
    expiration_time: datetime | None = None
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class EventSubscription:
    name: str
    config: SubscriptionConfig
    provisioning_state: ProvisioningState
    enabled: bool
    created_at: datetime
    updated_at: datetime
    #: The current ``whsec_`` signing secret; after a rotation the previous one stays in force
    #: (deliveries carry both signatures) until ``previous_secret_expires``.
    secret: str
    previous_secret: str | None = None
    previous_secret_expires: datetime | None = None
    #: Events with a higher outbox sequence number are routed to the subscription.
    created_seq: int = 0
    validation_code: str | None = None
    #: When an AwaitingManualAction subscription stops waiting for its validation URL.
    validation_deadline: datetime | None = None
    consecutive_failures: int = 0
    probation_until: datetime | None = None

    def secrets_in_force(self, now: datetime) -> list[str]:
        out = [self.secret]
        expires = self.previous_secret_expires
        if self.previous_secret and expires is not None and expires > now:
            out.append(self.previous_secret)
        return out

    def with_state(self, state: ProvisioningState, at: datetime) -> EventSubscription:
        return replace(self, provisioning_state=state, updated_at=at)

    def active(self, now: datetime) -> bool:
        """Whether events are routed to this subscription now."""
        expiry = self.config.expiration_time
        return (
            self.enabled
            and self.provisioning_state is ProvisioningState.SUCCEEDED
            and (expiry is None or expiry > now)
        )
