"""Messaging Connect: partners, leased numbers, sending and receiving through them."""

from __future__ import annotations

import pytest

from tests.services.conftest import Driver
from tidings.domain.events import SMS_RECEIVED
from tidings.domain.keywords import KeywordAction, default_reply
from tidings.domain.messages import MessageStatus
from tidings.domain.numbers import NumberType
from tidings.domain.partners import PartnerRoute
from tidings.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from tidings.services.optouts import OptOutAction
from tidings.services.sms import Recipient, SendRequest

pytestmark = pytest.mark.anyio
LEASED = "+442079460000"
ACS_NUMBER = "+18005550100"
HANDSET = "+447700900123"


def _lease(driver: Driver) -> None:
    partners = driver.app.services.partners
    partners.put("Infobip", ["key-one", "key-two"])
    partners.lease("infobip", LEASED, NumberType.GEOGRAPHIC)


def _request(sender: str = LEASED, route: PartnerRoute | None = None, **kw: object) -> SendRequest:
    return SendRequest(
        sender=sender,
        recipients=[Recipient(HANDSET)],
        message="Hello via partner",
        enable_delivery_report=True,
        messaging_connect=route,
        **kw,  # type: ignore[arg-type]
    )


async def test_send_through_a_partner_reports_its_message_id(driver: Driver) -> None:
    _lease(driver)
    results = driver.app.services.sms.send(_request(route=PartnerRoute("infobip", "key-two")))
    message_id = results[0].message_id
    assert results[0].http_status_code == 202 and message_id
    await driver.settle()
    await driver.settle(advance=1.0)
    message = driver.app.services.queries.message(message_id)
    assert message.status is MessageStatus.DELIVERED
    assert message.partner == "infobip"
    assert message.partner_message_id and message.partner_message_id == message.carrier_message_id
    inbox = driver.app.services.simulator.messages(HANDSET)
    assert [(m.direction, m.body) for m in inbox] == [("received", "Hello via partner")]


async def test_async_path_checks_partner_too(driver: Driver) -> None:
    _lease(driver)
    sms = driver.app.services.sms
    ok = await sms.send_async(_request(route=PartnerRoute("infobip", "key-one")))
    assert ok[0].successful
    with pytest.raises(Unauthenticated, match="did not accept the apiKey"):
        await sms.send_async(_request(route=PartnerRoute("infobip", "wrong")))


async def test_partner_errors(driver: Driver) -> None:
    _lease(driver)
    sms = driver.app.services.sms
    with pytest.raises(InvalidInput) as unknown:
        sms.send(_request(route=PartnerRoute("vonage", "k")))
    assert unknown.value.code == "InvalidMessagingConnectPartner"
    with pytest.raises(Unauthenticated, match="did not accept the apiKey"):
        sms.send(_request(route=PartnerRoute("infobip", "key-three")))
    # An ACS number is not leased through the partner...
    with pytest.raises(Unauthenticated, match="not leased through"):
        sms.send(_request(sender=ACS_NUMBER, route=PartnerRoute("infobip", "key-one")))
    # ...and a leased number needs the partner's options to send.
    with pytest.raises(Unauthenticated, match=r"smsSendOptions\.messagingConnect"):
        sms.send(_request())
    assert driver.app.services.queries.messages(limit=10) == []  # nothing was written


async def test_leased_numbers_stay_out_of_the_acs_numbers_api(driver: Driver) -> None:
    _lease(driver)
    numbers = driver.app.services.numbers
    assert [n.number for n in numbers.list_numbers(0, 100)] == [ACS_NUMBER]
    with pytest.raises(NotFound):
        numbers.get_number(LEASED)
    with pytest.raises(NotFound):
        numbers.begin_release(LEASED)
    with pytest.raises(Conflict, match="already held through ACS"):
        driver.app.services.partners.lease("infobip", ACS_NUMBER, NumberType.TOLL_FREE)
    leased = driver.app.services.partners.numbers("INFOBIP")
    assert [(n.number, n.partner) for n in leased] == [(LEASED, "infobip")]


async def test_inbound_and_keywords_on_a_leased_number(driver: Driver) -> None:
    _lease(driver)
    result = driver.app.services.simulator.text(HANDSET, LEASED, "STOP")
    assert result.message_id is not None
    assert [e["data"]["To"] for e in driver.events(SMS_RECEIVED)] == [LEASED[1:]]
    await driver.settle()
    await driver.settle(advance=1.0)
    inbox = driver.app.services.simulator.messages(HANDSET)
    assert inbox[-1].body == default_reply(KeywordAction.OPT_OUT, "en")
    reply = driver.app.services.queries.message(result.auto_reply_id or "")
    assert reply.partner == "infobip" and reply.status is MessageStatus.DELIVERED
    check = driver.app.services.optouts.apply(OptOutAction.CHECK, LEASED, [HANDSET])
    assert check[0].is_opted_out is True


async def test_release_moves_queued_messages_to_failed(driver: Driver) -> None:
    _lease(driver)
    partners = driver.app.services.partners
    results = driver.app.services.sms.send(_request(route=PartnerRoute("infobip", "key-one")))
    with pytest.raises(Conflict, match="still leases 1 number"):
        partners.delete("infobip")
    partners.release("infobip", LEASED)
    await driver.settle()
    failed = driver.app.services.queries.message(results[0].message_id or "")
    assert failed.status is MessageStatus.FAILED
    assert failed.delivery_status_details == "4001: Invalid From number"
    partners.delete("infobip")
    assert partners.all() == []
    with pytest.raises(NotFound):
        partners.get("infobip")


async def test_keys_are_replaced_and_stored_as_digests(driver: Driver) -> None:
    partners = driver.app.services.partners
    view, created = partners.put("acme", ["first"])
    assert created and view.number_count == 0
    view, created = partners.put("ACME", ["second"])
    assert not created and view.partner.name == "acme"
    assert "second" not in view.partner.key_digests[0]
    assert view.partner.accepts("second") and not view.partner.accepts("first")
    with pytest.raises(InvalidInput):
        partners.put("acme", [])
    with pytest.raises(InvalidInput):
        partners.put("bad name!", ["k"])
    with pytest.raises(NotFound):
        partners.lease("nobody", "+442079460001", NumberType.GEOGRAPHIC)
