"""Webhook debugging as the console needs it: the event types Tidings emits, a test event to
one subscription, each delivery's request body and event types beside each attempt's answer,
and handshake failures said in plain words."""

from __future__ import annotations

import httpx
import pytest

from tests.api.test_event_subscriptions_http import V, body
from tests.server import ReceiverProcess, free_port
from tidings.container import Application
from tidings.domain import chat_events

pytestmark = pytest.mark.anyio
SMS_RECEIVED = "Microsoft.Communication.SMSReceived"


async def test_every_emitted_event_type_is_listed(http: httpx.AsyncClient) -> None:
    listed = (await http.get("/tidings/eventTypes")).json()["value"]
    types = [t["type"] for t in listed]
    assert types[:2] == [SMS_RECEIVED, "Microsoft.Communication.SMSDeliveryReportReceived"]
    emitted = {v for k, v in vars(chat_events).items() if k.isupper() and isinstance(v, str)}
    emitted = {t for t in emitted if t.startswith("Microsoft.Communication.Chat")}
    assert emitted <= set(types) and len(types) == len(set(types))
    assert {t["group"] for t in listed} == {"SMS", "Chat (per user)", "Chat (per thread)"}


async def test_a_test_event_goes_to_one_subscription_with_its_request_and_answer(
    http: httpx.AsyncClient, sqlite_application: Application, receiver: ReceiverProcess
) -> None:
    for name, path in (("target", "/ok/target"), ("bystander", "/ok/bystander")):
        created = await http.put(
            f"/eventSubscriptions/{name}", params=V, json=body(receiver.url + path)
        )
        assert created.status_code == 201, created.text
    sent = await http.post(
        "/eventSubscriptions/target/testEvents",
        json={"eventType": "Microsoft.Communication.SMSDeliveryReportReceived"},
    )
    assert sent.status_code == 202, sent.text
    delivery_id = sent.json()["deliveryId"]
    assert sent.json()["event"]["data"]["tidingsTest"] is True
    await sqlite_application.dispatcher.step()
    [row] = (await http.get("/eventSubscriptions/target/deliveries")).json()["value"]
    assert row["id"] == delivery_id and row["status"] == "delivered"
    assert row["eventTypes"] == ["Microsoft.Communication.SMSDeliveryReportReceived"]
    assert (await http.get("/eventSubscriptions/bystander/deliveries")).json()["value"] == []
    detail = (await http.get(f"/eventSubscriptions/target/deliveries/{delivery_id}")).json()
    assert detail["request"]["contentType"].startswith("application/json")
    [event] = detail["request"]["body"]  # the Event Grid array, as the receiver got it
    assert event["id"] == sent.json()["event"]["id"] and event["subject"] == "/tidings/test"
    [attempt] = detail["attempts"]
    assert attempt["httpStatusCode"] == 200 and attempt["outcome"] == "Delivered"
    # Without a body: the subscription's first event type (here none: SMSReceived).
    default = await http.post("/eventSubscriptions/target/testEvents")
    assert default.json()["event"]["eventType"] == SMS_RECEIVED


async def test_test_event_errors(http: httpx.AsyncClient, receiver: ReceiverProcess) -> None:
    await http.put("/eventSubscriptions/tee2", params=V, json=body(receiver.url + "/ok/tee2"))
    unknown = await http.post("/eventSubscriptions/tee2/testEvents", json={"eventType": "Nope"})
    assert unknown.status_code == 400 and "not an event type" in unknown.json()["error"]["message"]
    wrong = await http.post("/eventSubscriptions/tee2/testEvents", json={"eventType": 3})
    assert wrong.status_code == 400
    missing = await http.post("/eventSubscriptions/none/testEvents")
    assert missing.status_code == 404


async def test_handshake_failures_are_said_plainly(http: httpx.AsyncClient) -> None:
    port = free_port()  # nothing listens there
    refused = await http.put(
        "/eventSubscriptions/closed", params=V, json=body(f"http://127.0.0.1:{port}/hook")
    )
    assert refused.status_code == 400
    message = refused.json()["error"]["message"]
    assert f"nothing is listening at 127.0.0.1:{port} (connection refused)" in message
    assert "Connect call failed" not in message and "ssl:default" not in message
