from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from tests.conftest import FakeClock
from tidings.container import Application


class Driver:
    """Runs the worker of an application by hand, moving the fake clock."""

    def __init__(self, app: Application, clock: FakeClock) -> None:
        self.app = app
        self.clock = clock
        self.worker = app.worker()

    async def settle(self, advance: float = 0.0, rounds: int = 50) -> int:
        """Move the clock, then run worker steps until nothing is due."""
        await self.app.carrier.start(self.app.sink)
        self.clock.advance(advance)
        total = 0
        for _ in range(rounds):
            done = await self.worker.step()
            total += done
            if done == 0:
                break
        return total

    def events(self, event_type: str | None = None) -> list[dict[str, Any]]:
        page = self.app.services.queries.events(0, [event_type] if event_type else None, 1000)
        return [event.to_event_grid() for _, event in page]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def driver(application: Application, clock: FakeClock) -> Driver:
    return Driver(application, clock)


Runner = Callable[[], Coroutine[Any, Any, None]]
