"""Wake-ups: committed work wakes the loop that handles it, instead of that loop polling.

A transaction that makes work visible (a job, an outbox event, a webhook delivery) marks its
*topic*; once it has committed, the storage adapter calls ``Wakeups.notify`` with the topics
its transaction marked. Every ``Waiter`` on one of them wakes: in this process at once, in
other processes on the same database through a ``Broadcast`` (a datagram beside an SQLite
file, ``NOTIFY`` on PostgreSQL). Loops wait with a deadline, the next due time they read
from the database (a retry, a throughput window, a lease running out), capped by a slow
fallback poll, so a lost signal delays work and never loses it::

    with wakeups.subscribe(JOBS) as waiter:
        while running:
            waiter.clear()        # before looking: any commit from now on ends the wait
            if not do_work():
                await idle(waiter, alarm, next_due(), fallback)

The port is small on purpose: a carrier with background work of its own (its ``run_due``)
can subscribe to a topic of its own the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Collection, Iterator
from datetime import datetime
from typing import Protocol, runtime_checkable

import anyio

log = logging.getLogger(__name__)

#: Jobs were queued, or one's due time moved (retry, deferral, released leases).
JOBS = "jobs"
#: Unrouted events were written to the outbox.
EVENTS = "events"
#: Webhook deliveries were written or rescheduled, or a subscription changed.
DELIVERIES = "deliveries"
#: The carrier registry (carriers, routes) changed: routers reload it.
CARRIERS = "carriers"
#: What a broadcast delivers when it may have missed signals (it reconnected).
EVERYTHING = "*"


class Waiter:
    """One loop's wake-up on one topic. Made, cleared and awaited on one event loop; ``set``
    from any thread."""

    def __init__(self, topic: str, loop: asyncio.AbstractEventLoop) -> None:
        self.topic = topic
        self._loop = loop
        self._event = asyncio.Event()
        self._set = False
        #: How many times it was woken (tests and diagnostics).
        self.wakes = 0

    def set(self) -> None:
        """Wake the waiter (a no-op while it is awake already)."""
        if self._set:
            return
        self._set = True
        self.wakes += 1
        try:
            current = asyncio.get_running_loop()
        except RuntimeError:
            current = None
        if current is self._loop:
            self._event.set()
        else:
            with contextlib.suppress(RuntimeError):  # the loop closed: no one waits
                self._loop.call_soon_threadsafe(self._event.set)

    def clear(self) -> None:
        """Forget earlier wake-ups: call before looking for work."""
        self._set = False
        self._event.clear()

    @property
    def is_set(self) -> bool:
        return self._set

    async def wait(self, timeout: float | None) -> bool:
        """Wait until woken (True) or ``timeout`` seconds have passed (False)."""
        if self._event.is_set():
            return True
        with anyio.move_on_after(timeout):
            await self._event.wait()
            return True
        return False


class Wakeups(Protocol):
    """Committed work's signals, by topic."""

    def notify(self, topics: Collection[str], *, broadcast: bool = True) -> None:
        """Wake every waiter on ``topics``, here and (unless the commit carried them there
        already: ``broadcast=False``) in other processes. Call only after the commit that
        makes the work visible; thread-safe and never blocks."""
        ...

    def subscribe(self, topic: str) -> contextlib.AbstractContextManager[Waiter]:
        """A waiter on ``topic`` for the running event loop, for the ``with`` block."""
        ...


class Broadcast(Protocol):
    """Carries signals to the other processes on the same database."""

    def send(self, topics: Collection[str]) -> None:
        """Pass ``topics`` on to the other processes; never blocks."""
        ...

    def listen(self, deliver: Callable[[Collection[str]], None]) -> None:
        """Start handing the other processes' signals to ``deliver`` (from a thread)."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class Alarm(Protocol):
    """A clock that can be slept on: the real one, or a test's fake one."""

    def now(self) -> datetime: ...

    async def sleep_until(self, when: datetime) -> None: ...


class _Now(Protocol):
    def now(self) -> datetime: ...


class SystemAlarm:
    """``sleep_until`` for a clock that moves by itself."""

    def __init__(self, clock: _Now) -> None:
        self._clock = clock

    def now(self) -> datetime:
        return self._clock.now()

    async def sleep_until(self, when: datetime) -> None:
        await anyio.sleep(max(0.0, (when - self._clock.now()).total_seconds()))


def as_alarm(clock: _Now) -> Alarm:
    """``clock`` itself when it can be slept on (a test's fake clock), else a real alarm."""
    return clock if isinstance(clock, Alarm) else SystemAlarm(clock)


async def idle(waiter: Waiter, alarm: Alarm, due: datetime | None, fallback: float) -> str:
    """Wait for a signal, for ``due`` on ``alarm`` or for ``fallback`` seconds, whichever
    comes first; returns which (``signal``, ``due`` or ``fallback``)."""
    if waiter.is_set:
        return "signal"
    if due is None:
        return "signal" if await waiter.wait(fallback) else "fallback"
    if due <= alarm.now():
        return "due"
    woke = "fallback"
    async with anyio.create_task_group() as tasks:

        async def on_signal() -> None:
            nonlocal woke
            if await waiter.wait(fallback):
                woke = "signal"
            tasks.cancel_scope.cancel()

        async def on_due() -> None:
            nonlocal woke
            await alarm.sleep_until(due)
            woke = "due"
            tasks.cancel_scope.cancel()

        tasks.start_soon(on_signal)
        tasks.start_soon(on_due)
    return woke


class WakeupHub:
    """The ``Wakeups`` of one process: waiters by topic, and a ``Broadcast`` (if any) to and
    from the other processes on the database. The broadcast listens only once something here
    subscribes: an API-only process just sends."""

    def __init__(self, broadcast: Broadcast | None = None) -> None:
        self._broadcast = broadcast
        self._waiters: dict[str, tuple[Waiter, ...]] = {}
        self._lock = threading.Lock()
        self._listening = False
        #: Signals sent (tests and diagnostics).
        self.sent = 0

    def notify(self, topics: Collection[str], *, broadcast: bool = True) -> None:
        if not topics:
            return
        self.sent += 1
        self._deliver(topics)
        if broadcast and self._broadcast is not None:
            try:
                self._broadcast.send(topics)
            except Exception:  # a lost signal only delays work: the fallback finds it
                log.exception("sending a wake-up to other processes failed")

    @contextlib.contextmanager
    def subscribe(self, topic: str) -> Iterator[Waiter]:
        waiter = Waiter(topic, asyncio.get_running_loop())
        with self._lock:
            self._waiters[topic] = (*self._waiters.get(topic, ()), waiter)
            listen = self._broadcast is not None and not self._listening
            self._listening = self._listening or listen
        if listen:
            assert self._broadcast is not None
            self._broadcast.listen(self._deliver)
        try:
            yield waiter
        finally:
            with self._lock:
                self._waiters[topic] = tuple(w for w in self._waiters[topic] if w is not waiter)

    def _deliver(self, topics: Collection[str]) -> None:
        waiters = self._waiters
        if EVERYTHING in topics:
            topics = list(waiters)
        for topic in topics:
            for waiter in waiters.get(topic, ()):
                waiter.set()

    def close(self) -> None:
        if self._broadcast is not None:
            self._broadcast.close()
