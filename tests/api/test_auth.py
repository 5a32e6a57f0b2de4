"""HMAC authentication as the SDKs sign, and the ACS errors when it fails."""

from __future__ import annotations

from email.utils import formatdate

import httpx
import pytest

from tests.conftest import ACCESS_KEY, FakeClock
from tidings.client import HmacAuth
from tidings.container import Application
from tidings.domain import hmac

pytestmark = pytest.mark.anyio
URL = "/tidings/events"


def _date(clock: FakeClock, offset: float = 0) -> str:
    return formatdate(clock.now().timestamp() + offset, usegmt=True)


async def _error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and {"code", "message"} <= set(body["error"])
    return str(body["error"]["message"])


async def test_signed_request_passes(http: httpx.AsyncClient) -> None:
    assert (await http.get(URL)).status_code == 200


async def test_missing_authorization(http: httpx.AsyncClient) -> None:
    message = await _error(await http.get(URL, auth=None), 401)
    assert "Authorization header is missing" in message


async def test_wrong_key(http: httpx.AsyncClient, clock: FakeClock) -> None:
    other = "b3RoZXJrZXlvdGhlcmtleW90aGVya2V5b3RoZXJrZXk="
    response = await http.get(URL, auth=HmacAuth(other, now=clock.now))
    assert "signature does not match" in await _error(response, 401)
    assert response.headers["www-authenticate"] == "HMAC-SHA256"


async def test_secondary_key_works(
    http: httpx.AsyncClient, sqlite_application: Application, clock: FakeClock
) -> None:
    secondary = sqlite_application.services.keys.show()["secondary"]
    assert secondary != ACCESS_KEY
    assert (await http.get(URL, auth=HmacAuth(secondary, now=clock.now))).status_code == 200


async def test_regenerated_key_takes_over(
    http: httpx.AsyncClient, sqlite_application: Application, clock: FakeClock
) -> None:
    new = sqlite_application.services.keys.regenerate("primary")
    assert (await http.get(URL, auth=HmacAuth(new, now=clock.now))).status_code == 200
    assert (await http.get(URL)).status_code == 401


@pytest.mark.parametrize("offset", [-901, 901])
async def test_skewed_date(http: httpx.AsyncClient, clock: FakeClock, offset: int) -> None:
    response = await http.get(URL, auth=HmacAuth(ACCESS_KEY, date=_date(clock, offset)))
    assert "away from the server's clock" in await _error(response, 401)


async def test_date_within_skew(http: httpx.AsyncClient, clock: FakeClock) -> None:
    response = await http.get(URL, auth=HmacAuth(ACCESS_KEY, date=_date(clock, -600)))
    assert response.status_code == 200


async def test_bad_date(http: httpx.AsyncClient) -> None:
    response = await http.get(URL, auth=HmacAuth(ACCESS_KEY, date="yesterday"))
    assert "RFC 1123" in await _error(response, 401)


def _signed_headers(method: str, target: str, body: bytes, host: str, date: str) -> dict[str, str]:
    body_hash = hmac.content_hash(body)
    signature = hmac.signature(
        ACCESS_KEY, hmac.string_to_sign(method, target, date, host, body_hash)
    )
    return {
        "x-ms-date": date,
        "x-ms-content-sha256": body_hash,
        "Authorization": hmac.authorization_header(signature),
    }


async def test_content_hash_must_match_the_body(http: httpx.AsyncClient, clock: FakeClock) -> None:
    headers = _signed_headers(
        "POST", "/sms?api-version=2021-03-07", b"{}", "tidings.test", _date(clock)
    )
    response = await http.request(
        "POST", "/sms?api-version=2021-03-07", content=b'{"x": 1}', headers=headers, auth=None
    )
    assert "x-ms-content-sha256" in await _error(response, 401)


async def test_host_with_trailing_slash_is_accepted(
    http: httpx.AsyncClient, clock: FakeClock
) -> None:
    # SmsClient("http://host:port/", key) signs "host:port/" as the host.
    headers = _signed_headers("GET", URL, b"", "tidings.test/", _date(clock))
    response = await http.get(URL, headers=headers, auth=None)
    assert response.status_code == 200


async def test_percent_encoded_target_is_signed_raw(
    http: httpx.AsyncClient, clock: FakeClock
) -> None:
    target = "/phoneNumbers/%2B18005550100?api-version=2025-06-01"
    headers = _signed_headers("GET", target, b"", "tidings.test", _date(clock))
    response = await http.get(target, headers=headers, auth=None)
    assert response.status_code == 200
    assert response.json()["phoneNumber"] == "+18005550100"


async def test_bearer_tokens_are_refused(http: httpx.AsyncClient) -> None:
    response = await http.get(URL, headers={"Authorization": "Bearer abc"}, auth=None)
    assert "Bearer" in await _error(response, 401)


async def test_public_paths_need_no_auth(http: httpx.AsyncClient) -> None:
    assert (await http.get("/healthz", auth=None)).status_code == 200
    document = (await http.get("/openapi.json", auth=None)).json()
    assert document["openapi"].startswith("3.")
    assert "/sms" in document["paths"]
    components = document["components"]["schemas"]
    assert "SendMessageRequest" in components  # SMS
    assert "SendChatMessageRequest" in components  # chat: no clash of names


async def test_oversized_body_is_refused(http: httpx.AsyncClient) -> None:
    response = await http.post("/sms?api-version=2021-03-07", content=b"x" * 1_100_000)
    assert "exceeds" in await _error(response, 413)
