"""The running dispatcher wakes on committed events and at a retry's due time (fake clock),
with a fallback poll of a minute: what happens within seconds was signalled."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import pytest

from tests.conftest import FakeClock, make_settings
from tests.services.test_webhooks import Hooks, hooks_for, ok
from tidings.domain.deliveries import DeliveryStatus
from tidings.settings import WorkerSettings

pytestmark = pytest.mark.anyio


@pytest.fixture
def hooks(tmp_path: Path, database_url: str, clock: FakeClock) -> Iterator[Hooks]:
    settings = make_settings(tmp_path, database_url, worker=WorkerSettings(poll_interval=60))
    yield from hooks_for(settings, clock)


@asynccontextmanager
async def dispatching(hooks: Hooks) -> AsyncIterator[None]:
    stop = anyio.Event()
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(hooks.app.dispatcher.run, stop)
        await anyio.sleep(0.05)  # let it go idle (nothing to do yet)
        yield
        stop.set()


async def _until(check: object, timeout: float = 10.0) -> None:
    with anyio.fail_after(timeout):
        while not check():  # type: ignore[operator]
            await anyio.sleep(0.01)


async def test_a_committed_event_is_delivered_at_once(hooks: Hooks) -> None:
    await hooks.subscribe()
    async with dispatching(hooks):
        hooks.publish(3)
        await _until(lambda: len(hooks.sender.notifications()) == 3)
        await _until(lambda: len(hooks.deliveries(status=DeliveryStatus.DELIVERED)) == 3)


async def test_a_retry_is_sent_at_its_due_time_on_the_fake_clock(
    hooks: Hooks, clock: FakeClock
) -> None:
    answers = iter([503, 200])
    hooks.sender.respond = lambda _r: ok(next(answers))
    await hooks.subscribe()
    async with dispatching(hooks):
        hooks.publish(1)
        await _until(lambda: len(hooks.sender.notifications()) == 1)
        await _until(lambda: hooks.deliveries()[0].attempts == 1)  # recorded, retry scheduled
        [delivery] = hooks.deliveries()
        assert delivery.status is DeliveryStatus.PENDING
        wait = (delivery.next_attempt_at - clock.now()).total_seconds()
        assert wait > 1
        clock.advance(wait - 0.5)
        await anyio.sleep(0.1)
        assert len(hooks.sender.notifications()) == 1  # not due yet
        clock.advance(0.5)
        await _until(lambda: len(hooks.sender.notifications()) == 2)
        await _until(lambda: hooks.deliveries()[0].status is DeliveryStatus.DELIVERED)


async def test_the_router_leases_what_it_routed_in_its_own_transaction(
    hooks: Hooks, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A routed event's delivery goes out without a claim transaction of its own."""
    dispatcher = hooks.app.dispatcher
    claim = dispatcher.claim
    claimed: list[object] = []

    def spy(capacity: int) -> list[object]:
        got = claim(capacity)
        claimed.extend(got)
        return list(got)

    monkeypatch.setattr(dispatcher, "claim", spy)
    await hooks.subscribe()
    async with dispatching(hooks):
        hooks.publish(1)
        await _until(lambda: len(hooks.deliveries(status=DeliveryStatus.DELIVERED)) == 1)
    assert claimed == []  # the router's transaction leased it
    assert len(hooks.sender.notifications()) == 1
