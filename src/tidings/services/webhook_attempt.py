"""One webhook delivery attempt: the request (Event Grid or CloudEvents, batched or not)
and its verdict, as the ``DeliveryResult`` the dispatcher records: delivered, retried at a
time (backoff, ``Retry-After``), dead-lettered or dropped, or expired unsent (TTL)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from tidings.domain.deliveries import ClaimedDelivery, DeliveryResult, DeliveryStatus
from tidings.domain.subscriptions import DeliverySchema, EventSubscription
from tidings.domain.webhook_headers import notification_headers
from tidings.domain.webhooks import Outcome, judge, parse_retry_after, render, retry_wait
from tidings.ports import WebhookSender

EXCERPT_BYTES = 1024


async def attempt(
    sender: WebhookSender,
    sub: EventSubscription,
    delivery: ClaimedDelivery,
    now: datetime,
    timeout: float,
    rand: Callable[[], float],
) -> DeliveryResult:
    """One attempt of ``delivery`` at ``now`` (or the TTL expiry found instead of it)."""
    config = sub.config
    number = delivery.attempts + 1
    final = DeliveryStatus.DEAD_LETTERED if config.dead_letter else DeliveryStatus.DROPPED
    expires = delivery.created_at + timedelta(minutes=config.event_ttl_minutes)
    if now >= expires or not delivery.events:
        return DeliveryResult(
            delivery.id,
            sub.name,
            final,
            attempted=False,
            attempt=number,
            at=now,
            next_attempt_at=None,
            outcome=Outcome.TIME_TO_LIVE_EXCEEDED.value,
            dead_letter_reason="TimeToLiveExceeded",
        )
    cloud = config.schema is DeliverySchema.CLOUD_EVENTS
    payload = render(delivery.events, cloud=cloud, batched=config.max_events_per_batch > 1)
    headers = notification_headers(sub, delivery, payload, now, cloud=cloud)
    result = await sender.request(
        "POST",
        config.endpoint_url,
        headers=headers,
        body=payload.body,
        timeout=timeout,
    )
    verdict = judge(result.status, result.error)
    excerpt = result.body[:EXCERPT_BYTES].decode("utf-8", "replace") if result.body else None
    attempted = DeliveryResult(
        delivery.id,
        sub.name,
        DeliveryStatus.DELIVERED,
        attempted=True,
        attempt=number,
        at=now,
        next_attempt_at=None,
        outcome=verdict.outcome.value,
        status_code=result.status,
        duration_ms=round(result.duration_ms, 3),
        error=result.error_message,
        response_excerpt=excerpt,
        probation_seconds=verdict.probation,
    )
    if verdict.outcome is Outcome.DELIVERED:
        return attempted
    if not verdict.retry or number >= config.max_delivery_attempts:
        reason = verdict.dead_letter_reason or "MaxDeliveryAttemptsExceeded"
        return replace(attempted, status=final, dead_letter_reason=reason)
    retry_after = parse_retry_after(result.headers.get("retry-after"))
    wait = retry_wait(number, verdict, retry_after, rand())
    return replace(
        attempted,
        status=DeliveryStatus.PENDING,
        next_attempt_at=now + timedelta(seconds=wait),
    )
