"""What the numbers API offers: countries, localities, area codes, offerings, browsing and
operator look-ups, all from the simulated inventory (``domain/inventory.py``)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from tidings.domain.inventory import (
    COUNTRIES,
    Area,
    Country,
    Division,
    Offering,
    find_offering,
    is_country_code,
    offerings_in,
    pick_numbers,
    requires_agreement,
)
from tidings.domain.numbers import AssignmentType, Capabilities, Capability, NumberType
from tidings.domain.operator_info import OperatorInformation, look_up, parse
from tidings.domain.reservations import Availability, AvailableNumber
from tidings.errors import InvalidInput
from tidings.ports import NumbersTx
from tidings.services.context import ServiceContext

BROWSE_SIZE = 20
MAX_OPERATOR_NUMBERS = 1  # ACS: "Can only accept one phoneNumber"


def require_country(code: str) -> str:
    """``code`` upper-cased, or ACS's 400 for a country code it cannot parse."""
    if not is_country_code(code):
        raise InvalidInput(
            "Unable to parse country code.", code="InvalidInput", target="countrycode"
        )
    return code.upper()


def taken_numbers(tx: NumbersTx, now: datetime, *, besides: str | None = None) -> set[str]:
    """Numbers nobody else may have now: owned, in a live search, held by a reservation
    (other than ``besides``)."""
    return (
        tx.numbers.all_numbers()
        | tx.searches.reserved_numbers(now)
        | tx.reservations.held_numbers(now, besides=besides)
    )


def default_assignment(offering: Offering) -> AssignmentType:
    if AssignmentType.APPLICATION in offering.assignment_types:
        return AssignmentType.APPLICATION
    return offering.assignment_types[0]


@dataclass(frozen=True)
class Locality:
    name: str
    division: Division | None


@dataclass(frozen=True)
class BrowseRequest:
    country_code: str
    number_type: NumberType
    assignment_type: AssignmentType | None = None
    calling: Capability | None = None
    sms: Capability | None = None
    prefixes: list[str] | None = None


def _same(a: str | None, b: str) -> bool:
    return a is not None and a.casefold() == b.casefold()


def _in_division(area: Area, division: str | None) -> bool:
    if division is None:
        return True
    found = area.division
    return found is not None and (
        _same(found.localized_name, division) or _same(found.abbreviated_name, division)
    )


class InventoryService:
    def __init__(self, ctx: ServiceContext, rng: random.Random | None = None) -> None:
        self._ctx = ctx
        self._rng = rng or random.Random()

    def countries(self) -> list[Country]:
        return list(COUNTRIES)

    def localities(
        self, country_code: str, division: str | None, number_type: NumberType | None
    ) -> list[Locality]:
        country = require_country(country_code)
        seen: dict[tuple[str, Division | None], Locality] = {}
        for offering in offerings_in(country):
            if number_type is not None and offering.number_type is not number_type:
                continue
            for area in offering.areas:
                if area.locality is not None and _in_division(area, division):
                    seen.setdefault(
                        (area.locality, area.division), Locality(area.locality, area.division)
                    )
        return sorted(seen.values(), key=lambda loc: (loc.name, str(loc.division)))

    def area_codes(
        self,
        country_code: str,
        number_type: NumberType,
        *,
        assignment_type: AssignmentType | None = None,
        locality: str | None = None,
        division: str | None = None,
    ) -> list[str]:
        country = require_country(country_code)
        if number_type is NumberType.GEOGRAPHIC and not locality:
            raise InvalidInput("locality is required for geographic area codes.", target="locality")
        offering = find_offering(country, number_type)
        if offering is None or (
            assignment_type is not None and assignment_type not in offering.assignment_types
        ):
            return []
        return [
            area.code
            for area in offering.areas
            if (locality is None or _same(area.locality, locality)) and _in_division(area, division)
        ]

    def offerings(
        self,
        country_code: str,
        number_type: NumberType | None,
        assignment_type: AssignmentType | None,
    ) -> list[tuple[Offering, AssignmentType]]:
        country = require_country(country_code)
        return [
            (offering, assignment)
            for offering in offerings_in(country)
            if number_type is None or offering.number_type is number_type
            for assignment in offering.assignment_types
            if assignment_type is None or assignment is assignment_type
        ]

    def browse(self, request: BrowseRequest) -> list[AvailableNumber]:
        """A random choice of numbers nobody holds, matching the request (not paged)."""
        country = require_country(request.country_code)
        offering = find_offering(country, request.number_type)
        if offering is None:
            return []
        assignment = request.assignment_type or default_assignment(offering)
        capabilities = Capabilities(
            request.calling or offering.capabilities.calling,
            request.sms or offering.capabilities.sms,
        )
        if assignment not in offering.assignment_types or not offering.allows(capabilities):
            return []
        now = self._ctx.clock.now()
        taken = self._ctx.store.read(lambda tx: taken_numbers(tx, now))
        picked = pick_numbers(
            offering, BROWSE_SIZE, taken, self._rng, prefixes=request.prefixes or None
        )
        agreement = requires_agreement(country)
        return [
            AvailableNumber(
                number=number,
                country_code=country,
                number_type=offering.number_type,
                assignment_type=assignment,
                capabilities=capabilities,
                cost=offering.cost,
                status=Availability.AVAILABLE,
                agreement_required=agreement,
            )
            for number in picked
        ]

    def operator_information(
        self, phone_numbers: list[str], include_details: bool
    ) -> list[OperatorInformation]:
        if not phone_numbers:
            raise InvalidInput("Give at least one phoneNumber.", code="BadRequest")
        if len(phone_numbers) > MAX_OPERATOR_NUMBERS:
            raise InvalidInput("Can only accept one phoneNumber", code="BadRequest")
        results: list[OperatorInformation] = []
        for text in phone_numbers:
            parsed = parse(text)
            if parsed is None:
                raise InvalidInput(
                    f"{text!r} is not a valid phone number.",
                    code="InvalidInput",
                    target="phoneNumbers",
                )
            results.append(look_up(parsed, text, include_details))
        return results
