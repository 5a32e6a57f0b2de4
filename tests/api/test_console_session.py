"""The web console's session: sign-in with an access key, cookie auth, CSRF header, expiry."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from tests.conftest import ACCESS_KEY, FakeClock
from tests.services.conftest import Driver
from tidings.container import Application
from tidings.domain import sessions

pytestmark = pytest.mark.anyio
CSRF = {"x-tidings-console": "1"}
SEND = "/sms?api-version=2021-03-07"


@pytest.fixture
async def browser(sqlite_application: Application) -> AsyncIterator[httpx.AsyncClient]:
    """A client without HMAC: only the console session's cookie authenticates it."""
    transport = httpx.ASGITransport(app=sqlite_application.asgi())
    async with httpx.AsyncClient(transport=transport, base_url="http://tidings.test") as client:
        yield client


async def _sign_in(client: httpx.AsyncClient, key: str = ACCESS_KEY) -> httpx.Response:
    return await client.post("/console/session", json={"accessKey": key}, headers=CSRF)


def _error(response: httpx.Response, status: int) -> tuple[str, str]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    return error["code"], error["message"]


async def test_wrong_key_is_refused_clearly(browser: httpx.AsyncClient) -> None:
    wrong = "b3RoZXJrZXlvdGhlcmtleW90aGVya2V5b3RoZXJrZXk="
    code, message = _error(await _sign_in(browser, wrong), 401)
    assert code == "InvalidAccessKey" and "not valid" in message
    assert "set-cookie" not in (await _sign_in(browser, wrong)).headers
    assert _error(await _sign_in(browser, "  "), 400)[0] == "InvalidParameter"
    junk = await browser.post("/console/session", content=b"{nope", headers=CSRF)
    assert _error(junk, 400)[0] == "InvalidParameter"
    assert _error(await browser.get("/tidings/messages"), 401)[0] == "Denied"


async def test_sign_in_sets_a_strict_http_only_cookie(browser: httpx.AsyncClient) -> None:
    response = await _sign_in(browser)
    assert response.status_code == 200 and response.json()["signedIn"] is True
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("tidings_console=v1.")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Max-Age=28800" in cookie
    assert (await browser.get("/tidings/messages")).status_code == 200
    assert (await browser.get("/console/session")).json()["signedIn"] is True


async def test_connection_string_and_secondary_key(
    browser: httpx.AsyncClient, sqlite_application: Application
) -> None:
    secondary = (await _run_keys(sqlite_application))["secondary"]
    assert (await _sign_in(browser, secondary)).status_code == 200
    browser.cookies.clear()
    conn = f"endpoint=https://127.0.0.1:8443/;accesskey={ACCESS_KEY}"
    assert (await _sign_in(browser, conn)).status_code == 200
    assert (await browser.get("/tidings/events")).status_code == 200


async def _run_keys(app: Application) -> dict[str, str]:
    return app.services.keys.show()


async def test_writes_need_the_csrf_header(browser: httpx.AsyncClient) -> None:
    await _sign_in(browser)
    body = {"from": "+18005550100", "smsRecipients": [{"to": "+15555550111"}], "message": "hi"}
    code, _ = _error(await browser.post(SEND, json=body), 403)
    assert code == "Forbidden"
    assert _error(await browser.post("/console/session", json={"accessKey": ACCESS_KEY}), 403)
    sent = await browser.post(SEND, json=body, headers=CSRF)
    assert sent.status_code == 202 and sent.json()["value"][0]["successful"] is True


async def test_expired_session(browser: httpx.AsyncClient, clock: FakeClock) -> None:
    await _sign_in(browser)
    clock.advance(8 * 3600 + 1)
    status = (await browser.get("/console/session")).json()
    assert status == {"signedIn": False, "reason": "expired"}
    response = await browser.get("/tidings/messages")
    code, message = _error(response, 401)
    assert code == "SessionExpired" and "expired" in message
    assert "Max-Age=0" in response.headers["set-cookie"]  # the browser forgets it
    assert (await browser.get("/console/session")).json()["signedIn"] is False


async def test_forged_or_foreign_tokens_are_refused(
    browser: httpx.AsyncClient, clock: FakeClock
) -> None:
    other = "b3RoZXJrZXlvdGhlcmtleW90aGVya2V5b3RoZXJrZXk="
    foreign = sessions.issue(other, clock.now() + timedelta(hours=1))
    for token in (foreign, "v1.99999999999.x.y", "garbage"):
        browser.cookies.set("tidings_console", token)
        code, message = _error(await browser.get("/tidings/messages"), 401)
        assert code == "SessionExpired" and "no longer valid" in message


async def test_hmac_is_unchanged_next_to_a_bad_cookie(http: httpx.AsyncClient) -> None:
    http.cookies.set("tidings_console", "garbage")
    assert (await http.get("/tidings/messages")).status_code == 200
    unsigned = await http.get("/tidings/messages", auth=None, headers={"authorization": "x"})
    assert _error(unsigned, 401)[0] == "Denied"


async def test_sign_out(browser: httpx.AsyncClient) -> None:
    await _sign_in(browser)
    out = await browser.delete("/console/session", headers=CSRF)
    assert out.status_code == 204 and "Max-Age=0" in out.headers["set-cookie"]
    assert (await browser.get("/console/session")).json()["signedIn"] is False


async def test_regenerating_a_key_ends_its_sessions_but_renews_the_callers(
    browser: httpx.AsyncClient, sqlite_application: Application
) -> None:
    transport = httpx.ASGITransport(app=sqlite_application.asgi())
    async with httpx.AsyncClient(transport=transport, base_url="http://tidings.test") as other:
        await _sign_in(other)
        await _sign_in(browser)
        keys = (await browser.get("/tidings/keys")).json()
        assert keys["primary"] == ACCESS_KEY and keys["secondary"]
        response = await browser.post("/tidings/keys/primary/regenerate", headers=CSRF)
        new_key = response.json()["key"]
        assert new_key != ACCESS_KEY and response.json()["name"] == "primary"
        assert (await browser.get("/tidings/keys")).json()["primary"] == new_key
        assert _error(await other.get("/tidings/keys"), 401)[0] == "SessionExpired"
    bad = await browser.post("/tidings/keys/tertiary/regenerate", headers=CSRF)
    assert _error(bad, 400)[0] == "InvalidParameter"


async def test_root_serves_the_console_to_browsers(browser: httpx.AsyncClient) -> None:
    page = await browser.get("/", headers={"accept": "text/html,*/*"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<div id="app">' in page.text
    assert (await browser.get("/")).json()["openapi"] == "/openapi.json"


async def test_message_timeline(http: httpx.AsyncClient, driver: Driver) -> None:
    body = {
        "from": "+18005550100",
        "smsRecipients": [{"to": "+15555550111"}],
        "message": "hi",
        "smsSendOptions": {"enableDeliveryReport": True},
    }
    message_id = (await http.post(SEND, json=body)).json()["value"][0]["messageId"]
    await driver.settle()
    await driver.settle(advance=1.0)
    timeline = (await http.get(f"/tidings/messages/{message_id}/timeline")).json()
    assert timeline["message"]["deliveryStatus"] == "Delivered"
    assert timeline["event"]["eventType"] == "Microsoft.Communication.SMSDeliveryReportReceived"
    assert timeline["deliveries"] == []
    missing = await http.get("/tidings/messages/nope/timeline")
    assert _error(missing, 404)[0] == "NotFound"


async def test_https_uses_a_secure_host_only_cookie(sqlite_application: Application) -> None:
    transport = httpx.ASGITransport(app=sqlite_application.asgi())
    async with httpx.AsyncClient(transport=transport, base_url="https://tidings.test") as client:
        signed = await _sign_in(client)
        cookie = signed.headers["set-cookie"]
        assert cookie.startswith("__Host-tidings_console=v1.") and "; Secure" in cookie
        assert (await client.get("/tidings/messages")).status_code == 200
        # The plain-HTTP name means nothing over HTTPS (and the reverse).
        token = client.cookies.get("__Host-tidings_console")
        client.cookies.clear()
        client.cookies.set("tidings_console", token or "")
        assert (await client.get("/tidings/messages")).status_code == 401
        client.cookies.set("__Host-tidings_console", "garbage")
        expired = await client.get("/tidings/messages")
        assert "__Host-tidings_console=;" in expired.headers["set-cookie"]
        assert "Secure" in expired.headers["set-cookie"]
