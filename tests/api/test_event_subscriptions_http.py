"""The event subscription endpoints in-process: shapes, errors, junk bodies, control."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.server import ReceiverProcess

pytestmark = pytest.mark.anyio
V = {"api-version": "2022-06-15"}


def body(url: str, **props: Any) -> dict[str, Any]:
    return {
        "properties": {
            "destination": {"endpointType": "WebHook", "properties": {"endpointUrl": url}},
            **props,
        }
    }


async def test_resource_shape_and_round_trip(
    http: httpx.AsyncClient, receiver: ReceiverProcess
) -> None:
    url = f"{receiver.url}/ok/api?code=secret"
    created = await http.put("/eventSubscriptions/orders", params=V, json=body(url, labels=["x"]))
    assert created.status_code == 201, created.text
    resource = created.json()
    assert resource["name"] == "orders"
    assert resource["type"] == "Microsoft.EventGrid/eventSubscriptions"
    assert resource["id"].endswith("/providers/Microsoft.EventGrid/eventSubscriptions/orders")
    props = resource["properties"]
    assert props["provisioningState"] == "Succeeded" and props["status"] == "Enabled"
    assert props["destination"]["properties"]["endpointBaseUrl"] == f"{receiver.url}/ok/api"
    assert props["retryPolicy"] == {"maxDeliveryAttempts": 30, "eventTimeToLiveInMinutes": 1440}
    assert props["eventDeliverySchema"] == "EventGridSchema" and props["labels"] == ["x"]
    again = await http.put(
        "/eventSubscriptions/orders", params=V, json=props and {"properties": props}
    )
    assert again.status_code == 200
    listed = await http.get("/eventSubscriptions", params=V)
    assert [s["name"] for s in listed.json()["value"]] == ["orders"]
    assert (await http.delete("/eventSubscriptions/orders", params=V)).status_code == 200
    assert (await http.delete("/eventSubscriptions/orders", params=V)).status_code == 204


async def test_secret_headers_are_hidden_and_kept(
    http: httpx.AsyncClient, receiver: ReceiverProcess
) -> None:
    mapping = [
        {"name": "x-key", "type": "Static", "properties": {"value": "hidden", "isSecret": True}}
    ]
    sent = body(f"{receiver.url}/ok/secret")
    sent["properties"]["destination"]["properties"]["deliveryAttributeMappings"] = mapping
    created = await http.put("/eventSubscriptions/sec", params=V, json=sent)
    shown = created.json()["properties"]["destination"]["properties"]["deliveryAttributeMappings"]
    assert shown == [
        {"name": "x-key", "type": "Static", "properties": {"value": None, "isSecret": True}}
    ]
    # PUT back what GET showed: the secret value is kept.
    again = await http.put(
        "/eventSubscriptions/sec", params=V, json={"properties": created.json()["properties"]}
    )
    assert again.status_code == 200


async def test_control_endpoints(http: httpx.AsyncClient, receiver: ReceiverProcess) -> None:
    await http.put("/eventSubscriptions/ctl", params=V, json=body(f"{receiver.url}/ok/ctl"))
    assert (await http.post("/eventSubscriptions/ctl/disable")).json()["properties"][
        "status"
    ] == "Disabled"
    assert (await http.post("/eventSubscriptions/ctl/enable")).json()["properties"][
        "status"
    ] == "Enabled"
    first = (await http.get("/eventSubscriptions/ctl/secret")).json()
    assert first["secret"].startswith("whsec_") and first["previousSecret"] is None
    rotated = (
        await http.post("/eventSubscriptions/ctl/secret/rotate", json={"graceMinutes": 30})
    ).json()
    assert rotated["previousSecret"] == first["secret"] and rotated["previousSecretExpiresAt"]
    assert (await http.get("/eventSubscriptions/ctl/stats")).json()["pending"] == 0
    assert (await http.get("/eventSubscriptions/ctl/deliveries")).json() == {"value": []}
    assert (await http.get("/eventSubscriptions/ctl/attempts")).json() == {"value": []}
    assert (await http.get("/eventSubscriptions/ctl/deadLetters")).json() == {"value": []}
    replay = await http.post(
        "/eventSubscriptions/ctl/replay",
        json={"startTime": "2026-01-01T00:00:00Z", "endTime": "2026-12-01T00:00:00Z"},
    )
    assert replay.status_code == 202
    assert (await http.post("/eventSubscriptions/ctl/deadLetters/redeliver")).json() == {
        "redelivered": 0
    }


@pytest.mark.parametrize(
    ("method", "path", "payload", "status"),
    [
        ("GET", "/eventSubscriptions/missing", None, 404),
        ("POST", "/eventSubscriptions/missing/enable", None, 404),
        ("GET", "/eventSubscriptions/missing/deliveries", None, 404),
        ("GET", "/eventSubscriptions/missing/deadLetters", None, 404),
        ("POST", "/eventSubscriptions/missing/events/e1/redeliver", None, 404),
        ("POST", "/eventSubscriptions/missing/secret/rotate", {}, 404),
        ("GET", "/eventSubscriptions/missing/deliveries/msg_1", None, 404),
        ("GET", "/webhooks/validate/missing?code=x", None, 404),
    ],
)
async def test_unknown_subscription(
    http: httpx.AsyncClient, method: str, path: str, payload: Any, status: int
) -> None:
    response = await http.request(method, path, params=V, json=payload)
    assert response.status_code == status
    assert set(response.json()["error"]) >= {"code", "message"}


@pytest.mark.parametrize(
    ("path", "payload", "target"),
    [
        ("/eventSubscriptions/ab", {}, "name"),  # too short
        ("/eventSubscriptions/bad_name", {}, "name"),
        (
            "/eventSubscriptions/okname",
            {"properties": {}},
            "properties.destination.properties.endpointUrl",
        ),
        ("/eventSubscriptions/okname", {"properties": "x"}, "properties"),
        ("/eventSubscriptions/okname", [], "body"),
    ],
)
async def test_bad_subscriptions(
    http: httpx.AsyncClient, path: str, payload: Any, target: str
) -> None:
    response = await http.put(path, params=V, json=payload)
    assert response.status_code == 400
    assert response.json()["error"]["target"] == target


@pytest.mark.parametrize("junk", [b"{", b"null", b"\xff\xfe", b'"text"', b"[1,2]", b"1e999"])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/eventSubscriptions/junk?api-version=2022-06-15"),
        ("POST", "/eventSubscriptions/junk/replay"),
        ("POST", "/eventSubscriptions/junk/secret/rotate"),
    ],
)
async def test_junk_bodies_never_500(
    http: httpx.AsyncClient, method: str, path: str, junk: bytes
) -> None:
    response = await http.request(
        method, path, content=junk, headers={"Content-Type": "application/json"}
    )
    assert 400 <= response.status_code < 500, response.text
    assert "error" in response.json()


async def test_query_and_body_validation(
    http: httpx.AsyncClient, receiver: ReceiverProcess
) -> None:
    await http.put("/eventSubscriptions/val", params=V, json=body(f"{receiver.url}/ok/val"))
    bad_status = await http.get("/eventSubscriptions/val/deliveries", params={"status": "sideways"})
    assert bad_status.status_code == 400 and bad_status.json()["error"]["target"] == "status"
    bad_limit = await http.get("/eventSubscriptions/val/attempts", params={"limit": "0"})
    assert bad_limit.status_code == 400
    reversed_range = await http.post(
        "/eventSubscriptions/val/replay",
        json={"startTime": "2026-02-01T00:00:00Z", "endTime": "2026-01-01T00:00:00Z"},
    )
    assert reversed_range.status_code == 400
    no_start = await http.post(
        "/eventSubscriptions/val/replay", json={"endTime": "2026-01-01T00:00:00Z"}
    )
    assert no_start.json()["error"]["target"] == "startTime"
    bad_grace = await http.post("/eventSubscriptions/val/secret/rotate", json={"graceMinutes": -1})
    assert bad_grace.status_code == 400
    missing_version = await http.get("/eventSubscriptions/val")
    assert missing_version.status_code == 400
    assert missing_version.json()["error"]["code"] == "MissingApiVersionParameter"


async def test_validation_url_needs_no_hmac(http: httpx.AsyncClient) -> None:
    anonymous = await http.get("/webhooks/validate/nothing?code=abc", auth=None)
    assert anonymous.status_code == 404  # reached the route: no 401
    assert (await http.get("/eventSubscriptions", params=V, auth=None)).status_code == 401
