"""A real ``tidings serve`` against node-smpp's SMSC over TLS (node-smpp's own SecureServer,
with a certificate of a CA the carrier is told to trust): the official SDK's send of a long
UCS-2 message becomes UDH parts and one SMSDeliveryReportReceived, an MO message becomes
SMSReceived. The second SMSC implementation, end to end through the SDK."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from azure.communication.sms import SmsClient
from azure.core.credentials import AzureKeyCredential

from tests.server import ServerProcess, route_everything_to
from tests.smsc.harness import SmscProcess, node_missing
from tidings.client import TidingsClient
from tidings.tls import TlsFiles, ensure_dev_tls

pytestmark = pytest.mark.e2e
SENDER = "+18005550100"
REPORT = "Microsoft.Communication.SMSDeliveryReportReceived"
RECEIVED = "Microsoft.Communication.SMSReceived"

if reason := node_missing():
    pytest.skip(reason, allow_module_level=True)


def _wait_for(predicate: Callable[[], Any], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


@pytest.fixture
def tls(tmp_path: Path) -> TlsFiles:
    return ensure_dev_tls(tmp_path / "smsc-tls")


@pytest.fixture
def smsc(tls: TlsFiles) -> Iterator[SmscProcess]:
    process = SmscProcess.node(
        "--tls-key", str(tls.server_key), "--tls-cert", str(tls.server_cert)
    ).start()
    yield process
    process.stop()


@pytest.fixture
def server(tmp_path: Path, smsc: SmscProcess, tls: TlsFiles) -> Iterator[ServerProcess]:
    options = {
        "host": "127.0.0.1",
        "port": smsc.port,
        "system_id": "tidings",
        "password": "secret",
        "tls": True,
        "tls_ca_file": str(tls.ca_cert),
        "reconnect_min_seconds": 0.2,
    }
    process = ServerProcess(tmp_path / "data").start()
    route_everything_to(process, "node", "smpp", options)
    yield process
    process.stop()
    assert "Traceback" not in process.log(), process.log()


def test_sdk_long_ucs2_message_and_mo_over_tls(server: ServerProcess, smsc: SmscProcess) -> None:
    smsc.wait_sync(lambda e: e["event"] == "bound", timeout=20)
    client = SmsClient(server.http_endpoint, AzureKeyCredential(server.access_key), retry_total=0)
    body = "Grüße aus Köln ☕ " * 6  # UCS-2 (☕), 102 units -> 2 parts of 67
    (result,) = client.send(from_=SENDER, to=["+15555550144"], message=body,
                            enable_delivery_report=True)  # fmt: skip
    assert result.successful
    with TidingsClient(server.http_endpoint, server.access_key) as tidings:
        (report,) = _wait_for(lambda: tidings.events(event_types=[REPORT])["value"])
        assert report["data"]["MessageId"] == result.message_id
        assert report["data"]["DeliveryStatus"] == "Delivered"
        assert report["data"]["DeliveryAttempts"][0]["SegmentsSucceeded"] == 2
        parts = [e for e in smsc.of("submit") if e["dest"] == "15555550144"]
        assert len(parts) == 2
        assert all(p["esm_class"] == 0x40 and p["data_coding"] == 8 for p in parts)

        smsc.send(cmd="mo", to=SENDER, text="hello from node", **{"from": "+15555550144"})
        (received,) = _wait_for(lambda: tidings.events(event_types=[RECEIVED])["value"])
        assert received["data"]["Message"] == "hello from node"
        assert received["data"]["From"] == "15555550144"
    answers = smsc.wait_sync(lambda e: e["event"] == "deliver_sm_resp" and e.get("kind") == "mo")
    assert answers[0]["status"] == 0  # answered once stored
