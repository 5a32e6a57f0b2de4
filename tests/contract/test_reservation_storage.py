"""The reservation port's SQL adapter on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tidings.domain.numbers import AssignmentType, Capabilities, Capability, Cost, NumberType
from tidings.domain.reservations import (
    Availability,
    AvailableNumber,
    Reservation,
    ReservationStatus,
    expiry,
)
from tidings.errors import Conflict
from tidings.storage.database import Database, SqlTx

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
NUMBER = AvailableNumber(
    number="+18005550123",
    country_code="US",
    number_type=NumberType.TOLL_FREE,
    assignment_type=AssignmentType.APPLICATION,
    capabilities=Capabilities(Capability.INBOUND, Capability.INBOUND_OUTBOUND),
    cost=Cost(2.0, "USD"),
    status=Availability.RESERVED,
    agreement_required=False,
)


def _reservation(rid: str, at: datetime = T0) -> Reservation:
    return Reservation(rid, at, at, expiry(at, at), ReservationStatus.ACTIVE)


def test_reservations_round_trip(db: Database) -> None:
    def setup(tx: SqlTx) -> None:
        tx.reservations.add(_reservation("r1"))
        tx.reservations.add(_reservation("r2", T0 + timedelta(seconds=1)))
        tx.reservations.add_number("r1", NUMBER)
        tx.reservations.add_number("r1", replace(NUMBER, number="+18005550124"))

    db.write(setup)
    found = db.read(lambda tx: tx.reservations.get("r1"))
    assert found is not None
    assert found.expires_at == T0 + timedelta(minutes=15)
    assert [n.number for n in found.numbers] == ["+18005550123", "+18005550124"]
    assert found.numbers[0] == NUMBER
    assert [r.id for r in db.read(lambda tx: tx.reservations.page(0, 10))] == ["r1", "r2"]
    assert [r.numbers for r in db.read(lambda tx: tx.reservations.page(1, 10))] == [()]

    later = T0 + timedelta(minutes=10)
    db.write(lambda tx: tx.reservations.touch("r1", later, later + timedelta(minutes=15)))
    assert db.write(lambda tx: tx.reservations.remove_number("r1", "+18005550124"))
    assert not db.write(lambda tx: tx.reservations.remove_number("r1", "+18005550124"))
    touched = db.read(lambda tx: tx.reservations.get("r1"))
    assert touched is not None and touched.updated_at == later
    assert [n.number for n in touched.numbers] == ["+18005550123"]
    assert db.write(lambda tx: tx.reservations.delete("r2"))
    assert db.read(lambda tx: tx.reservations.get("r2")) is None


def test_holds(db: Database) -> None:
    db.write(lambda tx: tx.reservations.add(_reservation("r1")))
    db.write(lambda tx: tx.reservations.add(_reservation("r2")))
    db.write(lambda tx: tx.reservations.add_number("r1", NUMBER))

    def held(at: datetime, besides: str | None = None) -> set[str]:
        return db.read(lambda tx: tx.reservations.held_numbers(at, besides=besides))

    assert held(T0) == {NUMBER.number}
    assert held(T0, "r1") == set()
    assert held(T0 + timedelta(minutes=15)) == set()  # expired: held no more
    with pytest.raises(Conflict):  # ...but its hold stays until let go
        db.write(lambda tx: tx.reservations.add_number("r2", NUMBER))
    # Not yet lapsed: nothing is let go.
    db.write(lambda tx: tx.reservations.release_lapsed({NUMBER.number}, T0))
    with pytest.raises(Conflict):
        db.write(lambda tx: tx.reservations.add_number("r2", NUMBER))
    db.write(lambda tx: tx.reservations.release_lapsed({NUMBER.number}, T0 + timedelta(hours=1)))
    db.write(lambda tx: tx.reservations.add_number("r2", NUMBER))
    assert held(T0) == {NUMBER.number}


def test_status_and_pruning(db: Database) -> None:
    db.write(lambda tx: tx.reservations.add(_reservation("r1")))
    db.write(lambda tx: tx.reservations.add_number("r1", NUMBER))
    db.write(
        lambda tx: tx.reservations.set_status(
            "r1", ReservationStatus.SUBMITTED, Availability.RESERVED
        )
    )
    assert db.read(lambda tx: tx.reservations.held_numbers(T0 + timedelta(days=1))) == {
        NUMBER.number
    }  # a submitted reservation holds its numbers whatever the time
    db.write(
        lambda tx: tx.reservations.set_status(
            "r1", ReservationStatus.COMPLETED, Availability.PURCHASED
        )
    )
    done = db.read(lambda tx: tx.reservations.get("r1"))
    assert done is not None and done.status is ReservationStatus.COMPLETED
    assert [n.status for n in done.numbers] == [Availability.PURCHASED]
    assert db.read(lambda tx: tx.reservations.held_numbers(T0)) == set()
    db.write(lambda tx: tx.reservations.add(_reservation("r2", T0 + timedelta(days=40))))
    assert db.write(lambda tx: tx.reservations.prune(T0 + timedelta(days=31))) == 1
    assert [r.id for r in db.read(lambda tx: tx.reservations.page(0, 10))] == ["r2"]
