"""The real server on PostgreSQL: send through the SDK, see it delivered and reported."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from azure.communication.sms import SmsClient
from azure.core.credentials import AzureKeyCredential

from tests.conftest import postgres_schema
from tests.server import ServerProcess
from tidings.client import TidingsClient


@pytest.fixture
def postgres_url() -> Iterator[str]:
    base = os.environ.get("TIDINGS_TEST_DATABASE_URL")
    if not base:
        if os.environ.get("CI"):
            pytest.fail("TIDINGS_TEST_DATABASE_URL is not set; scripts/test provides it")
        pytest.skip("no PostgreSQL (set TIDINGS_TEST_DATABASE_URL)")
    yield from postgres_schema(base)


def test_send_and_report_on_postgres(tmp_path: Path, postgres_url: str) -> None:
    server = ServerProcess(tmp_path / "data", database_url=postgres_url).start()
    try:
        client = SmsClient(
            server.http_endpoint, AzureKeyCredential(server.access_key), retry_total=0
        )
        results = client.send(
            from_="+18005550100",
            to=["+15555550111", "+15550001999"],
            message="on postgres",
            enable_delivery_report=True,
        )
        ids = {r.message_id for r in results}
        with TidingsClient(server.http_endpoint, server.access_key) as tidings:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                events = tidings.events(
                    event_types=["Microsoft.Communication.SMSDeliveryReportReceived"]
                )["value"]
                if {e["id"] for e in events} >= ids:
                    break
                time.sleep(0.1)
            statuses = {e["data"]["To"]: e["data"]["DeliveryStatus"] for e in events}
            assert statuses == {"+15555550111": "Delivered", "+15550001999": "Failed"}
    finally:
        server.stop()
    assert "Traceback" not in server.log()
