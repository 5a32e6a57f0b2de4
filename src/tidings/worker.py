"""The background worker: claims due jobs from the database queue and carries them out.

Each step claims a batch of due jobs (a lease, so a crashed worker's jobs come back), hands
them to their handler by kind, then acks, reschedules or buries them. Two transactions per
step on the send path: the claim screens the send jobs (``DeliveryService.prepare``; if a
check fails, the rolled back claim's attempt is counted in a transaction of its own, and the
jobs retried with backoff), and the settling
transaction records what the carrier said (``Settlement.write``, with the carrier's queueing
when it stages) with the acks, then tells the carrier (wakes its sender). Many workers may run
against one PostgreSQL; the claim skips rows another worker holds. The carrier's own due
work runs in the same loop: jobs of a ``QueueCarrier`` (the simulator's deliveries and
replies) are claimed with the worker's own, in the round's one claim, and handed to it
after the settling transaction; then ``run_due``.

Between rounds an idle worker sleeps until a committed job wakes it (``tidings/wakeups.py``),
until the next job is due (a retry, a throughput window, a lease running out: read from the
queue), or at the latest ``poll_interval`` seconds, the fallback for a lost signal.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import anyio

from tidings.domain.messages import SEND_JOB
from tidings.domain.reservations import RETENTION as RESERVATION_RETENTION
from tidings.ports import Carrier, Clock, Job, Store, WorkerTx, queue_carrier
from tidings.services.delivery import DeliveryService, JobOutcome, Prepared, Settlement
from tidings.services.numbers import OPERATION_JOB, NumbersService
from tidings.services.sms import REPORT_TIMEOUT_JOB
from tidings.services.subscriptions import REPLAY_JOB, SubscriptionService
from tidings.settings import WorkerSettings
from tidings.wakeups import JOBS, Alarm, SystemAlarm, WakeupHub, Wakeups, idle

log = logging.getLogger(__name__)
HOUSEKEEPING_SECONDS = 60.0
#: A worker that did work less than ``BUSY_SECONDS`` ago waits ``LINGER_SECONDS`` after a
#: wake-up before its next round; an idle one starts at once.
BUSY_SECONDS = 0.25
LINGER_SECONDS = 0.025

Handler = Callable[[list[Job]], Awaitable[list[JobOutcome]]]


@dataclass
class _Claimed:
    """A round's claim: how many jobs, the send jobs screened, the carrier's jobs, and the
    others."""

    count: int
    others: list[Job]
    carrier_jobs: list[Job]
    sends: Prepared | None = None


class Worker:
    def __init__(
        self,
        store: Store[WorkerTx],
        clock: Clock,
        carrier: Carrier,
        delivery: DeliveryService,
        numbers: NumbersService,
        settings: WorkerSettings,
        *,
        subscriptions: SubscriptionService | None = None,
        delivery_retention: timedelta = timedelta(days=7),
        wakeups: Wakeups | None = None,
        alarm: Alarm | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._carrier = carrier
        #: The carrier, if its due work is jobs in the queue: claimed with ours.
        self._queued = queue_carrier(carrier)
        self._settings = settings
        self._numbers = numbers
        self._delivery = delivery
        #: The handlers of the kinds other than ``sms.send`` (screened in the claim's
        #: transaction and handed to ``delivery.send``: ``step``).
        self._handlers: dict[str, Handler] = {
            REPORT_TIMEOUT_JOB: delivery.run_timeouts,
            OPERATION_JOB: self._run_operations,
        }
        self._subscriptions = subscriptions
        self._delivery_retention = delivery_retention
        if subscriptions is not None:
            self._handlers[REPLAY_JOB] = subscriptions.run_replays
        self.worker_id = f"worker-{uuid.uuid4().hex[:12]}"
        self._last_housekeeping = float("-inf")
        # Without signals (``TIDINGS_WORKER_WAKEUPS=false``) a hub of its own: nothing
        # notifies it, so it polls every ``poll_interval``.
        self._wakeups: Wakeups = (
            wakeups if wakeups is not None and settings.wakeups else WakeupHub()
        )
        self._alarm = alarm or SystemAlarm(clock)
        #: Whether ``run`` sleeps, waiting for work (tests and diagnostics).
        self.sleeping = False
        #: When the next job is due, if the last round's claim (empty) read it.
        self._due: tuple[datetime | None] | None = None
        #: Whether the last round's claim was full: more jobs may be due at once. After a
        #: claim that was not, the worker sleeps until a signal or the next due time (read
        #: after the round): every job committed or rescheduled since the claim signals
        #: (``JOBS``), and a carrier's deliveries stored claimed are done in the round.
        self._more = False
        #: The time the last round's claim was made as of.
        self._claimed_at = clock.now()
        #: The send jobs the claim being made is screening (what to count if it fails).
        self._screening: list[Job] = []

    async def run(self, stop: anyio.Event) -> None:
        """Work until ``stop`` is set; when nothing is due, sleep until a signal, the next
        due job or ``poll_interval`` seconds."""
        log.info("worker %s started", self.worker_id)
        with self._wakeups.subscribe(JOBS) as waiter:
            async with anyio.create_task_group() as tasks:

                async def relay_stop() -> None:
                    await stop.wait()
                    waiter.set()

                tasks.start_soon(relay_stop)
                busy_until = float("-inf")
                while not stop.is_set():
                    waiter.clear()  # a job committed from now on ends the sleep below
                    try:
                        done = await self.step()
                        more = self._more
                        due = None if more else await self._due_after_step()
                    except Exception:
                        log.exception("worker step failed; backing off")
                        done, more, due = 0, False, None
                        await anyio.sleep(1.0)
                    if done:
                        busy_until = time.monotonic() + BUSY_SECONDS
                    if not more and not stop.is_set():
                        self.sleeping = True
                        await idle(waiter, self._alarm, due, self._settings.poll_interval)
                        self.sleeping = False
                        if time.monotonic() < busy_until:
                            # Under load: let the next batch gather rather than wake for
                            # every commit (a round costs the same for 1 job as for 200).
                            await anyio.sleep(LINGER_SECONDS)
                tasks.cancel_scope.cancel()
        log.info("worker %s stopped", self.worker_id)

    async def _due_after_step(self) -> datetime | None:
        """``next_due``, as read in the last round's claim (if it was empty) or settling
        transaction; else read now, as of the round's claim."""
        known, self._due = self._due, None
        return known[0] if known is not None else await self.next_due(self._claimed_at)

    async def next_due(self, now: datetime | None = None) -> datetime | None:
        """When the next job becomes claimable after ``now`` (default: the clock's now;
        None: nothing is scheduled). A job due at ``now`` or earlier that no one holds is
        not seen: read it as of the last claim, which took every such job."""
        now = now if now is not None else self._clock.now()
        return await anyio.to_thread.run_sync(
            lambda: self._store.read(lambda tx: tx.jobs.next_due(now))
        )

    async def step(self) -> int:
        """One round: claim due jobs (screening the send jobs in the same transaction), run
        them, settle them with what they wrote; then the carrier's due work."""
        now = self._claimed_at = self._clock.now()
        lease = timedelta(seconds=self._settings.lease_seconds)
        try:
            claimed = await anyio.to_thread.run_sync(
                lambda: self._store.write(lambda tx: self._claim(tx, now, lease))
            )
        except Exception as exc:
            screened, self._screening = self._screening, []
            if not screened:
                raise
            log.exception("screening %d send job(s) failed; retrying them", len(screened))
            failed = self._failed(screened, repr(exc))
            await anyio.to_thread.run_sync(
                lambda: self._store.write(lambda tx: _count_failed_claims(tx, failed, now))
            )
            return len(screened)
        self._screening = []
        by_kind: dict[str, list[Job]] = defaultdict(list)
        for job in claimed.others:
            by_kind[job.kind].append(job)
        outcomes: list[JobOutcome] = []
        sends = Settlement([])
        if claimed.sends is not None:
            try:
                sends = await self._delivery.send(claimed.sends)
            except Exception as exc:
                log.exception("handler for %s failed", SEND_JOB)
                sends = Settlement(self._failed(claimed.sends.active, repr(exc)))
        for kind, batch in by_kind.items():
            try:
                outcomes.extend(await self._handlers[kind](batch))
            except Exception as exc:
                log.exception("handler for %s failed", kind)
                outcomes.extend(self._failed(batch, repr(exc)))
        if outcomes or sends.outcomes:
            recorded = await anyio.to_thread.run_sync(
                lambda: self._settle_round(sends, outcomes, now)
            )
            if recorded and sends.committed is not None:
                sends.committed()
        if claimed.carrier_jobs and self._queued is not None:
            await self._queued.run_jobs(claimed.carrier_jobs)
        done = claimed.count + await self._carrier.run_due()
        await self._housekeeping(now)
        return done

    def _claim(self, tx: WorkerTx, now: datetime, lease: timedelta) -> _Claimed:
        """Claim due jobs and screen the send jobs among them. If that transaction fails
        (a check that raises), it is rolled back, claim included; ``step`` then counts the
        send jobs' attempt and retries them later (``count_failed_claim``), so a check that
        always fails ends in the dead letters rather than looping. No savepoint: two round
        trips less in every claim."""
        carrier_kinds = self._queued.job_kinds() if self._queued is not None else ()
        jobs = tx.jobs.claim(
            [SEND_JOB, *self._handlers, *carrier_kinds],
            limit=self._settings.batch_size,
            now=now,
            lease=lease,
            worker=self.worker_id,
        )
        # An empty claim reads when the next job is due in the same transaction (the worker
        # sleeps until then, or until a job committed meanwhile wakes it); after a claim
        # that took jobs but was not full, it is read once the round is done (not here, on
        # the way to the carrier).
        self._more = len(jobs) >= self._settings.batch_size
        self._due = None if jobs else (tx.jobs.next_due(now),)
        sends = [job for job in jobs if job.kind == SEND_JOB]
        claimed = _Claimed(
            len(jobs),
            [job for job in jobs if job.kind in self._handlers],
            [job for job in jobs if job.kind in carrier_kinds],
        )
        self._screening = sends  # if this transaction fails: their attempt still counts
        if sends:
            claimed.sends = self._delivery.prepare(tx, sends, now)
        return claimed

    def _settle_round(
        self, sends: Settlement, outcomes: list[JobOutcome], claimed_at: datetime
    ) -> bool:
        """Record what the carrier said and settle every job, in one transaction; return
        whether it committed. If that fails, the send jobs are retried (with backoff) and the
        others settled as they are.

        After a claim that was not full, the same transaction reads when the next job is due
        (for the sleep after the round), as of the claim's time: a job that fell due since
        the claim is due at once."""

        def settle(tx: WorkerTx) -> None:
            if sends.write is not None:
                sends.write(tx)
            _settle(tx, sends.outcomes + outcomes)
            if not self._more:
                self._due = (tx.jobs.next_due(claimed_at),)

        try:
            self._store.write(settle)
        except Exception as exc:
            self._due = None
            if sends.write is None:
                raise
            log.exception("recording sent messages failed; their jobs will be retried")
            failed = self._failed([o.job for o in sends.outcomes], repr(exc))
            self._store.write(lambda tx: _settle(tx, failed + outcomes))
            return False
        return True

    async def _housekeeping(self, now: datetime) -> None:
        """Once a minute: drop throughput windows that can no longer matter, searches a day
        after they expired, finished operations after a week (ACS keeps them for days) and
        reservations after a month (as ACS)."""
        if time.monotonic() - self._last_housekeeping < HOUSEKEEPING_SECONDS:
            return
        self._last_housekeeping = time.monotonic()

        def prune(tx: WorkerTx) -> None:
            tx.rate_windows.prune(now - timedelta(hours=1))
            tx.searches.prune(now - timedelta(days=1))
            tx.operations.prune(now - timedelta(days=7))
            tx.reservations.prune(now - RESERVATION_RETENTION)
            tx.deliveries.prune(now - self._delivery_retention)

        await anyio.to_thread.run_sync(lambda: self._store.write(prune))
        if self._subscriptions is not None:
            await anyio.to_thread.run_sync(self._subscriptions.expire_validations)

    def _failed(self, jobs: list[Job], error: str) -> list[JobOutcome]:
        now = self._clock.now()
        return [
            JobOutcome(job, error=error, dead=True)
            if job.attempts >= self._settings.max_attempts
            else JobOutcome(
                job, retry_at=now + timedelta(seconds=min(2.0**job.attempts, 300.0)), error=error
            )
            for job in jobs
        ]

    async def _run_operations(self, jobs: list[Job]) -> list[JobOutcome]:
        outcomes: list[JobOutcome] = []
        for job in jobs:
            await anyio.to_thread.run_sync(lambda j=job: self._numbers.run(j))  # type: ignore[misc]
            outcomes.append(JobOutcome(job))
        return outcomes


def _count_failed_claims(tx: WorkerTx, outcomes: list[JobOutcome], now: datetime) -> None:
    for outcome in outcomes:
        tx.jobs.count_failed_claim(
            outcome.job.id,
            outcome.job.attempts,
            None if outcome.dead else outcome.retry_at,
            outcome.error or "failed",
            now,
        )


def _settle(tx: WorkerTx, outcomes: list[JobOutcome]) -> None:
    tx.jobs.ack([o.job.id for o in outcomes if o.retry_at is None and not o.dead])
    for outcome in outcomes:
        if outcome.dead:
            tx.jobs.dead(outcome.job.id, outcome.error or "failed")
        elif outcome.retry_at is not None:
            tx.jobs.retry(
                outcome.job.id, outcome.retry_at, outcome.error or "retry", outcome.payload
            )
