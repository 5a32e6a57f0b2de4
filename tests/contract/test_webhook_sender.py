"""The webhook HTTP client against a real receiver process: faults, caps, redirects, the guard."""

from __future__ import annotations

from typing import Any

import pytest

from tests.server import ReceiverProcess
from tidings.domain.addresses import AddressPolicy
from tidings.domain.webhooks import TransportError
from tidings.events import http as http_module
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


SPELLINGS = [
    "１２７.０.０.１",  # fullwidth digits
    "127。0。0。1",  # ideographic full stops
    "127．0．0．1",  # fullwidth full stops
    "127｡0｡0｡1",  # halfwidth ideographic full stops
    "2130706433",  # one integer
    "0x7f.1",  # hex, short
    "0177.0.0.1",  # octal
    "127.1",  # short
    "127.0.0.1.",  # trailing dot
    "[::ffff:127.0.0.1]",  # IPv4-mapped IPv6
    "[::ffff:7f00:1]",
    "[::127.0.0.1]",  # IPv4-compatible IPv6
    "[2002:7f00:1::]",  # 6to4
    "localhost",
]


@pytest.mark.parametrize("host", SPELLINGS)
async def test_no_spelling_of_loopback_gets_through(receiver: ReceiverProcess, host: str) -> None:
    """Issue 16: the guard checked the host as written while aiohttp normalised it and
    connected. Every spelling of 127.0.0.1 is refused and nothing reaches the receiver."""
    receiver.clear()
    closed = sender(allow_loopback=False)
    try:
        result = await closed.request(
            "POST", f"http://{host}:{receiver.port}/ok", headers={}, body=b"[]", timeout=5
        )
        assert result.error is TransportError.NOT_ALLOWED, result
        assert result.status is None
    finally:
        await closed.aclose()
    assert receiver.log("/ok") == []


@pytest.mark.parametrize("host", ["１２７.０.０.１", "2130706433", "0x7f.1"])
async def test_ambiguous_spellings_are_refused_even_where_allowed(
    receiver: ReceiverProcess, host: str
) -> None:
    """Loopback allowed, but an IP address spelled in Unicode or as an integer is refused for
    its spelling: clients and resolvers disagree on what those mean."""
    receiver.clear()
    client = sender(allow_loopback=True)
    try:
        result = await client.request(
            "POST", f"http://{host}:{receiver.port}/ok", headers={}, body=b"[]", timeout=5
        )
        message = result.error_message or ""
        assert result.error is TransportError.NOT_ALLOWED
        assert "ASCII" in message or "ambiguous" in message
    finally:
        await client.aclose()
    assert receiver.log("/ok") == []


async def test_the_socket_check_alone_holds(
    receiver: ReceiverProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the URL check and the resolver's check both switched off (as if a new spelling
    or a rebinding DNS answer slipped past them), the socket's own check still refuses."""
    monkeypatch.setattr(http_module, "vet_url", lambda policy, url: None)

    async def unguarded(
        self: http_module.GuardedResolver, host: str, port: int = 0, family: Any = 0
    ) -> Any:
        return await self._inner.resolve(host, port, family)

    monkeypatch.setattr(http_module.GuardedResolver, "resolve", unguarded)
    receiver.clear()
    closed = sender(allow_loopback=False)
    try:
        for host in ("１２７.０.０.１", "127.0.0.1", "localhost"):
            result = await closed.request(
                "POST", f"http://{host}:{receiver.port}/ok", headers={}, body=b"[]", timeout=5
            )
            assert result.error is TransportError.NOT_ALLOWED, (host, result)
    finally:
        await closed.aclose()
    assert receiver.log("/ok") == []


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("::ffff:169.254.169.254", False),
        ("64:ff9b::a9fe:a9fe", False),  # NAT64 of 169.254.169.254
        ("2002:a9fe:a9fe::1", False),  # 6to4 of 169.254.169.254
        ("::169.254.169.254", False),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", False),  # Teredo, client 192.0.2.45
        ("not an address", False),
        ("8.8.8.8", True),
        ("64:ff9b::808:808", True),  # NAT64 of 8.8.8.8
    ],
)
def test_embedded_ipv4_addresses(address: str, allowed: bool) -> None:
    assert AddressPolicy(allow_loopback=False).allowed(address) is allowed
