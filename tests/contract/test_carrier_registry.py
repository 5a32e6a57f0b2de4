"""The carrier registry's storage on SQLite and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from tidings.domain.carriers import CarrierConfig, Route, RouteSpec, Strategy
from tidings.domain.messages import Direction, Message, MessageOrigin, MessageStatus
from tidings.domain.numbers import NumberType
from tidings.errors import Conflict
from tidings.storage.database import Database

T0 = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def test_a_new_database_has_the_simulator_and_the_default_route(db: Database) -> None:
    carriers = db.read(lambda tx: tx.carriers.all())
    assert [(c.name, c.kind, c.enabled, dict(c.options)) for c in carriers] == [
        ("simulator", "simulator", True, {})
    ]
    [route] = db.read(lambda tx: tx.routes.all())
    assert route.spec == RouteSpec(("simulator",))
    assert db.read(lambda tx: tx.carriers.revision()) == 1


def test_carriers_round_trip_update_and_delete(db: Database) -> None:
    options = {"host": "smsc.example.net", "port": 2775, "password": "s3cret", "tls": True}
    config = CarrierConfig("acme", "smpp", options, True, 1, T0, T0)
    db.write(lambda tx: tx.carriers.add(config))
    assert db.read(lambda tx: tx.carriers.get("acme")) == config
    with pytest.raises(Conflict):
        db.write(lambda tx: tx.carriers.add(config))
    later = T0 + timedelta(minutes=1)
    changed = CarrierConfig("acme", "smpp", {"host": "b"}, False, 2, T0, later)
    assert db.write(lambda tx: tx.carriers.update(changed))
    assert db.read(lambda tx: tx.carriers.get("acme")) == changed
    ghost = CarrierConfig("ghost", "smpp", {}, True, 1, T0, T0)
    assert not db.write(lambda tx: tx.carriers.update(ghost))
    assert [c.name for c in db.read(lambda tx: tx.carriers.all())] == ["acme", "simulator"]
    assert db.write(lambda tx: tx.carriers.delete("acme"))
    assert not db.write(lambda tx: tx.carriers.delete("acme"))
    assert db.read(lambda tx: tx.carriers.get("acme")) is None


def test_the_revision_moves_on_every_bump(db: Database) -> None:
    assert db.write(lambda tx: tx.carriers.bump(T0)) == 2
    assert db.write(lambda tx: tx.carriers.bump(T0)) == 3
    assert db.read(lambda tx: tx.carriers.revision()) == 3


def test_routes_round_trip_and_delete(db: Database) -> None:
    spec = RouteSpec(
        ("acme", "backup"), Strategy.ROUND_ROBIN, "+39", "+18005550100", NumberType.TOLL_FREE, 3
    )
    route = db.write(lambda tx: tx.routes.add(spec, T0))
    assert route.spec == spec and route.id > 1
    assert db.read(lambda tx: tx.routes.get(route.id)) == route
    assert [r.id for r in db.read(lambda tx: tx.routes.all())] == [1, route.id]
    assert db.write(lambda tx: tx.routes.delete(route.id))
    assert not db.write(lambda tx: tx.routes.delete(route.id))
    assert db.read(lambda tx: tx.routes.get(route.id)) is None


def test_round_robin_turns_are_shared_and_never_handed_out_twice(db: Database) -> None:
    spec = RouteSpec(("a", "b"), Strategy.ROUND_ROBIN)
    route = db.write(lambda tx: tx.routes.add(spec, T0))
    assert db.write(lambda tx: tx.routes.advance({route.id: 3, 1: 1})) == {route.id: 0, 1: 0}
    assert db.write(lambda tx: tx.routes.advance({route.id: 2})) == {route.id: 3}
    assert db.write(lambda tx: tx.routes.advance({999: 5})) == {}  # a removed route

    def take(_: int) -> int:
        return db.write(lambda tx: tx.routes.advance({route.id: 1}))[route.id]

    with ThreadPoolExecutor(4) as pool:
        firsts = list(pool.map(take, range(40)))
    assert sorted(firsts) == list(range(5, 45))


def test_sent_messages_record_their_carrier(db: Database) -> None:
    message = Message(
        id="m1",
        direction=Direction.OUTBOUND,
        status=MessageStatus.QUEUED,
        sender="+18005550100",
        recipient="+14255550100",
        body="hi",
        segments=1,
        encoding="GSM7",
        tag=None,
        enable_delivery_report=True,
        origin=MessageOrigin.API,
        created_at=T0,
    )
    db.write(lambda tx: tx.messages.add_many([(message, None)]))
    assert db.read(lambda tx: tx.messages.get("m1")).carrier is None  # type: ignore[union-attr]
    db.write(lambda tx: tx.messages.mark_sent_many([("m1", "c-1", "acme")], T0))
    sent = db.read(lambda tx: tx.messages.get("m1"))
    assert sent is not None and sent.carrier == "acme" and sent.carrier_message_id == "c-1"


def test_a_route_update_keeps_its_id_and_turn(db: Database) -> None:
    route = db.write(lambda tx: tx.routes.add(RouteSpec(("a", "b"), Strategy.ROUND_ROBIN), T0))
    db.write(lambda tx: tx.routes.advance({route.id: 5}))
    changed = Route(route.id, RouteSpec(("b",), Strategy.FAILOVER, "+44", "12345"), T0)
    assert db.write(lambda tx: tx.routes.update(changed))
    assert db.read(lambda tx: tx.routes.get(route.id)) == changed
    assert db.write(lambda tx: tx.routes.advance({route.id: 1})) == {route.id: 5}
    assert not db.write(lambda tx: tx.routes.update(Route(999, changed.spec, T0)))
