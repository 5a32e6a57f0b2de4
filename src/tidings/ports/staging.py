"""Carriers that work inside the worker's transactions: ``StagingCarrier`` queues what it is
handed in the caller's transaction; ``QueueCarrier`` keeps its due work as jobs in the
worker's queue, claimed with the worker's own."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from tidings.domain.messages import OutboundSms
from tidings.errors import CarrierError
from tidings.ports.carriers import Carrier, SubmitResult
from tidings.ports.jobs import Job
from tidings.ports.tx import DeliveryTx


@dataclass
class Staged:
    """A carrier's answers for a batch, with what makes them true: ``writes`` to run in the
    caller's transaction once it has marked the accepted messages sent (the messages queued
    for sending; a carrier with a sink that takes a transaction may even finish them there:
    the simulator delivers at once), and ``committed`` to call, on the event loop, once that
    transaction has committed (wake the sender). If the transaction rolls back, nothing was
    queued and the answers do not hold: the caller retries."""

    answers: list[SubmitResult | CarrierError]
    writes: list[Callable[[DeliveryTx], object]] = field(default_factory=list)
    committed: list[Callable[[], None]] = field(default_factory=list)

    def write(self, tx: DeliveryTx) -> None:
        for write in self.writes:
            write(tx)

    def done(self) -> None:
        for call in self.committed:
            call()


@runtime_checkable
class StagingCarrier(Carrier, Protocol):
    """``stage`` is ``submit`` without the commit: it decides each message's answer and
    returns the writes that queue the accepted ones, for the caller's transaction (the
    worker's, that marks the messages sent and acks their jobs: one commit for both, and a
    message is queued exactly when it is marked sent). ``submit`` stays for callers that
    mark messages sent afterwards, in a transaction of their own."""

    async def stage(self, messages: Sequence[OutboundSms]) -> Staged: ...


def staging(carrier: Carrier) -> StagingCarrier | None:
    """``carrier`` when it can stage (checked once: a protocol ``isinstance`` is not free)."""
    return carrier if isinstance(carrier, StagingCarrier) else None


@runtime_checkable
class QueueCarrier(Carrier, Protocol):
    """A carrier whose due work is jobs in the worker's queue (the simulator's delayed
    deliveries and scripted replies). The worker claims them in its own claim, one a round
    for every kind, and hands them to ``run_jobs``, which carries them out and acks them;
    ``run_due`` does the rest (no claim of its own)."""

    def job_kinds(self) -> tuple[str, ...]:
        """The kinds of jobs to claim for it (may change as a router's carriers do)."""
        ...

    async def run_jobs(self, jobs: list[Job]) -> None: ...


def queue_carrier(carrier: Carrier) -> QueueCarrier | None:
    """``carrier`` when its due work is jobs for the worker to claim."""
    return carrier if isinstance(carrier, QueueCarrier) else None
