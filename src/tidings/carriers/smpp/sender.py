"""The send side of a bound session: claim due parts from the queue, keep up to ``window``
of them awaiting their ``submit_sm_resp`` (as the token bucket and the throttle allow), and
commit their outcomes in batches.

    claim (what the window sends  ─> submit_sm ×window ─> outcomes queue ─> writer: one
      in LOOKAHEAD_SECONDS)                                          transaction a batch,
                                                                     reports to the sink
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from datetime import datetime

from tidings.carriers.smpp import ledger
from tidings.carriers.smpp.metrics import BindMetrics
from tidings.carriers.smpp.pipeline import Health, Live, Poison, Restart, gather
from tidings.carriers.smpp.relay import SinkRelay
from tidings.carriers.smpp.session import SessionClosed, SubmitPdu, SubmitResponse
from tidings.domain.smpp import (
    BindSlot,
    SmppOptions,
    SubmitVerdict,
    address,
    classify_submit_status,
    status_name,
    with_overrides,
)
from tidings.domain.smpp_flow import Throttle, TokenBucket
from tidings.ports import Clock, Store, Tx
from tidings.ports.smpp import Segment

log = logging.getLogger(__name__)
#: How long an idle sender waits for a wake-up before it looks at the queue again.
IDLE_SECONDS = 0.25
#: A claim takes what the window can send in this long at its measured pace (at least two
#: windows, at most ``MAX_CLAIM`` parts): a small window that answers fast would otherwise
#: need a claim transaction every few milliseconds, and a slow bind holds few parts.
LOOKAHEAD_SECONDS = 0.1
MAX_CLAIM = 500
#: The weight of the newest submit_sm_resp in the response time's moving average.
RTT_WEIGHT = 0.1


class Sender:
    def __init__(
        self,
        carrier: str,
        slot: BindSlot,
        options: SmppOptions,
        store: Store,
        clock: Clock,
        *,
        wake: asyncio.Event,
        relay: SinkRelay,
        metrics: BindMetrics,
        health: Health,
    ) -> None:
        self.carrier = carrier
        self.slot = slot
        self.options = options
        self._store = store
        self._clock = clock
        self._wake = wake
        self._relay = relay
        self._metrics = metrics
        self._health = health
        self._throttle = Throttle()
        self._bucket = TokenBucket(options.throughput, now=time.monotonic())
        self._rtt: float | None = None  # seconds, moving average; None until an answer

    def _claim_size(self) -> int:
        """How many parts the next claim asks for (before the token bucket's say)."""
        window = self.options.window
        if not self._rtt:
            return window * 2
        ahead = int(window * LOOKAHEAD_SECONDS / self._rtt)
        return max(window * 2, min(ahead, MAX_CLAIM))

    async def claim_and_submit(self, live: Live) -> None:
        """Claim due parts (``_claim_size``, as the token bucket allows) and keep up to
        ``window`` of them awaiting their submit_sm_resp. The next batch is claimed
        while this one goes out, so the window does not run dry waiting for a transaction."""
        prefetch: asyncio.Task[list[Segment]] | None = None
        try:
            while live.session.ended is None:
                rows = await (prefetch or self._next_batch())
                prefetch = None
                if not rows:
                    await self._idle()
                    continue
                prefetch = asyncio.create_task(self._next_batch())
                for segment in rows:
                    await self._dispatch(live, segment)
        finally:
            if prefetch is not None:
                prefetch.cancel()  # its parts, if claimed, go back with the bind's others

    async def _next_batch(self) -> list[Segment]:
        while True:
            granted, wait = self._bucket.take(time.monotonic(), self._claim_size())
            if granted:
                break
            await asyncio.sleep(wait)
        rows = await self._store.write_async(
            functools.partial(self._claim, granted, self._clock.now())
        )
        self._bucket.refund(granted - len(rows))
        return rows

    async def _idle(self) -> None:
        self._wake.clear()
        # asyncio.timeout, not wait_for: Python 3.11's wait_for can swallow a cancellation
        # that meets the wake-up, and the sender would live on.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(IDLE_SECONDS):
                await self._wake.wait()

    async def _dispatch(self, live: Live, segment: Segment) -> None:
        """Send one part once the window has room; its answer comes to ``_answered``."""
        pause = self._throttle.wait(time.monotonic())
        if pause > 0:
            await asyncio.sleep(pause)
        await live.window.acquire()
        live.inflight += 1
        try:
            future = live.session.send(self._pdu(segment), self.options.response_timeout_seconds)
        except Exception as exc:
            self._release(live)
            self._failed(live, segment, exc)
            return
        live.tasks.add(future)
        future.add_done_callback(functools.partial(self._answered, live, segment, time.monotonic()))

    def _claim(self, limit: int, now: datetime, tx: Tx) -> list[Segment]:
        return tx.smpp.claim(self.carrier, self.slot.name, limit=limit, now=now)

    def _pdu(self, segment: Segment) -> SubmitPdu:
        options = self.options
        return SubmitPdu(
            source=with_overrides(address(segment.sender), options.source_ton, options.source_npi),
            dest=with_overrides(address(segment.recipient), options.dest_ton, options.dest_npi),
            short_message=segment.short_message,
            data_coding=segment.data_coding,
            esm_class=segment.esm_class,
            registered_delivery=options.registered_delivery,
            service_type=options.service_type,
            tlvs=segment.tlvs,
        )

    @staticmethod
    def _release(live: Live) -> None:
        live.window.release()  # whatever happens: a lost slot would stall the bind for good
        live.inflight -= 1

    def _answered(
        self,
        live: Live,
        segment: Segment,
        started: float,
        future: asyncio.Future[SubmitResponse],
    ) -> None:
        """A part's submit_sm_resp (or its failure): its outcome goes to ``write_outcomes``."""
        live.tasks.discard(future)
        self._release(live)
        if future.cancelled():
            return  # the bind is going: the part goes back to the queue with the others
        exc = future.exception()
        if isinstance(exc, TimeoutError):
            self._metrics.timeout()
            self._health.error("submit_sm_resp timed out")
            # Resent later (it may have reached the SMSC: the duplicate window), counted as
            # an attempt; the session is suspect and restarts.
            live.queue(ledger.Outcome(segment, SubmitVerdict.RETRY, -1))
            live.queue(Poison(Restart("submit_sm_resp timed out")))
        elif isinstance(exc, SessionClosed):
            live.queue(Poison(exc))
        elif exc is not None:
            self._failed(live, segment, exc)
        else:
            live.queue(self._outcome(segment, future.result(), started))

    def _failed(self, live: Live, segment: Segment, exc: BaseException) -> None:
        """The library failed us: resend, on a new session."""
        log.warning("bind %s/%s: submit failed: %r", self.carrier, self.slot.name, exc)
        error = self._health.error(f"submit_sm: {type(exc).__name__}: {exc}")
        live.queue(ledger.Outcome(segment, SubmitVerdict.RETRY, -1))
        live.queue(Poison(Restart(error)))

    def _outcome(self, segment: Segment, resp: SubmitResponse, started: float) -> ledger.Outcome:
        took = time.monotonic() - started
        self._metrics.response(took, resp.status)
        self._rtt = took if self._rtt is None else self._rtt + RTT_WEIGHT * (took - self._rtt)
        verdict = classify_submit_status(resp.status)
        delay = 1.0
        if verdict is SubmitVerdict.THROTTLED:
            delay = self._throttle.hit(time.monotonic())
        elif verdict is SubmitVerdict.OK:
            self._throttle.ok()
            self._health.submitted += 1
        if verdict is not SubmitVerdict.OK:
            self._health.error(f"submit_sm: {status_name(resp.status)}", resp.status)
        return ledger.Outcome(segment, verdict, resp.status, resp.message_id, delay)

    async def write_outcomes(self, live: Live) -> None:
        """Commit submit outcomes in batches, then hand their reports to the sink."""
        while True:
            batch = await gather(live.outcomes)
            poison = [o for o in batch if isinstance(o, Poison)]
            real = [o for o in batch if not isinstance(o, Poison)]
            if real:
                await self._write(real)
                live.committed(len(real))
            if poison:
                raise poison[0].exc

    async def settle(self, live: Live) -> None:
        """Outcomes that arrived before the session ended are committed, not dropped."""
        rest = []
        while not live.outcomes.empty():
            item = live.outcomes.get_nowait()
            if not isinstance(item, Poison):
                rest.append(item)
        if rest:
            await self._write(rest)
            live.committed(len(rest))

    async def _write(self, outcomes: list[ledger.Outcome]) -> None:
        now = self._clock.now()

        def write(tx: Tx) -> ledger.Applied:
            self._relay.delete_delivered(tx)
            return ledger.apply_outcomes(tx, self.options, outcomes, now, self._relay.deliver)

        applied = await self._store.write_async(write)
        self._metrics.receipts(applied.matched, 0)
        await self._relay.flush(applied, [])
