"""The headers of one webhook notification: Event Grid's ``aeg-*``, the Standard Webhooks
signature, and the subscription's own (static, or read from the first event)."""

from __future__ import annotations

from datetime import datetime

from tidings.domain.deliveries import ClaimedDelivery
from tidings.domain.filters import lookup
from tidings.domain.subscriptions import EventSubscription
from tidings.domain.webhooks import Payload, envelope, signature_header


def notification_headers(
    sub: EventSubscription,
    delivery: ClaimedDelivery,
    payload: Payload,
    now: datetime,
    *,
    cloud: bool,
) -> dict[str, str]:
    timestamp = int(now.timestamp())
    first = delivery.events[0]
    headers = {
        "Content-Type": payload.content_type,
        "aeg-event-type": "Notification",
        "aeg-subscription-name": sub.name.upper(),
        "aeg-delivery-count": str(delivery.attempts),
        "aeg-metadata-version": "1.0" if cloud else "1",
        "webhook-id": delivery.id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(
            sub.secrets_in_force(now), delivery.id, timestamp, payload.body
        ),
    }
    if not cloud:
        headers["aeg-data-version"] = first.data_version
    if len(delivery.events) == 1:
        headers["aeg-output-event-id"] = first.id
    for header in sub.config.headers:
        if header.type == "Static":
            headers[header.name] = header.value
        else:
            value = lookup(envelope(first), header.source_field)
            if isinstance(value, str | int | float | bool) and value is not None:
                headers[header.name] = str(value)
    return headers
