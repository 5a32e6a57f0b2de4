"""In-memory fakes of the carrier registry ports and a scriptable carrier."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, TypeVar

from tidings.domain.carriers import CarrierConfig, Route, RouteSpec
from tidings.domain.messages import OutboundSms
from tidings.errors import CarrierError
from tidings.ports import CarrierSink, Staged, SubmitResult

T = TypeVar("T")


@dataclass
class _State:
    carriers: dict[str, CarrierConfig] = field(default_factory=dict)
    routes: dict[int, Route] = field(default_factory=dict)
    turns: dict[int, int] = field(default_factory=dict)
    revision: int = 0
    next_id: int = 1
    queued: list[str] = field(default_factory=list)


class FakeCarrierRepo:
    def __init__(self, state: _State) -> None:
        self._s = state

    def all(self) -> list[CarrierConfig]:
        return [self._s.carriers[k] for k in sorted(self._s.carriers)]

    def get(self, name: str) -> CarrierConfig | None:
        return self._s.carriers.get(name)

    def add(self, config: CarrierConfig) -> None:
        assert config.name not in self._s.carriers
        self._s.carriers[config.name] = config

    def update(self, config: CarrierConfig) -> bool:
        if config.name not in self._s.carriers:
            return False
        self._s.carriers[config.name] = config
        return True

    def delete(self, name: str) -> bool:
        return self._s.carriers.pop(name, None) is not None

    def revision(self) -> int:
        return self._s.revision

    def bump(self, now: datetime) -> int:
        self._s.revision += 1
        return self._s.revision


class FakeRouteRepo:
    def __init__(self, state: _State) -> None:
        self._s = state

    def all(self) -> list[Route]:
        return [self._s.routes[k] for k in sorted(self._s.routes)]

    def get(self, route_id: int) -> Route | None:
        return self._s.routes.get(route_id)

    def add(self, spec: RouteSpec, now: datetime) -> Route:
        route = Route(self._s.next_id, spec, now)
        self._s.next_id += 1
        self._s.routes[route.id] = route
        self._s.turns[route.id] = 0
        return route

    def delete(self, route_id: int) -> bool:
        return self._s.routes.pop(route_id, None) is not None

    def update(self, route: Route) -> bool:
        if route.id not in self._s.routes:
            return False
        self._s.routes[route.id] = route
        return True

    def advance(self, turns: dict[int, int]) -> dict[int, int]:
        first = {}
        for route_id, count in turns.items():
            if route_id in self._s.routes:
                first[route_id] = self._s.turns[route_id]
                self._s.turns[route_id] += count
        return first


class _Tx:
    def __init__(self, state: _State) -> None:
        self.carriers = FakeCarrierRepo(state)
        self.routes = FakeRouteRepo(state)
        self.queued = state.queued  # what staging carriers queued (``FakeStagingCarrier``)


class FakeRegistryStore:
    """A ``Store`` holding only the carrier registry; a failed write changes nothing."""

    def __init__(self) -> None:
        self.state = _State()
        self.writes = 0
        self.reads = 0

    def read(self, fn: Callable[[Any], T]) -> T:
        self.reads += 1
        return fn(_Tx(self.state))

    def write(self, fn: Callable[[Any], T]) -> T:
        self.writes += 1
        scratch = copy.deepcopy(self.state)
        result = fn(_Tx(scratch))
        self.state = scratch
        return result

    async def write_async(self, fn: Callable[[Any], T]) -> T:
        return self.write(fn)

    def put_carrier(self, config: CarrierConfig) -> None:
        current = self.state.carriers.get(config.name)
        if current is not None:
            config = replace(config, version=current.version + 1)
        self.state.carriers[config.name] = config
        self.state.revision += 1

    def put_route(self, spec: RouteSpec, now: datetime) -> Route:
        route = FakeRouteRepo(self.state).add(spec, now)
        self.state.revision += 1
        return route


class FakeCarrier:
    """A carrier whose availability and answers a test sets."""

    def __init__(self, config: CarrierConfig) -> None:
        self.name = config.name
        self.config = config
        self.up = True
        self.starts = 0
        self.refuse: set[str] = set()  # recipients it refuses retryably
        self.reject: set[str] = set()  # recipients it refuses for good
        self.explode = False
        self.submitted: list[str] = []
        self.sink: CarrierSink | None = None
        self.closed = False
        self.due = 0

    def available(self) -> bool:
        return self.up

    async def submit(self, messages: Sequence[OutboundSms]) -> list[SubmitResult | CarrierError]:
        if self.explode:
            raise RuntimeError("connection reset")
        answers: list[SubmitResult | CarrierError] = []
        for m in messages:
            self.submitted.append(m.message_id)
            if m.recipient in self.refuse:
                answers.append(CarrierError("throttled", code="5001", retryable=True))
            elif m.recipient in self.reject:
                answers.append(CarrierError("invalid destination", code="4002"))
            else:
                answers.append(SubmitResult(f"{self.name}-{m.message_id}"))
        return answers

    async def start(self, sink: CarrierSink) -> None:
        self.sink = sink
        self.starts += 1

    async def run_due(self) -> int:
        return self.due

    async def aclose(self) -> None:
        self.closed = True


class FakeStagingCarrier(FakeCarrier):
    """A ``StagingCarrier``: its messages are queued (``tx.queued``) by the writes it
    stages, and ``woken`` counts the calls once they committed."""

    def __init__(self, config: CarrierConfig) -> None:
        super().__init__(config)
        self.woken = 0
        self.alone: list[str] = []  # what ``submit`` took (no caller's transaction)

    async def stage(self, messages: Sequence[OutboundSms]) -> Staged:
        answers = await FakeCarrier.submit(self, messages)
        accepted = [
            m.message_id
            for m, a in zip(messages, answers, strict=True)
            if isinstance(a, SubmitResult)
        ]

        def wake() -> None:
            self.woken += 1

        def queue(tx: Any) -> None:  # the fake store's transaction, not a CarrierTx
            tx.queued.extend(accepted)

        return Staged(answers, [queue], [wake])

    async def submit(self, messages: Sequence[OutboundSms]) -> list[SubmitResult | CarrierError]:
        self.alone.extend(m.message_id for m in messages)  # committed on its own
        return await FakeCarrier.submit(self, messages)


class FakeFactory:
    """Builds ``FakeCarrier``s and remembers every one it built."""

    def __init__(self) -> None:
        self.built: list[FakeCarrier] = []

    def __call__(self, config: CarrierConfig) -> FakeCarrier:
        if config.options.get("broken"):
            raise ValueError("cannot build")
        carrier = FakeStagingCarrier(config) if config.kind == "staged" else FakeCarrier(config)
        self.built.append(carrier)
        return carrier

    def current(self, name: str) -> FakeCarrier:
        return [c for c in self.built if c.name == name and not c.closed][-1]
