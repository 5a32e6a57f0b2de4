"""The simulated inventory, operator look-ups and reservation expiry (pure domain)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import phonenumbers
import pytest

from tidings.domain.inventory import (
    COUNTRIES,
    OFFERINGS,
    is_country_code,
    locate,
    pick_numbers,
    requires_agreement,
)
from tidings.domain.numbers import NumberType
from tidings.domain.operator_info import look_up, parse
from tidings.domain.reservations import Reservation, ReservationStatus, expiry

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "offering", OFFERINGS, ids=[f"{o.country_code}-{o.number_type.value}" for o in OFFERINGS]
)
def test_every_offering_hands_out_valid_numbers_of_its_own(offering: object) -> None:
    from tidings.domain.inventory import Offering

    assert isinstance(offering, Offering)
    rng = random.Random(7)
    for area in offering.areas:
        numbers = pick_numbers(offering, 5, set(), rng, area_code=area.code)
        assert len(numbers) == 5, area
        for number in numbers:
            assert phonenumbers.is_valid_number(phonenumbers.parse(number, None)), number
            assert locate(number, offering.country_code) == (offering, area)
    assert len({a.code for a in offering.areas}) == len(offering.areas)
    if offering.number_type is NumberType.GEOGRAPHIC:
        assert all(a.locality for a in offering.areas)


def test_toll_free_numbers_shared_by_us_and_ca() -> None:
    us, ca = locate("+18005550123", "US"), locate("+18005550123", "ca")
    assert us is not None and ca is not None
    assert (us[0].country_code, ca[0].country_code) == ("US", "CA")
    assert locate("+18005550123", "GB") is None and locate("+1800555012") is None


def test_countries_and_offerings_agree() -> None:
    codes = [c.code for c in COUNTRIES]
    assert codes == sorted(codes) and set(codes) == {o.country_code for o in OFFERINGS}
    assert [c.code for c in COUNTRIES if requires_agreement(c.code)] == ["FR"]
    assert is_country_code("us") and is_country_code("JP")
    assert not any(is_country_code(c) for c in ("XX", "U", "USA", "12", ""))


def test_prefixes() -> None:
    us_geo = next(
        o for o in OFFERINGS if o.country_code == "US" and o.number_type is NumberType.GEOGRAPHIC
    )
    rng = random.Random(1)
    for prefix, start in [("1425", "+1425"), ("+1425", "+1425"), ("425", "+1425")]:
        assert all(
            n.startswith(start) for n in pick_numbers(us_geo, 5, set(), rng, prefixes=[prefix])
        )
    longer = pick_numbers(us_geo, 5, set(), rng, prefixes=["1425555"])
    assert len(longer) == 5 and all(n.startswith("+1425555") for n in longer)
    shorter = pick_numbers(us_geo, 40, set(), rng, prefixes=["14"])
    assert {n[:5] for n in shorter} <= {"+1415", "+1425"} and len({n[:5] for n in shorter}) == 2
    assert pick_numbers(us_geo, 5, set(), rng, prefixes=["1999"]) == []
    assert pick_numbers(us_geo, 5, set(), rng, prefixes=["1425555012345678"]) == []
    exact = "+14255550123"
    assert pick_numbers(us_geo, 1, {exact}, rng, prefixes=[exact]) == []


def test_operator_look_up() -> None:
    parsed = parse("+18881231875")
    assert parsed is not None
    plain = look_up(parsed, "+18881231875", False)
    assert (plain.national_format, plain.international_format) == (
        "(888) 123-1875",
        "+1 888-123-1875",
    )
    assert plain.operator_details is None and plain.number_type is None
    unassigned = look_up(parsed, "+18881231875", True)  # 888-1xx is no assigned range
    assert (unassigned.iso_country_code, unassigned.number_type) == ("US", "unknown")
    toll_free = parse("+18005550123")
    assert toll_free is not None
    assert look_up(toll_free, "+18005550123", True).number_type == "other"
    assert parse("18881231875") is None and parse("+1") is None and parse("+1 888 abc") is None


def test_expiry_and_how_a_reservation_reads_later() -> None:
    assert expiry(T0, T0) == T0 + timedelta(minutes=15)
    assert expiry(T0, T0 + timedelta(minutes=110)) == T0 + timedelta(hours=2)
    active = Reservation("r", T0, T0, T0 + timedelta(minutes=15), ReservationStatus.ACTIVE)
    assert active.seen_at(T0 + timedelta(minutes=14)).status is ReservationStatus.ACTIVE
    assert active.seen_at(T0 + timedelta(minutes=15)).status is ReservationStatus.EXPIRED
    submitted = Reservation("r", T0, T0, T0, ReservationStatus.SUBMITTED)
    assert submitted.seen_at(T0 + timedelta(days=1)) is submitted
