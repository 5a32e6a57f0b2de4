"""Inbound messages, keywords, opt-out and auto-replies through the simulated network."""

from __future__ import annotations

import pytest

from tests.services.conftest import Driver
from tidings.domain.events import SMS_DELIVERY_REPORT_RECEIVED, SMS_RECEIVED
from tidings.domain.keywords import KeywordAction, default_reply
from tidings.domain.messages import Direction, MessageStatus
from tidings.domain.numbers import Capability, NumberType
from tidings.errors import NotFound
from tidings.services.optouts import OptOutAction
from tidings.services.sms import Recipient, SendRequest

pytestmark = pytest.mark.anyio
OURS = "+18005550100"
HANDSET = "+15555550111"


def _inbox(driver: Driver) -> list[tuple[str, str]]:
    return [(m.direction, m.body) for m in driver.app.services.simulator.messages(HANDSET)]


async def test_inbound_is_stored_threaded_and_emitted(driver: Driver) -> None:
    result = driver.app.services.simulator.text(HANDSET, OURS, "Hi there")
    assert result.message_id is not None and result.keyword is None
    received = driver.events(SMS_RECEIVED)
    assert len(received) == 1
    event = received[0]
    assert event["id"] == result.message_id
    assert event["subject"] == "/phonenumber/18005550100"
    assert event["data"]["From"] == "15555550111"
    assert event["data"]["To"] == "18005550100"
    assert event["data"]["Message"] == "Hi there"
    message = driver.app.services.queries.message(result.message_id)
    assert message.direction is Direction.INBOUND
    conversations = driver.app.services.queries.conversations(OURS, 10, 0)
    assert [(c.peer_number, c.message_count) for c in conversations] == [(HANDSET, 1)]


async def test_stop_opts_out_replies_and_blocks_sending(driver: Driver) -> None:
    result = driver.app.services.simulator.text(HANDSET, OURS, "stop")
    assert result.keyword is not None and result.keyword.action is KeywordAction.OPT_OUT
    assert len(driver.events(SMS_RECEIVED)) == 1  # STOP still reaches the application
    await driver.settle()
    await driver.settle(advance=1.0)
    reply = default_reply(KeywordAction.OPT_OUT, "en")
    assert _inbox(driver) == [("sent", "stop"), ("received", reply)]
    check = driver.app.services.optouts.apply(OptOutAction.CHECK, OURS, [HANDSET])
    assert check[0].is_opted_out is True

    results = driver.app.services.sms.send(
        SendRequest(OURS, [Recipient(HANDSET)], "promo", enable_delivery_report=True)
    )
    message_id = results[0].message_id
    assert results[0].http_status_code == 202 and message_id
    await driver.settle()
    await driver.settle(advance=1.0)
    failed = driver.app.services.queries.message(message_id)
    assert failed.status is MessageStatus.FAILED
    assert failed.delivery_status_details == "4007: Sender blocked for given recipient."
    report = [e for e in driver.events(SMS_DELIVERY_REPORT_RECEIVED) if e["id"] == message_id]
    assert report[0]["data"]["DeliveryStatus"] == "Failed"
    assert ("received", "promo") not in _inbox(driver)  # never reached the handset

    driver.app.services.simulator.text(HANDSET, OURS, "START")
    await driver.settle()
    await driver.settle(advance=1.0)
    assert _inbox(driver)[-1] == ("received", default_reply(KeywordAction.OPT_IN, "en"))
    check = driver.app.services.optouts.apply(OptOutAction.CHECK, OURS, [HANDSET])
    assert check[0].is_opted_out is False


async def test_italian_keywords_get_the_seed_replies(driver: Driver) -> None:
    driver.app.services.simulator.text(HANDSET, OURS, "Arresta")
    await driver.settle()
    await driver.settle(advance=1.0)
    assert _inbox(driver)[-1][1].startswith("È stata annullata la sottoscrizione")
    driver.app.services.simulator.text(HANDSET, OURS, "AVVIA")
    await driver.settle()
    await driver.settle(advance=1.0)
    assert _inbox(driver)[-1][1].startswith("È stata ripetuta la sottoscrizione")


async def test_per_number_reply_overrides(driver: Driver) -> None:
    driver.app.services.numbers.set_keyword_replies(
        OURS, {"help": "Call 555-0100 for help.", "optOut": ""}
    )
    driver.app.services.simulator.text(HANDSET, OURS, "HELP")
    driver.app.services.simulator.text(HANDSET, OURS, "STOP")
    await driver.settle()
    await driver.settle(advance=1.0)
    received = [body for direction, body in _inbox(driver) if direction == "received"]
    assert received == ["Call 555-0100 for help."]  # the empty opt-out reply is disabled
    check = driver.app.services.optouts.apply(OptOutAction.CHECK, OURS, [HANDSET])
    assert check[0].is_opted_out is True  # ...but the opt-out itself still happens


async def test_number_that_cannot_receive_drops_inbound(driver: Driver) -> None:
    driver.app.services.numbers.provision(
        "+18335550100", NumberType.TOLL_FREE, sms=Capability.OUTBOUND
    )
    result = driver.app.services.simulator.text(HANDSET, "+18335550100", "hello?")
    assert result.message_id is None and result.dropped_reason
    assert driver.events(SMS_RECEIVED) == []
    with pytest.raises(NotFound):
        driver.app.services.simulator.text(HANDSET, "+18335559999", "anyone?")


async def test_opt_out_api(driver: Driver) -> None:
    optouts = driver.app.services.optouts
    added = optouts.apply(OptOutAction.ADD, OURS, [HANDSET, "+12"])
    assert [(r.to, r.http_status_code) for r in added] == [(HANDSET, 200), ("+12", 400)]
    assert added[1].error_message == "Invalid recipient phone number format"
    assert optouts.apply(OptOutAction.CHECK, OURS, [HANDSET])[0].is_opted_out
    optouts.apply(OptOutAction.REMOVE, OURS, [HANDSET])
    assert not optouts.apply(OptOutAction.CHECK, OURS, [HANDSET])[0].is_opted_out
