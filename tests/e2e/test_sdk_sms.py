"""The official azure-communication-sms SDK, sync and async, against a real server."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import Any

import pytest
from azure.communication.sms import SmsClient
from azure.communication.sms.aio import SmsClient as AsyncSmsClient
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError

from tests.server import ServerProcess
from tidings.client import TidingsClient

SENDER = "+18005550100"


def _wait_for(predicate: Any, timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def _tidings(server: ServerProcess) -> TidingsClient:
    return TidingsClient(server.http_endpoint, server.access_key)


def test_connection_string_over_https(
    server: ServerProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server.ca_cert))
    client = SmsClient.from_connection_string(server.connection_string, retry_total=0)
    results = client.send(
        from_=SENDER,
        to=["+15555550111", "+15555550112"],
        message="Hi",
        enable_delivery_report=True,
        tag="welcome",
    )
    assert [r.successful for r in results] == [True, True]
    assert [r.http_status_code for r in results] == [202, 202]
    ids = {r.message_id for r in results}
    with _tidings(server) as tidings:

        def reports() -> list[dict[str, Any]]:
            events = tidings.events(
                event_types=["Microsoft.Communication.SMSDeliveryReportReceived"], limit=1000
            )["value"]
            return [e for e in events if e["id"] in ids]

        found = _wait_for(lambda: len(reports()) == 2 and reports())
        assert {e["data"]["DeliveryStatus"] for e in found} == {"Delivered"}
        assert {e["data"]["Tag"] for e in found} == {"welcome"}
        inbox = tidings.handset_messages("+15555550111")
        assert "Hi" in [m["message"] for m in inbox]


def test_plain_http_with_key_credential(server: ServerProcess) -> None:
    client = SmsClient(
        server.http_endpoint + "/", AzureKeyCredential(server.access_key), retry_total=0
    )
    (result,) = client.send(from_=SENDER, to="+15555550113", message="over http")
    assert result.successful and result.message_id.startswith("Outgoing_")
    # A plain string key works too.
    plain = SmsClient(server.http_endpoint, server.access_key, retry_total=0)  # type: ignore[arg-type]
    assert plain.send(from_=SENDER, to="+15555550113", message="again")[0].successful


def test_sdk_error_mapping(server: ServerProcess) -> None:
    client = SmsClient(server.http_endpoint, AzureKeyCredential(server.access_key), retry_total=0)
    with pytest.raises(ClientAuthenticationError):
        client.send(from_="+18005559999", to="+15555550111", message="not ours")
    with pytest.raises(HttpResponseError) as error:
        client.send(from_=SENDER, to="+15555550111", message="x" * 2049)
    assert error.value.status_code == 400
    # Not a phone number at all: the whole request fails (2026-01-23 validation problem).
    with pytest.raises(HttpResponseError) as error:
        client.send(from_=SENDER, to=["Ad155500000000000", "+15555550111"], message="x")
    assert error.value.status_code == 400
    assert "SmsRecipients[0].To" in str(error.value)
    # E.164-shaped but invalid: 202, and that recipient fails on its own.
    result = client.send(from_=SENDER, to=["+112345678901", "+15555550111"], message="x")
    assert [r.http_status_code for r in result] == [400, 202]
    assert result[0].error_message == "Invalid To phone number format."
    wrong = SmsClient(
        server.http_endpoint,
        AzureKeyCredential("b3RoZXJrZXlvdGhlcmtleW90aGVya2V5b3RoZXJrZXk="),
        retry_total=0,
    )
    with pytest.raises(ClientAuthenticationError):
        wrong.send(from_=SENDER, to="+15555550111", message="x")


@pytest.mark.anyio
async def test_async_client_over_https(server: ServerProcess) -> None:
    async with AsyncSmsClient.from_connection_string(
        server.connection_string, retry_total=0, connection_verify=str(server.ca_cert)
    ) as client:
        results = await client.send(
            from_=SENDER, to=["+15555550114"], message="async ✓", enable_delivery_report=True
        )
    assert results[0].successful
    async with AsyncSmsClient(
        server.http_endpoint, AzureKeyCredential(server.access_key), retry_total=0
    ) as refused:
        with pytest.raises(HttpResponseError) as error:
            await refused.send(from_=SENDER, to="Ad155500000000000", message="async")
        assert error.value.status_code == 400
    async with AsyncSmsClient(
        server.http_endpoint, AzureKeyCredential(server.access_key), retry_total=0
    ) as plain:
        again = await plain.send(from_=SENDER, to="+15555550114", message="async http")
    assert again[0].successful


def test_async_client_trusts_ssl_cert_file(server: ServerProcess) -> None:
    """As the README says: SSL_CERT_FILE, set before the program starts, for aiohttp."""
    script = (
        "import asyncio, sys\n"
        "from azure.communication.sms.aio import SmsClient\n"
        "async def main():\n"
        "    async with SmsClient.from_connection_string(sys.argv[1], retry_total=0) as c:\n"
        "        r = await c.send(from_='+18005550100', to='+15555550115', message='env')\n"
        "        print(r[0].successful)\n"
        "asyncio.run(main())\n"
    )
    env = {**os.environ, "SSL_CERT_FILE": str(server.ca_cert)}
    done = subprocess.run(
        [sys.executable, "-c", script, server.connection_string],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.stdout.strip() == "True", done.stderr


def test_stop_from_a_handset_blocks_later_sends(server: ServerProcess) -> None:
    client = SmsClient(server.http_endpoint, AzureKeyCredential(server.access_key), retry_total=0)
    handset = "+15555550177"
    with _tidings(server) as tidings:
        texted = tidings.text_from_handset(handset, to=SENDER, message="ARRESTA")
        assert texted["keyword"]["language"] == "it"
        reply = _wait_for(
            lambda: [m for m in tidings.handset_messages(handset) if m["direction"] == "received"]
        )
        assert reply[0]["message"].startswith("È stata annullata")
        (result,) = client.send(
            from_=SENDER, to=handset, message="promo", enable_delivery_report=True
        )
        message = _wait_for(
            lambda: (m := tidings.message(result.message_id))["status"] == "failed" and m
        )
        assert message["deliveryStatusDetails"] == "4007: Sender blocked for given recipient."
