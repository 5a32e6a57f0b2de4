"""Hostile input over HTTP: deep JSON, integers past 64 bits, catastrophic patterns, webhook
addresses spelled to slip past the guard. Each is a class of input: every JSON endpoint, every
numeric field, every stored pattern. Each answer is a 400 in the ACS shape and writes nothing.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from tests.services.conftest import Driver

pytestmark = pytest.mark.anyio

DEEP = b'{"a":' + b"[" * 990 + b"1" + b"]" * 990 + b"}"
SMS = "api-version=2021-03-07"
T = "api-version=2026-01-01"
IV = "api-version=2023-10-01"
CV = "api-version=2024-03-07"
ES = "api-version=2022-06-15"
PN = "api-version=2025-06-01"
HANDSET = "+15555550199"
SENDER = "+18005550100"

#: Every route that reads a JSON body (method, path); the fast lane first.
JSON_ENDPOINTS = [
    ("POST", f"/sms?{SMS}"),
    ("POST", "/sms/optouts:add?api-version=2024-12-10-preview"),
    ("POST", f"/identities?{IV}"),
    ("POST", f"/identities/8:acs:x/:issueAccessToken?{IV}"),
    ("PUT", f"/eventSubscriptions/sub-1?{ES}"),
    ("PUT", f"/tidings/simulator/handsets/{HANDSET}?{T}"),
    ("POST", f"/tidings/simulator/handsets/{HANDSET}/messages?{T}"),
    ("PUT", f"/tidings/simulator/rules?{T}"),
    ("POST", f"/tidings/numbers?{T}"),
    ("PUT", f"/tidings/numbers/+18005550100/keywordReplies?{T}"),
    ("POST", f"/availablePhoneNumbers/countries/US/:search?{PN}"),
    ("POST", f"/availablePhoneNumbers/:purchase?{PN}"),
    ("PATCH", f"/phoneNumbers/+18005550100/capabilities?{PN}"),
    ("POST", f"/chat/threads?{CV}"),
]


def _is_acs_error(response: httpx.Response, status: int = 400) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] and body["error"]["message"]
    error: dict[str, Any] = body["error"]
    return error


async def _messages(http: httpx.AsyncClient) -> list[Any]:
    listed = await http.get(f"/tidings/messages?{T}")
    assert listed.status_code == 200
    value: list[Any] = listed.json()["value"]
    return value


@pytest.mark.parametrize(("method", "path"), JSON_ENDPOINTS)
async def test_deep_json_is_a_400_everywhere(
    http: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await http.request(method, path, content=DEEP)
    if path.startswith("/chat"):  # bearer-token API: the HMAC client is refused first
        assert response.status_code == 401
        return
    error = _is_acs_error(response)
    assert "nested" in error["message"]


async def test_deep_json_in_a_string_is_just_a_string(http: httpx.AsyncClient) -> None:
    body = {"from": "+18005550100", "smsRecipients": [{"to": "+15555550111"}], "message": "[" * 900}
    assert (await http.post(f"/sms?{SMS}", json=body)).status_code == 202


async def test_deep_json_writes_nothing(http: httpx.AsyncClient) -> None:
    nested = b"[" * 40 + b"]" * 40
    body = (
        b'{"from":"+18005550100","smsRecipients":[{"to":"+15555550111"}],"message":"hi",'
        b'"smsSendOptions":{"messagingConnect":{"partner":"p","partnerParams":{"x":'
        + nested
        + b"}}}}"
    )
    _is_acs_error(await http.post(f"/sms?{SMS}", content=body))
    assert await _messages(http) == []


async def test_deep_json_on_the_chat_api(http: httpx.AsyncClient) -> None:
    created = await http.post(f"/identities?{IV}", json={"createTokenWithScopes": ["chat"]})
    token = created.json()["accessToken"]["token"]
    response = await http.post(
        f"/chat/threads?{CV}",
        content=DEEP,
        auth=None,  # type: ignore[arg-type]
        headers={"Authorization": f"Bearer {token}"},
    )
    assert "nested" in _is_acs_error(response)["message"]


@pytest.mark.parametrize("big", [2**63, -(2**63) - 1, 10**30])
@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (f"/identities?{IV}", {"expiresInMinutes": None}, "expiresInMinutes"),
        (
            f"/sms?{SMS}",
            {
                "from": "+18005550100",
                "smsRecipients": [{"to": "+15555550111"}],
                "message": "hi",
                "smsSendOptions": {"deliveryReportTimeoutInSeconds": None},
            },
            "deliveryReportTimeoutInSeconds",
        ),
        (
            f"/tidings/simulator/rules?{T}",
            {"rules": [{"pattern": "+1", "outcome": "fail", "code": None}]},
            "code",
        ),
        (
            f"/tidings/simulator/rules?{T}",
            {"rules": [{"pattern": "+1", "outcome": "fail", "delaySeconds": None}]},
            "delaySeconds",
        ),
    ],
)
async def test_integers_past_64_bits_name_the_field(
    http: httpx.AsyncClient, path: str, body: dict[str, Any], field: str, big: int
) -> None:
    text = httpx.Request("POST", "/", json=body).content.replace(b"null", str(big).encode())
    method = "PUT" if "rules" in path else "POST"
    error = _is_acs_error(await http.request(method, path, content=text))
    assert field in error["message"] or field == error.get("target")
    assert await _messages(http) == []


@pytest.mark.parametrize("minutes", [2**62, -(2**62), 2**31])
async def test_lifetimes_in_64_bits_but_out_of_range(http: httpx.AsyncClient, minutes: int) -> None:
    error = _is_acs_error(await http.post(f"/identities?{IV}", json={"expiresInMinutes": minutes}))
    assert error["code"] == "InvalidExpiresInMinutes" and error["target"] == "expiresInMinutes"


@pytest.mark.parametrize("value", [2**63, 2**53 + 2, -(2**64), 10**400])
async def test_filter_numbers_out_of_range(http: httpx.AsyncClient, value: int) -> None:
    body = {
        "properties": {
            "destination": {
                "endpointType": "WebHook",
                "properties": {"endpointUrl": "https://example.invalid/hook"},
            },
            "filter": {
                "advancedFilters": [{"operatorType": "NumberIn", "key": "data.x", "values": [0]}]
            },
        }
    }
    text = httpx.Request("PUT", "/", json=body).content.replace(b"[0]", f"[{value}]".encode())
    error = _is_acs_error(await http.put(f"/eventSubscriptions/sub-1?{ES}", content=text))
    assert "advancedFilters[0]" in error["message"]


@pytest.mark.parametrize(
    ("path", "param"),
    [
        (f"/tidings/messages?{T}", "limit"),
        (f"/tidings/optouts?{T}", "offset"),
        (f"/tidings/events?{T}", "after"),
        (f"/phoneNumbers?{PN}", "skip"),
        (f"/phoneNumbers?{PN}", "top"),
    ],
)
async def test_query_integers_past_64_bits(http: httpx.AsyncClient, path: str, param: str) -> None:
    for value in (2**64, -(2**64), 10**400):
        response = await http.get(f"{path}&{param}={value}")
        assert _is_acs_error(response)["target"] == param


@pytest.mark.parametrize(
    "pattern",
    ["(a+)+$", "(a|a)*b$", "(.*a){12}$", "^(([a-z])+.)+[A-Z]([a-z])+$"],
)
async def test_catastrophic_patterns_match_in_linear_time(
    http: httpx.AsyncClient, driver: Driver, pattern: str
) -> None:
    """With Python's ``re`` each of these takes minutes on a 30-character text (the carrier
    simulator evaluates them on the event loop); RE2 answers at once, and still matches."""
    script = {"script": [{"match": pattern, "reply": "matched"}, {"reply": "other"}]}
    stored = await http.put(f"/tidings/simulator/handsets/{HANDSET}?{T}", json=script)
    assert stored.status_code in (200, 201), stored.text
    for text in ("a" * 40 + "!", "a" * 2000 + "!"):
        sent = await http.post(
            f"/sms?{SMS}",
            json={"from": SENDER, "smsRecipients": [{"to": HANDSET}], "message": text},
        )
        assert sent.status_code == 202, sent.text
    started = time.perf_counter()
    for advance in (0.0, 1.0, 1.0):
        await driver.settle(advance=advance)
    assert time.perf_counter() - started < 5.0
    replies = driver.events("Microsoft.Communication.SMSReceived")
    assert [e["data"]["Message"] for e in replies] == ["other", "other"]


@pytest.mark.parametrize(
    ("pattern", "why"),
    [
        ("(a)\\1", "backreferences"),
        ("(?=a)b", "lookaround"),
        ("((a{100}){100}){100}", "RE2"),
        ("x" * 600, "longer"),
    ],
)
async def test_patterns_re2_cannot_run_are_refused(
    http: httpx.AsyncClient, pattern: str, why: str
) -> None:
    script = {"script": [{"match": pattern, "reply": "r"}]}
    error = _is_acs_error(await http.put(f"/tidings/simulator/handsets/{HANDSET}?{T}", json=script))
    assert why in error["message"] and error["target"] == "script"


@pytest.mark.parametrize("pattern", ["+1555(a+)+", "+1555\\d", "+1555{1}"])
async def test_carrier_rule_patterns_are_digits_and_globs(
    http: httpx.AsyncClient, pattern: str
) -> None:
    body = {"rules": [{"pattern": pattern, "outcome": "fail"}]}
    _is_acs_error(await http.put(f"/tidings/simulator/rules?{T}", json=body))


@pytest.mark.parametrize(
    "host",
    [
        "１２７.０.０.１",
        "127。0。0。1",
        "127．0．0．1",
        "１６９.２５４.１６９.２５４",
        "2130706433",
        "0x7f.1",
        "0177.0.0.1",
        "127.1",
        "[::ffff:169.254.169.254]",
        "169.254.169.254",
        "[64:ff9b::a9fe:a9fe]",
    ],
)
async def test_webhook_addresses_the_guard_refuses(http: httpx.AsyncClient, host: str) -> None:
    """Loopback is allowed in tests (the receiver is local), so the loopback spellings are
    refused for their spelling; the link-local ones for their address."""
    body = {
        "properties": {
            "destination": {
                "endpointType": "WebHook",
                "properties": {"endpointUrl": f"http://{host}:9/hook"},
            }
        }
    }
    error = _is_acs_error(await http.put(f"/eventSubscriptions/sub-1?{ES}", json=body))
    assert error["target"] == "properties.destination.properties.endpointUrl"
    assert (await http.get(f"/eventSubscriptions/sub-1?{ES}")).status_code == 404


EDGE_TIMES = ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", "9999-12-31T23:59:59Z"]


@pytest.mark.parametrize("at", EDGE_TIMES)
async def test_timestamps_at_the_edges_of_the_calendar(http: httpx.AsyncClient, at: str) -> None:
    """An offset that pushes a time past year 1 or 9999 raised OverflowError (a 500); a time
    near the limit overflowed later, when a TTL was added. Timestamps are 1900-9000."""
    body = {
        "properties": {
            "destination": {
                "endpointType": "WebHook",
                "properties": {"endpointUrl": "https://example.invalid/hook"},
            },
            "expirationTimeUtc": at,
        }
    }
    error = _is_acs_error(await http.put(f"/eventSubscriptions/sub-1?{ES}", json=body))
    assert error["target"] == "properties.expirationTimeUtc"
    cursor = await http.get("/tidings/chat/threads", params={"before": f"{at}|x"})
    assert _is_acs_error(cursor)["target"] == "before"
