"""A bound session's outcome counters: receipts wait for the outcomes queued before them."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from tidings.carriers.smpp.pipeline import Live, Poison

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def live() -> Live:
    return Live(session=object(), window=asyncio.Semaphore(1))  # type: ignore[arg-type]


async def test_a_receipt_batch_waits_until_the_outcomes_before_it_are_committed() -> None:
    state = live()
    outcome: Any = object()
    for _ in range(3):
        state.queue(outcome)
    state.queue(Poison(RuntimeError("end")))  # a poison is no outcome: not waited for
    assert (state.queued, state.outcomes.qsize()) == (3, 4)
    target = state.queued
    waiter = asyncio.create_task(state.outcomes_committed(target, seconds=5))
    await asyncio.sleep(0.01)
    state.committed(2)
    await asyncio.sleep(0.01)
    assert not waiter.done()  # two of three
    state.committed(1)
    await asyncio.wait_for(waiter, 1)


async def test_the_wait_is_bounded() -> None:
    state = live()
    state.queue(object())  # type: ignore[arg-type]
    started = time.monotonic()
    await state.outcomes_committed(1, seconds=0.05)  # never committed: gives up
    assert 0.04 <= time.monotonic() - started < 1
    assert state.written == 0
