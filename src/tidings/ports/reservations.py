"""Number reservations (``storage/reservations.py`` implements the repository)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from tidings.domain.reservations import (
    Availability,
    AvailableNumber,
    Reservation,
    ReservationStatus,
)


class ReservationRepo(Protocol):
    def add(self, reservation: Reservation) -> None: ...

    def get(self, reservation_id: str) -> Reservation | None: ...

    def page(self, skip: int, top: int) -> list[Reservation]: ...

    def touch(self, reservation_id: str, updated_at: datetime, expires_at: datetime) -> None: ...

    def set_status(
        self, reservation_id: str, status: ReservationStatus, numbers: Availability
    ) -> None: ...

    def add_number(self, reservation_id: str, number: AvailableNumber) -> None: ...

    def remove_number(self, reservation_id: str, number: str) -> bool: ...

    def delete(self, reservation_id: str) -> bool: ...

    def held_numbers(self, now: datetime, *, besides: str | None = None) -> set[str]: ...

    def release_lapsed(self, numbers: set[str], now: datetime) -> None: ...

    def prune(self, created_before: datetime) -> int: ...


class WithReservations(Protocol):
    @property
    def reservations(self) -> ReservationRepo: ...
