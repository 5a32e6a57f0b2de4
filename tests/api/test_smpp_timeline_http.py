"""``GET /tidings/messages/{id}/timeline`` of a message sent over SMPP: its carrier, each
part's SMSC id (``submit_sm_resp``), every receipt (final or not) with its stat,
message_state, err, raw id and bind; the response only gains the ``smpp`` member."""

from __future__ import annotations

import random
from datetime import timedelta

import httpx
import pytest

from tests.conftest import FakeClock
from tests.services.conftest import Driver
from tidings.carriers.smpp import ledger
from tidings.container import Application
from tidings.domain.encoding import analyze
from tidings.domain.messages import OutboundSms
from tidings.domain.smpp import SubmitVerdict, parse_smpp_options
from tidings.domain.smpp_receipts import Receipt
from tidings.ports.smpp import Segment

pytestmark = pytest.mark.anyio
SEND = "/sms?api-version=2021-03-07"
OPTS = parse_smpp_options({"host": "h", "port": 1, "system_id": "s", "password": "p"})
TEXT = "z" * 200  # two parts


async def _send(http: httpx.AsyncClient, driver: Driver) -> str:
    body = {
        "from": "+18005550100",
        "smsRecipients": [{"to": "+15555550111"}],
        "message": TEXT,
        "smsSendOptions": {"enableDeliveryReport": True},
    }
    sent = await http.post(SEND, json=body)
    assert sent.status_code == 202, sent.text
    await driver.settle()
    return str(sent.json()["value"][0]["messageId"])


def _over_smpp(app: Application, clock: FakeClock, message_id: str) -> None:
    """The message's parts through the SMPP ledger, as the binds would apply them: both
    accepted on 0:tx; part 1 ENROUTE then DELIVRD on 0:rx; part 2's receipt arrives on
    1:rx before its response, in decimal, UNDELIV."""
    db = app.database
    sms = OutboundSms(message_id, "+18005550100", "+15555550111", TEXT, analyze(TEXT).segment_count)
    rows = ledger.new_segments("acme", OPTS, [sms], clock.now(), random.Random(1))
    db.write(lambda tx: tx.smpp.add_segments(rows))
    first, second = db.write(lambda tx: tx.smpp.claim("acme", "0:tx", limit=9, now=clock.now()))

    def accept(segment: Segment, smsc_id: str) -> None:
        o = ledger.Outcome(segment, SubmitVerdict.OK, 0, smsc_id)
        db.write(lambda tx: ledger.apply_outcomes(tx, OPTS, [o], clock.now()))

    def receive(r: Receipt, bind: str) -> None:
        clock.advance(1)
        db.write(lambda tx: ledger.apply_receipts(tx, "acme", [r], clock.now(), bind=bind))

    accept(first, "0000A1")
    receive(Receipt("A1", "ENROUTE", None, None), "0:rx")
    receive(Receipt("162", "UNDELIV", "001", "030001"), "1:rx")  # 0xA2, before its response
    receive(Receipt("a1", "DELIVRD", "000", None), "0:rx")
    clock.advance(1)
    accept(second, "A2")


async def test_timeline_shows_parts_smsc_ids_and_every_receipt(
    http: httpx.AsyncClient, driver: Driver, sqlite_application: Application, clock: FakeClock
) -> None:
    message_id = await _send(http, driver)
    start = clock.now()
    _over_smpp(sqlite_application, clock, message_id)
    response = await http.get(f"/tidings/messages/{message_id}/timeline")
    assert response.status_code == 200
    timeline = response.json()
    assert {"message", "event", "deliveries", "smpp"} <= set(timeline)
    smpp = timeline["smpp"]
    assert smpp["carrier"] == "acme"
    one, two = smpp["parts"]
    assert (one["part"], one["parts"], two["part"]) == (1, 2, 2)
    assert (one["smscMessageId"], one["bind"]) == ("0000A1", "0:tx")
    assert one["acceptedAt"] == start.isoformat().replace("+00:00", "Z")
    assert one["submissions"] == [
        {"smscMessageId": "0000A1", "bind": "0:tx", "acceptedAt": one["acceptedAt"]}
    ]
    assert [
        (r["stat"], r["messageState"], r["final"], r["id"], r["bind"]) for r in one["receipts"]
    ] == [
        ("ENROUTE", 1, False, "A1", "0:rx"),
        ("DELIVRD", 2, True, "a1", "0:rx"),
    ]
    assert one["receipts"][1]["err"] == "000"
    assert two["smscMessageId"] == "A2"
    (receipt,) = two["receipts"]
    assert receipt == {
        "receivedAt": (start + timedelta(seconds=2)).isoformat().replace("+00:00", "Z"),
        "stat": "UNDELIV",
        "messageState": 5,
        "err": "001",
        "networkError": "030001",
        "id": "162",
        "bind": "1:rx",
        "final": True,
    }


async def test_timeline_of_a_message_not_sent_over_smpp_has_no_smpp_member(
    http: httpx.AsyncClient, driver: Driver
) -> None:
    message_id = await _send(http, driver)
    timeline = (await http.get(f"/tidings/messages/{message_id}/timeline")).json()
    assert timeline["smpp"] is None
    assert timeline["message"]["id"] == message_id
