"""The simulated carrier's rules, attempts and scripted handsets."""

from __future__ import annotations

import pytest

from tests.services.conftest import Driver
from tidings.domain.events import SMS_DELIVERY_REPORT_RECEIVED, SMS_RECEIVED
from tidings.domain.messages import MessageStatus
from tidings.domain.simulator import CarrierRule
from tidings.errors import InvalidInput
from tidings.services.sms import Recipient, SendRequest

pytestmark = pytest.mark.anyio
OURS = "+18005550100"


def _send(driver: Driver, to: str, **kwargs: object) -> str:
    results = driver.app.services.sms.send(
        SendRequest(OURS, [Recipient(to)], "hello", enable_delivery_report=True, **kwargs)  # type: ignore[arg-type]
    )
    assert results[0].message_id is not None
    return results[0].message_id


@pytest.mark.parametrize(
    ("recipient", "status", "details", "attempts"),
    [
        ("+15550000123", MessageStatus.FAILED, "4006: Destination unreachable", 3),
        ("+15550001123", MessageStatus.FAILED, "5000: Message failed", 1),
        ("+15550004123", MessageStatus.FAILED, "4004: Destination number does not exist", 1),
        ("+15550005123", MessageStatus.FAILED, "4005: Message blocked by carrier", 1),
        ("+15550002123", MessageStatus.DELIVERED, "2000: No Error", 2),
    ],
)
async def test_default_rules(
    driver: Driver, recipient: str, status: MessageStatus, details: str, attempts: int
) -> None:
    message_id = _send(driver, recipient)
    await driver.settle()
    await driver.settle(advance=31.0)
    message = driver.app.services.queries.message(message_id)
    assert message.status is status
    assert message.delivery_status_details == details
    assert len(message.attempts) == attempts
    delivered = [m.body for m in driver.app.services.simulator.messages(recipient)]
    assert delivered == (["hello"] if status is MessageStatus.DELIVERED else [])


async def test_late_delivery_waits_for_its_delay(driver: Driver) -> None:
    message_id = _send(driver, "+15550002123")
    await driver.settle()
    await driver.settle(advance=10.0)
    assert driver.app.services.queries.message(message_id).status is MessageStatus.SENT
    await driver.settle(advance=25.0)
    assert driver.app.services.queries.message(message_id).status is MessageStatus.DELIVERED


async def test_report_timeout_fails_a_silent_message(driver: Driver) -> None:
    message_id = _send(driver, "+15550003123", report_timeout_seconds=60)
    await driver.settle()
    await driver.settle(advance=30.0)
    assert driver.app.services.queries.message(message_id).status is MessageStatus.SENT
    await driver.settle(advance=31.0)
    message = driver.app.services.queries.message(message_id)
    assert message.status is MessageStatus.FAILED
    assert message.delivery_status_details == "5002: No delivery report received from carrier"
    assert len(driver.events(SMS_DELIVERY_REPORT_RECEIVED)) == 1


async def test_custom_rules_replace_the_defaults(driver: Driver) -> None:
    simulator = driver.app.services.simulator
    simulator.set_rules([CarrierRule("+1555555*", "fail", 0.5, 4008)])
    message_id = _send(driver, "+15555550111")
    await driver.settle()
    await driver.settle(advance=1.0)
    message = driver.app.services.queries.message(message_id)
    assert message.delivery_status_details == "4008: Rate limit exceeded"
    with pytest.raises(InvalidInput):
        simulator.set_rules([CarrierRule("+1", "explode", 0, None)])


async def test_scripted_handset_answers(driver: Driver) -> None:
    simulator = driver.app.services.simulator
    simulator.create("+15555550199", [{"match": "appointment", "reply": "YES", "delaySeconds": 5}])
    _send(driver, "+15555550199")  # no match: no answer
    driver.app.services.sms.send(
        SendRequest(OURS, [Recipient("+15555550199")], "Confirm your appointment?")
    )
    await driver.settle()
    await driver.settle(advance=1.0)
    assert driver.events(SMS_RECEIVED) == []
    await driver.settle(advance=5.0)
    received = driver.events(SMS_RECEIVED)
    assert [e["data"]["Message"] for e in received] == ["YES"]
    assert received[0]["data"]["From"] == "15555550199"
    with pytest.raises(InvalidInput):
        simulator.create("+15555550199", [{"match": "(", "reply": "x"}])


async def test_reports_and_replies_commit_in_the_simulators_own_transaction(
    driver: Driver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server's sink is transactional: the simulator records a report (and a handset's
    reply) in the transaction that fills the handset and acks its job, never through the
    sink's own transactions."""

    async def refused(*_: object) -> None:
        raise AssertionError("handed to the sink outside the simulator's transaction")

    monkeypatch.setattr(driver.app.sink, "delivery_reports", refused)
    monkeypatch.setattr(driver.app.sink, "inbound", refused)
    driver.app.services.simulator.create("+15550002123", [{"match": "hello", "reply": "OK"}])
    message_id = _send(driver, "+15550002123")
    await driver.settle()
    await driver.settle(advance=31.0)
    assert driver.app.services.queries.message(message_id).status is MessageStatus.DELIVERED
    (report,) = driver.events(SMS_DELIVERY_REPORT_RECEIVED)
    assert report["data"]["MessageId"] == message_id
    assert [e["data"]["Message"] for e in driver.events(SMS_RECEIVED)] == ["OK"]
    assert [m.body for m in driver.app.services.simulator.messages("+15550002123")] == [
        "hello",
        "OK",
    ]
