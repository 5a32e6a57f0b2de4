"""Routing: which subscriptions get which events, grouped into deliveries (batches).

Event Grid does not wait to fill a batch: a batch holds the matching events that are there
when it is formed, up to ``maxEventsPerBatch`` and about ``preferredBatchSizeInKilobytes``
(an event larger than that still goes, alone).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime

from tidings.domain.deliveries import NewDelivery
from tidings.domain.events import Event
from tidings.domain.subscriptions import EventSubscription
from tidings.domain.webhooks import envelope


def new_delivery_id() -> str:
    """``msg_<32 hex>``: the delivery's id and its ``webhook-id`` header."""
    return "msg_" + uuid.uuid4().hex


def _size(event: Event) -> int:
    return len(json.dumps(event.to_event_grid(), separators=(",", ":"), ensure_ascii=False)) + 1


def batches(
    subscription: EventSubscription,
    events: Sequence[tuple[int, Event]],
    now: datetime,
    new_id: Callable[[], str] = new_delivery_id,
) -> list[NewDelivery]:
    """Group ``events`` (already matched) into deliveries for ``subscription``."""
    config = subscription.config
    if config.max_events_per_batch <= 1:
        return [NewDelivery(new_id(), subscription.name, (seq,), now) for seq, _ in events]
    limit_bytes = config.preferred_batch_size_kb * 1024
    out: list[NewDelivery] = []
    current: list[int] = []
    size = 0
    for seq, event in events:
        event_size = _size(event)
        full = len(current) >= config.max_events_per_batch or (
            current and size + event_size > limit_bytes
        )
        if full:
            out.append(NewDelivery(new_id(), subscription.name, tuple(current), now))
            current, size = [], 0
        current.append(seq)
        size += event_size
    if current:
        out.append(NewDelivery(new_id(), subscription.name, tuple(current), now))
    return out


def route(
    subscriptions: Sequence[EventSubscription],
    events: Sequence[tuple[int, Event]],
    now: datetime,
) -> list[NewDelivery]:
    """The deliveries the active ``subscriptions`` get for newly published ``events``."""
    if not subscriptions or not events:
        return []
    envelopes = [(seq, event, envelope(event)) for seq, event in events]
    out: list[NewDelivery] = []
    for subscription in subscriptions:
        matched = [
            (seq, event)
            for seq, event, env in envelopes
            if seq > subscription.created_seq and subscription.config.filter.matches(env)
        ]
        if matched:
            out.extend(batches(subscription, matched, now))
    return out
