"""The webhook HTTP client against a real receiver process: faults, caps, redirects, the guard."""

from __future__ import annotations

import pytest

from tests.server import ReceiverProcess
from tidings.domain.addresses import AddressPolicy
from tidings.domain.webhooks import TransportError
from tidings.events.http import HttpWebhookSender

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def sender(**policy: bool) -> HttpWebhookSender:
    return HttpWebhookSender(AddressPolicy(**policy), body_cap=4096)


async def test_answers_and_statuses(receiver: ReceiverProcess) -> None:
    client = sender()
    try:
        ok = await client.request(
            "POST", f"{receiver.url}/ok", headers={"X-A": "1"}, body=b"[]", timeout=5
        )
        assert ok.status == 200 and ok.body == b"ok" and ok.error is None and ok.duration_ms > 0
        for code in (400, 404, 413, 429, 500, 503):
            result = await client.request(
                "POST", f"{receiver.url}/status/{code}", headers={}, body=b"[]", timeout=5
            )
            assert result.status == code
        [entry] = [e for e in receiver.log("/ok") if e["headers"].get("X-A") == "1"]
        assert entry["method"] == "POST"
    finally:
        await client.aclose()


async def test_redirects_are_not_followed(receiver: ReceiverProcess) -> None:
    client = sender()
    try:
        result = await client.request(
            "POST", f"{receiver.url}/redirect", headers={}, body=b"[]", timeout=5
        )
        assert result.status == 302 and result.headers["location"] == "/ok"
    finally:
        await client.aclose()


async def test_huge_bodies_are_capped(receiver: ReceiverProcess) -> None:
    client = sender()
    try:
        result = await client.request(
            "POST", f"{receiver.url}/huge", headers={}, body=b"[]", timeout=10
        )
        assert result.status == 200 and len(result.body) == 4096
    finally:
        await client.aclose()


async def test_timeout_and_reset(receiver: ReceiverProcess) -> None:
    client = sender()
    try:
        hung = await client.request(
            "POST", f"{receiver.url}/hang", headers={}, body=b"[]", timeout=0.5
        )
        assert hung.status is None and hung.error is TransportError.TIMEOUT
        assert 400 <= hung.duration_ms < 3000
        reset = await client.request(
            "POST", f"{receiver.url}/reset", headers={}, body=b"[]", timeout=5
        )
        assert reset.status is None and reset.error is TransportError.CONNECT
    finally:
        await client.aclose()


async def test_connection_refused_and_unresolvable() -> None:
    client = sender()
    try:
        from tests.server import free_port

        refused = await client.request(
            "POST", f"http://127.0.0.1:{free_port()}/", headers={}, body=b"", timeout=5
        )
        assert refused.error is TransportError.CONNECT
        nowhere = await client.request(
            "POST", "http://no-such-host.invalid/", headers={}, body=b"", timeout=5
        )
        assert nowhere.error is TransportError.RESOLUTION
    finally:
        await client.aclose()


async def test_address_guard(receiver: ReceiverProcess) -> None:
    closed = sender(allow_loopback=False)
    try:
        refused = await closed.request(
            "POST", f"{receiver.url}/ok", headers={}, body=b"[]", timeout=5
        )
        assert refused.error is TransportError.NOT_ALLOWED and "127.0.0.1" in (
            refused.error_message or ""
        )
        by_name = await closed.request(
            "POST", f"http://localhost:{receiver.port}/ok", headers={}, body=b"[]", timeout=5
        )
        assert by_name.error is TransportError.NOT_ALLOWED
    finally:
        await closed.aclose()


@pytest.mark.parametrize(
    ("address", "loopback", "private", "allowed"),
    [
        ("127.0.0.1", True, False, True),
        ("127.0.0.1", False, False, False),
        ("::1", True, False, True),
        ("10.1.2.3", True, False, False),
        ("192.168.1.1", True, False, False),
        ("172.16.0.1", True, False, False),
        ("169.254.169.254", True, False, False),  # cloud metadata: link-local
        ("fe80::1", True, False, False),
        ("fd00::1", True, False, False),
        ("100.64.0.1", True, False, False),
        ("0.0.0.0", True, False, False),
        ("::ffff:10.0.0.1", True, False, False),
        ("10.1.2.3", True, True, True),
        ("169.254.169.254", True, True, True),
        ("93.184.216.34", False, False, True),
        ("2606:4700::1111", False, False, True),
    ],
)
def test_address_policy(address: str, loopback: bool, private: bool, allowed: bool) -> None:
    assert AddressPolicy(allow_loopback=loopback, allow_private=private).allowed(address) is allowed
