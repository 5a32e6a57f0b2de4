"""The ``Carrier`` the worker talks to: it routes each message to the carrier its route picks.

The carriers and routes live in the database (``services/carriers.py`` changes them). The
router builds one adapter per enabled carrier through the factory of its kind and reads the
registry's revision (one row by key) when a change signals it (``wakeups.CARRIERS``, sent by
the transaction that bumps the revision, from any process) and at least every
``refresh_seconds`` in ``run_due`` (the fallback for a lost signal); when the revision moved
it reloads the registry, rebuilds the carriers whose ``version`` changed, closes the removed
or disabled ones and starts the new ones, so a change takes effect without a restart. With
signals, a send pays no registry read unless something changed; without them (no
``wakeups``), the send path checks every ``refresh_seconds`` too.

For each message: its route (``RouteTable.pick``), then the route's carriers in order
(failover) or from the route's next turn (round-robin, the turn counter shared by every
worker through the database), skipping carriers that are not built or whose optional
``available()`` says no. A carrier that refuses a message retryably (or fails outright)
hands it to the next carrier of the group in the same call. A message no carrier can take
gets ``CarrierUnavailable``: the delivery service keeps it queued until its deadline.

``stage`` does the same and hands back the writes of the carriers that stage (``Staged``),
for the worker's settling transaction; ``submit`` hands every carrier its ``submit``.
The carriers' queued jobs (``QueueCarrier``: the simulator's) are claimed by the worker for
the kinds ``job_kinds`` lists and handed back by kind (``run_jobs``).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio

from tidings.domain.carriers import CarrierConfig, Route, RouteTable, candidates, unusable
from tidings.domain.carriers import Strategy as RouteStrategy
from tidings.domain.messages import OutboundSms
from tidings.domain.numbers import NumberType
from tidings.errors import CarrierError, CarrierUnavailable
from tidings.ports import (
    Carrier,
    CarrierSink,
    Job,
    QueueCarrier,
    Staged,
    StagingCarrier,
    Store,
    SubmitResult,
    queue_carrier,
    staging,
)
from tidings.wakeups import CARRIERS, Waiter, Wakeups

log = logging.getLogger(__name__)

CarrierFactory = Callable[[CarrierConfig], Carrier]
Answer = SubmitResult | CarrierError


@dataclass
class _Built:
    config: CarrierConfig
    carrier: Carrier
    staging: StagingCarrier | None = None  # the carrier, if it stages
    queued: QueueCarrier | None = None  # the carrier, if its due work is queued jobs


@dataclass
class _Registry:
    revision: int | None = None
    configs: dict[str, CarrierConfig] = field(default_factory=dict)
    table: RouteTable = field(default_factory=lambda: RouteTable([]))


class CarrierRouter:
    name = "router"

    def __init__(
        self,
        store: Store,
        factories: Mapping[str, CarrierFactory],
        *,
        refresh_seconds: float = 2.0,
        monotonic: Callable[[], float] = time.monotonic,
        wakeups: Wakeups | None = None,
    ) -> None:
        self._store = store
        self._wakeups = wakeups
        self._changes: contextlib.ExitStack | None = None
        self._changed: Waiter | None = None  # set by a registry change, once started
        self._factories = dict(factories)
        self._refresh_seconds = refresh_seconds
        self._monotonic = monotonic
        self._checked = float("-inf")
        self._registry = _Registry()
        self._built: dict[str, _Built] = {}
        self._failed: dict[str, int] = {}  # carrier -> the version whose build failed
        self._sink: CarrierSink | None = None
        self._lock = anyio.Lock()

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self, sink: CarrierSink) -> None:
        # Carriers built before there was a sink start now; the refresh starts what it
        # builds itself (each carrier starts once: twice would hold its binds twice).
        unstarted = list(self._built.values())
        self._sink = sink
        if self._wakeups is not None and self._changes is None:
            self._changes = contextlib.ExitStack()
            self._changed = self._changes.enter_context(self._wakeups.subscribe(CARRIERS))
        for built in unstarted:
            await built.carrier.start(sink)
        await self.refresh(force=True)

    async def aclose(self) -> None:
        for name in list(self._built):
            await self._close(name)
        self._sink = None
        if self._changes is not None:
            self._changes.close()
            self._changes = self._changed = None

    async def run_due(self) -> int:
        done = 0
        for name, built in list(self._built.items()):
            try:
                done += await built.carrier.run_due()
            except Exception:
                log.exception("carrier %s: due work failed", name)
        # After the carriers' work (a delivery held since the send goes first).
        await self._maybe_refresh(fallback=True)
        return done

    def job_kinds(self) -> tuple[str, ...]:
        """The job kinds of the built carriers that keep their due work in the queue."""
        kinds: dict[str, None] = {}
        for built in self._built.values():
            if built.queued is not None:
                kinds.update(dict.fromkeys(built.queued.job_kinds()))
        return tuple(kinds)

    async def run_jobs(self, jobs: list[Job]) -> None:
        """Hand each claimed job to the first built carrier of its kind (carriers of one kind,
        such as two simulators, do each other's jobs alike). A kind no carrier here takes
        any more is left to its lease, for a worker that has one."""
        owners: dict[str, QueueCarrier] = {}
        for built in self._built.values():
            if built.queued is not None:
                for kind in built.queued.job_kinds():
                    owners.setdefault(kind, built.queued)
        by_owner: dict[int, tuple[QueueCarrier, list[Job]]] = {}
        for job in jobs:
            owner = owners.get(job.kind)
            if owner is not None:
                by_owner.setdefault(id(owner), (owner, []))[1].append(job)
        for owner, batch in by_owner.values():
            try:
                await owner.run_jobs(batch)
            except Exception:
                log.exception("carrier %s: its jobs failed", owner.name)

    # -- the registry ----------------------------------------------------------------------

    async def _maybe_refresh(self, *, fallback: bool = False) -> None:
        """Read the revision if a change signalled it, or if ``refresh_seconds`` passed and
        this is the fallback's place (``run_due``; the send path too without signals)."""
        changed = self._changed
        if (changed is not None and changed.is_set) or (
            (fallback or changed is None)
            and (self._monotonic() - self._checked >= self._refresh_seconds)
        ):
            await self.refresh()

    async def refresh(self, *, force: bool = False) -> bool:
        """Reload the registry if its revision moved (or ``force``); True if it did."""
        async with self._lock:
            if self._changed is not None:
                self._changed.clear()  # before the read: a change committed after it signals
            self._checked = self._monotonic()
            known = self._registry.revision
            revision = await anyio.to_thread.run_sync(
                lambda: self._store.read(lambda tx: tx.carriers.revision())
            )
            if revision == known and not force:
                return False
            revision, configs, routes = await anyio.to_thread.run_sync(
                lambda: self._store.read(
                    lambda tx: (tx.carriers.revision(), tx.carriers.all(), tx.routes.all())
                )
            )
            self._registry = _Registry(revision, {c.name: c for c in configs}, RouteTable(routes))
            await self._reconcile(configs)
            log.info("carrier registry at revision %d: %d route(s)", revision, len(routes))
            return True

    async def _reconcile(self, configs: list[CarrierConfig]) -> None:
        wanted = {c.name: c for c in configs if c.enabled}
        for name, built in list(self._built.items()):
            config = wanted.get(name)
            if config is None or config.version != built.config.version:
                await self._close(name)
        for name, config in wanted.items():
            if name in self._built or self._failed.get(name) == config.version:
                continue
            factory = self._factories.get(config.kind)
            if factory is None:
                log.error("carrier %s: no adapter for kind %r here", name, config.kind)
                self._failed[name] = config.version
                continue
            try:
                carrier = factory(config)
                if self._sink is not None:
                    await carrier.start(self._sink)
            except Exception:
                log.exception("carrier %s: could not be built (version %d)", name, config.version)
                self._failed[name] = config.version
                continue
            self._failed.pop(name, None)
            self._built[name] = _Built(config, carrier, staging(carrier), queue_carrier(carrier))
            log.info("carrier %s (%s) version %d ready", name, config.kind, config.version)

    async def _close(self, name: str) -> None:
        built = self._built.pop(name)
        try:
            await built.carrier.aclose()
        except Exception:
            log.exception("carrier %s: closing failed", name)

    def carrier(self, name: str) -> Carrier | None:
        """The adapter built for ``name``, if any (for the worker's metrics and tests)."""
        built = self._built.get(name)
        return None if built is None else built.carrier

    def available(self, name: str) -> bool:
        """Built, enabled and (if the carrier can tell) able to take messages now."""
        built = self._built.get(name)
        if built is None:
            return False
        check: Any = getattr(built.carrier, "available", None)
        if check is None:
            return True
        try:
            return bool(check())
        except Exception:
            log.exception("carrier %s: available() failed", name)
            return False

    # -- sending ---------------------------------------------------------------------------

    async def submit(self, messages: Sequence[OutboundSms]) -> list[Answer]:
        """Route the messages to their carriers' ``submit`` (each commits its own)."""
        return (await self._route(messages, None)).answers

    async def stage(self, messages: Sequence[OutboundSms]) -> Staged:
        """Route the messages; the carriers that stage add their writes (and what to call
        once they commit) to the result, the others commit their own (``submit``)."""
        return await self._route(messages, Staged([]))

    async def _route(self, messages: Sequence[OutboundSms], into: Staged | None) -> Staged:
        await self._maybe_refresh()
        staged = into if into is not None else Staged([])
        table = self._registry.table
        routes = [table.pick(m.recipient, m.sender, _number_type(m.sender_type)) for m in messages]
        orders = await self._orders(routes)
        answers: list[Answer | None] = [None] * len(messages)
        tried: list[set[str]] = [set() for _ in messages]
        last: dict[int, CarrierError] = {}
        pending = list(range(len(messages)))
        while pending:
            groups: dict[str, list[int]] = defaultdict(list)
            # Each carrier is asked once a round, not once a message.
            up = {n: self.available(n) for n in {n for i in pending for n in orders[i]}}
            for i in pending:
                route = routes[i]
                name = next((n for n in orders[i] if n not in tried[i] and up[n]), None)
                if name is not None:
                    tried[i].add(name)
                    groups[name].append(i)
                elif i in last:
                    answers[i] = last[i]
                else:
                    answers[i] = _unusable(route)
            results = await self._submit_groups(groups, messages, into)
            pending = []
            for name, indexes in groups.items():
                for i, answer in zip(indexes, results[name], strict=True):
                    if isinstance(answer, CarrierError):
                        if answer.retryable:
                            last[i] = answer
                            pending.append(i)  # the next carrier of the group, if any
                        else:
                            answers[i] = answer
                    else:
                        answers[i] = SubmitResult(answer.carrier_message_id, carrier=name)
        staged.answers = [a if a is not None else _unusable(None) for a in answers]
        return staged

    async def _orders(self, routes: list[Route | None]) -> list[tuple[str, ...]]:
        """Each message's carriers in the order to try them."""
        turns = Counter(
            r.id
            for r in routes
            if r is not None
            and r.spec.strategy is RouteStrategy.ROUND_ROBIN
            and len(r.spec.carriers) > 1
        )
        first: dict[int, int] = {}
        if turns:
            first = await anyio.to_thread.run_sync(
                lambda: self._store.write(lambda tx: tx.routes.advance(dict(turns)))
            )
        orders: list[tuple[str, ...]] = []
        for route in routes:
            if route is None:
                orders.append(())
                continue
            position = first.get(route.id, 0)
            if route.id in first:
                first[route.id] += 1
            orders.append(candidates(route, position))
        return orders

    async def _submit_groups(
        self, groups: dict[str, list[int]], messages: Sequence[OutboundSms], staged: Staged | None
    ) -> dict[str, list[Answer]]:
        results: dict[str, list[Answer]] = {}
        if len(groups) == 1:  # the usual case: no task group to set up
            [(name, indexes)] = groups.items()
            results[name] = await self._submit_to(name, [messages[i] for i in indexes], staged)
            return results

        async def one(name: str, indexes: list[int]) -> None:
            results[name] = await self._submit_to(name, [messages[i] for i in indexes], staged)

        async with anyio.create_task_group() as tasks:
            for name, indexes in groups.items():
                tasks.start_soon(one, name, indexes)
        return results

    async def _submit_to(
        self, name: str, batch: list[OutboundSms], staged: Staged | None
    ) -> list[Answer]:
        """``batch`` to carrier ``name``: staged into ``staged`` if it and the carrier stage,
        else submitted (committed by the carrier)."""
        built = self._built[name]
        try:
            if staged is not None and built.staging is not None:
                part = await built.staging.stage(batch)
                staged.writes.extend(part.writes)
                staged.committed.extend(part.committed)
                answers = part.answers
            else:
                answers = await built.carrier.submit(batch)
        except Exception as exc:
            log.exception("carrier %s: submit failed", name)
            error = CarrierError(f"Carrier {name} failed: {exc!r}", retryable=True)
            return [error] * len(batch)
        if len(answers) != len(batch):
            log.error("carrier %s answered %d of %d messages", name, len(answers), len(batch))
            error = CarrierError(f"Carrier {name} gave no answer.", retryable=True)
            return [*answers[: len(batch)], *[error] * (len(batch) - len(answers))]
        return list(answers)


def _number_type(value: str | None) -> NumberType | None:
    try:
        return NumberType(value) if value else None
    except ValueError:
        return None


def _unusable(route: Route | None) -> CarrierUnavailable:
    why = unusable(route)
    return CarrierUnavailable(why.reason, code=str(why.code))
