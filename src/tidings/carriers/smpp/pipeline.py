"""The pieces of a bound session: its live state and health, batching, bounded waits, and
the receive side.

``Receiver`` reads ``deliver_sm`` PDUs, classifies them (receipt or MO) and stores them in
batches, up to four at once so their transactions share group commits, answers them once
committed, then hands what they produced to the sink (``SinkRelay``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

from tidings.carriers.smpp import ledger
from tidings.carriers.smpp.inbound import classify
from tidings.carriers.smpp.metrics import BindMetrics
from tidings.carriers.smpp.relay import SinkRelay
from tidings.carriers.smpp.session import InboundPdu, SessionClosed, SmppSession
from tidings.domain.smpp_receipts import Receipt
from tidings.ports import Clock, Store, Tx

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class Live:
    session: SmppSession
    window: asyncio.Semaphore
    outcomes: asyncio.Queue[ledger.Outcome | Poison] = field(default_factory=asyncio.Queue)
    inflight: int = 0
    tasks: set[asyncio.Future[Any]] = field(default_factory=set)  # submits awaiting answers
    storing: set[asyncio.Task[None]] = field(default_factory=set)  # receipt/MO batches
    queued: int = 0  # outcomes put on ``outcomes`` so far
    written: int = 0  # of those, committed
    _progress: asyncio.Event = field(default_factory=asyncio.Event)

    def queue(self, outcome: ledger.Outcome | Poison) -> None:
        if not isinstance(outcome, Poison):
            self.queued += 1
        self.outcomes.put_nowait(outcome)

    def committed(self, count: int) -> None:
        """``count`` more outcomes are committed (wakes ``outcomes_committed``)."""
        self.written += count
        self._progress.set()
        self._progress = asyncio.Event()

    async def outcomes_committed(self, target: int, seconds: float) -> None:
        """Wait (at most ``seconds``) until the first ``target`` outcomes are committed."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                while self.written < target:
                    await self._progress.wait()


@dataclass(frozen=True)
class Poison:
    """Put on the outcome queue to end the session (after the outcomes before it)."""

    exc: Exception


class Restart(Exception):
    """Tear the session down and bind again."""


@dataclass
class Health:
    """What a bind shows of itself (``BindStatus``): the last failure, and its count of
    accepted submits. Written by the runner and its sender."""

    last_error: str | None = None
    last_status: int | None = None  # SMPP command_status of the last failure
    submitted: int = 0

    def error(self, message: str, status: int | None = None) -> str:
        self.last_error = message
        if status is not None:
            self.last_status = status
        return message

    def clear(self) -> None:
        self.last_error = None
        self.last_status = None


#: How long a batch of outcomes or inbound PDUs waits for more before its transaction: a
#: few milliseconds of latency buy one commit for many messages instead of one each.
LINGER_SECONDS = 0.005
BATCH = 1000
#: How long a batch of receipts waits for the outcomes queued before it to commit.
RECEIPT_WAIT_SECONDS = 0.05


async def gather(queue: asyncio.Queue[Any]) -> list[Any]:
    batch = [await queue.get()]
    deadline = time.monotonic() + LINGER_SECONDS
    while len(batch) < BATCH:
        while not queue.empty() and len(batch) < BATCH:
            batch.append(queue.get_nowait())
        left = deadline - time.monotonic()
        if left <= 0 or batch[-1] is None or isinstance(batch[-1], Poison):
            break
        try:
            async with asyncio.timeout(left):
                batch.append(await queue.get())
        except TimeoutError:
            break
    return batch


class Receiver:
    def __init__(
        self,
        carrier: str,
        bind: str,
        store: Store,
        clock: Clock,
        relay: SinkRelay,
        metrics: BindMetrics,
    ) -> None:
        self.carrier = carrier
        self.bind = bind
        self._store = store
        self._clock = clock
        self._relay = relay
        self._metrics = metrics

    async def run(self, live: Live) -> None:
        pending: asyncio.Queue[InboundPdu | Poison | None] = asyncio.Queue()

        async def read() -> None:
            while True:
                pdu = await live.session.receive()
                pending.put_nowait(pdu)
                if pdu is None:
                    return

        def stored(task: asyncio.Task[None]) -> None:
            slots.release()
            live.storing.discard(task)
            exc = None if task.cancelled() else task.exception()
            if isinstance(exc, Exception):
                pending.put_nowait(Poison(exc))  # end the session, its PDUs unanswered

        reader = asyncio.create_task(read())
        slots = asyncio.Semaphore(4)
        try:
            while True:
                batch = await gather(pending)
                for item in batch:
                    if isinstance(item, Poison):
                        raise item.exc
                pdus = [p for p in batch if isinstance(p, InboundPdu)]
                if pdus:
                    await slots.acquire()
                    task = asyncio.create_task(self.store(live, pdus))
                    live.storing.add(task)
                    task.add_done_callback(stored)
                if None in batch:
                    await asyncio.gather(*live.storing)
                    raise SessionClosed(live.session.ended or "the SMSC closed the session")
        finally:
            reader.cancel()

    def _classify(self, pdu: InboundPdu) -> Receipt | ledger.MoItem | None:
        try:
            return classify(self.carrier, pdu)
        except Exception:  # a PDU we cannot read must not end the session, again and again
            log.exception(
                "unreadable deliver_sm on %s/%s: esm_class 0x%02X data_coding %d %s",
                self.carrier, self.bind, pdu.esm_class, pdu.data_coding,
                pdu.short_message.hex(),
            )  # fmt: skip
            return None

    async def store(self, live: Live, pdus: list[InboundPdu]) -> None:
        """Store a batch of receipts and MO parts, then answer their ``deliver_sm``s: only
        what is committed is acknowledged (a failure ends the session unanswered, and the
        SMSC delivers the batch again).

        Receipts first let the outcomes queued before them commit (briefly): an SMSC sends
        a part's receipt right after its ``submit_sm_resp``, and a receipt stored before its
        part's id would take the longer way through ``smpp_early_receipts``."""
        session = live.session
        before = live.queued
        items = [self._classify(p) for p in pdus]
        receipts = [i for i in items if isinstance(i, Receipt)]
        mo = [i for i in items if isinstance(i, ledger.MoItem)]
        unreadable = len(items) - len(receipts) - len(mo)
        if unreadable:
            log.warning("%d unreadable deliver_sm on %s/%s", unreadable, self.carrier, self.bind)
        if not receipts and not mo:
            await session.acknowledge(pdus)
            return
        if receipts:
            await live.outcomes_committed(before, RECEIPT_WAIT_SECONDS)
        now = self._clock.now()

        def write(tx: Tx) -> tuple[ledger.Applied, list[object]]:
            self._relay.delete_delivered(tx)
            applied = (
                ledger.apply_receipts(
                    tx, self.carrier, receipts, now, bind=self.bind, deliver=self._relay.deliver
                )
                if receipts
                else ledger.Applied([])
            )
            inbound = ledger.store_mo(tx, mo, now, self._relay.keep) if mo else []
            return applied, list(inbound)

        applied, inbound = await self._store.write_async(write)
        await session.acknowledge(pdus)
        self._metrics.receipts(applied.matched, applied.early)
        await self._relay.flush(applied, inbound)


async def within(call: Coroutine[Any, Any, T], seconds: float) -> T:
    """``call``'s result, or ``TimeoutError`` after ``seconds``. Unlike ``asyncio.wait_for``
    this does not wait for the cancelled call to finish: a library future that does not
    answer cancellation (a submit on a session the SMSC stopped answering) must not hold
    its window slot for ever."""
    task = asyncio.ensure_future(call)
    try:
        done, _ = await asyncio.wait({task}, timeout=seconds)
    except asyncio.CancelledError:
        task.cancel()
        task.add_done_callback(consume)
        raise
    if not done:
        task.cancel()
        task.add_done_callback(consume)
        raise TimeoutError
    return task.result()


def consume(task: asyncio.Future[Any]) -> None:
    """Retrieve a dropped call's outcome, so asyncio does not log it as never retrieved."""
    if not task.cancelled():
        task.exception()
