"""How a send job's work is split into transactions (issue 18's latency follow-up): the
checks run in the claim's transaction, the carrier's answer is recorded in the one that
settles the job, and the simulated carrier delivers what is due at once without a claim.
Each split keeps the guarantees: a failing check counts the attempt, a crash between the
claim and the send keeps the job, a failed record retries it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import FakeClock
from tests.services.conftest import Driver
from tidings.carriers.simulator import DELIVER_JOB, REPLY_JOB, SimulatedCarrier
from tidings.container import Application
from tidings.domain.events import SMS_DELIVERY_REPORT_RECEIVED
from tidings.domain.messages import SEND_JOB, MessageStatus, OutboundSms
from tidings.domain.simulator import CarrierRule
from tidings.ports import DeliveryTx, Job
from tidings.services.sms import Recipient, SendRequest
from tidings.storage.queue import SqlJobQueue
from tidings.storage.schema import jobs, rate_windows

pytestmark = pytest.mark.anyio
SENDER = "+18005550100"
_LEASE = timedelta(seconds=30)


def _send(driver: Driver, recipient: str = "+15555550111", *, report: bool = False) -> str:
    request = SendRequest(
        sender=SENDER,
        recipients=[Recipient(recipient)],
        message="Hi",
        enable_delivery_report=report,
    )
    message_id = driver.app.services.sms.send(request)[0].message_id
    assert message_id is not None
    return message_id


def _rows(app: Application, table: sa.Table, kind: str | None = None) -> list[Any]:
    query = sa.select(table)
    if kind is not None:
        query = query.where(table.c.kind == kind)
    with app.database.engine.connect() as c:
        return list(c.execute(query))


def _status(driver: Driver, message_id: str) -> MessageStatus:
    return driver.app.services.queries.message(message_id).status


async def test_a_failing_check_counts_the_attempt_and_undoes_its_writes(
    driver: Driver, monkeypatch: pytest.MonkeyPatch
) -> None:
    message_id = _send(driver)
    delivery = driver.app.services.delivery
    screen = delivery.prepare

    def failing(tx: DeliveryTx, claimed: list[Job], now: datetime) -> Any:
        screen(tx, claimed, now)  # takes the message's room in the sender's window
        raise RuntimeError("the checks failed")

    monkeypatch.setattr(delivery, "prepare", failing)
    await driver.app.carrier.start(driver.app.sink)
    assert await driver.worker.step() == 1
    [job] = _rows(driver.app, jobs, SEND_JOB)
    assert job.attempts == 1  # counted, though the claim's transaction rolled back
    assert job.locked_until is None and "the checks failed" in job.last_error
    assert job.run_at.replace(tzinfo=None) > driver.clock.now().replace(tzinfo=None)  # backoff
    assert _rows(driver.app, rate_windows) == []  # the rollback undid the window's room
    assert _status(driver, message_id) is MessageStatus.QUEUED

    monkeypatch.undo()
    assert await driver.settle(advance=5.0) >= 1
    assert _status(driver, message_id) is MessageStatus.SENT
    assert _rows(driver.app, jobs, SEND_JOB) == []
    assert [r.used for r in _rows(driver.app, rate_windows)] == [1]  # taken once, this time


async def test_a_crash_between_the_claim_and_the_send_keeps_the_job(
    driver: Driver, application: Application, clock: FakeClock
) -> None:
    message_id = _send(driver)
    crashed = application.worker()
    lease = timedelta(seconds=application.settings.worker.lease_seconds)
    now = clock.now()
    claimed = application.services.store.write(lambda tx: crashed._claim(tx, now, lease))
    assert claimed.sends is not None and len(claimed.sends.ready) == 1
    # ... and the process dies here, before the carrier has the message.
    assert await driver.settle() == 0  # still leased: no other worker takes it
    assert _status(driver, message_id) is MessageStatus.QUEUED
    await driver.settle(advance=lease.total_seconds() + 1)
    assert _status(driver, message_id) is MessageStatus.SENT
    await driver.settle(advance=1.0)  # the simulated network's delay
    assert _rows(application, jobs) == []  # sent and delivered once, every job done
    inbox = application.services.simulator.messages("+15555550111")
    assert [m.body for m in inbox] == ["Hi"]


async def test_a_failed_record_retries_the_job_instead_of_acking_it(
    driver: Driver, monkeypatch: pytest.MonkeyPatch
) -> None:
    message_id = _send(driver)
    delivery = driver.app.services.delivery

    def broken(*args: object) -> None:
        raise RuntimeError("cannot record")

    monkeypatch.setattr(delivery, "_record", broken)
    await driver.app.carrier.start(driver.app.sink)
    await driver.worker.step()
    [job] = _rows(driver.app, jobs, SEND_JOB)
    assert job.attempts == 1 and "cannot record" in job.last_error
    assert job.run_at.replace(tzinfo=None) > driver.clock.now().replace(tzinfo=None)
    assert _status(driver, message_id) is not MessageStatus.SENT
    # The carrier queued it in the transaction that failed (``StagingCarrier``): not at all.
    assert _rows(driver.app, jobs, DELIVER_JOB) == []

    monkeypatch.undo()
    await driver.settle(advance=5.0)  # retried: sent ...
    await driver.settle(advance=1.0)  # ... and delivered once, after the network's delay
    assert _status(driver, message_id) is MessageStatus.DELIVERED
    inbox = driver.app.services.simulator.messages("+15555550111")
    assert [m.body for m in inbox] == ["Hi"]
    assert _rows(driver.app, jobs) == []


async def test_a_delivery_due_at_once_goes_without_a_claim_and_outlives_its_carrier(
    application: Application, clock: FakeClock
) -> None:
    store = application.services.store
    sms = [OutboundSms(f"m-{i}", SENDER, f"+1555555011{i}", "Hi", 1, None) for i in range(2)]
    first = SimulatedCarrier(store, clock, default_delay=0.0)
    await first.start(application.sink)
    await first.submit(sms[:1])
    [held] = _rows(application, jobs, DELIVER_JOB)
    assert held.attempts == 1 and held.locked_by is not None  # stored claimed
    assert await first.run_due() == 1
    assert _rows(application, jobs, DELIVER_JOB) == []

    await first.submit(sms[1:])  # ... and this carrier dies before delivering it
    other = SimulatedCarrier(store, clock, default_delay=0.0)
    await other.start(application.sink)
    assert await other.run_due() == 0  # nothing held here

    def claim() -> list[Job]:  # as a worker claims for its carrier (``QueueCarrier``)
        return store.write(
            lambda tx: tx.jobs.claim(
                list(other.job_kinds()), limit=10, now=clock.now(), lease=_LEASE, worker="w"
            )
        )

    assert claim() == []  # its lease holds it
    clock.advance(31.0)
    due = claim()
    assert [job.kind for job in due] == [DELIVER_JOB]
    await other.run_jobs(due)
    assert _rows(application, jobs, DELIVER_JOB) == []
    inboxes = [application.services.simulator.messages(m.recipient) for m in sms]
    assert [[m.body for m in inbox] for inbox in inboxes] == [["Hi"], ["Hi"]]


async def test_a_delivery_due_at_once_is_made_in_the_sending_transaction(
    driver: Driver,
) -> None:
    """With a rule that delivers at once, the simulator delivers in the transaction that
    marks the message sent (after the mark): one round sends, fills the inbox and records
    the report with its event, and no ``sim.deliver`` job is stored."""
    driver.app.services.simulator.set_rules([CarrierRule("+1555", "deliver", 0.0, None)])
    message_id = _send(driver, report=True)
    await driver.app.carrier.start(driver.app.sink)
    assert await driver.worker.step() == 1
    message = driver.app.services.queries.message(message_id)
    assert message.status is MessageStatus.DELIVERED
    assert message.sent_at is not None and message.final_at is not None
    assert _rows(driver.app, jobs) == []
    inbox = driver.app.services.simulator.messages("+15555550111")
    assert [m.body for m in inbox] == ["Hi"]
    events = driver.app.services.queries.events(0, [SMS_DELIVERY_REPORT_RECEIVED], 10)
    assert [e.data.get("messageId", e.data.get("MessageId")) for _, e in events] == [message_id]


async def test_a_delivery_that_comes_due_is_claimed_with_the_workers_jobs(
    driver: Driver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The simulator keeps a later delivery as a ``sim.deliver`` job; when it comes due, the
    worker's one claim of the round takes it with the worker's own jobs and hands it to the
    carrier (``QueueCarrier``): no round makes a second claim for the carrier."""
    driver.app.services.simulator.set_rules([CarrierRule("+1555", "deliver", 2.0, None)])
    claims: list[list[str]] = []
    original = SqlJobQueue.claim

    def counted(self: SqlJobQueue, kinds: list[str], **kwargs: Any) -> list[Job]:
        claims.append(sorted(kinds))
        return original(self, kinds, **kwargs)

    monkeypatch.setattr(SqlJobQueue, "claim", counted)
    message_id = _send(driver)
    await driver.app.carrier.start(driver.app.sink)
    assert await driver.worker.step() == 1  # sent; its delivery waits two seconds
    assert _status(driver, message_id) is MessageStatus.SENT
    assert [row.kind for row in _rows(driver.app, jobs)] == [DELIVER_JOB]
    driver.clock.advance(2.5)
    assert await driver.worker.step() == 1
    assert _status(driver, message_id) is MessageStatus.DELIVERED
    assert _rows(driver.app, jobs) == []
    assert len(claims) == 2  # one a round
    assert all({DELIVER_JOB, REPLY_JOB, SEND_JOB} <= set(kinds) for kinds in claims)
