"""One bind: hold its lease, keep the session up, drain the queue through the window, read
receipts and MO.

    lease (smpp_binds) ─> connect ─> bound ─┬─ sender: claim due parts, submit_sm ≤ window,
                                             │          outcomes committed in batches
                                             ├─ reader: deliver_sm -> receipts / MO, in batches
                                             └─ keeper: renew the lease, publish the status
    session ends / lease lost / timeout ─> parts in flight back to the queue ─> backoff

A refused bind (wrong password, ...) waits ``bind_failure_seconds``; other failures back off
exponentially with jitter (``reconnect_min/max_seconds``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from tidings.carriers.smpp.metrics import BindMetrics
from tidings.carriers.smpp.pipeline import Health, Live, Receiver, Restart, consume, within
from tidings.carriers.smpp.relay import SinkRelay
from tidings.carriers.smpp.sender import Sender
from tidings.carriers.smpp.session import (
    BindError,
    Connector,
    SessionClosed,
    SmppSession,
    bind_request,
)
from tidings.domain.smpp import (
    BindSlot,
    BindState,
    BindStatus,
    SmppOptions,
)
from tidings.domain.smpp_flow import backoff
from tidings.ports import Clock, Store, Tx

log = logging.getLogger(__name__)
T = TypeVar("T")
#: How long a session's close and its tasks' ends are waited for before the bind goes on.
CLEANUP_SECONDS = 5.0


class BindRunner:
    def __init__(
        self,
        carrier: str,
        slot: BindSlot,
        options: SmppOptions,
        store: Store,
        clock: Clock,
        connector: Connector,
        *,
        owner: str,
        wake: asyncio.Event,
        relay: SinkRelay,
        metrics: BindMetrics,
        rng: random.Random,
    ) -> None:
        self.carrier = carrier
        self.slot = slot
        self.options = options
        self._store = store
        self._clock = clock
        self._connect = connector
        self.owner = owner
        self._wake = wake
        self._relay = relay
        self.metrics = metrics
        self._rng = rng
        self._stopping = asyncio.Event()
        self._state = BindState.STOPPED
        self._since = clock.now()
        self._health = Health()
        self._live: Live | None = None
        self._sender = Sender(
            carrier, slot, options, store, clock,
            wake=wake, relay=relay, metrics=metrics, health=self._health,
        )  # fmt: skip
        self._holding = False

    # -- lifecycle -------------------------------------------------------------------------

    async def run(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            try:
                failures = await self._attempt(failures)
            except Exception:
                # The database or the library failed us: never let the bind die with it.
                log.exception(
                    "bind %s/%s: unexpected error, retrying", self.carrier, self.slot.name
                )
                failures += 1
                await self._sleep(self._backoff(failures))
        with contextlib.suppress(Exception):
            if self._holding:
                await self._db(
                    lambda tx: tx.smpp.release(
                        self.carrier, self.slot.name, self.owner, self._now()
                    )
                )
                self._holding = False

    async def _attempt(self, failures: int) -> int:
        """Take the lease, bind, run the session until it ends; return the failure count."""
        if not await self._acquire():
            await self._sleep(self.options.lease_seconds / 3 * self._rng.uniform(0.8, 1.2))
            return failures
        await self._db(lambda tx: tx.smpp.requeue(self.carrier, self.slot.name, self._now()))
        await self._set_state(BindState.CONNECTING)
        try:
            session = await self._connect(bind_request(self.options, self.slot.mode))
        except BindError as exc:
            self._health.last_error = str(exc)
            self._health.last_status = exc.status
            self.metrics.bind_failure(exc.status)
            failures += 1
            if exc.refused:
                delay = self.options.bind_failure_seconds
                await self._set_state(BindState.FAILED)
            else:
                delay = self._backoff(failures)
                await self._set_state(BindState.BACKOFF)
            log.warning(
                "bind %s/%s failed (%s); next try in %.1fs",
                self.carrier,
                self.slot.name,
                exc,
                delay,
            )
            await self._hold_for(delay)
            return failures
        failures = 0
        self._health.clear()
        await self._bound(session)
        if not self._stopping.is_set():
            delay = self._backoff(0)
            await self._set_state(BindState.BACKOFF)
            await self._hold_for(delay)
        return failures

    def stop(self) -> None:
        self._stopping.set()

    async def _bound(self, session: SmppSession) -> None:
        live = Live(session, asyncio.Semaphore(self.options.window))
        self._live = live
        await self._set_state(BindState.BOUND)
        log.info("bind %s/%s bound (%s)", self.carrier, self.slot.name, self.slot.mode.value)
        tasks = [
            asyncio.create_task(self._keeper()),
            asyncio.create_task(self._sender.write_outcomes(live)),
        ]
        sender = (
            asyncio.create_task(self._sender.claim_and_submit(live))
            if self.slot.mode.sends
            else None
        )
        if sender is not None:
            tasks.append(sender)
        reader = asyncio.create_task(self._reader(live)) if self.slot.mode.receives else None
        if reader is not None:
            tasks.append(reader)
        stopper = asyncio.create_task(self._stopping.wait())
        try:
            done, _ = await asyncio.wait([*tasks, stopper], return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            # The runner itself is cancelled: its tasks go with it (a keeper left running
            # would renew the lease for ever and no other worker could take the bind).
            for task in [*tasks, stopper, *live.tasks, *live.storing]:
                task.cancel()
            raise
        for task in done:
            if task is not stopper and not task.cancelled() and task.exception() is not None:
                exc = task.exception()
                self._health.last_error = f"{type(exc).__name__}: {exc}"
                if not isinstance(exc, Restart | SessionClosed):
                    log.error("bind %s/%s failed", self.carrier, self.slot.name, exc_info=exc)
                else:
                    log.warning("bind %s/%s restarts: %s", self.carrier, self.slot.name, exc)
        if stopper in done:
            await self._drain(live, sender)
            await session.unbind()
        elif reader is not None and not reader.done():
            # A session whose library answers deliver_sm by itself (smpp34's) has
            # acknowledged what sits in its queue: read it to the end before it goes.
            await asyncio.wait([reader], timeout=2)
        if stopper not in done:
            with contextlib.suppress(TimeoutError):
                await within(session.close(), CLEANUP_SECONDS)
        # A task inside a library call that does not answer cancellation (a read on a dead
        # session) must not keep the bind from coming back: wait for them a bounded time.
        ending = [*tasks, stopper, *live.tasks]
        for task in ending:
            task.cancel()
            task.add_done_callback(consume)
        await asyncio.wait(ending, timeout=CLEANUP_SECONDS)
        if live.storing:
            # What the session has taken in is stored before it goes (acknowledged or not).
            await asyncio.wait(live.storing, timeout=10)
        await self._sender.settle(live)
        self._live = None
        # Parts sent without an answer go back to the queue (the only duplicate window).
        await self._db(lambda tx: tx.smpp.requeue(self.carrier, self.slot.name, self._now()))

    async def _drain(self, live: Live, sender: asyncio.Task[None] | None) -> None:
        """On shutdown: stop claiming, let outstanding submits answer (up to the timeout)."""
        if sender is not None:
            sender.cancel()
        pending = live.tasks | live.storing  # storing batches answer their deliver_sm
        if pending:
            await asyncio.wait(pending, timeout=self.options.response_timeout_seconds)

    # -- receiving -------------------------------------------------------------------------

    async def _reader(self, live: Live) -> None:
        await Receiver(
            self.carrier, self.slot.name, self._store, self._clock, self._relay, self.metrics
        ).run(live)

    # -- lease and status ------------------------------------------------------------------

    async def _keeper(self) -> None:
        while True:
            await asyncio.sleep(self.options.lease_seconds / 3)
            if not await self._acquire():
                raise Restart("lost the bind lease")
            await self._publish()

    async def _acquire(self) -> bool:
        now = self._now()
        until = now + timedelta(seconds=self.options.lease_seconds)
        self._holding = await self._db(
            lambda tx: tx.smpp.acquire(
                self.carrier, self.slot.name, self.slot.mode.value, self.owner, now, until
            )
        )
        return self._holding

    async def _hold_for(self, seconds: float) -> None:
        """Wait out a backoff while keeping the lease (so no other worker retries at once)."""
        deadline = time.monotonic() + seconds
        while not self._stopping.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            await self._sleep(min(left, self.options.lease_seconds / 3))
            if not await self._acquire():
                return
            await self._publish()

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._stopping.wait()

    async def _set_state(self, state: BindState) -> None:
        if state is not self._state:
            self._state = state
            self._since = self._now()
        self.metrics.state(state)
        await self._publish()

    @property
    def sending(self) -> bool:
        """Bound, and a bind that sends."""
        return self.slot.mode.sends and self._state is BindState.BOUND

    def status(self) -> BindStatus:
        owner = self.owner if self._holding else None
        used = self._live.inflight if self._live else 0
        return BindStatus(
            self.carrier, self.slot.name, self.slot.mode.value, self._state.value, owner,
            self._health.last_error, self._health.last_status, self._since, used,
            self._health.submitted, self._now(),
        )  # fmt: skip

    async def _publish(self) -> None:
        status = self.status()
        self.metrics.window(status.window_used)
        await self._db(lambda tx: tx.smpp.set_status(status, self.owner))

    def _backoff(self, attempt: int) -> float:
        o = self.options
        return backoff(attempt, o.reconnect_min_seconds, o.reconnect_max_seconds, self._rng)

    def _now(self) -> datetime:
        return self._clock.now()

    async def _db(self, fn: Callable[[Tx], T]) -> T:
        # Group-committed with the other binds' and the API's concurrent transactions.
        return await self._store.write_async(fn)
