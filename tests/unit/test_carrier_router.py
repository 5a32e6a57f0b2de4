"""CarrierRouter over in-memory registry fakes and scriptable carriers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.carrier_fakes import FakeFactory, FakeRegistryStore
from tidings.carriers.router import CarrierRouter
from tidings.domain.carriers import CarrierConfig, route_spec
from tidings.domain.messages import CarrierInbound, CarrierReport, OutboundSms
from tidings.errors import CarrierError, CarrierUnavailable
from tidings.ports import SubmitResult
from tidings.wakeups import CARRIERS, WakeupHub

T0 = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Sink:
    async def delivery_reports(self, reports: Sequence[CarrierReport]) -> None:
        pass

    async def inbound(self, message: CarrierInbound) -> None:
        pass


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def _config(name: str, kind: str = "fake", **options: Any) -> CarrierConfig:
    return CarrierConfig(name, kind, options, True, 1, T0, T0)


def _sms(n: int, to: str = "+14255550100", sender: str = "+18005550100") -> OutboundSms:
    return OutboundSms(f"m{n}", sender, to, "hi", 1, "tollFree")


class Rig:
    def __init__(self, *carriers: str, wakeups: WakeupHub | None = None) -> None:
        self.wakeups = wakeups
        self.store = FakeRegistryStore()
        self.factory = FakeFactory()
        self.clock = Clock()
        for name in carriers:
            self.store.put_carrier(_config(name, "staged" if name.startswith("staged") else "fake"))
        self.router = self.new_router()

    def new_router(self) -> CarrierRouter:
        return CarrierRouter(
            self.store,  # type: ignore[arg-type]
            {"fake": self.factory, "staged": self.factory},
            refresh_seconds=2.0,
            monotonic=self.clock,
            wakeups=self.wakeups,
        )

    def route(self, *carriers: str, **criteria: Any) -> int:
        return self.store.put_route(route_spec(list(carriers), **criteria), T0).id

    def carrier(self, name: str) -> Any:
        return self.factory.current(name)

    async def send(self, *messages: OutboundSms) -> list[SubmitResult | CarrierError]:
        return await self.router.submit(list(messages))


def _went(answers: list[SubmitResult | CarrierError]) -> list[str | None]:
    return [a.carrier if isinstance(a, SubmitResult) else None for a in answers]


async def test_messages_go_to_the_carrier_of_their_route() -> None:
    rig = Rig("default", "italy", "tf")
    rig.route("default")
    rig.route("italy", prefix="+39")
    rig.route("tf", number_type="tollFree", prefix="+1")
    await rig.router.start(Sink())
    answers = await rig.send(_sms(1, "+393471234567"), _sms(2), _sms(3, "+447700900123"))
    assert _went(answers) == ["italy", "tf", "default"]
    assert rig.carrier("italy").submitted == ["m1"]
    assert answers[0] == SubmitResult("italy-m1", carrier="italy")
    assert all(c.sink is not None for c in rig.factory.built)


async def test_each_carrier_is_started_once() -> None:
    """A carrier already in the registry when the router starts is built and started once
    (an SMPP carrier started twice would hold each bind twice under one lease owner)."""
    rig = Rig("default")
    rig.route("default")
    await rig.router.start(Sink())
    await rig.router.refresh(force=True)
    assert [c.starts for c in rig.factory.built] == [1]
    early = Rig("default")  # built by a refresh before the router had a sink
    await early.router.refresh(force=True)
    assert [c.starts for c in early.factory.built] == [0]
    await early.router.start(Sink())
    assert [c.starts for c in early.factory.built] == [1]


async def test_failover_skips_an_unavailable_carrier_and_returns_to_it() -> None:
    rig = Rig("a", "b")
    rig.route("a", "b", strategy="failover")
    await rig.router.start(Sink())
    assert _went(await rig.send(_sms(1))) == ["a"]
    rig.carrier("a").up = False
    assert _went(await rig.send(_sms(2), _sms(3))) == ["b", "b"]
    rig.carrier("a").up = True
    assert _went(await rig.send(_sms(4))) == ["a"]


async def test_a_retryable_refusal_or_a_crash_fails_over_within_the_same_call() -> None:
    rig = Rig("a", "b")
    rig.route("a", "b")
    await rig.router.start(Sink())
    rig.carrier("a").refuse = {"+14255550101"}
    answers = await rig.send(_sms(1, "+14255550101"), _sms(2))
    assert _went(answers) == ["b", "a"]
    rig.carrier("a").explode = True
    assert _went(await rig.send(_sms(3))) == ["b"]
    # A permanent refusal is the message's answer: no other carrier gets it.
    rig.carrier("a").explode = False
    rig.carrier("a").reject = {"+14255550109"}
    [answer] = await rig.send(_sms(4, "+14255550109"))
    assert isinstance(answer, CarrierError) and not answer.retryable
    assert "m4" not in rig.carrier("b").submitted


async def test_when_every_carrier_refuses_the_last_refusal_is_the_answer() -> None:
    rig = Rig("a", "b")
    rig.route("a", "b")
    await rig.router.start(Sink())
    rig.carrier("a").refuse = rig.carrier("b").refuse = {"+14255550100"}
    [answer] = await rig.send(_sms(1))
    assert isinstance(answer, CarrierError) and answer.retryable
    assert not isinstance(answer, CarrierUnavailable)
    assert rig.carrier("a").submitted == rig.carrier("b").submitted == ["m1"]


async def test_round_robin_takes_turns_shared_between_routers_and_skips_the_down() -> None:
    rig = Rig("a", "b", "c")
    rig.route("a", "b", "c", strategy="round-robin")
    other = rig.new_router()  # another worker on the same database
    await rig.router.start(Sink())
    await other.start(Sink())
    first = _went(await rig.send(_sms(1), _sms(2)))
    second = _went(await other.submit([_sms(3), _sms(4)]))
    assert first + second == ["a", "b", "c", "a"]
    rig.router.carrier("b").up = False  # type: ignore[union-attr]
    assert _went(await rig.send(*(_sms(i) for i in range(5, 11)))) == [
        "c",  # turn 4 -> b, down: the next one
        "c",
        "a",
        "c",
        "c",
        "a",
    ]


async def test_no_route_and_no_available_carrier_are_unavailable_with_their_codes() -> None:
    rig = Rig("a")
    rig.route("a", prefix="+39")
    await rig.router.start(Sink())
    [none] = await rig.send(_sms(1, "+14255550100"))
    assert isinstance(none, CarrierUnavailable) and none.code == "4003" and none.retryable
    rig.carrier("a").up = False
    [down] = await rig.send(_sms(2, "+390612345678"))
    assert isinstance(down, CarrierUnavailable) and down.code == "5001"
    assert "route" in down.message


async def test_changes_take_effect_after_the_refresh_interval() -> None:
    rig = Rig("a")
    rig.route("a")
    await rig.router.start(Sink())
    rig.store.put_carrier(_config("b"))
    rig.route("b", prefix="+39")
    assert _went(await rig.send(_sms(1, "+390612345678"))) == ["a"]  # not checked yet
    rig.clock.t += 2.0
    assert _went(await rig.send(_sms(2, "+390612345678"))) == ["b"]
    # An unchanged revision reads one row and rebuilds nothing.
    built = len(rig.factory.built)
    rig.clock.t += 2.0
    assert not await rig.router.refresh()
    assert len(rig.factory.built) == built


async def test_with_signals_a_change_is_read_when_it_signals_and_a_send_reads_nothing() -> None:
    """With wake-ups, the send path reads the registry only after a change signalled
    (``CARRIERS``, from the transaction that bumped the revision); ``run_due`` keeps the
    time-based check as the fallback for a lost signal."""
    hub = WakeupHub()
    rig = Rig("a", wakeups=hub)
    rig.route("a")
    await rig.router.start(Sink())
    reads = rig.store.reads
    rig.clock.t += 10.0
    assert _went(await rig.send(_sms(1, "+390612345678"))) == ["a"]
    assert rig.store.reads == reads  # no signal: the send read nothing
    rig.store.put_carrier(_config("b"))
    rig.route("b", prefix="+39")
    hub.notify({CARRIERS})
    assert _went(await rig.send(_sms(2, "+390612345678"))) == ["b"]  # read at once
    rig.store.put_carrier(_config("c"))
    rig.route("c", prefix="+44")  # ... and its signal is lost
    assert _went(await rig.send(_sms(3, "+447700900123"))) == ["a"]
    await rig.router.run_due()  # within refresh_seconds of the last read: not yet
    assert _went(await rig.send(_sms(4, "+447700900123"))) == ["a"]
    rig.clock.t += 2.0
    await rig.router.run_due()  # the fallback
    assert _went(await rig.send(_sms(5, "+447700900123"))) == ["c"]
    await rig.router.aclose()


async def test_a_new_version_rebuilds_the_carrier_and_removal_closes_it() -> None:
    rig = Rig("a", "b")
    rig.route("a")
    await rig.router.start(Sink())
    old = rig.carrier("a")
    rig.store.put_carrier(_config("a", host="new"))
    assert await rig.router.refresh()
    new = rig.carrier("a")
    assert old.closed and new is not old and new.config.options == {"host": "new"}
    assert new.sink is not None  # started with the router's sink
    untouched = rig.carrier("b")
    del rig.store.state.carriers["b"]
    rig.store.state.revision += 1
    assert await rig.router.refresh()
    assert untouched.closed and rig.router.carrier("b") is None


async def test_a_disabled_carrier_is_closed_and_skipped() -> None:
    rig = Rig("a", "b")
    rig.route("a", "b")
    await rig.router.start(Sink())
    first = rig.carrier("a")
    config = rig.store.state.carriers["a"]
    rig.store.put_carrier(CarrierConfig("a", "fake", {}, False, config.version, T0, T0))
    await rig.router.refresh()
    assert first.closed
    assert _went(await rig.send(_sms(1))) == ["b"]


async def test_a_carrier_that_cannot_be_built_is_unavailable_until_its_config_changes() -> None:
    rig = Rig("a", "b")
    rig.store.put_carrier(_config("a", broken=True))
    rig.route("a", "b")
    await rig.router.start(Sink())
    assert rig.router.carrier("a") is None
    assert _went(await rig.send(_sms(1))) == ["b"]
    rig.store.put_carrier(_config("unknown", kind="carrier-pigeon"))
    await rig.router.refresh()  # an unknown kind is skipped, not an error
    assert rig.router.carrier("unknown") is None
    rig.store.put_carrier(_config("a"))
    await rig.router.refresh()
    assert _went(await rig.send(_sms(2))) == ["a"]


async def test_run_due_drives_every_carrier_and_aclose_closes_them() -> None:
    rig = Rig("a", "b")
    await rig.router.start(Sink())
    rig.carrier("a").due, rig.carrier("b").due = 2, 3
    assert await rig.router.run_due() == 5
    await rig.router.aclose()
    assert all(c.closed for c in rig.factory.built)


async def test_round_robin_turns_are_one_write_per_batch() -> None:
    rig = Rig("a", "b")
    rig.route("a", "b", strategy="round-robin")
    await rig.router.start(Sink())
    writes = rig.store.writes
    await rig.send(*(_sms(i) for i in range(20)))
    assert rig.store.writes == writes + 1
    assert rig.carrier("a").submitted == [f"m{i}" for i in range(0, 20, 2)]


async def test_a_staging_carrier_queues_in_the_callers_transaction() -> None:
    """``stage`` hands back the staging carriers' writes (and wake-ups) for the caller's
    transaction, while a carrier that cannot stage has committed its own ``submit``; a
    transaction that rolls back queues nothing; the router's ``submit`` asks each carrier's
    own ``submit``."""
    rig = Rig("plain", "staged")
    rig.route("plain")
    rig.route("staged", prefix="+39")
    await rig.router.start(Sink())
    staged = await rig.router.stage([_sms(1, "+393471234567"), _sms(2)])
    assert _went(staged.answers) == ["staged", "plain"]
    assert rig.carrier("plain").submitted == ["m2"]  # committed on its own
    assert rig.store.state.queued == [] and rig.carrier("staged").woken == 0

    def rolled_back(tx: Any) -> None:
        staged.write(tx)
        raise RuntimeError("the settling transaction failed")

    with pytest.raises(RuntimeError):
        rig.store.write(rolled_back)
    assert rig.store.state.queued == []  # nothing queued, nobody woken
    rig.store.write(staged.write)
    staged.done()
    assert rig.store.state.queued == ["m1"] and rig.carrier("staged").woken == 1

    # ``submit`` (a caller that marks messages sent afterwards) asks every carrier's own.
    answers = await rig.send(_sms(3, "+393471234567"))
    assert _went(answers) == ["staged"]
    assert rig.carrier("staged").alone == ["m3"] and rig.store.state.queued == ["m1"]


async def test_a_staging_carrier_that_refuses_hands_over_to_the_next() -> None:
    """Failover works the same when the first carrier of a group stages: a message it
    refuses retryably is queued by no write of its own and goes to the next carrier."""
    rig = Rig("staged", "backup")
    rig.route("staged", "backup")
    await rig.router.start(Sink())
    rig.carrier("staged").refuse.add("+14255550100")
    staged = await rig.router.stage([_sms(1), _sms(2, "+14255550101")])
    assert _went(staged.answers) == ["backup", "staged"]
    rig.store.write(staged.write)
    assert rig.store.state.queued == ["m2"]
