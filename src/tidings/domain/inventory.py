"""The simulated inventory the numbers API sells from: countries, areas, offerings.

One table (``OFFERINGS``) says what each country sells: per number type its areas (area code,
locality, administrative division), the assignment types it is sold for, its cost, the
capabilities it offers and the length of its numbers. The listing operations (countries,
localities, area codes, offerings) and the ones that hand out numbers (search, browse,
reservations) all read it, so what is listed is what can be had.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import phonenumbers

from tidings.domain.numbers import AssignmentType, Capabilities, Capability, Cost, NumberType


@dataclass(frozen=True)
class Division:
    """A state or province (``administrativeDivision``)."""

    localized_name: str
    abbreviated_name: str


@dataclass(frozen=True)
class Area:
    code: str  # the national area code: "425"
    locality: str | None = None
    division: Division | None = None


@dataclass(frozen=True)
class Country:
    code: str
    name: str
    requires_agreement_to_not_resell: bool = False


_BOTH = (AssignmentType.PERSON, AssignmentType.APPLICATION)
_APP = (AssignmentType.APPLICATION,)
_FULL = Capabilities(Capability.INBOUND_OUTBOUND, Capability.INBOUND_OUTBOUND)


@dataclass(frozen=True)
class Offering:
    """What the simulated inventory sells in one country for one number type."""

    country_code: str
    number_type: NumberType
    areas: tuple[Area, ...]
    cost: Cost
    national_length: int  # digits after the country calling code
    assignment_types: tuple[AssignmentType, ...] = _APP
    capabilities: Capabilities = _FULL  # the most a number of this offering can do

    @property
    def calling_code(self) -> str:
        return str(phonenumbers.country_code_for_region(self.country_code))

    @property
    def prefixes(self) -> tuple[str, ...]:
        """E.164 prefixes (country code + area code) the numbers start with."""
        return tuple(f"+{self.calling_code}{area.code}" for area in self.areas)

    def allows(self, capabilities: Capabilities) -> bool:
        return _within(capabilities.calling, self.capabilities.calling) and _within(
            capabilities.sms, self.capabilities.sms
        )


def _within(wanted: Capability, offered: Capability) -> bool:
    return (not wanted.can_send or offered.can_send) and (
        not wanted.can_receive or offered.can_receive
    )


COUNTRIES: tuple[Country, ...] = (
    Country("CA", "Canada"),
    Country("DE", "Germany"),
    Country("ES", "Spain"),
    Country("FR", "France", requires_agreement_to_not_resell=True),
    Country("GB", "United Kingdom"),
    Country("IE", "Ireland"),
    Country("IT", "Italy"),
    Country("PT", "Portugal"),
    Country("US", "United States"),
)
_COUNTRY = {c.code: c for c in COUNTRIES}


def _div(name: str, abbreviation: str) -> Division:
    return Division(name, abbreviation)


_WA, _NY = _div("Washington", "WA"), _div("New York", "NY")
_ENG = _div("England", "ENG")

OFFERINGS: tuple[Offering, ...] = (
    Offering(
        "US",
        NumberType.TOLL_FREE,
        tuple(Area(code) for code in ("800", "833", "844", "855", "866", "877", "888")),
        Cost(2.0, "USD"),
        10,
    ),
    Offering(
        "US",
        NumberType.GEOGRAPHIC,
        (
            Area("206", "Seattle", _WA),
            Area("212", "New York", _NY),
            Area("312", "Chicago", _div("Illinois", "IL")),
            Area("415", "San Francisco", _div("California", "CA")),
            Area("425", "Redmond", _WA),
            Area("512", "Austin", _div("Texas", "TX")),
            Area("617", "Boston", _div("Massachusetts", "MA")),
            Area("646", "New York", _NY),
        ),
        Cost(1.0, "USD"),
        10,
        _BOTH,
    ),
    Offering(
        "CA", NumberType.TOLL_FREE, (Area("800"), Area("833"), Area("844")), Cost(2.0, "CAD"), 10
    ),
    Offering(
        "CA",
        NumberType.GEOGRAPHIC,
        (
            Area("416", "Toronto", _div("Ontario", "ON")),
            Area("514", "Montréal", _div("Québec", "QC")),
            Area("604", "Vancouver", _div("British Columbia", "BC")),
        ),
        Cost(1.0, "CAD"),
        10,
        _BOTH,
    ),
    Offering(
        "GB",
        NumberType.GEOGRAPHIC,
        (
            Area("121", "Birmingham", _ENG),
            Area("131", "Edinburgh", _div("Scotland", "SCT")),
            Area("161", "Manchester", _ENG),
        ),
        Cost(1.0, "GBP"),
        10,
    ),
    Offering("GB", NumberType.TOLL_FREE, (Area("800"),), Cost(5.0, "GBP"), 10),
    Offering("GB", NumberType.MOBILE, (Area("7700"),), Cost(1.5, "GBP"), 10),
    Offering("IE", NumberType.GEOGRAPHIC, (Area("1", "Dublin"),), Cost(1.0, "EUR"), 8),
    Offering(
        "IE", NumberType.MOBILE, (Area("87", "Dublin"), Area("86", "Cork")), Cost(1.5, "EUR"), 9
    ),
    Offering(
        "IT",
        NumberType.GEOGRAPHIC,
        (Area("02", "Milano", _div("Lombardia", "LOM")), Area("06", "Roma", _div("Lazio", "LAZ"))),
        Cost(1.0, "EUR"),
        10,
    ),
    Offering("IT", NumberType.TOLL_FREE, (Area("800"),), Cost(5.0, "EUR"), 9),
    Offering(
        "FR",
        NumberType.GEOGRAPHIC,
        (
            Area("1", "Paris", _div("Île-de-France", "IDF")),
            Area("4", "Marseille", _div("Provence-Alpes-Côte d'Azur", "PAC")),
        ),
        Cost(1.0, "EUR"),
        9,
    ),
    Offering("FR", NumberType.TOLL_FREE, (Area("800"),), Cost(3.0, "EUR"), 9),
    Offering(
        "DE",
        NumberType.GEOGRAPHIC,
        (Area("30", "Berlin", _div("Berlin", "BE")), Area("89", "München", _div("Bayern", "BY"))),
        Cost(1.0, "EUR"),
        11,
    ),
    Offering(
        "ES",
        NumberType.GEOGRAPHIC,
        (
            Area("91", "Madrid", _div("Comunidad de Madrid", "MD")),
            Area("93", "Barcelona", _div("Cataluña", "CT")),
        ),
        Cost(1.0, "EUR"),
        9,
    ),
    Offering(
        "PT",
        NumberType.GEOGRAPHIC,
        (Area("21", "Lisboa", _div("Lisboa", "11")),),
        Cost(1.0, "EUR"),
        9,
    ),
)


def country(code: str) -> Country | None:
    return _COUNTRY.get(code.upper())


def is_country_code(code: str) -> bool:
    """An ISO 3166 region code the numbering plan knows (``US``; not ``XX``)."""
    return len(code) == 2 and code.upper() in phonenumbers.SUPPORTED_REGIONS


def requires_agreement(country_code: str) -> bool:
    found = country(country_code)
    return found is not None and found.requires_agreement_to_not_resell


def offerings_in(country_code: str) -> list[Offering]:
    return [o for o in OFFERINGS if o.country_code == country_code.upper()]


def find_offering(country_code: str, number_type: NumberType) -> Offering | None:
    for offering in OFFERINGS:
        if offering.country_code == country_code and offering.number_type is number_type:
            return offering
    return None


def area_codes(offering: Offering) -> list[str]:
    return [area.code for area in offering.areas]


def locate(number: str, country_code: str | None = None) -> tuple[Offering, Area] | None:
    """The offering and area an E.164 number of the inventory belongs to (longest prefix;
    in ``country_code`` if given: NANP toll-free numbers are sold in both US and CA); None
    for numbers the inventory does not sell."""
    best: tuple[Offering, Area] | None = None
    best_length = 0
    for offering in OFFERINGS:
        if country_code is not None and offering.country_code != country_code.upper():
            continue
        for area in offering.areas:
            prefix = f"+{offering.calling_code}{area.code}"
            length = len(offering.calling_code) + offering.national_length + 1
            if number.startswith(prefix) and len(number) == length and len(prefix) > best_length:
                best, best_length = (offering, area), len(prefix)
    return best


def _stems(offering: Offering, area_code: str | None, prefixes: list[str] | None) -> list[str]:
    """The E.164 beginnings numbers may have: area prefixes, narrowed by ``prefixes``."""
    calling = offering.calling_code
    areas = [f"+{calling}{a.code}" for a in offering.areas if area_code in {None, a.code}]
    if prefixes is None:
        return areas
    stems: list[str] = []
    for raw in prefixes:
        digits = raw.strip().lstrip("+")
        wanted = f"+{digits}" if digits.startswith(calling) else f"+{calling}{digits}"
        for area in areas:
            stem = area if area.startswith(wanted) else wanted if wanted.startswith(area) else None
            if stem is not None and stem not in stems:
                stems.append(stem)
    return stems


def pick_numbers(
    offering: Offering,
    quantity: int,
    taken: set[str],
    rng: random.Random,
    area_code: str | None = None,
    prefixes: list[str] | None = None,
) -> list[str]:
    """Draw ``quantity`` valid, untaken numbers from the offering (fewer if it runs dry),
    in its areas (one ``area_code`` only, if given) starting with one of ``prefixes``."""
    calling = offering.calling_code
    total = len(calling) + offering.national_length
    stems = [s for s in _stems(offering, area_code, prefixes) if len(s) - 1 <= total]
    regions = {offering.country_code, None} | ({"US", "CA"} if calling == "1" else set())
    picked: list[str] = []
    for _ in range(quantity * 200):
        if len(picked) == quantity or not stems:
            break
        stem = rng.choice(stems)
        candidate = stem + "".join(rng.choice("0123456789") for _ in range(total - len(stem) + 1))
        if candidate in taken or candidate in picked:
            continue
        parsed = phonenumbers.parse(candidate, None)
        if phonenumbers.is_valid_number(parsed) and (
            phonenumbers.region_code_for_number(parsed) in regions
        ):
            picked.append(candidate)
    return picked
