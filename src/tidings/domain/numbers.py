"""Phone number types, capabilities, purchased numbers, searches and operations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


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
