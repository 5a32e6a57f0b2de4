"""Shared fixtures: a fake clock, databases (SQLite and PostgreSQL) and built applications.

PostgreSQL comes from ``TIDINGS_TEST_DATABASE_URL`` (``scripts/test`` always sets it). Each
test gets its own schema in it, so runs and tests never see each other's rows. Without the
variable the PostgreSQL half is skipped, except under CI, where that is an error.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from tests.server import ReceiverProcess
from tidings.container import Application, build
from tidings.settings import Settings

ACCESS_KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="


class FakeClock:
    """A clock that only moves when told to; ``sleep_until`` (``tidings.wakeups.Alarm``)
    returns once ``advance`` has moved it far enough."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)
        self._moved: list[asyncio.Event] = []

    def now(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)
        moved, self._moved = self._moved, []
        for event in moved:
            event.set()

    async def sleep_until(self, when: datetime) -> None:
        while self.current < when:
            event = asyncio.Event()
            self._moved.append(event)
            await event.wait()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _postgres_base() -> str | None:
    url = os.environ.get("TIDINGS_TEST_DATABASE_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("TIDINGS_TEST_DATABASE_URL is not set; scripts/test provides it")
        return None
    return url


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database of each dialect."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'tidings.db'}"
        return
    base = _postgres_base()
    if base is None:
        pytest.skip("no PostgreSQL (set TIDINGS_TEST_DATABASE_URL)")
    yield from postgres_schema(base)


def postgres_schema(base: str) -> Iterator[str]:
    schema = f"t_{uuid.uuid4().hex[:16]}"
    engine = sa.create_engine(base)
    with engine.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options={quote(f'-csearch_path={schema}')}"
    finally:
        with engine.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


def make_settings(tmp_path: Path, database_url: str | None = None, **extra: object) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        access_key=ACCESS_KEY,
        **extra,  # type: ignore[arg-type]
    )


@pytest.fixture
def application(tmp_path: Path, database_url: str, clock: FakeClock) -> Iterator[Application]:
    """A migrated, bootstrapped application on each dialect, driven by the fake clock."""
    app = build(make_settings(tmp_path, database_url), clock=clock)
    app.migrate()
    app.bootstrap()
    yield app
    app.close()


@pytest.fixture
def sqlite_application(tmp_path: Path, clock: FakeClock) -> Iterator[Application]:
    """The same on SQLite only, for tests about behaviour rather than storage."""
    app = build(make_settings(tmp_path), clock=clock)
    app.migrate()
    app.bootstrap()
    yield app
    app.close()


@pytest.fixture(scope="session")
def receiver() -> Iterator[ReceiverProcess]:
    """A real webhook receiver process (``tests/receiver.py``)."""
    process = ReceiverProcess().start()
    yield process
    process.stop()
