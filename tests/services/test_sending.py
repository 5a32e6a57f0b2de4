"""Sending end to end through services, worker and simulated carrier, on both dialects."""

from __future__ import annotations

import pytest

from tests.services.conftest import Driver
from tidings.domain.events import SMS_DELIVERY_REPORT_RECEIVED
from tidings.domain.messages import MessageStatus
from tidings.errors import InvalidInput, Unauthenticated
from tidings.services.sms import Recipient, SendRequest

pytestmark = pytest.mark.anyio
SENDER = "+18005550100"


def _send(driver: Driver, *recipients: str, **options: object) -> list[str | None]:
    request = SendRequest(
        sender=options.pop("sender", SENDER),  # type: ignore[arg-type]
        recipients=[Recipient(r) for r in recipients],
        message=options.pop("message", "Hello"),  # type: ignore[arg-type]
        **options,  # type: ignore[arg-type]
    )
    return [r.message_id for r in driver.app.services.sms.send(request)]


async def test_send_deliver_and_report(driver: Driver) -> None:
    ids = _send(driver, "+15555550111", "+15555550112", enable_delivery_report=True, tag="t")
    queries = driver.app.services.queries
    assert all(queries.message(i).status is MessageStatus.QUEUED for i in ids if i)
    await driver.settle()
    assert all(queries.message(i).status is MessageStatus.SENT for i in ids if i)
    await driver.settle(advance=1.0)
    for message_id in ids:
        assert message_id is not None
        message = queries.message(message_id)
        assert message.status is MessageStatus.DELIVERED
        assert message.delivery_status_details == "2000: No Error"
        assert message.attempts[0].segments_succeeded == 1
    reports = driver.events(SMS_DELIVERY_REPORT_RECEIVED)
    assert sorted(e["id"] for e in reports) == sorted(ids)  # type: ignore[type-var]
    assert {e["data"]["Tag"] for e in reports} == {"t"}
    assert {e["subject"] for e in reports} == {"/phonenumber/18005550100"}
    inbox = driver.app.services.simulator.messages("+15555550111")
    assert [(m.direction, m.body) for m in inbox] == [("received", "Hello")]


async def test_no_report_event_unless_asked(driver: Driver) -> None:
    _send(driver, "+15555550111")
    await driver.settle()
    await driver.settle(advance=1.0)
    assert driver.events(SMS_DELIVERY_REPORT_RECEIVED) == []


async def test_repeatability_returns_the_same_id_and_sends_once(driver: Driver) -> None:
    request = SendRequest(
        sender=SENDER,
        recipients=[Recipient("+15555550111", "rid-1", "Sun, 22 Nov 2026 17:33:49 GMT")],
        message="once",
    )
    sms = driver.app.services.sms
    first = sms.send(request)
    second = sms.send(request)
    assert first[0].message_id == second[0].message_id
    assert second[0].repeatability_result == "accepted"
    await driver.settle()
    await driver.settle(advance=1.0)
    inbox = driver.app.services.simulator.messages("+15555550111")
    assert [m.body for m in inbox] == ["once"]


async def test_bad_repeatability_date_is_rejected_per_recipient(driver: Driver) -> None:
    request = SendRequest(
        sender=SENDER,
        recipients=[Recipient("+15555550111", "rid-2", "yesterday"), Recipient("+15555550112")],
        message="x",
    )
    results = driver.app.services.sms.send(request)
    assert (results[0].http_status_code, results[0].repeatability_result) == (400, "rejected")
    assert results[1].successful


async def test_throughput_limit_queues_the_excess(driver: Driver) -> None:
    recipients = [f"+1555555{i:04d}" for i in range(100)]
    for _ in range(3):
        _send(driver, *recipients)
    await driver.settle()
    queries = driver.app.services.queries
    sent = queries.messages(status=MessageStatus.SENT, limit=1000)
    queued = queries.messages(status=MessageStatus.QUEUED, limit=1000)
    assert (len(sent), len(queued)) == (200, 100)
    await driver.settle(advance=60.0)
    assert len(queries.messages(status=MessageStatus.QUEUED, limit=1000)) == 0


@pytest.mark.parametrize(
    ("request_kwargs", "error"),
    [
        ({"recipients": [Recipient(f"+1555555{i:04d}") for i in range(101)]}, InvalidInput),
        ({"recipients": []}, InvalidInput),
        ({"message": "x" * 2049}, InvalidInput),
        ({"sender": "not a number!"}, InvalidInput),
        ({"sender": "+18005559999"}, Unauthenticated),
        ({"report_timeout_seconds": 10}, InvalidInput),
    ],
)
async def test_bad_requests_write_nothing(
    driver: Driver, request_kwargs: dict[str, object], error: type[Exception]
) -> None:
    values: dict[str, object] = {
        "sender": SENDER,
        "recipients": [Recipient("+15555550111")],
        "message": "x",
    }
    values.update(request_kwargs)
    with pytest.raises(error):
        driver.app.services.sms.send(SendRequest(**values))  # type: ignore[arg-type]
    assert driver.app.services.queries.messages() == []
    stats = driver.app.services.store.read(lambda tx: tx.jobs.stats(driver.clock.now()))
    assert stats.pending == 0


async def test_invalid_recipient_is_reported_per_recipient(driver: Driver) -> None:
    results = driver.app.services.sms.send(
        SendRequest(SENDER, [Recipient("+112345678901"), Recipient("+15555550111")], "x")
    )
    assert (results[0].http_status_code, results[0].error_message) == (
        400,
        "Invalid To phone number format.",
    )
    assert results[1].http_status_code == 202


async def test_sender_without_outbound_capability_is_refused(driver: Driver) -> None:
    from tidings.domain.numbers import Capability, NumberType

    driver.app.services.numbers.provision(
        "+18335550100", NumberType.TOLL_FREE, sms=Capability.INBOUND
    )
    with pytest.raises(Unauthenticated):
        _send(driver, "+15555550111", sender="+18335550100")


async def test_segments_are_counted(driver: Driver) -> None:
    (message_id,) = _send(driver, "+15555550111", message="ж" * 71)
    assert message_id is not None
    message = driver.app.services.queries.message(message_id)
    assert (message.encoding, message.segments) == ("UCS-2", 2)
