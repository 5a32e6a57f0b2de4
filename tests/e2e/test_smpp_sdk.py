"""A real ``tidings serve`` sending over an SMPP carrier (added and routed to through the REST
API) to smpp34's SMSC:
the official SDK's send becomes submit_sm, the receipt the SMSDeliveryReportReceived event,
an MO message SMSReceived (with opt-out keywords applied)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from azure.communication.sms import SmsClient
from azure.core.credentials import AzureKeyCredential

from tests.server import ServerProcess, route_everything_to
from tests.smsc.harness import SmscProcess
from tidings.client import TidingsClient

pytestmark = pytest.mark.e2e
SENDER = "+18005550100"
REPORT = "Microsoft.Communication.SMSDeliveryReportReceived"
RECEIVED = "Microsoft.Communication.SMSReceived"


def _wait_for(predicate: Any, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


@pytest.fixture
def smsc() -> Iterator[SmscProcess]:
    process = SmscProcess.smpp34().start()
    yield process
    process.stop()


@pytest.fixture
def server(tmp_path: Path, smsc: SmscProcess) -> Iterator[ServerProcess]:
    options = {
        "host": "127.0.0.1",
        "port": smsc.port,
        "system_id": "tidings",
        "password": "pw",
        "reconnect_min_seconds": 0.2,
        "lease_seconds": 3,
    }
    process = ServerProcess(tmp_path / "data").start()
    route_everything_to(process, "smpp", "smpp", options)
    yield process
    process.stop()
    assert "Traceback" not in process.log(), process.log()


def test_sdk_send_receipt_and_mo_over_smpp(server: ServerProcess, smsc: SmscProcess) -> None:
    client = SmsClient(server.http_endpoint, AzureKeyCredential(server.access_key), retry_total=0)
    smsc.wait_sync(lambda e: e["event"] == "bound", timeout=20)
    results = client.send(
        from_=SENDER,
        to=["+15555550111", "+15555550001"],  # the second is refused: ESME_RINVDSTADR
        message="Hello over SMPP",
        enable_delivery_report=True,
        tag="smpp",
    )
    assert all(r.successful for r in results)
    ids = {r.to: r.message_id for r in results}
    with TidingsClient(server.http_endpoint, server.access_key) as tidings:

        def reports() -> dict[str, dict[str, Any]]:
            events = tidings.events(event_types=[REPORT], limit=100)["value"]
            return {e["data"]["To"]: e["data"] for e in events}

        found = _wait_for(lambda: len(reports()) == 2 and reports())
        assert found["+15555550111"]["DeliveryStatus"] == "Delivered"
        assert found["+15555550111"]["MessageId"] == ids["+15555550111"]
        assert found["+15555550001"]["DeliveryStatus"] == "Failed"
        assert "ESME_RINVDSTADR" in found["+15555550001"]["DeliveryStatusDetails"]
        submit = next(e for e in smsc.of("submit") if e["dest"] == "15555550111")
        assert bytes.fromhex(submit["short_message"]) == b"Hello over SMPP"
        assert submit["source"] == "18005550100" and submit["source_ton"] == 1

        smsc.send(cmd="mo", **{"from": "+15555550111", "to": SENDER, "text": "STOP"})
        received = _wait_for(lambda: tidings.events(event_types=[RECEIVED], limit=10)["value"])
        assert received[0]["data"]["From"] == "15555550111"  # as ACS spells it
        assert received[0]["data"]["Message"] == "STOP"


def test_bind_metrics_are_exported(server: ServerProcess, smsc: SmscProcess) -> None:
    import httpx

    smsc.wait_sync(lambda e: e["event"] == "bound", timeout=20)
    client = SmsClient(server.http_endpoint, AzureKeyCredential(server.access_key), retry_total=0)
    client.send(from_=SENDER, to=["+15555550123"], message="m", enable_delivery_report=True)

    matched = 'tidings_smpp_receipts_total{bind="0:trx",carrier="smpp",outcome="matched"}'

    def scraped() -> str:  # once the receipt of the message is matched
        text = httpx.get(f"{server.http_endpoint}/metrics").text
        return text if matched in text else ""

    text = _wait_for(scraped)
    assert 'tidings_smpp_bind_state{bind="0:trx",carrier="smpp",state="bound"} 1.0' in text
    assert "tidings_smpp_response_seconds_bucket" in text
    assert 'tidings_smpp_submits_total{bind="0:trx",carrier="smpp"' in text


def test_worker_killed_mid_window(tmp_path: Path, smsc: SmscProcess) -> None:
    """``kill -9`` of the serving process with messages queued, in flight and awaiting
    receipts; a new process on the same database finishes them: every message reaches the
    SMSC at least once and has exactly one delivery report event."""
    options = {
        "host": "127.0.0.1",
        "port": smsc.port,
        "system_id": "tidings",
        "password": "pw",
        "reconnect_min_seconds": 0.2,
        "lease_seconds": 2,
        "receipt_timeout_seconds": 5,
    }
    env = {"TIDINGS_RATE_LIMITS": "off"}
    first = ServerProcess(tmp_path / "data", env=env).start()
    route_everything_to(first, "smpp", "smpp", options)
    recipients = [f"+1555556{i:04d}" for i in range(1000, 1300)]
    try:
        client = SmsClient(first.http_endpoint, AzureKeyCredential(first.access_key), retry_total=0)
        smsc.wait_sync(lambda e: e["event"] == "bound", timeout=20)
        sent: list[str] = []
        for i in range(0, len(recipients), 50):
            results = client.send(
                from_=SENDER,
                to=recipients[i : i + 50],
                message="kill test",
                enable_delivery_report=True,
            )
            sent.extend(r.message_id for r in results if r.successful)
        assert len(sent) == 300
        for i in range(20):  # MO arriving while the process dies
            smsc.send(cmd="mo", to=SENDER, text=f"mo {i}", **{"from": f"+1555557{i:04d}"})
        smsc.wait_sync(lambda e: e["event"] == "submit", count=40, timeout=20)
        smsc.wait_sync(lambda e: e.get("kind") == "mo", count=3, timeout=20)
    finally:
        first.kill()
    second = ServerProcess(tmp_path / "data", env=env).start()
    try:
        with TidingsClient(second.http_endpoint, second.access_key) as tidings:

            def reports() -> list[dict[str, Any]]:
                return [
                    e["data"] for e in tidings.events(event_types=[REPORT], limit=1000)["value"]
                ]

            found = _wait_for(
                lambda: len({r["MessageId"] for r in reports()}) >= 300 and reports(), timeout=60
            )
            received = _wait_for(
                lambda: (
                    {e["data"]["Message"] for e in tidings.events(event_types=[RECEIVED])["value"]}
                    >= {f"mo {i}" for i in range(20)}
                ),
                timeout=60,
            )
    finally:
        second.stop()
    ids = [r["MessageId"] for r in found]
    assert sorted(ids) == sorted(sent)  # exactly one each
    reached = {e["dest"] for e in smsc.of("submit")}
    assert reached == {r.lstrip("+") for r in recipients}
    # deliver_sm is answered only once stored: what the dead process had read but not
    # stored, the SMSC delivered again to the new one. No receipt is lost, no MO either.
    assert {r["DeliveryStatus"] for r in found} == {"Delivered"}
    assert received
    assert all(e["status"] == 0 for e in smsc.of("deliver_sm_resp"))
