from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.conftest import ACCESS_KEY, FakeClock
from tests.services.conftest import Driver
from tidings.client import HmacAuth
from tidings.container import Application


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def http(
    sqlite_application: Application, clock: FakeClock
) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=sqlite_application.asgi())
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://tidings.test",
        auth=HmacAuth(ACCESS_KEY, now=clock.now),
    ) as client:
        yield client


@pytest.fixture
def driver(sqlite_application: Application, clock: FakeClock) -> Driver:
    return Driver(sqlite_application, clock)
