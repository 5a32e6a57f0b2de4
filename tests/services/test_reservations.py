"""Reservations on a fake clock, on SQLite and PostgreSQL: expiry, holds, purchase, pruning."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from tests.services.conftest import Driver
from tidings.domain.numbers import AssignmentType, Capabilities, Capability, NumberType
from tidings.domain.reservations import AvailableNumber, ReservationStatus
from tidings.errors import Conflict, InvalidInput, NotFound
from tidings.services.inventory import BrowseRequest
from tidings.services.reservations import NumberRequest

pytestmark = pytest.mark.anyio
CAPS = Capabilities(Capability.INBOUND_OUTBOUND, Capability.INBOUND_OUTBOUND)
MINUTE = 60.0
_S = timedelta(seconds=1)


def _browse(driver: Driver, prefix: str | None = None) -> list[AvailableNumber]:
    return driver.app.services.inventory.browse(
        BrowseRequest("US", NumberType.TOLL_FREE, prefixes=[prefix] if prefix else None)
    )


def _request(number: AvailableNumber) -> NumberRequest:
    return NumberRequest(
        number.id, "US", NumberType.TOLL_FREE, AssignmentType.APPLICATION, number.capabilities
    )


def _reserve(driver: Driver, rid: str, *numbers: AvailableNumber) -> None:
    result = driver.app.services.reservations.upsert(rid, [_request(n) for n in numbers], [])
    assert not result.failed


async def test_expiry_follows_the_last_change_up_to_two_hours(driver: Driver) -> None:
    reservations = driver.app.services.reservations
    rid = str(uuid.uuid4())
    created = reservations.upsert(rid, [], []).reservation
    start = driver.clock.now()
    assert (created.expires_at - start).total_seconds() == 15 * MINUTE
    for _ in range(8):  # a change every 14 minutes keeps it alive, up to 2 hours
        driver.clock.advance(14 * MINUTE)
        changed = reservations.upsert(rid, [], []).reservation
        assert changed.status is ReservationStatus.ACTIVE
        now = driver.clock.now()
        assert changed.expires_at == min(now + (15 * MINUTE) * _S, start + (120 * MINUTE) * _S)
    assert (changed.expires_at - start).total_seconds() == 120 * MINUTE
    driver.clock.advance(120 * MINUTE - 8 * 14 * MINUTE - 1)
    assert reservations.get(rid).status is ReservationStatus.ACTIVE
    driver.clock.advance(1)
    assert reservations.get(rid).status is ReservationStatus.EXPIRED


async def test_expired_reservations_release_their_numbers(driver: Driver) -> None:
    reservations = driver.app.services.reservations
    number = _browse(driver)[0]
    rid = str(uuid.uuid4())
    _reserve(driver, rid, number)
    assert _browse(driver, number.number) == []  # held: offered to nobody
    other = str(uuid.uuid4())
    refused = reservations.upsert(other, [_request(number)], [])
    assert [f.error_code for f in refused.failed] == ["FailedToReserveNumber"]

    driver.clock.advance(15 * MINUTE)
    expired = reservations.get(rid)
    assert expired.status is ReservationStatus.EXPIRED
    assert [n.status.value for n in expired.numbers] == ["expired"]
    assert [n.number for n in _browse(driver, number.number)] == [number.number]
    for attempt in (
        lambda: reservations.upsert(rid, [], []),
        lambda: reservations.begin_purchase(rid, True),
        lambda: reservations.delete(rid),
    ):
        with pytest.raises(InvalidInput) as excinfo:
            attempt()
        assert excinfo.value.code == "ReservationExpired"
    # The lapsed hold gives way: another reservation takes the number.
    taken = reservations.upsert(str(uuid.uuid4()), [_request(number)], [])
    assert not taken.failed and [n.number for n in taken.reservation.numbers] == [number.number]


async def test_purchase_and_what_it_leaves(driver: Driver) -> None:
    reservations = driver.app.services.reservations
    numbers = driver.app.services.numbers
    first, second = _browse(driver)[:2]
    rid = str(uuid.uuid4())
    _reserve(driver, rid, first, second)
    operation = reservations.begin_purchase(rid, False)
    assert operation.operation_type == "reservationPurchase"
    assert reservations.get(rid).status is ReservationStatus.SUBMITTED
    driver.clock.advance(30 * MINUTE)  # a submitted reservation does not expire
    assert reservations.get(rid).status is ReservationStatus.SUBMITTED
    await driver.settle()
    assert numbers.get_operation(operation.id).status == "succeeded"
    done = reservations.get(rid)
    assert done.status is ReservationStatus.COMPLETED
    assert {n.status.value for n in done.numbers} == {"purchased"}
    assert numbers.get_number(first.number).number_type is NumberType.TOLL_FREE
    with pytest.raises(InvalidInput) as excinfo:
        reservations.begin_purchase(rid, False)
    assert excinfo.value.code == "BadRequest"


async def test_a_number_taken_meanwhile_fails_the_purchase_and_buys_nothing(
    driver: Driver,
) -> None:
    reservations = driver.app.services.reservations
    numbers = driver.app.services.numbers
    first, second = _browse(driver)[:2]
    rid = str(uuid.uuid4())
    _reserve(driver, rid, first, second)
    operation = reservations.begin_purchase(rid, False)
    numbers.provision(second.number, NumberType.TOLL_FREE)  # out of band, before the worker
    await driver.settle()
    failed = numbers.get_operation(operation.id)
    assert (failed.status, failed.error_code) == ("failed", "PurchaseFailed")
    assert reservations.get(rid).status is ReservationStatus.ACTIVE
    with pytest.raises(NotFound):
        numbers.get_number(first.number)


async def test_merge_patch_semantics(driver: Driver) -> None:
    reservations = driver.app.services.reservations
    first, second = _browse(driver)[:2]
    rid = str(uuid.uuid4())
    created = reservations.upsert(rid, [_request(first)], [])
    assert created.created and [n.number for n in created.reservation.numbers] == [first.number]
    again = reservations.upsert(rid, [_request(first), _request(second)], [])
    assert not again.created and len(again.reservation.numbers) == 2
    removed = reservations.upsert(rid, [], [first.id, "18005550000"])
    assert [n.number for n in removed.reservation.numbers] == [second.number]
    unknown = NumberRequest(
        "15555550100", "US", NumberType.TOLL_FREE, AssignmentType.APPLICATION, CAPS
    )
    wrong_type = NumberRequest(
        second.id, "US", NumberType.GEOGRAPHIC, AssignmentType.APPLICATION, CAPS
    )
    partial = reservations.upsert(str(uuid.uuid4()), [unknown, wrong_type], [])
    assert [f.status.value for f in partial.failed] == ["error", "error"]
    assert partial.reservation.numbers == ()
    with pytest.raises(InvalidInput):
        reservations.upsert("not-a-uuid", [], [])
    with pytest.raises(InvalidInput):
        reservations.upsert(rid, [], ["+18005550100"])
    reservations.delete(rid)
    with pytest.raises(NotFound) as excinfo:
        reservations.get(rid)
    assert excinfo.value.code == "ReservationNotFound"


async def test_two_reservations_cannot_hold_one_number(driver: Driver) -> None:
    """The hold is unique in the database itself, whatever the service checked first."""
    number = _browse(driver)[0]
    store = driver.app.services.store
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    _reserve(driver, first, number)
    driver.app.services.reservations.upsert(second, [], [])
    with pytest.raises(Conflict):
        store.write(lambda tx: tx.reservations.add_number(second, number))


async def test_reservations_are_deleted_after_a_month(driver: Driver) -> None:
    reservations = driver.app.services.reservations
    rid = str(uuid.uuid4())
    reservations.upsert(rid, [], [])
    driver.clock.advance(32 * 24 * 60 * MINUTE)
    await driver.settle()
    with pytest.raises(NotFound):
        reservations.get(rid)
    assert reservations.page(0, 10) == []


async def test_every_offering_can_be_reserved(driver: Driver) -> None:
    """Browse, then reserve, a number of every offering (CA and US share toll-free ranges)."""
    from tidings.domain.inventory import OFFERINGS

    inventory = driver.app.services.inventory
    for offering in OFFERINGS:
        (number,) = inventory.browse(BrowseRequest(offering.country_code, offering.number_type))[:1]
        request = NumberRequest(
            number.id,
            number.country_code,
            number.number_type,
            number.assignment_type,
            number.capabilities,
        )
        result = driver.app.services.reservations.upsert(str(uuid.uuid4()), [request], [])
        assert not result.failed, (offering.country_code, offering.number_type, result.failed)
        assert result.reservation.numbers[0].cost == offering.cost
