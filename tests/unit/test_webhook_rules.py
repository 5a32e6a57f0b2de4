"""Delivery rules: status verdicts, the retry schedule, payloads, signatures, parsing."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from azure.core.messaging import CloudEvent
from azure.eventgrid import EventGridEvent, SystemEventNames
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from tidings.domain.events import SMS_RECEIVED, Event
from tidings.domain.routing import batches, route
from tidings.domain.subscription_validation import config_from_json, config_to_json, parse_config
from tidings.domain.subscriptions import DeliverySchema, EventSubscription, ProvisioningState
from tidings.domain.webhooks import (
    Outcome,
    TransportError,
    judge,
    new_secret,
    render,
    retry_wait,
    signature_header,
)
from tidings.errors import InvalidInput

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def event(i: int = 0, subject: str = "/phonenumber/15555555555") -> Event:
    return Event(
        id=f"Incoming_{i}",
        event_type=SMS_RECEIVED,
        subject=subject,
        topic="/subscriptions/s/resourceGroups/r/providers/microsoft.communication/communicationservices/t",
        data={"MessageId": f"Incoming_{i}", "From": "15555555555", "Message": "x" * 100},
        event_time=NOW,
    )


@pytest.mark.parametrize(
    ("status", "error", "outcome", "retry", "min_wait"),
    [
        (200, None, Outcome.DELIVERED, False, 0),
        (204, None, Outcome.DELIVERED, False, 0),
        (205, None, Outcome.GENERIC_ERROR, True, 10),
        (400, None, Outcome.BAD_REQUEST, False, 0),
        (401, None, Outcome.UNAUTHORIZED, False, 0),
        (403, None, Outcome.FORBIDDEN, False, 0),
        (413, None, Outcome.PAYLOAD_TOO_LARGE, False, 0),
        (404, None, Outcome.NOT_FOUND, True, 300),
        (408, None, Outcome.TIMED_OUT, True, 120),
        (503, None, Outcome.BUSY, True, 30),
        (429, None, Outcome.BUSY, True, 10),
        (500, None, Outcome.GENERIC_ERROR, True, 10),
        (302, None, Outcome.REDIRECT, True, 10),
        (None, TransportError.TIMEOUT, Outcome.TIMED_OUT, True, 10),
        (None, TransportError.CONNECT, Outcome.SOCKET_ERROR, True, 10),
        (None, TransportError.RESOLUTION, Outcome.RESOLUTION_ERROR, True, 10),
        (None, TransportError.NOT_ALLOWED, Outcome.DESTINATION_NOT_ALLOWED, False, 0),
    ],
)
def test_judge(
    status: int | None, error: TransportError | None, outcome: Outcome, retry: bool, min_wait: float
) -> None:
    verdict = judge(status, error)
    assert (verdict.outcome, verdict.retry, verdict.min_wait) == (outcome, retry, min_wait)
    if not retry and outcome is not Outcome.DELIVERED:
        assert verdict.dead_letter_reason.startswith("UndeliverableDueTo")


def test_bad_request_dead_letter_reason_is_event_grids() -> None:
    assert judge(400).dead_letter_reason == "UndeliverableDueToHttpBadRequest"


def test_retry_schedule_is_event_grids() -> None:
    verdict = judge(500)
    waits = [retry_wait(n, verdict, None, 0.0) for n in range(1, 13)]
    assert waits == [10, 30, 60, 300, 600, 1800, 3600, 10800, 21600, 43200, 43200, 43200]


def test_retry_minimums_and_jitter() -> None:
    assert retry_wait(1, judge(404), None, 0.0) == 300  # 404: at least 5 minutes
    assert retry_wait(1, judge(408), None, 0.0) == 120
    assert retry_wait(1, judge(503), None, 0.0) == 30
    assert retry_wait(4, judge(503), None, 0.0) == 300  # the schedule when it is longer
    assert retry_wait(1, judge(429), 90.0, 0.0) == 90  # Retry-After honoured
    assert retry_wait(1, judge(429), 99999.0, 0.0) == 3600  # but capped at an hour
    assert retry_wait(1, judge(500), None, 0.999) == pytest.approx(10 * 1.0999)


def test_event_grid_payload_parses_with_the_official_consumer() -> None:
    payload = render([event(1), event(2)], cloud=False, batched=False)
    assert payload.content_type == "application/json; charset=utf-8"
    items = json.loads(payload.body)
    assert isinstance(items, list) and len(items) == 2
    from_json = EventGridEvent.from_json(json.dumps(items[1]))
    assert from_json.id == "Incoming_2"
    parsed = EventGridEvent.from_dict(items[0])
    assert parsed.event_type == SystemEventNames.AcsSmsReceivedEventName
    assert parsed.subject == "/phonenumber/15555555555"
    assert parsed.data["MessageId"] == "Incoming_1"


def test_cloud_event_payloads() -> None:
    single = render([event(1)], cloud=True, batched=False)
    assert single.content_type == "application/cloudevents+json; charset=utf-8"
    parsed: CloudEvent[Any] = CloudEvent.from_dict(json.loads(single.body))
    assert parsed.type == SMS_RECEIVED and parsed.specversion == "1.0"
    assert parsed.source.endswith("communicationservices/t")
    batch = render([event(1), event(2)], cloud=True, batched=True)
    assert batch.content_type == "application/cloudevents-batch+json; charset=utf-8"
    assert [CloudEvent.from_dict(e).id for e in json.loads(batch.body)] == [
        "Incoming_1",
        "Incoming_2",
    ]


def test_signatures_verify_with_standard_webhooks() -> None:
    secret, old = new_secret(), new_secret()
    body = b'[{"id":"1"}]'
    timestamp = int(datetime.now(UTC).timestamp())
    header = signature_header([secret, old], "msg_1", timestamp, body)
    assert header.count("v1,") == 2
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(timestamp),
        "webhook-signature": header,
    }
    for key in (secret, old):
        Webhook(key).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body + b" ", headers)


def subscription(**props: Any) -> EventSubscription:
    body = {
        "properties": {
            "destination": {"properties": {"endpointUrl": "https://example.com/hook", **props}}
        }
    }
    return EventSubscription(
        name="sub",
        config=parse_config(body, now=NOW),
        provisioning_state=ProvisioningState.SUCCEEDED,
        enabled=True,
        created_at=NOW,
        updated_at=NOW,
        secret=new_secret(),
    )


def test_batching_by_count_and_size() -> None:
    events = [(i, event(i)) for i in range(1, 11)]
    assert [len(d.event_seqs) for d in batches(subscription(), events, NOW)] == [1] * 10
    by_count = batches(subscription(maxEventsPerBatch=4), events, NOW)
    assert [d.event_seqs for d in by_count] == [(1, 2, 3, 4), (5, 6, 7, 8), (9, 10)]
    by_size = batches(
        subscription(maxEventsPerBatch=100, preferredBatchSizeInKilobytes=1), events, NOW
    )
    assert all(1 <= len(d.event_seqs) <= 3 for d in by_size)
    assert sum(len(d.event_seqs) for d in by_size) == 10


def test_route_only_events_after_creation_and_matching() -> None:
    sub = subscription()
    sub = EventSubscription(**{**sub.__dict__, "created_seq": 2})
    events = [(1, event(1)), (2, event(2)), (3, event(3)), (4, event(4, subject="/phonenumber/1"))]
    assert [d.event_seqs for d in route([sub], events, NOW)] == [(3,), (4,)]


def test_config_round_trip() -> None:
    body = {
        "properties": {
            "destination": {
                "endpointType": "WebHook",
                "properties": {
                    "endpointUrl": "https://example.com/hook?code=1",
                    "maxEventsPerBatch": 10,
                    "preferredBatchSizeInKilobytes": 128,
                    "deliveryAttributeMappings": [
                        {
                            "name": "x-key",
                            "type": "Static",
                            "properties": {"value": "s3", "isSecret": True},
                        },
                        {
                            "name": "x-from",
                            "type": "Dynamic",
                            "properties": {"sourceField": "data.From"},
                        },
                    ],
                },
            },
            "eventDeliverySchema": "CloudEventSchemaV1_0",
            "filter": {"subjectBeginsWith": "phonenumber/1555"},
            "retryPolicy": {"maxDeliveryAttempts": 5, "eventTimeToLiveInMinutes": 60},
            "deadLetterDestination": {"endpointType": "StorageBlob"},
            "expirationTimeUtc": "2030-01-01T00:00:00Z",
            "labels": ["a"],
        }
    }
    config = parse_config(body, now=NOW)
    assert config.schema is DeliverySchema.CLOUD_EVENTS and config.dead_letter
    assert config_from_json(config_to_json(config)) == config


@pytest.mark.parametrize(
    ("props", "target"),
    [
        ({"destination": {"properties": {}}}, "properties.destination.properties.endpointUrl"),
        (
            {"destination": {"properties": {"endpointUrl": "ftp://x"}}},
            "properties.destination.properties.endpointUrl",
        ),
        (
            {"destination": {"properties": {"endpointUrl": "https://u:p@x/"}}},
            "properties.destination.properties.endpointUrl",
        ),
        (
            {"destination": {"endpointType": "EventHub", "properties": {}}},
            "properties.destination.endpointType",
        ),
        ({"eventDeliverySchema": "CustomInputSchema"}, "properties.eventDeliverySchema"),
        (
            {"retryPolicy": {"maxDeliveryAttempts": 31}},
            "properties.retryPolicy.maxDeliveryAttempts",
        ),
        ({"retryPolicy": {"maxDeliveryAttempts": 0}}, "properties.retryPolicy.maxDeliveryAttempts"),
        (
            {"retryPolicy": {"eventTimeToLiveInMinutes": 1441}},
            "properties.retryPolicy.eventTimeToLiveInMinutes",
        ),
        (
            {
                "destination": {
                    "properties": {"endpointUrl": "https://x/", "maxEventsPerBatch": 5001}
                }
            },
            "properties.destination.properties.maxEventsPerBatch",
        ),
        (
            {
                "destination": {
                    "properties": {"endpointUrl": "https://x/", "preferredBatchSizeInKilobytes": 0}
                }
            },
            "properties.destination.properties.preferredBatchSizeInKilobytes",
        ),
        ({"expirationTimeUtc": "2000-01-01T00:00:00Z"}, "properties.expirationTimeUtc"),
        ({"expirationTimeUtc": "soon"}, "properties.expirationTimeUtc"),
        ({"labels": "a"}, "properties.labels"),
        (
            {
                "destination": {
                    "properties": {
                        "endpointUrl": "https://x/",
                        "deliveryAttributeMappings": [
                            {
                                "name": "aeg-event-type",
                                "type": "Static",
                                "properties": {"value": "x"},
                            }
                        ],
                    }
                }
            },
            "properties.destination.properties.deliveryAttributeMappings[0].name",
        ),
        (
            {
                "destination": {
                    "properties": {
                        "endpointUrl": "https://x/",
                        "deliveryAttributeMappings": [
                            {"name": f"h{i}", "type": "Static", "properties": {"value": "x"}}
                            for i in range(11)
                        ],
                    }
                }
            },
            "properties.destination.properties.deliveryAttributeMappings",
        ),
        (
            {
                "destination": {
                    "properties": {
                        "endpointUrl": "https://x/",
                        "deliveryAttributeMappings": [
                            {"name": "h", "type": "Static", "properties": {"value": "x" * 4097}}
                        ],
                    }
                }
            },
            "properties.destination.properties.deliveryAttributeMappings[0].properties.value",
        ),
    ],
)
def test_invalid_subscriptions_name_the_field(props: dict[str, Any], target: str) -> None:
    base: dict[str, Any] = {"destination": {"properties": {"endpointUrl": "https://example.com/"}}}
    with pytest.raises(InvalidInput) as caught:
        parse_config({"properties": {**base, **props}}, now=NOW)
    assert caught.value.target == target
    assert (
        target.split(".")[-1].split("[")[0] in caught.value.message
        or "Header" in caught.value.message
    )
