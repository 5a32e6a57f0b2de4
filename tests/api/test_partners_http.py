"""Messaging Connect over HTTP: the partner registry API and sends that name a partner."""

from __future__ import annotations

import httpx
import pytest

from tests.services.conftest import Driver

pytestmark = pytest.mark.anyio
PARTNERS = "/tidings/messagingConnect/partners"
SEND = "/sms?api-version=2026-01-23"
LEASED = "+442079460000"


def _send_body(partner: str = "contoso", api_key: str = "secret-key") -> dict[str, object]:
    return {
        "from": LEASED,
        "smsRecipients": [{"to": "+447700900123"}],
        "message": "via partner",
        "smsSendOptions": {
            "enableDeliveryReport": True,
            "messagingConnect": {"partner": partner, "partnerParams": {"apiKey": api_key}},
        },
    }


async def _setup(http: httpx.AsyncClient) -> None:
    created = await http.put(f"{PARTNERS}/Contoso", json={"apiKeys": ["secret-key"]})
    assert created.status_code == 201, created.text
    assert created.json() == {
        "name": "contoso",
        "apiKeyCount": 1,
        "numberCount": 0,
        "createdAt": created.json()["createdAt"],
    }
    leased = await http.put(
        f"{PARTNERS}/contoso/numbers/{LEASED}", json={"phoneNumberType": "geographic"}
    )
    assert leased.status_code == 200, leased.text
    assert leased.json()["messagingConnectPartner"] == "contoso"
    assert leased.json()["countryCode"] == "GB"


async def test_send_and_delivery_report_carry_the_partner_id(
    http: httpx.AsyncClient, driver: Driver
) -> None:
    await _setup(http)
    sent = await http.post(SEND, json=_send_body())
    assert sent.status_code == 202, sent.text
    message_id = sent.json()["value"][0]["messageId"]
    await driver.settle()
    await driver.settle(advance=1.0)
    report = await http.get(f"/deliveryReports/{message_id}?api-version=2026-01-23")
    assert report.status_code == 200, report.text
    body = report.json()
    assert body["deliveryStatus"] == "Delivered"
    partner_id = body["messagingConnectPartnerMessageId"]
    assert partner_id
    logged = (await http.get(f"/tidings/messages/{message_id}")).json()
    assert logged["messagingConnectPartner"] == "contoso"
    assert logged["messagingConnectPartnerMessageId"] == partner_id
    listed = (await http.get(f"{PARTNERS}")).json()["value"]
    assert [(p["name"], p["numberCount"]) for p in listed] == [("contoso", 1)]


async def test_acs_only_reports_have_no_partner_id(http: httpx.AsyncClient, driver: Driver) -> None:
    sent = await http.post(
        SEND,
        json={
            "from": "+18005550100",
            "smsRecipients": [{"to": "+15555550111"}],
            "message": "plain",
            "smsSendOptions": {"enableDeliveryReport": True},
        },
    )
    message_id = sent.json()["value"][0]["messageId"]
    await driver.settle()
    await driver.settle(advance=1.0)
    report = (await http.get(f"/deliveryReports/{message_id}?api-version=2026-01-23")).json()
    assert "messagingConnectPartnerMessageId" not in report


@pytest.mark.parametrize(
    ("body", "status", "code", "fragment"),
    [
        (_send_body(partner="fabrikam"), 400, "InvalidMessagingConnectPartner", "fabrikam"),
        (_send_body(api_key="nope"), 401, "Unauthorized", "did not accept the apiKey"),
        (
            {**_send_body(), "from": "+18005550100"},
            401,
            "Unauthorized",
            "not leased through",
        ),
    ],
)
async def test_send_errors(
    http: httpx.AsyncClient, body: dict[str, object], status: int, code: str, fragment: str
) -> None:
    await _setup(http)
    response = await http.post(SEND, json=body)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert fragment in response.json()["error"]["message"]
    assert (await http.get("/tidings/messages")).json()["value"] == []


async def test_registry_errors(http: httpx.AsyncClient) -> None:
    await _setup(http)
    assert (await http.put(f"{PARTNERS}/contoso", json={"apiKeys": []})).status_code == 400
    assert (await http.put(f"{PARTNERS}/contoso", json={"keys": ["x"]})).status_code == 400
    assert (await http.put(f"{PARTNERS}/bad%20name", json={"apiKeys": ["x"]})).status_code == 400
    assert (await http.get(f"{PARTNERS}/nobody")).status_code == 404
    bad_type = await http.put(
        f"{PARTNERS}/contoso/numbers/+442079460001", json={"phoneNumberType": "x"}
    )
    assert bad_type.status_code == 400 and "phoneNumberType" in bad_type.text
    busy = await http.delete(f"{PARTNERS}/contoso")
    assert busy.status_code == 409
    assert (await http.get(f"/phoneNumbers/{LEASED}?api-version=2025-06-01")).status_code == 404
    released = await http.delete(f"{PARTNERS}/contoso/numbers/{LEASED}")
    assert released.status_code == 204
    assert (await http.delete(f"{PARTNERS}/contoso/numbers/{LEASED}")).status_code == 404
    assert (await http.delete(f"{PARTNERS}/contoso")).status_code == 204
    assert (await http.get(PARTNERS)).json() == {"value": []}
