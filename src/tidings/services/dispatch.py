"""Webhook delivery: route the outbox to subscriptions, send, retry, dead-letter.

Three loops share one process's event loop:

* the router takes unrouted outbox events, matches them against the active subscriptions
  and writes one pending delivery per batch (``domain/routing.py``), and in the same
  transaction leases what is due for this dispatcher to send, so a new event goes out
  without waiting for a claim transaction of its own;
* the dispatcher leases due deliveries (per subscription, skipping endpoints on probation,
  a cap per subscription so one slow endpoint cannot hold every slot) and sends each in its
  own task;
* the recorder writes finished attempts in batches: the attempt log, the delivery's new
  state (delivered, retry at, dead-lettered, dropped) and the endpoint's health.

``step()`` runs one round of each, awaiting every send: tests drive it with a fake clock.

None of them polls: the router sleeps until an unrouted event is committed, the dispatcher
until a delivery is written or rescheduled, a send finishes, or the next pending delivery
is due (a retry, a lease running out, a probation ending: read from the database), the
recorder until a send finishes. A slow fallback poll (``poll_interval``) covers a lost
signal (``tidings/wakeups.py``).
"""

from __future__ import annotations

import logging
import random
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import anyio

from tidings.domain.deliveries import ClaimedDelivery, DeliveryResult, DeliveryStatus
from tidings.domain.events import Event
from tidings.domain.routing import route
from tidings.domain.subscriptions import EventSubscription
from tidings.domain.webhooks import (
    PROBATION_AFTER_FAILURES,
    RESPONSE_TIMEOUT_SECONDS,
)
from tidings.ports import DispatchTx, WebhookSender
from tidings.services.context import ServiceContext
from tidings.services.webhook_attempt import attempt
from tidings.wakeups import (
    DELIVERIES,
    EVENTS,
    Alarm,
    SystemAlarm,
    Waiter,
    WakeupHub,
    Wakeups,
    idle,
)

log = logging.getLogger(__name__)
Claimed = tuple[EventSubscription, ClaimedDelivery]
BUSY_SECONDS = 0.25


@dataclass(frozen=True)
class _Routed:
    """What a round of routing wrote: the subscriptions it read, each new delivery's events."""

    subscriptions: list[EventSubscription]
    events: dict[str, tuple[Event, ...]]


@dataclass(frozen=True)
class DispatchSettings:
    #: The fallback poll: how long an idle loop sleeps at most without a signal.
    poll_interval: float = 5.0
    #: How long the recorder gathers finished sends before writing them in one transaction.
    record_window: float = 0.01
    #: Under load (events routed less than ``BUSY_SECONDS`` ago), how long the router lets
    #: new events gather after a wake-up; an idle router routes at once.
    route_linger: float = 0.005
    route_batch: int = 2000
    max_in_flight: int = 256
    per_subscription: int = 64
    #: How long a claimed delivery stays leased: longer than the request timeout.
    lease_seconds: float = 90.0
    timeout: float = RESPONSE_TIMEOUT_SECONDS


class WebhookDispatcher:
    def __init__(
        self,
        ctx: ServiceContext[DispatchTx],
        sender: WebhookSender,
        settings: DispatchSettings | None = None,
        *,
        rand: Callable[[], float] = random.random,
        wakeups: Wakeups | None = None,
        alarm: Alarm | None = None,
    ) -> None:
        self._ctx = ctx
        self._sender = sender
        self._settings = settings or DispatchSettings()
        self._rand = rand
        self._in_flight: dict[str, int] = defaultdict(int)
        self._results: list[DeliveryResult] = []
        self._wakeups: Wakeups = wakeups or WakeupHub()
        self._alarm = alarm or SystemAlarm(ctx.clock)
        self._recorded = anyio.Event()  # a send finished: results to write
        self._kick: Callable[[], None] = lambda: None  # wakes the dispatch loop
        #: The router and the dispatch loop both lease deliveries: one at a time, so the
        #: two never take the same free capacity.
        self._claiming = anyio.Lock()
        #: What ended each idle wait of the dispatch loop (diagnostics).
        self.wakes: Counter[str] = Counter()

    # -- routing ------------------------------------------------------------------------------

    def route_once(self) -> int:
        """Route one batch of unrouted events; returns how many events were taken."""
        return self._ctx.store.write(lambda tx: self._route(tx, self._ctx.clock.now())[0])

    def route_and_claim(self, capacity: int) -> tuple[int, list[Claimed]]:
        """Route one batch and, in the same transaction, lease up to ``capacity`` due
        deliveries (those just written included): a routed event goes out without waiting
        for a claim transaction of its own. Returns the events taken and the leases."""

        def run(tx: DispatchTx) -> tuple[int, list[Claimed]]:
            now = self._ctx.clock.now()
            routed, added = self._route(tx, now, wake=capacity <= 0)
            if added is None or capacity <= 0:
                return routed, []
            claimed = self._claim(tx, capacity, now, added)
            if len({d.id for _, d in claimed} & added.events.keys()) < len(added.events):
                tx.deliveries.wake()  # some wait for a dispatcher with room
            # (else every new delivery is leased here: no dispatch loop has to look)
            return routed, claimed

        return self._ctx.store.write(run)

    def _route(
        self, tx: DispatchTx, now: datetime, *, wake: bool = True
    ) -> tuple[int, _Routed | None]:
        """Route one batch: how many events were taken, and what was added, if anything
        (for a claim in the same transaction; ``wake``: signal the dispatchers, else the
        caller does if it leaves some of them unleased).

        The events are read before the subscriptions: an event visible to the first read
        that a subscription must get (its ``seq`` after the subscription's ``created_seq``)
        was appended after that subscription committed (appenders wait for the lock its
        creation holds), so the second read sees the subscription."""
        rows = tx.deliveries.take_unrouted(self._settings.route_batch)
        if not rows:
            return 0, None
        subs = tx.subscriptions.all()
        active = [s for s in subs if s.active(now)]
        if not active:
            return len(rows), None  # no one to route them to
        new = route(active, rows, now)
        tx.deliveries.add(new, wake=wake)
        if not new:
            return len(rows), None
        by_seq = dict(rows)
        events = {d.id: tuple(by_seq[seq] for seq in d.event_seqs) for d in new}
        return len(rows), _Routed(subs, events)

    # -- claiming and sending -----------------------------------------------------------------

    def claim(self, capacity: int) -> list[Claimed]:
        return self._ctx.store.write(lambda tx: self._claim(tx, capacity, self._ctx.clock.now()))

    def _claim(
        self,
        tx: DispatchTx,
        capacity: int,
        now: datetime,
        routed: _Routed | None = None,
    ) -> list[Claimed]:
        """Lease due deliveries (after routing: of the subscriptions it read, the events it
        wrote not read again)."""
        lease_until = now + timedelta(seconds=self._settings.lease_seconds)
        out: list[Claimed] = []
        left = capacity
        known = routed.events if routed is not None else None
        for sub in tx.subscriptions.all() if routed is None else routed.subscriptions:
            if left <= 0:
                break
            if not _sendable(sub, now):
                continue
            room = min(left, self._settings.per_subscription - self._in_flight[sub.name])
            if room <= 0:
                continue
            claimed = tx.deliveries.claim(
                sub.name, now=now, limit=room, lease_until=lease_until, known=known
            )
            out.extend((sub, d) for d in claimed)
            left -= len(claimed)
        return out

    def next_due(self) -> datetime | None:
        """When a pending delivery next becomes sendable: its due time (a retry or a lease
        that runs out), or the end of its endpoint's probation if that is later."""
        now = self._ctx.clock.now()
        per_subscription = self._settings.per_subscription

        def run(tx: DispatchTx) -> datetime | None:
            times: list[datetime] = []
            for sub in tx.subscriptions.all():
                if not sub.active(now) or self._in_flight[sub.name] >= per_subscription:
                    continue  # (a full one is woken by its sends finishing)
                due = tx.deliveries.next_attempt_at(sub.name)
                if due is None:
                    continue
                if sub.probation_until is not None and sub.probation_until > due:
                    due = sub.probation_until
                times.append(due)
            return min(times) if times else None

        return self._ctx.store.read(run)

    async def send(self, sub: EventSubscription, delivery: ClaimedDelivery) -> DeliveryResult:
        """One attempt (or the TTL expiry found instead of it)."""
        return await attempt(
            self._sender, sub, delivery, self._ctx.clock.now(), self._settings.timeout, self._rand
        )

    def record(self, results: list[DeliveryResult]) -> None:
        """Write results: attempts, delivery states and endpoint health, in one transaction."""
        if not results:
            return
        now = self._ctx.clock.now()
        health: dict[str, tuple[int, int, float]] = {}
        for r in results:
            if not r.attempted:
                continue
            ok, failed, probation = health.get(r.subscription, (0, 0, 0.0))
            if r.status is DeliveryStatus.DELIVERED:
                ok += 1
            else:
                failed += 1
                probation = r.probation_seconds
            health[r.subscription] = (ok, failed, probation)

        def run(tx: DispatchTx) -> None:
            tx.deliveries.finish(results)
            if health:
                tx.subscriptions.record_health(health, now, PROBATION_AFTER_FAILURES)

        self._ctx.store.write(run)

    # -- the loops ----------------------------------------------------------------------------

    async def step(self) -> int:
        """Route everything unrouted, then send every due delivery once; returns sends made."""
        while await anyio.to_thread.run_sync(self.route_once):
            pass
        claimed = await anyio.to_thread.run_sync(lambda: self.claim(self._settings.max_in_flight))
        results: list[DeliveryResult] = []

        async def one(sub: EventSubscription, d: ClaimedDelivery) -> None:
            results.append(await self.send(sub, d))

        async with anyio.create_task_group() as tg:
            for sub, delivery in claimed:
                tg.start_soon(one, sub, delivery)
        await anyio.to_thread.run_sync(lambda: self.record(results))
        return len(claimed)

    async def run(self, stop: anyio.Event) -> None:
        log.info("webhook dispatcher started")
        with (
            self._wakeups.subscribe(EVENTS) as events,
            self._wakeups.subscribe(DELIVERIES) as deliveries,
        ):
            self._kick = deliveries.set
            await self._run(stop, events, deliveries)
            self._kick = lambda: None
        log.info("webhook dispatcher stopped")

    async def _run(self, stop: anyio.Event, events: Waiter, deliveries: Waiter) -> None:
        async with anyio.create_task_group() as tg:

            async def relay_stop() -> None:
                await stop.wait()
                events.set()
                deliveries.set()
                self._recorded.set()

            tg.start_soon(relay_stop)
            tg.start_soon(self._route_loop, stop, events, tg)
            tg.start_soon(self._record_loop, stop)
            await self._dispatch_loop(stop, tg, deliveries)
            # Let requests in flight finish (bounded by the timeout), then record them.
            with anyio.move_on_after(self._settings.timeout + 1):
                while sum(self._in_flight.values()):
                    await anyio.sleep(0.05)
            await self._flush()
            tg.cancel_scope.cancel()

    def _capacity(self) -> int:
        return self._settings.max_in_flight - sum(self._in_flight.values())

    def _start(self, tg: anyio.abc.TaskGroup, claimed: list[Claimed]) -> None:
        for sub, delivery in claimed:
            self._in_flight[sub.name] += 1
            tg.start_soon(self._send_one, sub, delivery)

    async def _route_loop(self, stop: anyio.Event, waiter: Waiter, tg: anyio.abc.TaskGroup) -> None:
        busy_until = float("-inf")
        while not stop.is_set():
            waiter.clear()  # an event committed from now on ends the sleep below
            try:
                async with self._claiming:  # the leases it takes count against capacity
                    routed, claimed = await anyio.to_thread.run_sync(
                        self.route_and_claim, self._capacity()
                    )
                    self._start(tg, claimed)
            except Exception:
                log.exception("routing events failed; retrying")
                routed = 0
                await anyio.sleep(1.0)
            if routed:
                busy_until = anyio.current_time() + BUSY_SECONDS
            if routed < self._settings.route_batch and not stop.is_set():
                # Fewer than a batch: none left as of that read, and an event committed
                # since then has set the waiter (no empty round after each batch).
                await waiter.wait(self._settings.poll_interval)
                if anyio.current_time() < busy_until:  # under load: let a batch gather
                    await anyio.sleep(self._settings.route_linger)

    async def _dispatch_loop(
        self, stop: anyio.Event, tg: anyio.abc.TaskGroup, waiter: Waiter
    ) -> None:
        while not stop.is_set():
            waiter.clear()  # a delivery written or a send finished from now on wakes it
            claimed: list[Claimed] = []
            async with self._claiming:
                capacity = self._capacity()
                if capacity > 0:
                    try:
                        claimed = await anyio.to_thread.run_sync(self.claim, capacity)
                    except Exception:
                        log.exception("claiming deliveries failed; retrying")
                        await anyio.sleep(1.0)
                self._start(tg, claimed)
            if claimed:
                await anyio.sleep(0)
                continue
            due = None
            if capacity > 0:  # else the next finished send wakes it (``_flush``)
                try:
                    due = await anyio.to_thread.run_sync(self.next_due)
                except Exception:
                    log.exception("reading the next due delivery failed")
            if stop.is_set():
                break
            if due is not None and due <= self._alarm.now():
                # Due, yet not claimed: another node holds it for a moment. Look again soon.
                await waiter.wait(0.01)
                self.wakes["held"] += 1
            else:
                self.wakes[await idle(waiter, self._alarm, due, self._settings.poll_interval)] += 1

    async def _send_one(self, sub: EventSubscription, delivery: ClaimedDelivery) -> None:
        try:
            result = await self.send(sub, delivery)
        except Exception:
            log.exception("sending delivery %s failed", delivery.id)
            self._kick()  # its slot is free (the lease runs out and it is sent again)
            return
        finally:
            self._in_flight[sub.name] -= 1
        self._results.append(result)
        self._recorded.set()

    async def _record_loop(self, stop: anyio.Event) -> None:
        while not stop.is_set():
            await self._recorded.wait()
            self._recorded = anyio.Event()
            # Gather what else finishes meanwhile into the same transaction.
            await anyio.sleep(self._settings.record_window)
            await self._flush()

    async def _flush(self) -> None:
        batch, self._results = self._results, []
        if not batch:
            return
        try:
            await anyio.to_thread.run_sync(lambda: self.record(batch))
        except Exception:
            log.exception("recording %d delivery results failed; keeping them", len(batch))
            self._results = batch + self._results
            self._recorded.set()
            await anyio.sleep(1.0)
            return
        self._kick()  # their slots are free: the dispatch loop may claim again


def _sendable(sub: EventSubscription, now: datetime) -> bool:
    return sub.active(now) and (sub.probation_until is None or sub.probation_until <= now)
