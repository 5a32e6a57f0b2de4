"""The running worker and dispatcher wake on committed work and on due times, not by polling.

Each test's fallback poll is a minute (or the test's point is the fallback), so work done
within seconds was started by a signal or a timer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Iterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import pytest

from tests.conftest import FakeClock, make_settings
from tidings.container import Application, build
from tidings.domain.messages import MessageStatus, OutboundSms
from tidings.domain.simulator import CarrierRule
from tidings.ports import Staged
from tidings.services.sms import Recipient, SendRequest
from tidings.settings import WorkerSettings
from tidings.worker import Worker

pytestmark = pytest.mark.anyio
SENDER = "+18005550100"


@pytest.fixture
def slow_poll_app(tmp_path: Path, database_url: str, clock: FakeClock) -> Iterator[Application]:
    """An application whose worker polls only once a minute."""
    settings = make_settings(tmp_path, database_url, worker=WorkerSettings(poll_interval=60))
    app = build(settings, clock=clock)
    app.migrate()
    app.bootstrap()
    yield app
    app.close()


@asynccontextmanager
async def running(app: Application) -> AsyncIterator[Worker]:
    """The application's worker running in the background, until it sleeps first."""
    await app.carrier.start(app.sink)
    worker = app.worker()
    stop = anyio.Event()
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(worker.run, stop)
        await _until(lambda: worker.sleeping)
        yield worker
        stop.set()


async def _until(check: object, timeout: float = 10.0) -> None:
    with anyio.fail_after(timeout):
        while not check():  # type: ignore[operator]
            await anyio.sleep(0.01)


def _send(app: Application, recipient: str = "+15555550111") -> str:
    request = SendRequest(
        sender=SENDER, recipients=[Recipient(recipient)], message="Hi", enable_delivery_report=True
    )
    message_id = app.services.sms.send(request)[0].message_id
    assert message_id is not None
    return message_id


def _status(app: Application, message_id: str) -> MessageStatus:
    return app.services.queries.message(message_id).status


async def test_a_committed_message_wakes_the_sleeping_worker(slow_poll_app: Application) -> None:
    async with running(slow_poll_app):
        message_id = _send(slow_poll_app)
        await _until(lambda: _status(slow_poll_app, message_id) is MessageStatus.SENT)


async def test_the_carrier_delivery_fires_at_its_due_time_on_the_fake_clock(
    slow_poll_app: Application, clock: FakeClock
) -> None:
    slow_poll_app.services.simulator.set_rules([CarrierRule("+1555", "deliver", 30.0, None)])
    async with running(slow_poll_app) as worker:
        message_id = _send(slow_poll_app)
        await _until(lambda: _status(slow_poll_app, message_id) is MessageStatus.SENT)
        await _until(lambda: worker.sleeping)  # until the delivery, 30 s away on the clock
        clock.advance(29)
        with anyio.move_on_after(0.2):
            await _until(lambda: not worker.sleeping)
        assert _status(slow_poll_app, message_id) is MessageStatus.SENT
        clock.advance(1)
        await _until(lambda: _status(slow_poll_app, message_id) is MessageStatus.DELIVERED)


async def test_a_lost_signal_is_recovered_by_the_fallback_poll(
    tmp_path: Path, database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(tmp_path, database_url, worker=WorkerSettings(poll_interval=0.3))
    app = build(settings, clock=clock)
    app.migrate()
    app.bootstrap()
    dropped: list[Collection[str]] = []
    monkeypatch.setattr(app.database.wakeups, "notify", lambda topics, **_: dropped.append(topics))
    try:
        async with running(app):
            message_id = _send(app)
            assert dropped  # the signal was sent, and lost
            await _until(lambda: _status(app, message_id) is MessageStatus.SENT)
    finally:
        app.close()


async def test_a_round_that_was_not_full_needs_no_empty_round_after_it(
    slow_poll_app: Application, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A claim that took fewer jobs than a batch reads the next due time itself: the worker
    sleeps after the round that sent and delivered the message, without claiming again
    (an empty round would compete with the webhook dispatcher for the same moment)."""
    slow_poll_app.services.simulator.set_rules([CarrierRule("+1555", "deliver", 0.0, None)])
    async with running(slow_poll_app) as worker:
        # A first message, so that the cross-process listener is up and its start-up wake
        # (``EVERYTHING``) spent before the rounds are counted.
        first = _send(slow_poll_app, "+15555550112")
        await _until(lambda: _status(slow_poll_app, first) is MessageStatus.DELIVERED)
        await _until(lambda: worker.sleeping)
        await anyio.sleep(0.2)
        await _until(lambda: worker.sleeping)
        rounds: list[int] = []
        step = worker.step

        async def counted() -> int:
            rounds.append(await step())
            return rounds[-1]

        monkeypatch.setattr(worker, "step", counted)
        message_id = _send(slow_poll_app)
        await _until(lambda: _status(slow_poll_app, message_id) is MessageStatus.DELIVERED)
        await _until(lambda: worker.sleeping)
        await anyio.sleep(0.2)
        # The send job (delivered at once in its settling transaction); no empty round.
        assert rounds == [1]


async def test_a_job_rescheduled_during_a_round_still_wakes_the_worker(
    slow_poll_app: Application, clock: FakeClock
) -> None:
    """After a round that was not full the worker sleeps on the due time its claim read; a
    retry scheduled by that very round signals, so its due time is not missed."""
    slow_poll_app.services.simulator.set_rules([CarrierRule("+1555", "deliver", 0.0, None)])
    carrier = slow_poll_app.carrier
    submit = carrier.stage
    refusals = [1]

    async def refuse_once(messages: Sequence[OutboundSms]) -> Staged:
        if refusals:
            refusals.pop()
            raise RuntimeError("the carrier's link is down")
        return await submit(messages)

    carrier.stage = refuse_once  # type: ignore[method-assign]
    async with running(slow_poll_app) as worker:
        message_id = _send(slow_poll_app)
        await _until(lambda: not refusals and worker.sleeping)
        assert _status(slow_poll_app, message_id) is MessageStatus.QUEUED  # retried later
        clock.advance(5)  # past the retry's backoff
        await _until(lambda: _status(slow_poll_app, message_id) is MessageStatus.DELIVERED)
