"""The SMS API over HTTP: status codes and ACS error bodies for good and bad input."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from tests.services.conftest import Driver
from tidings.api.app import create_app
from tidings.container import Application

pytestmark = pytest.mark.anyio
SEND = "/sms?api-version=2021-03-07"


def _body(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "from": "+18005550100",
        "smsRecipients": [{"to": "+15555550111"}],
        "message": "hi",
        "smsSendOptions": {"enableDeliveryReport": True, "tag": "t1"},
    }
    body.update(overrides)
    return body


async def _error(response: httpx.Response, status: int, code: str | None = None) -> str:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    if code:
        assert error["code"] == code
    return str(error["message"])


async def test_send_returns_202_with_per_recipient_results(http: httpx.AsyncClient) -> None:
    body = _body(
        smsRecipients=[
            {
                "to": "+15555550111",
                "repeatabilityRequestId": "r1",
                "repeatabilityFirstSent": "Sun, 22 Nov 2026 17:33:49 GMT",
            },
            {"to": "+1234"},
        ]
    )
    response = await http.post(SEND, json=body)
    assert response.status_code == 202
    first, second = response.json()["value"]
    assert first["httpStatusCode"] == 202 and first["successful"] is True
    assert first["messageId"].startswith("Outgoing_")
    assert first["repeatabilityResult"] == "accepted"
    assert second == {
        "to": "+1234",
        "httpStatusCode": 400,
        "successful": False,
        "errorMessage": "Invalid To phone number format.",
    }
    again = (await http.post(SEND, json=body)).json()["value"][0]
    assert again["messageId"] == first["messageId"]


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"{not json", "not valid JSON"),
        (b"[]", "Expected `object`"),
        (json.dumps(_body(smsRecipients=[{"to": 5}])).encode(), "$.smsRecipients[0].to"),
        (json.dumps(_body(message=None)).encode(), "$.message"),
        (json.dumps({"smsRecipients": [], "message": "x"}).encode(), "from"),
        (json.dumps(_body(**{"from": "bad sender!"})).encode(), "from is not a valid number"),
        (
            json.dumps(_body(smsSendOptions={"enableDeliveryReport": "yes"})).encode(),
            "enableDeliveryReport",
        ),
        (
            json.dumps(
                _body(smsSendOptions={"messagingConnect": {"partner": "x", "partnerParams": {}}})
            ).encode(),
            "partnerParams",
        ),
    ],
)
async def test_bad_bodies_get_400(http: httpx.AsyncClient, content: bytes, fragment: str) -> None:
    response = await http.post(SEND, content=content, headers={"Content-Type": "application/json"})
    assert fragment in await _error(response, 400)
    listed = (await http.get("/tidings/messages")).json()["value"]
    assert listed == []


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        ({"smsRecipients": []}, "SmsRecipients", "minimum length of '1'"),
        (
            {"smsRecipients": [{"to": "+15555550111"}] * 101},
            "SmsRecipients",
            "Max of 100 phone numbers are allowed in the To field.",
        ),
        ({"message": "x" * 2049}, "Message", "maximum length of '2048'"),
        (
            {"smsSendOptions": {"deliveryReportTimeoutInSeconds": 5}},
            "SmsSendOptions.DeliveryReportTimeoutInSeconds",
            "between 60 and 43200",
        ),
        (
            {"smsRecipients": [{"to": "+15555550111"}, {"to": "Ad155500000000000"}]},
            "SmsRecipients[1].To",
            "'Ad155500000000000'",
        ),
        ({"smsRecipients": [{"to": ""}]}, "SmsRecipients[0].To", "E.164"),
    ],
)
@pytest.mark.parametrize("fast", [True, False], ids=["fast-lane", "full-stack"])
async def test_validation_problems(
    http: httpx.AsyncClient,
    sqlite_application: Application,
    changes: dict[str, object],
    field: str,
    fragment: str,
    fast: bool,
) -> None:
    """Whole-request validation failures answer the 2026-01-23 problem details (400, the
    field and its messages), on the fast lane and the full stack alike; nothing is stored."""
    if fast:
        response = await http.post(SEND, json=_body(**changes))
    else:
        async with _full_stack(sqlite_application, http) as client:
            response = await client.post(SEND, json=_body(**changes))
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "https://tools.ietf.org/html/rfc9110#section-15.5.1"
    assert problem["title"] == "One or more validation errors occurred."
    assert problem["status"] == 400
    assert re.fullmatch(r"00-[0-9a-f]{32}-[0-9a-f]{16}-00", problem["traceId"])
    assert list(problem["errors"]) == [field]
    assert any(fragment in message for message in problem["errors"][field])
    assert (await http.get("/tidings/messages")).json()["value"] == []


def _full_stack(app: Application, http: httpx.AsyncClient) -> httpx.AsyncClient:
    asgi = create_app(app.services, fast_sms=False)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=asgi), base_url="http://tidings.test", auth=http.auth
    )


async def test_unknown_sender_is_401(http: httpx.AsyncClient) -> None:
    response = await http.post(SEND, json=_body(**{"from": "+18005559999"}))
    assert "not provisioned" in await _error(response, 401, "Unauthorized")


async def test_api_versions(http: httpx.AsyncClient) -> None:
    missing = await http.post("/sms", json=_body())
    await _error(missing, 400, "MissingApiVersionParameter")
    unknown = await http.post("/sms?api-version=2019-01-01", json=_body())
    assert "2019-01-01" in await _error(unknown, 400, "UnsupportedApiVersion")
    newest = await http.post("/sms?api-version=2026-01-23", json=_body())
    assert newest.status_code == 202
    old_optouts = await http.post(
        "/sms/optouts:check?api-version=2021-03-07",
        json={"from": "+18005550100", "recipients": [{"to": "+15555550111"}]},
    )
    await _error(old_optouts, 400, "UnsupportedApiVersion")


async def test_optout_endpoints(http: httpx.AsyncClient) -> None:
    version = "?api-version=2026-01-23"
    body = {"from": "+18005550100", "recipients": [{"to": "+15555550111"}, {"to": "abc"}]}
    added = await http.post(f"/sms/optouts:add{version}", json=body)
    assert added.status_code == 200
    assert added.json()["value"] == [
        {"to": "+15555550111", "httpStatusCode": 200},
        {
            "to": "abc",
            "httpStatusCode": 400,
            "errorMessage": "Invalid recipient phone number format",
        },
    ]
    checked = (await http.post(f"/sms/optouts:check{version}", json=body)).json()["value"]
    assert checked[0] == {"to": "+15555550111", "httpStatusCode": 200, "isOptedOut": True}
    await http.post(f"/sms/optouts:remove{version}", json=body)
    checked = (await http.post(f"/sms/optouts:check{version}", json=body)).json()["value"]
    assert checked[0]["isOptedOut"] is False
    listed = (await http.get("/tidings/optouts")).json()["value"]
    assert listed == []
    unknown = await http.post(
        f"/sms/optouts:add{version}",
        json={"from": "+18005559999", "recipients": [{"to": "+15555550111"}]},
    )
    await _error(unknown, 401)


async def test_delivery_report_lookup(http: httpx.AsyncClient, driver: Driver) -> None:
    sent = (await http.post(SEND, json=_body())).json()["value"][0]
    url = f"/deliveryReports/{sent['messageId']}?api-version=2026-01-23"
    await _error(await http.get(url), 404)
    await driver.settle()
    await driver.settle(advance=1.0)
    report = (await http.get(url)).json()
    assert report["deliveryStatus"] == "Delivered"
    assert report["deliveryStatusDetails"] == "2000: No Error"
    assert report["from"] == "+18005550100" and report["to"] == "+15555550111"
    assert report["tag"] == "t1"
    assert report["deliveryAttempts"][0]["segmentsSucceeded"] == 1
    await _error(await http.get("/deliveryReports/nope?api-version=2026-01-23"), 404)


async def test_unknown_route_and_method(http: httpx.AsyncClient) -> None:
    await _error(await http.get("/nothing/here"), 404, "NotFound")
    await _error(await http.get(SEND), 405, "MethodNotAllowed")


async def test_simulator_and_logs(http: httpx.AsyncClient, driver: Driver) -> None:
    texted = await http.post(
        "/tidings/simulator/handsets/+15555550111/messages",
        json={"to": "+18005550100", "message": "HELP"},
    )
    assert texted.status_code == 201
    assert texted.json()["keyword"]["action"] == "help"
    await driver.settle()
    await driver.settle(advance=1.0)
    inbox = (await http.get("/tidings/simulator/handsets/+15555550111/messages")).json()
    assert [m["direction"] for m in inbox["value"]] == ["sent", "received"]
    events = (
        await http.get("/tidings/events", params={"type": "Microsoft.Communication.SMSReceived"})
    ).json()
    assert [e["data"]["Message"] for e in events["value"]] == ["HELP"]
    conversations = (await http.get("/tidings/conversations")).json()["value"]
    assert conversations[0]["messageCount"] == 2
    thread = (await http.get(f"/tidings/conversations/{conversations[0]['id']}/messages")).json()
    assert {m["direction"] for m in thread["value"]} == {"inbound", "outbound"}
    bad = await http.post(
        "/tidings/simulator/handsets/+15555550111/messages",
        json={"to": "+18005559999", "message": "x"},
    )
    await _error(bad, 404)
    await _error(await http.get("/tidings/events?limit=0"), 400)
    await _error(
        await http.put(
            "/tidings/simulator/rules", json={"rules": [{"pattern": "+1", "outcome": "nope"}]}
        ),
        400,
    )


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", SEND),
        ("POST", "/sms/optouts:add?api-version=2026-01-23"),
        ("POST", "/availablePhoneNumbers/countries/US/:search?api-version=2025-06-01"),
        ("POST", "/availablePhoneNumbers/:purchase?api-version=2025-06-01"),
        ("PATCH", "/phoneNumbers/%2B18005550100/capabilities?api-version=2025-06-01"),
        ("POST", "/tidings/simulator/handsets/+15555550111/messages"),
        ("PUT", "/tidings/simulator/handsets/+15555550111"),
        ("PUT", "/tidings/simulator/rules"),
        ("POST", "/tidings/numbers"),
        ("PUT", "/tidings/numbers/+18005550100/keywordReplies"),
    ],
)
@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"null",
        b"1",
        b'"x"',
        b"{}",
        b'{"from": 1}',
        b"\xff\xfe",
        b'{"a": [' * 50,
        b'{"smsRecipients": {"to": "x"}}',
        b'{"script": [1]}',
        b'{"rules": [{}]}',
        b'{"replies": {"bogus": "x"}}',
        b'{"phoneNumberType": "tollFree"}',
    ],
)
async def test_junk_never_gives_500(
    http: httpx.AsyncClient, method: str, path: str, content: bytes
) -> None:
    response = await http.request(
        method, path, content=content, headers={"Content-Type": "application/json"}
    )
    assert response.status_code < 500, (response.status_code, response.text)
    if response.status_code >= 400:
        assert set(response.json()["error"]) >= {"code", "message"}
