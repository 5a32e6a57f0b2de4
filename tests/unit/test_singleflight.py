"""``SingleFlight``: concurrent callers share one call; ``_guid``: pooled version-4 UUIDs
(and the time-ordered version-7 ones of message ids)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import anyio
import pytest

from tidings.domain.ids import incoming_message_id, outgoing_message_id
from tidings.services.singleflight import SingleFlight

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def _until(condition: Callable[[], bool]) -> None:
    """Let the other tasks run until ``condition()`` holds (5 s at most)."""
    with anyio.fail_after(5):
        while not condition():
            await anyio.sleep(0)


async def test_concurrent_callers_share_one_call() -> None:
    flight = SingleFlight()
    calls = 0
    looking, release = threading.Event(), threading.Event()

    def lookup() -> str:
        nonlocal calls
        calls += 1
        looking.set()
        release.wait(5)
        return "found"

    arrived = 0
    results: list[str] = []

    async def caller() -> None:
        nonlocal arrived
        arrived += 1  # run() starts or joins the call before this task yields
        results.append(await flight.run("k", lookup))

    async with anyio.create_task_group() as tasks:
        for _ in range(20):
            tasks.start_soon(caller)
        await _until(lambda: arrived == 20)
        assert await anyio.to_thread.run_sync(looking.wait, 5)
        assert results == []  # every caller is waiting on the call still under way
        release.set()
    assert results == ["found"] * 20
    assert calls == 1
    assert await flight.run("k", lambda: "fresh") == "fresh"  # a later miss looks up again


async def test_a_cancelled_caller_does_not_cancel_the_others() -> None:
    flight = SingleFlight()
    calls = 0
    looking, release = threading.Event(), threading.Event()

    def lookup() -> int:
        nonlocal calls
        calls += 1
        looking.set()
        release.wait(5)
        return 7

    got: list[int] = []
    joined = False
    impatient = anyio.CancelScope()

    async def first() -> None:
        with impatient:
            await flight.run("k", lookup)

    async def patient() -> None:
        nonlocal joined
        joined = True
        got.append(await flight.run("k", lookup))

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(first)
        assert await anyio.to_thread.run_sync(looking.wait, 5)  # the first caller's call
        impatient.cancel()  # ...which it gives up on
        await _until(lambda: impatient.cancelled_caught)
        tasks.start_soon(patient)  # joins the call still under way
        await _until(lambda: joined)
        release.set()
    assert got == [7]
    assert calls == 1  # the patient caller shared the cancelled caller's call


async def test_failures_reach_every_caller_and_are_not_kept() -> None:
    flight = SingleFlight()

    def broken() -> None:
        raise RuntimeError("database down")

    with pytest.raises(RuntimeError, match="database down"):
        await flight.run("k", broken)
    assert await flight.run("k", lambda: "back") == "back"


def test_message_ids_carry_time_ordered_version_7_guids() -> None:
    now = datetime(2026, 11, 23, 12, 0, 0, 123456, tzinfo=UTC)
    ids = {outgoing_message_id(now) for _ in range(1000)}  # more than one pool
    assert len(ids) == 1000
    for message_id in ids:
        assert message_id.startswith("Outgoing_20261123120000")
        guid = uuid.UUID(message_id.removeprefix("Outgoing_20261123120000"))
        assert guid.version == 7
        assert guid.variant == uuid.RFC_4122
        assert str(guid) == message_id[-36:]
        assert guid.int >> 80 == int(now.timestamp() * 1000)  # Unix milliseconds
    # Later messages sort after earlier ones, within a second too.
    stamps = [now + timedelta(milliseconds=k) for k in range(0, 1000, 7)]
    made = [outgoing_message_id(t) for t in stamps]
    assert made == sorted(made)
    assert incoming_message_id(now).startswith("Incoming_20261123120000")
    assert uuid.UUID(incoming_message_id(now)[-36:]).version == 7


def test_message_ids_keep_their_second_across_timezones_and_seconds() -> None:
    from datetime import timedelta, timezone

    utc = datetime(2026, 11, 23, 23, 59, 59, 999999, tzinfo=UTC)
    assert outgoing_message_id(utc).startswith("Outgoing_20261123235959")
    # The next microsecond is the next second (and day): never the cached stamp.
    assert outgoing_message_id(utc + timedelta(microseconds=1)).startswith(
        "Outgoing_20261124000000"
    )
    # The same instant in another zone is spelled in that zone's fields, as before.
    rome = utc.astimezone(timezone(timedelta(hours=1)))
    assert outgoing_message_id(rome).startswith("Outgoing_20261124005959")
    assert outgoing_message_id(utc).startswith("Outgoing_20261123235959")


def test_guids_are_rfc_4122_with_every_variant_digit() -> None:
    from tidings.domain.ids import new_guid

    variants = set()
    for _ in range(2000):
        text = new_guid()
        guid = uuid.UUID(text)
        assert str(guid) == text
        assert guid.version == 4
        assert guid.variant == uuid.RFC_4122
        variants.add(text[19])
    assert variants == set("89ab")
