"""Phone number types, capabilities and the simulated inventory the numbers API sells from."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import phonenumbers


class NumberType(StrEnum):
    GEOGRAPHIC = "geographic"
    TOLL_FREE = "tollFree"
    MOBILE = "mobile"
    SHORT_CODE = "shortCode"
    ALPHANUMERIC = "alphanumeric"


class AssignmentType(StrEnum):
    PERSON = "person"
    APPLICATION = "application"


class Capability(StrEnum):
    NONE = "none"
    INBOUND = "inbound"
    OUTBOUND = "outbound"
    INBOUND_OUTBOUND = "inbound+outbound"

    @property
    def can_send(self) -> bool:
        return self in {Capability.OUTBOUND, Capability.INBOUND_OUTBOUND}

    @property
    def can_receive(self) -> bool:
        return self in {Capability.INBOUND, Capability.INBOUND_OUTBOUND}


@dataclass(frozen=True)
class Capabilities:
    calling: Capability
    sms: Capability


@dataclass(frozen=True)
class Cost:
    amount: float
    currency_code: str
    billing_frequency: str = "monthly"


@dataclass(frozen=True)
class PurchasedNumber:
    number: str
    country_code: str
    number_type: NumberType
    assignment_type: AssignmentType
    capabilities: Capabilities
    cost: Cost
    purchased_at: datetime
    partner: str | None = None  # leased through this Messaging Connect partner

    @property
    def from_acs(self) -> bool:
        """Bought from ACS (as opposed to leased through a Messaging Connect partner)."""
        return self.partner is None


@dataclass(frozen=True)
class Offering:
    """What the simulated inventory sells in one country for one number type."""

    country_code: str
    number_type: NumberType
    prefixes: tuple[str, ...]  # E.164 prefixes (country code + area code) numbers start with
    cost: Cost
    national_length: int  # digits after the country calling code


_USD_TOLL_FREE = Cost(2.0, "USD")
_USD_GEO = Cost(1.0, "USD")

OFFERINGS: tuple[Offering, ...] = (
    Offering(
        "US",
        NumberType.TOLL_FREE,
        ("+1800", "+1833", "+1844", "+1855", "+1866", "+1877", "+1888"),
        _USD_TOLL_FREE,
        10,
    ),
    Offering(
        "US",
        NumberType.GEOGRAPHIC,
        ("+1206", "+1212", "+1312", "+1415", "+1425", "+1512", "+1617", "+1646"),
        _USD_GEO,
        10,
    ),
    Offering("CA", NumberType.TOLL_FREE, ("+1800", "+1833", "+1844"), Cost(2.0, "CAD"), 10),
    Offering("CA", NumberType.GEOGRAPHIC, ("+1416", "+1514", "+1604"), Cost(1.0, "CAD"), 10),
    Offering("GB", NumberType.GEOGRAPHIC, ("+44121", "+44131", "+44161"), Cost(1.0, "GBP"), 10),
    Offering("GB", NumberType.TOLL_FREE, ("+44800",), Cost(5.0, "GBP"), 10),
    Offering("GB", NumberType.MOBILE, ("+447700",), Cost(1.5, "GBP"), 10),
    Offering("IT", NumberType.GEOGRAPHIC, ("+3902", "+3906"), Cost(1.0, "EUR"), 10),
    Offering("IT", NumberType.TOLL_FREE, ("+39800",), Cost(5.0, "EUR"), 9),
    Offering("FR", NumberType.GEOGRAPHIC, ("+331", "+334"), Cost(1.0, "EUR"), 9),
    Offering("DE", NumberType.GEOGRAPHIC, ("+4930", "+4989"), Cost(1.0, "EUR"), 11),
    Offering("ES", NumberType.GEOGRAPHIC, ("+3491", "+3493"), Cost(1.0, "EUR"), 9),
    Offering("PT", NumberType.GEOGRAPHIC, ("+35121",), Cost(1.0, "EUR"), 9),
)


def find_offering(country_code: str, number_type: NumberType) -> Offering | None:
    for offering in OFFERINGS:
        if offering.country_code == country_code and offering.number_type is number_type:
            return offering
    return None


def area_codes(offering: Offering) -> list[str]:
    """The area codes of an offering: each prefix without the country calling code."""
    calling = str(phonenumbers.country_code_for_region(offering.country_code))
    return [prefix[1 + len(calling) :] for prefix in offering.prefixes]


def pick_numbers(
    offering: Offering,
    quantity: int,
    taken: set[str],
    rng: random.Random,
    area_code: str | None = None,
) -> list[str]:
    """Draw ``quantity`` valid, untaken numbers from the offering (fewer if it runs dry)."""
    calling = str(phonenumbers.country_code_for_region(offering.country_code))
    prefixes = [p for p in offering.prefixes if area_code is None or p == f"+{calling}{area_code}"]
    picked: list[str] = []
    for _ in range(quantity * 200):
        if len(picked) == quantity or not prefixes:
            break
        prefix = rng.choice(prefixes)
        rest = offering.national_length - (len(prefix) - 1 - len(calling))
        candidate = prefix + "".join(rng.choice("0123456789") for _ in range(rest))
        if candidate in taken or candidate in picked:
            continue
        parsed = phonenumbers.parse(candidate, None)
        if phonenumbers.is_valid_number(parsed) and phonenumbers.region_code_for_number(parsed) in {
            offering.country_code,
            None,
        } | ({"US", "CA"} if calling == "1" else set()):
            picked.append(candidate)
    return picked


@dataclass(frozen=True)
class NumberSearch:
    id: str
    country_code: str
    number_type: NumberType
    assignment_type: AssignmentType
    capabilities: Capabilities
    area_code: str | None
    quantity: int
    numbers: tuple[str, ...]
    cost: Cost
    created_at: datetime
    expires_at: datetime
    purchased: bool
    error_code: str | None


@dataclass(frozen=True)
class Operation:
    """A long-running operation of the phone numbers API."""

    id: str
    operation_type: str
    status: str
    created_at: datetime
    last_action_at: datetime | None
    resource_location: str | None
    error_code: str | None
    error_message: str | None
    payload: dict[str, Any]
