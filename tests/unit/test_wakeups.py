"""Wake-ups: waiters, the idle wait on a fake clock, and the SQLite datagram broadcast."""

from __future__ import annotations

import socket
import threading
from collections.abc import Collection
from datetime import UTC, datetime
from pathlib import Path

import anyio
import pytest

from tests.conftest import FakeClock
from tidings.storage.broadcast_sqlite import SocketBroadcast
from tidings.wakeups import EVERYTHING, JOBS, SystemAlarm, WakeupHub, as_alarm, idle

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_a_signal_from_another_thread_ends_the_wait() -> None:
    hub = WakeupHub()
    with hub.subscribe(JOBS) as waiter:
        waiter.clear()
        threading.Timer(0.05, lambda: hub.notify({JOBS})).start()
        with anyio.fail_after(5):
            assert await waiter.wait(30) is True
        assert waiter.wakes == 1


async def test_a_signal_before_the_wait_is_not_lost_and_clear_forgets_it() -> None:
    hub = WakeupHub()
    with hub.subscribe(JOBS) as waiter:
        waiter.clear()
        hub.notify({JOBS})  # committed while the loop was still looking for work
        assert await waiter.wait(0) is True
        waiter.clear()
        assert await waiter.wait(0.01) is False


async def test_other_topics_do_not_wake_and_everything_wakes_all() -> None:
    hub = WakeupHub()
    with hub.subscribe(JOBS) as jobs, hub.subscribe("deliveries") as deliveries:
        hub.notify({"events"})
        assert [jobs.is_set, deliveries.is_set] == [False, False]
        hub.notify({EVERYTHING})
        assert [jobs.is_set, deliveries.is_set] == [True, True]
    hub.notify({JOBS})  # nobody subscribes any more: nothing to do, nothing fails


async def test_idle_wakes_at_the_due_time_on_a_fake_clock() -> None:
    clock = FakeClock()
    due = clock.now().replace(second=30)
    hub = WakeupHub()
    woke: list[str] = []
    with hub.subscribe(JOBS) as waiter:
        waiter.clear()
        async with anyio.create_task_group() as tasks:

            async def wait() -> None:
                woke.append(await idle(waiter, clock, due, fallback=60))

            tasks.start_soon(wait)
            await anyio.sleep(0.05)
            clock.advance(10)
            await anyio.sleep(0.05)
            assert woke == []  # not due yet
            with anyio.fail_after(5):
                clock.advance(20)
                while not woke:
                    await anyio.sleep(0.01)
    assert woke == ["due"]


async def test_idle_without_a_signal_falls_back_to_its_poll() -> None:
    hub = WakeupHub()
    with hub.subscribe(JOBS) as waiter:
        waiter.clear()
        with anyio.fail_after(5):
            assert await idle(waiter, SystemAlarm(FakeClock()), None, fallback=0.05) == "fallback"


def test_as_alarm_keeps_a_clock_that_can_sleep() -> None:
    clock = FakeClock()
    assert as_alarm(clock) is clock
    assert isinstance(as_alarm(_Plain()), SystemAlarm)


class _Plain:
    def now(self) -> datetime:
        return datetime.now(UTC)


# -- the SQLite datagram broadcast ---------------------------------------------------------------


def _collector() -> tuple[list[set[str]], threading.Event, object]:
    got: list[set[str]] = []
    arrived = threading.Event()

    def deliver(topics: Collection[str]) -> None:
        got.append(set(topics))
        arrived.set()

    return got, arrived, deliver


def test_a_datagram_reaches_the_other_process_listener(tmp_path: Path) -> None:
    database = str(tmp_path / "tidings.db")
    listener, sender = SocketBroadcast(database), SocketBroadcast(database)
    got, arrived, deliver = _collector()
    listener.listen(deliver)  # type: ignore[arg-type]
    try:
        sender.send({JOBS, "events"})
        assert arrived.wait(5)
        assert got[0] == {JOBS, "events"}
        got.clear()
        arrived.clear()
        listener.send({JOBS})  # its own signals do not come back to it
        assert not arrived.wait(0.1)
    finally:
        listener.close()
        sender.close()
    assert not listener.directory.exists()  # the last listener removed it


def test_a_dead_listener_socket_is_removed(tmp_path: Path) -> None:
    database = str(tmp_path / "tidings.db")
    sender = SocketBroadcast(database)
    sender.directory.mkdir(mode=0o700, exist_ok=True)
    dead = sender.directory / "12345-deadbeef"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(dead))
    sock.close()  # as a process killed with kill -9 leaves it
    try:
        sender.send({JOBS})
        assert not dead.exists()
    finally:
        sender.close()
