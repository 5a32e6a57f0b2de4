"""The ``POST /sms`` fast path answers exactly as the full application does.

Every request below goes to two apps over one database: the normal one (fast path on) and
one built with ``fast_sms=False``. Status, headers and body must match byte for byte (message
ids, which are new for each accepted message, are masked), and so must the HTTP metrics.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.types import ASGIApp

from tests.conftest import ACCESS_KEY, FakeClock
from tidings.api.app import create_app
from tidings.api.fast_sms import FastSmsApp
from tidings.client import HmacAuth
from tidings.container import Application

pytestmark = pytest.mark.anyio
SEND = "/sms?api-version=2021-03-07"
GOOD = {
    "from": "+18005550100",
    "smsRecipients": [{"to": "+15555550111"}],
    "message": "hi",
    "smsSendOptions": {"enableDeliveryReport": True, "tag": "t1"},
}
REPEATABLE = {
    "json": {
        **GOOD,
        "smsRecipients": [
            {
                "to": "+15555550112",
                "repeatabilityRequestId": "r1",
                "repeatabilityFirstSent": "Mon, 23 Nov 2026 12:00:00 GMT",
            }
        ],
    }
}
_MESSAGE_ID = re.compile(rb"Outgoing_\d{14}[0-9a-f-]{36}|00-[0-9a-f]{32}-[0-9a-f]{16}-00")

#: (name, request keyword arguments, whether the client signs it)
CASES: list[tuple[str, dict[str, Any], bool]] = [
    ("accepted", {"json": GOOD}, True),
    ("client request id", {"json": GOOD, "headers": {"x-ms-client-request-id": "abc-1"}}, True),
    (
        "unusable client request id",
        {"json": GOOD, "headers": {"x-ms-client-request-id": "a b"}},
        True,
    ),
    (
        "repeatability",
        REPEATABLE,
        True,
    ),
    (
        "repeated",
        REPEATABLE,
        True,
    ),
    (
        "bad first-sent",
        {
            "json": {
                **GOOD,
                "smsRecipients": [
                    {
                        "to": "+15555550113",
                        "repeatabilityRequestId": "r2",
                        "repeatabilityFirstSent": "yesterday",
                    }
                ],
            }
        },
        True,
    ),
    (
        "invalid recipient",
        {"json": {**GOOD, "smsRecipients": [{"to": "12"}, {"to": "+15555550111"}]}},
        True,
    ),
    (
        "not a phone number",
        {"json": {**GOOD, "smsRecipients": [{"to": "+15555550111"}, {"to": "Ad155500000000000"}]}},
        True,
    ),
    ("unicode", {"json": {**GOOD, "message": "héllo ✓ " * 30}}, True),
    ("no api-version", {"url": "/sms", "json": GOOD}, True),
    ("unsupported api-version", {"url": "/sms?api-version=2020-01-01", "json": GOOD}, True),
    (
        "two api-versions",
        {"url": "/sms?api-version=2020-01-01&api-version=2021-03-07", "json": GOOD},
        True,
    ),
    ("not JSON", {"content": b"{nope", "headers": {"content-type": "application/json"}}, True),
    ("empty body", {"content": b""}, True),
    ("wrong type", {"json": {**GOOD, "message": 5}}, True),
    ("no recipients", {"json": {**GOOD, "smsRecipients": []}}, True),
    ("too long", {"json": {**GOOD, "message": "x" * 2049}}, True),
    ("bad sender", {"json": {**GOOD, "from": "nope!"}}, True),
    ("sender not ours", {"json": {**GOOD, "from": "+18005550199"}}, True),
    (
        "unknown partner",
        {"json": {**GOOD, "smsSendOptions": {"messagingConnect": {"partner": "x"}}}},
        True,
    ),
    (
        "bad report timeout",
        {"json": {**GOOD, "smsSendOptions": {"deliveryReportTimeoutInSeconds": 5}}},
        True,
    ),
    ("unsigned", {"json": GOOD}, False),
    ("not HMAC", {"json": GOOD, "headers": {"Authorization": "Bearer x"}}, False),
    (
        "bad signature",
        {
            "json": GOOD,
            "headers": {
                "Authorization": "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256"
                "&Signature=AAAA",
                "x-ms-date": "Mon, 23 Nov 2026 12:00:00 GMT",
            },
        },
        False,
    ),
    ("bad date", {"json": GOOD, "headers": {"x-ms-date": "soon"}}, True),
]


def _full_app(application: Application, clock: FakeClock) -> ASGIApp:
    return create_app(application.services, now=clock.now, fast_sms=False)


@pytest.fixture
async def clients(
    sqlite_application: Application, clock: FakeClock
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    fast = create_app(sqlite_application.services, now=clock.now)
    full = _full_app(sqlite_application, clock)

    def client(app: ASGIApp) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://tidings.test"
        )

    async with client(fast) as a, client(full) as b:
        yield a, b


async def _send(
    client: httpx.AsyncClient, clock: FakeClock, kwargs: dict[str, Any], signed: bool
) -> httpx.Response:
    kwargs = dict(kwargs)
    url = kwargs.pop("url", SEND)
    headers = dict(kwargs.pop("headers", {}))
    if "x-ms-date" in headers and signed:
        # A signed request whose date the client overrides (it must then fail as unparseable).
        auth: httpx.Auth | None = HmacAuth(ACCESS_KEY, date=headers.pop("x-ms-date"))
    else:
        auth = HmacAuth(ACCESS_KEY, now=clock.now) if signed else None
    if auth is None:
        return await client.post(url, headers=headers, **kwargs)
    return await client.post(url, headers=headers, auth=auth, **kwargs)


def _comparable(response: httpx.Response) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    headers = [
        (k, b"<uuid>" if k == b"x-ms-request-id" and len(v) == 36 else v)
        for k, v in response.headers.raw
    ]
    return response.status_code, headers, _MESSAGE_ID.sub(b"<id>", response.content)


@pytest.mark.parametrize(("name", "kwargs", "signed"), CASES, ids=[c[0] for c in CASES])
async def test_fast_path_answers_as_the_full_app(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
    clock: FakeClock,
    name: str,
    kwargs: dict[str, Any],
    signed: bool,
) -> None:
    fast, full = clients
    if name == "repeated":  # the first of the pair, through each app
        await _send(fast, clock, REPEATABLE, True)
    expected = await _send(full, clock, kwargs, signed)
    got = await _send(fast, clock, kwargs, signed)
    assert _comparable(got) == _comparable(expected)
    assert got.status_code < 500


async def test_fast_path_takes_signed_sends_only(
    sqlite_application: Application, clock: FakeClock
) -> None:
    app = create_app(sqlite_application.services, now=clock.now)
    auth = HmacAuth(ACCESS_KEY, now=clock.now)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://tidings.test") as http:
        assert (await http.post(SEND, json=GOOD, auth=auth)).status_code == 202
        assert isinstance(app, FastSmsApp) and app.handled == 1
        assert (await http.post(SEND, json=GOOD)).status_code == 401  # left to the full app
        assert (await http.post("/sms/", json=GOOD, auth=auth)).status_code == 307  # Starlette's
        q = "/sms/optouts:check?api-version=2024-12-10-preview"
        body = {"from": "+18005550100", "recipients": [{"to": "+15555550111"}]}
        assert (await http.post(q, json=body, auth=auth)).status_code == 200
        assert app.handled == 1


async def test_fast_path_counts_metrics_as_the_full_app(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient], clock: FakeClock
) -> None:
    def sms_lines(text: str) -> list[str]:
        return sorted(
            line
            for line in text.splitlines()
            if line.startswith("tidings_http_request")
            and 'method="POST"' in line
            and "_created" not in line
            and "_bucket" not in line
            and "_sum" not in line
        )

    fast, full = clients
    for client in (fast, full):
        for kwargs, signed in (
            ({"json": GOOD}, True),
            ({"json": {}}, True),
            ({"json": GOOD}, False),
        ):
            await _send(client, clock, kwargs, signed)
    lines: list[list[str]] = []
    for client in (fast, full):
        metrics = await client.get("/metrics")
        lines.append(sms_lines(metrics.text))
    assert lines[0] == lines[1]
    assert any('route="/sms"' in line and 'status="202"' in line for line in lines[0])
    assert any('route="unmatched"' in line and 'status="401"' in line for line in lines[0])


async def test_full_app_has_no_fast_path(sqlite_application: Application, clock: FakeClock) -> None:
    app = _full_app(sqlite_application, clock)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://tidings.test") as http:
        auth = HmacAuth(ACCESS_KEY, now=clock.now)
        assert (await http.post(SEND, json=GOOD, auth=auth)).status_code == 202
    assert not isinstance(app, FastSmsApp)
