"""Event subscriptions, modelled on Event Grid's ``eventSubscriptions`` resource.

``PUT|GET|DELETE /eventSubscriptions/{name}`` and ``GET /eventSubscriptions`` take an Event
Grid ``api-version``. The delivery log, dead letters, redelivery, replay, enable/disable and
signing-secret endpoints under the same path are Tidings' own (api-version optional).
``GET /webhooks/validate/{name}?code=`` is the asynchronous validation URL: no HMAC, the
code is the credential.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tidings.api.routes.common import api_version, json, page_params, run
from tidings.domain import json_input
from tidings.domain.deliveries import Attempt, DeadLetter, Delivery, DeliveryStatus
from tidings.domain.subscription_validation import config_to_json
from tidings.domain.subscriptions import DeliverySchema, EventSubscription
from tidings.domain.timefmt import iso_z, parse_iso
from tidings.domain.webhooks import cloud_event
from tidings.errors import InvalidInput
from tidings.services.registry import Services

EVENT_GRID_VERSIONS = frozenset(
    {
        "2020-06-01",
        "2021-12-01",
        "2022-06-15",
        "2023-12-15-preview",
        "2024-06-01-preview",
        "2025-02-15",
    }
)
PREFIX = "/eventSubscriptions"


def subscription_body(s: EventSubscription, topic: str) -> dict[str, Any]:
    properties = config_to_json(s.config)
    destination = properties["destination"]["properties"]
    destination["endpointBaseUrl"] = destination["endpointUrl"].split("?", 1)[0]
    destination["deliveryAttributeMappings"] = [h.to_json() for h in s.config.headers]
    return {
        "id": f"{topic}/providers/Microsoft.EventGrid/eventSubscriptions/{s.name}",
        "name": s.name,
        "type": "Microsoft.EventGrid/eventSubscriptions",
        "properties": {
            "topic": topic,
            "provisioningState": s.provisioning_state.value,
            **properties,
            "status": "Enabled" if s.enabled else "Disabled",
            "health": {
                "consecutiveFailures": s.consecutive_failures,
                "probationUntil": iso_z(s.probation_until) if s.probation_until else None,
            },
        },
        "systemData": {"createdAt": iso_z(s.created_at), "lastModifiedAt": iso_z(s.updated_at)},
    }


def delivery_body(d: Delivery, event_ids: list[str] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": d.id,
        "status": d.status.value,
        "eventCount": d.event_count,
        "deliveryAttempts": d.attempts,
        "publishTime": iso_z(d.created_at),
        "nextAttemptTime": iso_z(d.next_attempt_at) if d.status is DeliveryStatus.PENDING else None,
        "lastDeliveryAttemptTime": iso_z(d.last_attempt_at) if d.last_attempt_at else None,
        "lastHttpStatusCode": d.last_status_code,
        "lastDeliveryOutcome": d.last_outcome,
        "deadLetterReason": d.dead_letter_reason,
        "finishedTime": iso_z(d.finished_at) if d.finished_at else None,
    }
    if event_ids is not None:
        out["eventIds"] = event_ids
    return out


def attempt_body(a: Attempt) -> dict[str, Any]:
    return {
        "id": a.id,
        "deliveryId": a.delivery_id,
        "attempt": a.attempt,
        "time": iso_z(a.attempted_at),
        "httpStatusCode": a.status_code,
        "durationMs": a.duration_ms,
        "outcome": a.outcome,
        "error": a.error,
        "responseExcerpt": a.response_excerpt,
    }


def dead_letter_record(dl: DeadLetter, schema: DeliverySchema) -> dict[str, Any]:
    """The event plus Event Grid's dead-letter fields (lower-case names for CloudEvents)."""
    d = dl.delivery
    fields = {
        "deadLetterReason": d.dead_letter_reason,
        "deliveryAttempts": d.attempts,
        "lastDeliveryOutcome": d.last_outcome,
        "lastHttpStatusCode": d.last_status_code,
        "publishTime": iso_z(d.created_at),
        "lastDeliveryAttemptTime": iso_z(d.last_attempt_at) if d.last_attempt_at else None,
    }
    if schema is DeliverySchema.CLOUD_EVENTS:
        return {**cloud_event(dl.event), **{k.lower(): v for k, v in fields.items()}}
    return {**dl.event.to_event_grid(), **fields}


async def _json_body(request: Request) -> Any:
    return json_input.decode(await request.body(), empty=b"{}")


def _base_url(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


def routes(services: Services, *, public_url: str | None = None) -> list[Route]:
    subs = services.subscriptions
    debug = services.webhook_debug
    topic = services.topic

    async def put(request: Request) -> Response:
        api_version(request, EVENT_GRID_VERSIONS)
        body = await _json_body(request)
        sub, created = await subs.put(
            request.path_params["name"], body, base_url=public_url or _base_url(request)
        )
        return json(subscription_body(sub, topic), 201 if created else 200)

    async def get(request: Request) -> Response:
        api_version(request, EVENT_GRID_VERSIONS)
        sub = await run(subs.get, request.path_params["name"])
        return json(subscription_body(sub, topic))

    async def list_all(request: Request) -> Response:
        api_version(request, EVENT_GRID_VERSIONS)
        found = await run(subs.all)
        return json({"value": [subscription_body(s, topic) for s in found]})

    async def delete(request: Request) -> Response:
        api_version(request, EVENT_GRID_VERSIONS)
        removed = await run(subs.delete, request.path_params["name"])
        return Response(status_code=200 if removed else 204)

    async def enable(request: Request) -> Response:
        sub = await run(subs.set_enabled, request.path_params["name"], True)
        return json(subscription_body(sub, topic))

    async def disable(request: Request) -> Response:
        sub = await run(subs.set_enabled, request.path_params["name"], False)
        return json(subscription_body(sub, topic))

    async def get_secret(request: Request) -> Response:
        sub = await run(subs.get, request.path_params["name"])
        return json(_secret(sub))

    async def rotate_secret(request: Request) -> Response:
        body = await _json_body(request)
        grace = body.get("graceMinutes", 1440) if isinstance(body, dict) else None
        if isinstance(grace, bool) or not isinstance(grace, int):
            raise InvalidInput("graceMinutes must be an integer.", target="graceMinutes")
        sub = await run(subs.rotate_secret, request.path_params["name"], grace)
        return json(_secret(sub))

    async def deliveries(request: Request) -> Response:
        limit, offset = page_params(request)
        status = _status(request.query_params.get("status"))
        rows = await run(
            debug.deliveries,
            request.path_params["name"],
            status=status,
            event_id=request.query_params.get("eventId"),
            limit=limit,
            offset=offset,
        )
        return json(
            {
                "value": [
                    {
                        **delivery_body(d, [e.id for e in events]),
                        "eventTypes": [e.event_type for e in events],
                    }
                    for d, events in rows
                ]
            }
        )

    async def delivery(request: Request) -> Response:
        """One delivery with the request it sends (body and content type, the same for each
        attempt) and each attempt's answer (status, error, the start of the response body)."""
        found = await run(
            debug.delivery, request.path_params["name"], request.path_params["delivery_id"]
        )
        events = found.request.events
        return json(
            {
                **delivery_body(found.delivery, [e.id for e in events]),
                "eventTypes": [e.event_type for e in events],
                "request": {
                    "contentType": found.request.content_type,
                    "body": found.request.body,
                },
                "attempts": [attempt_body(a) for a in found.attempts],
            }
        )

    async def send_test_event(request: Request) -> Response:
        """A sample event (``{"eventType": ...}``, optional) to this subscription only."""
        body = await _json_body(request)
        if not isinstance(body, dict) or not isinstance(body.get("eventType", ""), str):
            raise InvalidInput('The body must be {"eventType": "<an event type>"} or empty.')
        delivery_id, event = await run(
            debug.send_test_event, request.path_params["name"], body.get("eventType") or None
        )
        return json({"deliveryId": delivery_id, "event": event.to_event_grid()}, 202)

    async def attempts(request: Request) -> Response:
        limit, offset = page_params(request)
        rows = await run(subs.attempts, request.path_params["name"], limit=limit, offset=offset)
        return json({"value": [attempt_body(a) for a in rows]})

    async def dead_letters(request: Request) -> Response:
        limit, offset = page_params(request)
        sub, rows = await run(
            subs.dead_letters, request.path_params["name"], limit=limit, offset=offset
        )
        return json({"value": [dead_letter_record(d, sub.config.schema) for d in rows]})

    async def redeliver_dead_letters(request: Request) -> Response:
        count = await run(subs.redeliver_dead_letters, request.path_params["name"])
        return json({"redelivered": count}, 202)

    async def redeliver_event(request: Request) -> Response:
        delivery_id = await run(
            subs.redeliver_event, request.path_params["name"], request.path_params["event_id"]
        )
        return json({"deliveryId": delivery_id}, 202)

    async def replay(request: Request) -> Response:
        body = await _json_body(request)
        if not isinstance(body, dict):
            raise InvalidInput('The body must be {"startTime": ..., "endTime": ...}.')
        start = _time(body, "startTime")
        end = _time(body, "endTime")
        await run(subs.replay, request.path_params["name"], start, end)
        return json({"status": "Accepted", "startTime": iso_z(start), "endTime": iso_z(end)}, 202)

    async def stats(request: Request) -> Response:
        counts = await run(subs.stats, request.path_params["name"])
        return json({s.value: counts.get(s.value, 0) for s in DeliveryStatus})

    async def validate(request: Request) -> Response:
        code = request.query_params.get("code", "")
        sub = await run(subs.validate, request.path_params["name"], code)
        return json({"name": sub.name, "provisioningState": sub.provisioning_state.value})

    item = f"{PREFIX}/{{name}}"
    return [
        Route(PREFIX, list_all, methods=["GET"]),
        Route(item, put, methods=["PUT"]),
        Route(item, get, methods=["GET"]),
        Route(item, delete, methods=["DELETE"]),
        Route(f"{item}/enable", enable, methods=["POST"]),
        Route(f"{item}/disable", disable, methods=["POST"]),
        Route(f"{item}/secret", get_secret, methods=["GET"]),
        Route(f"{item}/secret/rotate", rotate_secret, methods=["POST"]),
        Route(f"{item}/stats", stats, methods=["GET"]),
        Route(f"{item}/deliveries", deliveries, methods=["GET"]),
        Route(f"{item}/deliveries/{{delivery_id}}", delivery, methods=["GET"]),
        Route(f"{item}/attempts", attempts, methods=["GET"]),
        Route(f"{item}/deadLetters", dead_letters, methods=["GET"]),
        Route(f"{item}/deadLetters/redeliver", redeliver_dead_letters, methods=["POST"]),
        Route(f"{item}/events/{{event_id}}/redeliver", redeliver_event, methods=["POST"]),
        Route(f"{item}/replay", replay, methods=["POST"]),
        Route(f"{item}/testEvents", send_test_event, methods=["POST"]),
        Route("/webhooks/validate/{name}", validate, methods=["GET"]),
    ]


def _secret(sub: EventSubscription) -> dict[str, Any]:
    return {
        "secret": sub.secret,
        "previousSecret": sub.previous_secret,
        "previousSecretExpiresAt": (
            iso_z(sub.previous_secret_expires) if sub.previous_secret_expires else None
        ),
    }


def _status(raw: str | None) -> DeliveryStatus | None:
    if raw is None:
        return None
    for status in DeliveryStatus:
        if status.value == raw.lower():
            return status
    allowed = ", ".join(s.value for s in DeliveryStatus)
    raise InvalidInput(f"status must be one of {allowed}; got {raw!r}.", target="status")


def _time(body: dict[str, Any], key: str) -> datetime:
    value = body.get(key)
    if not isinstance(value, str):
        raise InvalidInput(f"{key} is required (an ISO 8601 date-time).", target=key)
    try:
        return parse_iso(value)
    except ValueError:
        raise InvalidInput(
            f"{key} must be an ISO 8601 date-time; got {value!r}.", target=key
        ) from None
