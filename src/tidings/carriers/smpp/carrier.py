"""``SmppCarrier``: the ``Carrier`` over SMPP 3.4 binds (``bind.py``) and the database.

``stage`` hands the worker the write that stores each message's parts in ``smpp_segments``,
for its settling transaction (``submit`` commits it on its own); the bind runners holding
this carrier's leases drain them. Reports and inbound messages go to the sink (in the
bind's own transaction when it can take them so, else through outbox tables); ``run_due``
hands over what a crash left there, retries early receipts and reassembles MO parts whose
last part landed on another node.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import TypeVar

from tidings.carriers.smpp import ledger
from tidings.carriers.smpp.bind import BindRunner
from tidings.carriers.smpp.metrics import SmppMetrics
from tidings.carriers.smpp.relay import SinkRelay
from tidings.carriers.smpp.session import Connector
from tidings.carriers.staging import submit_staged
from tidings.domain.messages import OutboundSms
from tidings.domain.smpp import BindStatus, SmppOptions, bind_plan
from tidings.errors import CarrierError
from tidings.ports import CarrierSink, Clock, Staged, Store, SubmitResult, Tx
from tidings.ports.smpp import PendingInbound

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Receipts no part matched within this long are dropped and counted as unmatched.
EARLY_RECEIPT_TTL = timedelta(hours=1)
#: MO parts whose message never completes are dropped after this long.
MO_PART_TTL = timedelta(hours=24)
#: Finished parts (correlation rows) are kept this long for late, repeated receipts.
DONE_RETENTION = timedelta(days=3)
#: Outbox rows older than this are handed over by ``run_due`` (the bind hands them at once).
OUTBOX_GRACE = timedelta(seconds=10)


def session_connector(session: str) -> Connector:
    """The ``SmppSession`` implementation a carrier's ``session`` option names."""
    if session == "smpp34":
        from tidings.carriers.smpp import smpp34_session

        return smpp34_session.connect
    from tidings.carriers.smpp import stream_session

    return stream_session.connect


class SmppCarrier:
    def __init__(
        self,
        name: str,
        options: SmppOptions,
        store: Store,
        clock: Clock,
        *,
        node_id: str,
        connector: Connector | None = None,
        metrics: SmppMetrics | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.name = name
        self.options = options
        self._store = store
        self._clock = clock
        self.node_id = node_id
        self._connector = connector or session_connector(options.session)
        self.metrics = metrics or SmppMetrics()
        self._rng = rng or random.Random()
        self._relay = SinkRelay(store)
        self._wake = asyncio.Event()
        self._runners: list[BindRunner] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._last_due = float("-inf")
        self._available = False
        self._carrier_metrics = self.metrics.bind(name, "*")

    # -- Carrier ---------------------------------------------------------------------------

    async def submit(self, messages: Sequence[OutboundSms]) -> list[SubmitResult | CarrierError]:
        return await submit_staged(self._store, await self.stage(messages))

    async def stage(self, messages: Sequence[OutboundSms]) -> Staged:
        """The messages' parts, to store in the caller's transaction; the binds are woken
        once it commits."""
        now = self._clock.now()
        rows = ledger.new_segments(self.name, self.options, messages, now, self._rng)
        return Staged(
            [SubmitResult(f"{self.name}:{m.message_id}") for m in messages],
            [lambda tx: tx.smpp.add_segments(rows)],
            [self._wake.set],
        )

    async def start(self, sink: CarrierSink) -> None:
        if self._runners:
            raise RuntimeError(f"carrier {self.name} is already started")
        self._relay.sink = sink
        for slot in bind_plan(self.options):
            runner = BindRunner(
                self.name,
                slot,
                self.options,
                self._store,
                self._clock,
                self._connector,
                owner=self.node_id,
                wake=self._wake,
                relay=self._relay,
                metrics=self.metrics.bind(self.name, slot.name),
                rng=self._rng,
            )
            self._runners.append(runner)
            self._tasks.append(asyncio.create_task(runner.run(), name=f"smpp {slot.name}"))

    async def run_due(self) -> int:
        if self._relay.sink is None or time.monotonic() - self._last_due < 1.0:
            return 0
        self._last_due = time.monotonic()
        now = self._clock.now()

        def housekeeping(
            tx: Tx,
        ) -> tuple[ledger.Applied, list[PendingInbound], int, list[BindStatus]]:
            self._relay.delete_delivered(tx)
            deliver = self._relay.deliver
            applied = ledger.sweep_early(tx, self.name, now, deliver=deliver)
            expired_parts = ledger.expire_unreceipted(tx, self.options, self.name, now, deliver)
            applied.reports.extend(expired_parts.reports)
            assembled = ledger.assemble(tx, now, keep=self._relay.keep)
            expired = tx.smpp.expire_early(now - EARLY_RECEIPT_TTL)
            tx.smpp.expire_parts(now - MO_PART_TTL)
            tx.smpp.prune_done(now - DONE_RETENTION)
            return applied, assembled, expired, tx.smpp.live_binds(self.name, now)

        applied, assembled, expired, live = await self._write(housekeeping)
        assembled_items = assembled
        self._available = any(b.mode != "receiver" for b in live)
        if expired:
            log.warning("%s: %d receipts for unknown message ids dropped", self.name, expired)
            self._carrier_metrics.receipts(0, 0, expired)
        self._carrier_metrics.receipts(applied.matched, 0)
        before = now - OUTBOX_GRACE
        reports, inbound = await self._write(
            lambda tx: (
                [r for r in tx.smpp.pending_reports(1000) if r.at < before],
                [i for i in tx.smpp.pending_inbound(1000) if i.received_at < before],
            )
        )
        await self._relay.flush(
            ledger.Applied([*applied.reports, *reports]), [*assembled_items, *inbound]
        )
        return len(applied.reports) + len(assembled_items) + len(reports) + len(inbound)

    async def aclose(self) -> None:
        for runner in self._runners:
            runner.stop()
        if self._tasks:
            _, pending = await asyncio.wait(
                self._tasks, timeout=self.options.response_timeout_seconds + 5
            )
            for task in pending:
                task.cancel()
            with contextlib.suppress(Exception):
                await asyncio.gather(*self._tasks, return_exceptions=True)
        self._runners.clear()
        self._tasks.clear()
        self._relay.sink = None

    # -- health and status -----------------------------------------------------------------

    def available(self) -> bool:
        """Whether some bind that sends is up here or (as of the last ``run_due``) elsewhere."""
        return self._available or any(r.sending for r in self._runners)

    def status(self) -> list[BindStatus]:
        return self._store.read(lambda tx: tx.smpp.statuses(self.name))

    async def _write(self, fn: Callable[[Tx], T]) -> T:
        return await self._store.write_async(fn)


class SmppBindStatusReader:
    """Every SMPP bind's status, from the database (``BindStatusReader`` of the carriers
    page and API: the process answering may not be the worker holding the binds)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def all(self) -> list[BindStatus]:
        return self._store.read(lambda tx: tx.smpp.statuses())
