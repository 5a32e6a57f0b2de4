"""Sending end to end through services, worker and simulated carrier, on both dialects."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from tests.services.conftest import Driver
from tidings.container import Application
from tidings.domain.events import SMS_DELIVERY_REPORT_RECEIVED
from tidings.domain.messages import (
    SEND_JOB,
    SEND_JOB_MESSAGES,
    MessageStatus,
    OutboundSms,
    send_job_ids,
)
from tidings.errors import CarrierError, InvalidInput, Unauthenticated
from tidings.ports import SubmitResult
from tidings.services.delivery import DeliveryService
from tidings.services.sms import Recipient, SendRequest
from tidings.worker import Worker

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


async def test_a_window_boundary_inside_a_send_job_splits_it(driver: Driver) -> None:
    """Send jobs carry up to SEND_JOB_MESSAGES messages; when the throughput window runs
    out part-way through one, the rest move to a job of their own, and every message is
    still sent exactly once."""
    recipients = [f"+1555555{i:04d}" for i in range(95)]  # jobs of 20, 20, 20, 20, 15
    sent = [i for _ in range(3) for i in _send(driver, *recipients, enable_delivery_report=True)]
    ids = [i for i in sent if i is not None]
    jobs = driver.app.services.store.read(lambda tx: tx.jobs.pending_payloads(SEND_JOB))
    assert sum(len(send_job_ids(p)) for p in jobs) == 285
    assert max(len(send_job_ids(p)) for p in jobs) == SEND_JOB_MESSAGES
    await driver.settle()
    queries = driver.app.services.queries
    assert len(queries.messages(status=MessageStatus.SENT, limit=1000)) == 200  # 95 + 95 + 10
    waiting = driver.app.services.store.read(lambda tx: tx.jobs.pending_payloads(SEND_JOB))
    left = [i for p in waiting for i in send_job_ids(p)]
    assert sorted(left) == sorted(ids[200:])  # each waiting message in exactly one job
    await driver.settle(advance=60.0)
    await driver.settle(advance=1.0)
    reports = driver.events(SMS_DELIVERY_REPORT_RECEIVED)
    assert sorted(r["data"]["MessageId"] for r in reports) == sorted(ids)  # once each
    assert driver.app.services.store.read(lambda tx: tx.jobs.stats(driver.clock.now())).pending == 0


class _Refusing:
    """The simulator, refusing (retryably) the first submission to ``refused``."""

    def __init__(self, carrier: Any, refused: str) -> None:
        self._carrier = carrier
        self._refused = refused
        self.submitted: list[str] = []

    async def submit(self, messages: Sequence[OutboundSms]) -> list[SubmitResult | CarrierError]:
        self.submitted += [m.message_id for m in messages]
        answers = await self._carrier.submit(messages)
        refuse, self._refused = self._refused, ""
        return [
            CarrierError("busy", code="busy", retryable=True) if m.recipient == refuse else a
            for m, a in zip(messages, answers, strict=True)
        ]


async def test_a_retried_send_job_keeps_only_the_refused_messages(
    driver: Driver, application: Application
) -> None:
    refusing = _Refusing(application.carrier, "+15555550112")
    delivery = DeliveryService(application.services.delivery._ctx, refusing)  # type: ignore[arg-type]
    worker = Worker(
        application.services.store,
        application.services.clock,
        application.carrier,
        delivery,
        application.services.numbers,
        application.settings.worker,
    )
    ids = [i for i in _send(driver, "+15555550111", "+15555550112", "+15555550113") if i]
    await application.carrier.start(application.sink)
    await worker.step()
    store = application.services.store
    assert store.read(lambda tx: tx.jobs.pending_payloads(SEND_JOB)) == [{"messageId": ids[1]}]
    driver.clock.advance(5.0)
    await worker.step()
    assert store.read(lambda tx: tx.jobs.pending_payloads(SEND_JOB)) == []
    assert sorted(refusing.submitted) == sorted([*ids, ids[1]])  # the refused one twice
    queries = application.services.queries
    assert all(queries.message(i).status is not MessageStatus.QUEUED for i in ids if i)
