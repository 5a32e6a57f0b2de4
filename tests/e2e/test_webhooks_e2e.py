"""Event subscriptions end to end: a real ``tidings serve``, a real receiver process, the
official SMS SDK producing events, and the official consumers parsing what arrives."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from azure.communication.sms import SmsClient
from azure.core.credentials import AzureKeyCredential
from azure.core.messaging import CloudEvent as AzureCloudEvent
from azure.eventgrid import EventGridEvent, SystemEventNames
from cloudevents.v1.http import from_http
from standardwebhooks import Webhook

from tests.server import ReceiverProcess, ServerProcess
from tidings.client import HmacAuth

SENDER = "+18005550100"
VERSION = "2022-06-15"


def wait_for(predicate: Any, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


@pytest.fixture
def api(server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=server.http_endpoint, auth=HmacAuth(server.access_key), timeout=40
    ) as client:
        yield client


def subscribe(api: httpx.Client, name: str, url: str, **props: Any) -> httpx.Response:
    destination = {"endpointUrl": url, **props.pop("destination", {})}
    body = {
        "properties": {
            "destination": {"endpointType": "WebHook", "properties": destination},
            **props,
        }
    }
    return api.put(f"/eventSubscriptions/{name}", params={"api-version": VERSION}, json=body)


def notifications(receiver: ReceiverProcess, path: str) -> list[dict[str, Any]]:
    return [
        e
        for e in receiver.log(path)
        if e["method"] == "POST" and e["headers"].get("aeg-event-type") == "Notification"
    ]


def body_of(entry: dict[str, Any]) -> bytes:
    return base64.b64decode(entry["body"])


def test_event_grid_delivery_parses_and_verifies(
    server: ServerProcess, receiver: ReceiverProcess, api: httpx.Client
) -> None:
    path = "/ok/eg"
    created = subscribe(
        api,
        "eg-reports",
        receiver.url + path,
        filter={"includedEventTypes": [SystemEventNames.AcsSmsDeliveryReportReceivedEventName]},
    )
    assert created.status_code == 201, created.text
    assert created.json()["properties"]["provisioningState"] == "Succeeded"
    secret = api.get("/eventSubscriptions/eg-reports/secret").json()["secret"]
    sms = SmsClient(server.http_endpoint, AzureKeyCredential(server.access_key))
    [result] = sms.send(
        from_=SENDER, to=["+15555550177"], message="hi", enable_delivery_report=True
    )
    assert result.successful
    entry = wait_for(lambda: notifications(receiver, path))[0]
    raw = body_of(entry)
    headers = {k.lower(): v for k, v in entry["headers"].items()}
    Webhook(secret).verify(raw, headers)  # the Standard Webhooks reference verifier
    [event] = [EventGridEvent.from_dict(e) for e in json.loads(raw)]
    assert event.event_type == SystemEventNames.AcsSmsDeliveryReportReceivedEventName
    assert event.subject == "/phonenumber/18005550100"
    assert event.data["MessageId"] == result.message_id
    assert headers["aeg-subscription-name"] == "EG-REPORTS"

    # The receiver has the post; the dispatcher records the 2xx just after.
    def recorded() -> list[dict[str, Any]]:
        value: list[dict[str, Any]] = api.get("/eventSubscriptions/eg-reports/deliveries").json()[
            "value"
        ]
        return value if value and value[0]["status"] != "pending" else []

    log = wait_for(recorded)
    assert log[0]["status"] == "delivered" and log[0]["eventIds"] == [event.id]
    attempts = api.get(f"/eventSubscriptions/eg-reports/deliveries/{log[0]['id']}").json()[
        "attempts"
    ]
    assert attempts[0]["httpStatusCode"] == 200 and attempts[0]["outcome"] == "Delivered"
    assert (
        api.delete("/eventSubscriptions/eg-reports", params={"api-version": VERSION}).status_code
        == 200
    )


def test_cloud_events_delivery_parses_with_both_sdks(
    server: ServerProcess, receiver: ReceiverProcess, api: httpx.Client
) -> None:
    path = "/ok/ce"
    created = subscribe(
        api,
        "ce-inbound",
        receiver.url + path,
        eventDeliverySchema="CloudEventSchemaV1_0",
        filter={
            "subjectBeginsWith": "phonenumber/1800",
            "includedEventTypes": [SystemEventNames.AcsSmsReceivedEventName],
        },
    )
    assert created.status_code == 201, created.text
    options = [e for e in receiver.log(path) if e["method"] == "OPTIONS"]
    assert options[0]["headers"]["WebHook-Request-Origin"] == "eventgrid.azure.net"
    api.post(
        "/tidings/simulator/handsets/+15555550188/messages", json={"to": SENDER, "message": "ciao"}
    )
    entry = wait_for(lambda: notifications(receiver, path))[0]
    raw = body_of(entry)
    assert entry["headers"]["Content-Type"].startswith("application/cloudevents+json")
    event = from_http(entry["headers"], raw)  # the cloudevents SDK
    assert event["type"] == "Microsoft.Communication.SMSReceived"
    assert event["subject"] == "/phonenumber/18005550100"
    azure_event: AzureCloudEvent[Any] = AzureCloudEvent.from_dict(json.loads(raw))
    assert azure_event.data is not None and azure_event.data["Message"] == "ciao"
    api.delete("/eventSubscriptions/ce-inbound", params={"api-version": VERSION})


def test_failures_are_logged_and_dead_lettered(
    server: ServerProcess, receiver: ReceiverProcess, api: httpx.Client
) -> None:
    path = "/status/400"
    created = subscribe(
        api, "bad", receiver.url + path, deadLetterDestination={"endpointType": "StorageBlob"}
    )
    assert created.status_code == 201, created.text
    api.post(
        "/tidings/simulator/handsets/+15555550199/messages", json={"to": SENDER, "message": "x"}
    )
    letters = wait_for(lambda: api.get("/eventSubscriptions/bad/deadLetters").json()["value"])
    assert letters[0]["deadLetterReason"] == "UndeliverableDueToHttpBadRequest"
    assert letters[0]["lastHttpStatusCode"] == 400 and letters[0]["deliveryAttempts"] == 1
    assert letters[0]["eventType"] == "Microsoft.Communication.SMSReceived"
    attempts = api.get("/eventSubscriptions/bad/attempts").json()["value"]
    assert attempts[0]["responseExcerpt"] == "status 400"
    api.delete("/eventSubscriptions/bad", params={"api-version": VERSION})


def test_handshake_failures_and_bad_input(
    server: ServerProcess, receiver: ReceiverProcess, api: httpx.Client
) -> None:
    failed = subscribe(api, "nope", receiver.url + "/raw/status/500")
    assert failed.status_code == 400
    assert failed.json()["error"]["code"] == "UrlValidationFailed"
    assert api.get("/eventSubscriptions/nope", params={"api-version": VERSION}).status_code == 404
    bad = subscribe(api, "bad-retry", receiver.url + "/ok", retryPolicy={"maxDeliveryAttempts": 99})
    assert bad.status_code == 400
    assert bad.json()["error"]["target"] == "properties.retryPolicy.maxDeliveryAttempts"
    junk = api.put("/eventSubscriptions/junk", params={"api-version": VERSION}, content=b"{nope")
    assert junk.status_code == 400 and "error" in junk.json()
    version = api.get("/eventSubscriptions", params={"api-version": "1999-01-01"})
    assert version.status_code == 400


def test_async_validation_url(
    server: ServerProcess, api: httpx.Client, receiver: ReceiverProcess
) -> None:
    # /raw/ok answers the handshake with 200 and no validationResponse: manual validation.
    created = subscribe(api, "manual", receiver.url + "/raw/ok")
    assert created.json()["properties"]["provisioningState"] == "AwaitingManualAction"
    [validation] = [
        e
        for e in receiver.log("/raw/ok")
        if e["headers"].get("aeg-event-type") == "SubscriptionValidation"
    ]
    url = json.loads(body_of(validation))[0]["data"]["validationUrl"]
    assert httpx.get(url).status_code == 200  # no HMAC: the code is the credential
    state = api.get("/eventSubscriptions/manual", params={"api-version": VERSION}).json()
    assert state["properties"]["provisioningState"] == "Succeeded"
    api.delete("/eventSubscriptions/manual", params={"api-version": VERSION})
