"""The pieces of a bound session: its live state, batching, and the receive side.

``Receiver`` reads ``deliver_sm`` PDUs, classifies them (receipt or MO) and stores them in
batches, up to four at once so their transactions share group commits, then hands what they
produced to the sink (``SinkRelay``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from tidings.carriers.smpp import ledger
from tidings.carriers.smpp.inbound import classify
from tidings.carriers.smpp.metrics import BindMetrics
from tidings.carriers.smpp.relay import SinkRelay
from tidings.carriers.smpp.session import SessionClosed, SmppSession
from tidings.domain.smpp_receipts import Receipt
from tidings.ports import Clock, Store, Tx

log = logging.getLogger(__name__)


@dataclass
class Live:
    session: SmppSession
    window: asyncio.Semaphore
    outcomes: asyncio.Queue[ledger.Outcome | Poison] = field(default_factory=asyncio.Queue)
    inflight: int = 0
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    storing: set[asyncio.Task[None]] = field(default_factory=set)  # receipt/MO batches


@dataclass(frozen=True)
class Poison:
    """Put on the outcome queue to end the session (after the outcomes before it)."""

    exc: Exception


#: How long a batch of outcomes or inbound PDUs waits for more before its transaction: a
#: few milliseconds of latency buy one commit for many messages instead of one each.
LINGER_SECONDS = 0.005
BATCH = 1000


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
            batch.append(await asyncio.wait_for(queue.get(), timeout=left))
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
        pending: asyncio.Queue[object] = asyncio.Queue()

        async def read() -> None:
            while True:
                pdu = await live.session.receive()
                if pdu is None:
                    pending.put_nowait(None)
                    return
                pending.put_nowait(pdu)

        reader = asyncio.create_task(read())
        slots = asyncio.Semaphore(4)
        try:
            while True:
                batch = await gather(pending)
                closed = None in batch
                items = [classify(self.carrier, p) for p in batch if p is not None]
                receipts = [i for i in items if isinstance(i, Receipt)]
                mo = [i for i in items if isinstance(i, ledger.MoItem)]
                unreadable = sum(1 for i in items if i is None)
                if unreadable:
                    log.warning(
                        "%d unreadable receipts on %s/%s", unreadable, self.carrier, self.bind
                    )
                for task in [t for t in live.storing if t.done()]:
                    task.result()  # a failed batch ends the session
                if receipts or mo:
                    await slots.acquire()
                    task = asyncio.create_task(self.store(receipts, mo))
                    task.add_done_callback(lambda _: slots.release())
                    live.storing.add(task)
                    task.add_done_callback(live.storing.discard)
                if closed:
                    await asyncio.gather(*live.storing)
                    raise SessionClosed("the SMSC closed the session")
        finally:
            reader.cancel()

    async def store(self, receipts: list[Receipt], mo: list[ledger.MoItem]) -> None:
        now = self._clock.now()

        def write(tx: Tx) -> tuple[ledger.Applied, list[object]]:
            self._relay.delete_delivered(tx)
            applied = (
                ledger.apply_receipts(tx, self.carrier, receipts, now, bind=self.bind)
                if receipts
                else ledger.Applied([])
            )
            inbound = ledger.store_mo(tx, mo, now) if mo else []
            return applied, list(inbound)

        applied, inbound = await self._store.write_async(write)
        self._metrics.receipts(applied.matched, applied.early)
        await self._relay.flush(applied, inbound)
