"""The real server on PostgreSQL: send through the SDK, see it delivered and reported."""

from __future__ import annotations

import time
from pathlib import Path

from azure.communication.sms import SmsClient
from azure.core.credentials import AzureKeyCredential

from tests.server import ServerProcess
from tidings.client import TidingsClient


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
