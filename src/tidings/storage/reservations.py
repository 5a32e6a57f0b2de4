"""Number reservations and the numbers they hold."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from tidings.domain.numbers import AssignmentType, Capabilities, Capability, Cost, NumberType
from tidings.domain.reservations import (
    Availability,
    AvailableNumber,
    Reservation,
    ReservationStatus,
)
from tidings.domain.timefmt import ensure_utc
from tidings.storage.reservation_schema import number_reservations, reserved_numbers

_R, _N = number_reservations.c, reserved_numbers.c


def _reservation(row: sa.Row[Any], numbers: tuple[AvailableNumber, ...] = ()) -> Reservation:
    return Reservation(
        id=row.id,
        created_at=ensure_utc(row.created_at),
        updated_at=ensure_utc(row.updated_at),
        expires_at=ensure_utc(row.expires_at),
        status=ReservationStatus(row.status),
        numbers=numbers,
    )


def _number(row: sa.Row[Any]) -> AvailableNumber:
    return AvailableNumber(
        number=row.number,
        country_code=row.country_code,
        number_type=NumberType(row.number_type),
        assignment_type=AssignmentType(row.assignment_type),
        capabilities=Capabilities(Capability(row.calling), Capability(row.sms)),
        cost=Cost(row.cost_amount, row.currency_code),
        status=Availability(row.status),
        agreement_required=bool(row.agreement_required),
    )


def _live(now: datetime) -> sa.ColumnElement[bool]:
    """Reservations that hold their numbers at ``now``."""
    return sa.or_(
        _R.status == ReservationStatus.SUBMITTED.value,
        sa.and_(_R.status == ReservationStatus.ACTIVE.value, _R.expires_at > now),
    )


class SqlReservationRepo:
    def __init__(self, connection: sa.Connection) -> None:
        self._c = connection

    def add(self, reservation: Reservation) -> None:
        self._c.execute(
            number_reservations.insert().values(
                id=reservation.id,
                created_at=reservation.created_at,
                updated_at=reservation.updated_at,
                expires_at=reservation.expires_at,
                status=reservation.status.value,
            )
        )

    def get(self, reservation_id: str) -> Reservation | None:
        row = self._c.execute(sa.select(number_reservations).where(_R.id == reservation_id)).first()
        if row is None:
            return None
        rows = self._c.execute(
            sa.select(reserved_numbers)
            .where(_N.reservation_id == reservation_id)
            .order_by(_N.number)
        )
        return _reservation(row, tuple(_number(r) for r in rows))

    def page(self, skip: int, top: int) -> list[Reservation]:
        """Reservations oldest first, without their numbers (as ACS lists them)."""
        rows = self._c.execute(
            sa.select(number_reservations).order_by(_R.created_at, _R.id).offset(skip).limit(top)
        )
        return [_reservation(r) for r in rows]

    def touch(self, reservation_id: str, updated_at: datetime, expires_at: datetime) -> None:
        self._c.execute(
            number_reservations.update()
            .where(_R.id == reservation_id)
            .values(updated_at=updated_at, expires_at=expires_at)
        )

    def set_status(
        self, reservation_id: str, status: ReservationStatus, numbers: Availability
    ) -> None:
        """Set the reservation's status and its numbers'; a completed reservation no longer
        holds its numbers (they are owned now)."""
        self._c.execute(
            number_reservations.update().where(_R.id == reservation_id).values(status=status.value)
        )
        values: dict[str, Any] = {"status": numbers.value}
        if status is ReservationStatus.COMPLETED:
            values["hold"] = None
        self._c.execute(
            reserved_numbers.update().where(_N.reservation_id == reservation_id).values(**values)
        )

    def add_number(self, reservation_id: str, number: AvailableNumber) -> None:
        self._c.execute(
            reserved_numbers.insert().values(
                reservation_id=reservation_id,
                number=number.number,
                hold=number.number,
                country_code=number.country_code,
                number_type=number.number_type.value,
                assignment_type=number.assignment_type.value,
                calling=number.capabilities.calling.value,
                sms=number.capabilities.sms.value,
                cost_amount=number.cost.amount,
                currency_code=number.cost.currency_code,
                status=number.status.value,
                agreement_required=number.agreement_required,
            )
        )

    def remove_number(self, reservation_id: str, number: str) -> bool:
        result = self._c.execute(
            reserved_numbers.delete().where(
                _N.reservation_id == reservation_id, _N.number == number
            )
        )
        return result.rowcount > 0

    def delete(self, reservation_id: str) -> bool:
        self._c.execute(reserved_numbers.delete().where(_N.reservation_id == reservation_id))
        result = self._c.execute(number_reservations.delete().where(_R.id == reservation_id))
        return result.rowcount > 0

    def held_numbers(self, now: datetime, *, besides: str | None = None) -> set[str]:
        """Numbers held at ``now`` by reservations (other than ``besides``)."""
        query = (
            sa.select(_N.number)
            .join(number_reservations, _R.id == _N.reservation_id)
            .where(_N.hold.is_not(None), _live(now))
        )
        if besides is not None:
            query = query.where(_R.id != besides)
        return set(self._c.execute(query).scalars())

    def release_lapsed(self, numbers: set[str], now: datetime) -> None:
        """Let go of ``numbers`` where only expired reservations still hold them."""
        if not numbers:
            return
        lapsed = sa.select(_R.id).where(
            _R.status == ReservationStatus.ACTIVE.value, _R.expires_at <= now
        )
        self._c.execute(
            reserved_numbers.update()
            .where(_N.hold.in_(sorted(numbers)), _N.reservation_id.in_(lapsed))
            .values(hold=None)
        )

    def prune(self, created_before: datetime) -> int:
        """Delete reservations created before ``created_before`` (ACS: after a month)."""
        old = sa.select(_R.id).where(_R.created_at < created_before)
        self._c.execute(reserved_numbers.delete().where(_N.reservation_id.in_(old)))
        result = self._c.execute(number_reservations.delete().where(_R.created_at < created_before))
        return int(result.rowcount)
