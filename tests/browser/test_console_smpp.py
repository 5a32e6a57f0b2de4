"""The message timeline of a message sent over a real SMPP bind (smpp34's test SMSC): each
part's SMSC id and every receipt, the intermediate ENROUTE included, in an accessible table."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.axe import describe, violations
from tests.browser.conftest import shot
from tests.browser.test_console import api, signed_in
from tests.server import ServerProcess, route_everything_to
from tests.smsc.harness import SmscProcess

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


@pytest.fixture(scope="module")
def smsc() -> Iterator[SmscProcess]:
    process = SmscProcess.smpp34().start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, smsc: SmscProcess) -> Iterator[ServerProcess]:
    """A real ``tidings serve`` whose every message goes to the SMSC (overrides the e2e one)."""
    process = ServerProcess(Path(tmp_path_factory.mktemp("smpp-console")) / "data").start()
    options = {
        "host": "127.0.0.1",
        "port": smsc.port,
        "system_id": "tidings",
        "password": "pw",
        "reconnect_min_seconds": 0.2,
        "lease_seconds": 3,
    }
    route_everything_to(process, "smpp", "smpp", options)
    smsc.wait_sync(lambda e: e["event"] == "bound", timeout=20)
    yield process
    process.stop()


def test_the_timeline_shows_smsc_ids_and_every_receipt(
    page: Page, server: ServerProcess, smsc: SmscProcess
) -> None:
    with api(server) as client:
        body = {
            "from": "+18005550100",
            "smsRecipients": [{"to": "+15555550008"}],  # ENROUTE, then DELIVRD
            "message": "two parts " * 20,
            "smsSendOptions": {"enableDeliveryReport": True},
        }
        sent = client.post("/sms?api-version=2021-03-07", json=body)
        message_id = sent.json()["value"][0]["messageId"]
        deadline = time.monotonic() + 30
        while client.get(f"/tidings/messages/{message_id}").json()["status"] != "delivered":
            assert time.monotonic() < deadline, "the message was not delivered"
            time.sleep(0.1)
    accepted = [e["id"] for e in smsc.of("accepted")]
    signed_in(page, server)
    page.goto(f"{server.http_endpoint}/#/messages/{message_id}")
    timeline = page.locator(".timeline")
    expect(timeline).to_contain_text("SMPP carrier smpp: 2 parts")
    table = page.get_by_role("table", name="SMPP parts and receipts at carrier smpp")
    expect(table.locator("tbody tr")).to_have_count(6)  # per part: accepted, ENROUTE, DELIVRD
    for part in ("1/2", "2/2"):
        rows = table.locator("tbody tr", has_text=part)
        expect(rows.filter(has_text="Accepted (submit_sm_resp)")).to_have_count(1)
        expect(rows.filter(has_text="Receipt ENROUTE (1), not final")).to_have_count(1)
        expect(rows.filter(has_text="Receipt DELIVRD (2)")).to_have_count(1)
    # The SMSC's ids: as its submit_sm_resp gave them, and as its receipts named them.
    assert set(table.locator("code").all_inner_texts()) == set(accepted[-2:])
    expect(table.locator("tbody tr").first).to_contain_text("0:trx")
    shot(page, "message-timeline-smpp")
    problems = violations(page)
    assert not problems, describe(problems)
