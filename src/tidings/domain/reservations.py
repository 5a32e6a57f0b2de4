"""Reservations: a temporary hold on numbers found by browsing, purchased as a whole.

ACS's rules: a reservation expires 15 minutes after its last change, and never later than 2
hours after it was created; only an ``active`` reservation can be changed, deleted or
purchased; purchasing makes it ``submitted`` and then ``completed``. Reservations older than a
month are deleted.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from tidings.domain.numbers import AssignmentType, Capabilities, Cost, NumberType

IDLE_LIFETIME = timedelta(minutes=15)
MAX_LIFETIME = timedelta(hours=2)
RETENTION = timedelta(days=31)
MAX_NUMBERS = 100


class ReservationStatus(StrEnum):
    ACTIVE = "active"
    SUBMITTED = "submitted"
    COMPLETED = "completed"
    EXPIRED = "expired"


class Availability(StrEnum):
    """``PhoneNumberAvailabilityStatus``: the status of one number of a browse or reservation."""

    AVAILABLE = "available"
    RESERVED = "reserved"
    EXPIRED = "expired"
    ERROR = "error"
    PURCHASED = "purchased"


@dataclass(frozen=True)
class AvailableNumber:
    """A number as browse and reservations show it (``AvailablePhoneNumber``)."""

    number: str  # E.164
    country_code: str
    number_type: NumberType
    assignment_type: AssignmentType
    capabilities: Capabilities
    cost: Cost
    status: Availability
    agreement_required: bool
    error_code: str | None = None
    error_message: str | None = None

    @property
    def id(self) -> str:
        """ACS's id of an available number: its digits."""
        return self.number.lstrip("+")


@dataclass(frozen=True)
class Reservation:
    id: str
    created_at: datetime
    updated_at: datetime
    expires_at: datetime
    status: ReservationStatus
    numbers: tuple[AvailableNumber, ...] = ()

    def seen_at(self, now: datetime) -> Reservation:
        """The reservation as of ``now``: an active one past its expiry is expired, and so
        are its numbers."""
        if self.status is not ReservationStatus.ACTIVE or now < self.expires_at:
            return self
        return replace(
            self,
            status=ReservationStatus.EXPIRED,
            numbers=tuple(replace(n, status=Availability.EXPIRED) for n in self.numbers),
        )


def expiry(created_at: datetime, changed_at: datetime) -> datetime:
    """15 minutes after the last change, at most 2 hours after creation."""
    return min(changed_at + IDLE_LIFETIME, created_at + MAX_LIFETIME)
