"""The embedded simulated carrier network: virtual handsets behind a ``Carrier``.

``stage`` (in the worker's settling transaction, after the messages are marked sent) decides
each message's fate from the carrier rules (first match by recipient). What is due at once
is delivered right there when the sink takes reports in our transactions (the server's);
the rest becomes a ``sim.deliver`` job, keyed by message id so a re-submitted message is
delivered once. ``submit`` (a caller that marks messages sent afterwards) stores jobs only:
those due at once claimed by this carrier (its lease), delivered by the next ``run_due``
without a claim transaction (if the process dies first, the lease runs out and any worker
claims them). When the jobs come due, the worker claims them with its own jobs and hands
them over (``run_jobs``: a ``QueueCarrier``, no claim of its own): the handsets' inboxes
get the messages, the carrier reports the outcomes to its sink with
realistic attempts, and a handset with a script schedules its answer as a ``sim.reply``
job, which later reaches the sink as an inbound message. All of it lives in the database: a
restart loses nothing.
"""

from __future__ import annotations

import logging
import random
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import anyio

from tidings.carriers.staging import submit_staged
from tidings.domain.messages import CarrierInbound, CarrierReport, DeliveryAttempt, OutboundSms
from tidings.domain.simulator import Decision, HandsetMessage, Outcome, decide, script_reply
from tidings.errors import CarrierError
from tidings.ports import (
    CarrierSink,
    Clock,
    DeliveryTx,
    Job,
    SimulatedCarrierTx,
    Staged,
    Store,
    SubmitResult,
    TransactionalSink,
    transactional,
)

log = logging.getLogger(__name__)

DELIVER_JOB = "sim.deliver"
REPLY_JOB = "sim.reply"
KINDS = (DELIVER_JOB, REPLY_JOB)


class SimulatedCarrier:
    name = "simulator"

    def __init__(
        self,
        store: Store[SimulatedCarrierTx],
        clock: Clock,
        *,
        default_delay: float = 0.2,
        lease: timedelta = timedelta(seconds=30),
        rng: random.Random | None = None,
        name: str = "simulator",
    ) -> None:
        self.name = name
        self._lease = lease
        self._store = store
        self._clock = clock
        self._default_delay = default_delay
        self._rng = rng or random.Random()
        self._sink: CarrierSink | None = None
        #: The sink when it records reports and replies in our transactions (the server's).
        self._in_tx: TransactionalSink | None = None
        self._worker_id = f"sim-{uuid.uuid4().hex[:8]}"
        #: Deliveries stored already claimed (``submit``, or a sink that cannot take reports
        #: in our transactions), for the next ``run_due``.
        self._held: list[Job] = []

    async def start(self, sink: CarrierSink) -> None:
        self._sink = sink
        self._in_tx = transactional(sink)

    async def aclose(self) -> None:
        self._sink = self._in_tx = None

    async def submit(self, messages: Sequence[OutboundSms]) -> list[SubmitResult | CarrierError]:
        # The caller marks the messages sent after this commits: deliver them later.
        return await submit_staged(self._store, self._stage(messages, at_once=False))

    async def stage(self, messages: Sequence[OutboundSms]) -> Staged:
        """The messages' deliveries, for the caller's transaction (which has marked them
        sent): those due at once are delivered right there when the sink takes reports in
        our transactions (inboxes, reports and their events: one commit with the send);
        otherwise, and for later ones, ``sim.deliver`` jobs are stored (due ones claimed,
        held for the next ``run_due`` once it commits)."""
        return self._stage(messages, at_once=self._in_tx is not None)

    def _stage(self, messages: Sequence[OutboundSms], *, at_once: bool) -> Staged:
        now = self._clock.now()
        stored: list[list[Job]] = [[]]  # the claimed jobs of the write's last run
        in_tx = self._in_tx if at_once else None

        def write(tx: DeliveryTx) -> None:
            rules = tx.carrier_rules.all()
            due: list[dict[str, Any]] = []
            later: list[tuple[str, dict[str, Any], datetime, str]] = []
            for message in messages:
                decision = decide(rules, message.recipient, self._default_delay)
                payload = _deliver_payload(message, decision, now, self._rng)
                if decision.delay_seconds > 0:
                    run_at = now + timedelta(seconds=decision.delay_seconds)
                    later.append((DELIVER_JOB, payload, run_at, f"sim:{message.message_id}"))
                else:
                    due.append(payload)
            tx.jobs.enqueue_unique(later, now=now)
            if in_tx is not None:
                _deliver_in(tx, in_tx, due, now)
            else:
                stored[0] = tx.jobs.enqueue_claimed(
                    [(DELIVER_JOB, p, now, f"sim:{p['messageId']}") for p in due],
                    now=now,
                    lease=self._lease,
                    worker=self._worker_id,
                )

        return Staged(
            [SubmitResult(f"sim-{uuid.uuid4().hex}") for _ in messages],
            [write],
            [lambda: self._held.extend(stored[0])],
        )

    def job_kinds(self) -> tuple[str, ...]:
        return KINDS

    async def run_jobs(self, jobs: list[Job]) -> None:
        """Deliver and reply: ``sim.deliver`` and ``sim.reply`` jobs the worker claimed for
        this carrier, in its claim (``QueueCarrier``)."""
        sink = self._sink
        if sink is None:  # not started: their lease runs out, and they are claimed again
            log.warning("simulated carrier not started: %d job(s) left for later", len(jobs))
            return
        await self._run(sink, jobs)

    async def run_due(self) -> int:
        """Deliver what was stored claimed (``_held``: no claim transaction); return the
        number of jobs done. The jobs that come due are claimed by the worker (``run_jobs``)."""
        sink = self._sink
        if sink is None or not self._held:
            return 0
        held, self._held = self._held, []
        await self._run(sink, held)
        return len(held)

    async def _run(self, sink: CarrierSink, jobs: list[Job]) -> None:
        deliveries = [j for j in jobs if j.kind == DELIVER_JOB]
        replies = [j for j in jobs if j.kind == REPLY_JOB]
        try:
            if deliveries:
                await self._deliver(sink, deliveries)
            for job in replies:
                await self._reply(sink, job)
        except Exception:
            log.exception("simulated carrier failed; its jobs will be retried")
            retry_at = self._clock.now() + timedelta(seconds=1)

            def retry_all(tx: SimulatedCarrierTx) -> None:
                for job in jobs:
                    tx.jobs.retry(job.id, retry_at, "simulated carrier error")

            await anyio.to_thread.run_sync(lambda: self._store.write(retry_all))

    async def _deliver(self, sink: CarrierSink, jobs: list[Job]) -> None:
        done_at = self._clock.now()
        payloads = [job.payload for job in jobs]
        # A sink that takes reports in our transaction records them with the handsets' inboxes
        # and the jobs' acks: one commit (else the reports commit first, on their own).
        in_tx = self._in_tx
        if in_tx is None:
            await sink.delivery_reports(_reports(payloads, done_at))

        def write(tx: SimulatedCarrierTx) -> None:
            _deliver_in(tx, in_tx, payloads, done_at)
            tx.jobs.ack([job.id for job in jobs])

        await anyio.to_thread.run_sync(lambda: self._store.write(write))

    async def _reply(self, sink: CarrierSink, job: Job) -> None:
        p = job.payload
        now = self._clock.now()
        message = CarrierInbound(p["from"], p["to"], p["body"], now)
        in_tx = self._in_tx
        if in_tx is None:
            await sink.inbound(message)

        def write(tx: SimulatedCarrierTx) -> None:
            if in_tx is not None:
                in_tx.receive_in(tx, message)
            tx.handsets.record(p["from"], "sent", p["to"], p["body"], None, now)
            tx.jobs.ack([job.id])

        await anyio.to_thread.run_sync(lambda: self._store.write(write))


_DELIVERED = {Outcome.DELIVER, Outcome.LATE, Outcome.NO_REPORT}


def _reports(payloads: list[dict[str, Any]], done_at: datetime) -> list[CarrierReport]:
    """The delivery reports of ``sim.deliver`` payloads (none for ``noReport``)."""
    return [
        CarrierReport(
            p["messageId"],
            Outcome(p["outcome"]) in _DELIVERED,
            int(p["code"]),
            done_at,
            tuple(
                DeliveryAttempt(datetime.fromisoformat(a[0]), int(a[1]), int(a[2]))
                for a in p["attempts"]
            ),
        )
        for p in payloads
        if Outcome(p["outcome"]) is not Outcome.NO_REPORT
    ]


def _deliver_in(
    tx: DeliveryTx,
    in_tx: TransactionalSink | None,
    payloads: list[dict[str, Any]],
    done_at: datetime,
) -> None:
    """Deliver in ``tx``: the reports (to ``in_tx``, if given: else the caller hands them
    over), the handsets' inboxes, and their scripts' replies as ``sim.reply`` jobs."""
    if not payloads:
        return
    if in_tx is not None:
        in_tx.apply_reports(tx, _reports(payloads, done_at))
    delivered = [p for p in payloads if Outcome(p["outcome"]) in _DELIVERED]
    handsets = {p["to"] for p in delivered}
    tx.handsets.ensure_many(handsets, done_at)
    tx.handsets.record_many(
        [
            HandsetMessage(0, p["to"], "received", p["from"], p["body"], p["messageId"], done_at)
            for p in delivered
        ]
    )
    scripts = tx.handsets.scripts(handsets)
    replies: list[tuple[str, dict[str, Any], datetime]] = []
    for p in delivered:
        answer = script_reply(scripts[p["to"]], p["body"]) if p["to"] in scripts else None
        if answer is not None:
            text, delay = answer
            payload = {"from": p["to"], "to": p["from"], "body": text}
            replies.append((REPLY_JOB, payload, done_at + timedelta(seconds=delay)))
    tx.jobs.enqueue_many(replies, now=done_at)


def _deliver_payload(
    message: OutboundSms, decision: Decision, now: datetime, rng: random.Random
) -> dict[str, Any]:
    """What the carrier will do, fixed at submission: outcome, code and its attempts."""
    final = now + timedelta(seconds=decision.delay_seconds)
    segments = message.segments
    attempts: list[tuple[str, int, int]]
    if decision.outcome is Outcome.LATE:
        first = now + timedelta(seconds=decision.delay_seconds * rng.uniform(0.1, 0.5))
        attempts = [(first.isoformat(), 0, segments), (final.isoformat(), segments, 0)]
    elif decision.outcome is Outcome.UNREACHABLE:
        step = decision.delay_seconds / 3
        attempts = [
            ((now + timedelta(seconds=step * (i + 1))).isoformat(), 0, segments) for i in range(3)
        ]
    elif decision.outcome in _DELIVERED:
        attempts = [(final.isoformat(), segments, 0)]
    else:
        attempts = [(final.isoformat(), 0, segments)]
    return {
        "messageId": message.message_id,
        "from": message.sender,
        "to": message.recipient,
        "body": message.body,
        "segments": segments,
        "outcome": decision.outcome.value,
        "code": decision.code,
        "attempts": attempts,
    }
