"""Reservations: hold numbers found by browsing, then purchase them as a whole.

``upsert`` is ACS's merge-patch create-or-update: numbers given are added (one already held
is left alone), numbers given as null are removed, and every change pushes the expiry to 15
minutes later, never past 2 hours after creation (``domain/reservations.py``). A number
that cannot be held (owned, held by someone else, not in the inventory) is reported back
with ``status: error`` and the rest still succeeds (207). Purchasing is a long-running
operation of type ``reservationPurchase`` that the worker carries out
(``run_reservation_purchase``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime

import phonenumbers

from tidings.domain.ids import new_guid
from tidings.domain.inventory import locate, requires_agreement
from tidings.domain.numbers import (
    AssignmentType,
    Capabilities,
    Cost,
    NumberType,
    Operation,
    PurchasedNumber,
)
from tidings.domain.reservations import (
    MAX_NUMBERS,
    Availability,
    AvailableNumber,
    Reservation,
    ReservationStatus,
    expiry,
)
from tidings.errors import Conflict, InvalidInput, NotFound
from tidings.ports import NumbersTx
from tidings.services.context import ServiceContext
from tidings.services.inventory import require_country, taken_numbers
from tidings.services.operations import OperationFailed, new_operation, start

NOT_FOUND = "The reservation was not found and the operation could not be completed."
NO_CONSENT = "Consent not provided to not resell the phone numbers"
FAILED_TO_RESERVE = "FailedToReserveNumber"
_NO_COST = Cost(0.0, "USD")


@dataclass(frozen=True)
class NumberRequest:
    """One number to add, as the SDK sends it: its id (digits) and what it is."""

    id: str
    country_code: str
    number_type: NumberType
    assignment_type: AssignmentType
    capabilities: Capabilities


@dataclass(frozen=True)
class UpsertResult:
    reservation: Reservation
    created: bool
    failed: tuple[AvailableNumber, ...]


def reservation_id(raw: str) -> str:
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        raise InvalidInput(
            f"The reservation id {raw!r} is not a valid UUID.",
            code="InvalidInput",
            target="reservationId",
        ) from None


def _not_found() -> NotFound:
    return NotFound(NOT_FOUND, code="ReservationNotFound")


def _require_active(reservation: Reservation, verb: str) -> None:
    if reservation.status is ReservationStatus.ACTIVE:
        return
    if reservation.status is ReservationStatus.EXPIRED:
        raise InvalidInput(
            f"The reservation has expired; only active reservations can be {verb}.",
            code="ReservationExpired",
        )
    raise InvalidInput(
        f"The reservation is {reservation.status.value}; only active reservations can be {verb}.",
        code="BadRequest",
    )


def _why_not(request: NumberRequest, number: str, taken: set[str]) -> str | None:
    """Why ``number`` cannot be reserved as ``request`` describes it; None if it can."""
    found = locate(number, request.country_code)
    if found is None:
        return f"The number is not a {request.country_code} number available for purchase."
    offering, _area = found
    if offering.number_type is not request.number_type:
        return f"The number is not a {request.number_type.value} number."
    if request.assignment_type not in offering.assignment_types:
        return f"The number cannot be assigned to a {request.assignment_type.value}."
    if not offering.allows(request.capabilities):
        return "The number does not offer the requested capabilities."
    if not phonenumbers.is_valid_number(phonenumbers.parse(number, None)):
        return "The number is not a valid number."
    if number in taken:
        return "The number is no longer available."
    return None


class ReservationsService:
    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx

    def upsert(
        self, raw_id: str, additions: list[NumberRequest], removals: list[str]
    ) -> UpsertResult:
        rid = reservation_id(raw_id)
        for request in additions:
            require_country(request.country_code)
        for number_id in [a.id for a in additions] + removals:
            if not number_id.isdigit():
                raise InvalidInput(
                    f"{number_id!r} is not a phone number id (its digits, without '+').",
                    code="InvalidInput",
                    target="phoneNumbers",
                )
        try:
            return self._ctx.store.write(lambda tx: self._upsert(tx, rid, additions, removals))
        except Conflict:
            # Another reservation took one of the numbers at the same moment: run it again,
            # and that number now fails alone.
            return self._ctx.store.write(lambda tx: self._upsert(tx, rid, additions, removals))

    def _upsert(
        self, tx: NumbersTx, rid: str, additions: list[NumberRequest], removals: list[str]
    ) -> UpsertResult:
        now = self._ctx.clock.now()
        current = tx.reservations.get(rid)
        created = current is None
        if current is None:
            current = Reservation(rid, now, now, expiry(now, now), ReservationStatus.ACTIVE)
            tx.reservations.add(current)
        else:
            _require_active(current.seen_at(now), "updated")
        held = {n.number for n in current.numbers}
        for number_id in removals:
            if tx.reservations.remove_number(rid, f"+{number_id}"):
                held.discard(f"+{number_id}")
        wanted = {f"+{a.id}" for a in additions} - held
        tx.reservations.release_lapsed(wanted, now)
        taken = taken_numbers(tx, now, besides=rid) if wanted else set()
        failed: list[AvailableNumber] = []
        for request in additions:
            number = f"+{request.id}"
            if number in held:
                continue
            reason = _why_not(request, number, taken)
            if reason is None and len(held) >= MAX_NUMBERS:
                reason = f"A reservation holds at most {MAX_NUMBERS} numbers."
            entry = self._entry(request, number, Availability.RESERVED)
            if reason is not None:
                failed.append(
                    replace(
                        entry,
                        status=Availability.ERROR,
                        error_code=FAILED_TO_RESERVE,
                        error_message=f"Failed to add the number to the reservation. {reason}",
                    )
                )
                continue
            tx.reservations.add_number(rid, entry)
            held.add(number)
            taken.add(number)
        tx.reservations.touch(rid, now, expiry(current.created_at, now))
        stored = tx.reservations.get(rid)
        assert stored is not None
        return UpsertResult(stored, created, tuple(failed))

    @staticmethod
    def _entry(request: NumberRequest, number: str, status: Availability) -> AvailableNumber:
        found = locate(number, request.country_code)
        cost = found[0].cost if found else None
        return AvailableNumber(
            number=number,
            country_code=request.country_code.upper(),
            number_type=request.number_type,
            assignment_type=request.assignment_type,
            capabilities=request.capabilities,
            cost=cost or _NO_COST,
            status=status,
            agreement_required=requires_agreement(request.country_code),
        )

    def get(self, raw_id: str) -> Reservation:
        rid = reservation_id(raw_id)
        found = self._ctx.store.read(lambda tx: tx.reservations.get(rid))
        if found is None:
            raise _not_found()
        return found.seen_at(self._ctx.clock.now())

    def page(self, skip: int, top: int) -> list[Reservation]:
        now = self._ctx.clock.now()
        return [
            r.seen_at(now) for r in self._ctx.store.read(lambda tx: tx.reservations.page(skip, top))
        ]

    def delete(self, raw_id: str) -> None:
        rid = reservation_id(raw_id)

        def write(tx: NumbersTx) -> None:
            found = tx.reservations.get(rid)
            if found is None:
                raise _not_found()
            _require_active(found.seen_at(self._ctx.clock.now()), "deleted")
            tx.reservations.delete(rid)

        self._ctx.store.write(write)

    def begin_purchase(self, raw_id: str, agree_to_not_resell: bool) -> Operation:
        rid = reservation_id(raw_id)
        now = self._ctx.clock.now()
        operation = new_operation(
            "reservationPurchase",
            f"reservationPurchase_{new_guid()}",
            now,
            {"reservationId": rid, "agreeToNotResell": agree_to_not_resell},
        )

        def write(tx: NumbersTx) -> None:
            found = tx.reservations.get(rid)
            if found is None:
                raise _not_found()
            found = found.seen_at(now)
            _require_active(found, "purchased")
            if not found.numbers:
                raise InvalidInput(
                    "The reservation holds no phone numbers to purchase.", code="BadRequest"
                )
            if not agree_to_not_resell and any(n.agreement_required for n in found.numbers):
                raise InvalidInput(NO_CONSENT, code="BadRequest", target="agreeToNotResell")
            tx.reservations.set_status(rid, ReservationStatus.SUBMITTED, Availability.RESERVED)
            start(tx, operation, now)

        self._ctx.store.write(write)
        return operation


def run_reservation_purchase(tx: NumbersTx, operation: Operation, now: datetime) -> str | None:
    """The worker's half of ``begin_purchase``: buy every number or none."""
    rid = str(operation.payload["reservationId"])
    found = tx.reservations.get(rid)
    if found is None:
        raise OperationFailed("ReservationNotFound", NOT_FOUND)
    if found.status is not ReservationStatus.SUBMITTED:
        raise OperationFailed("PurchaseFailed", f"The reservation is {found.status.value}.")
    owned = tx.numbers.all_numbers()
    for entry in found.numbers:
        if entry.number in owned:
            tx.reservations.set_status(rid, ReservationStatus.ACTIVE, Availability.RESERVED)
            raise OperationFailed("PurchaseFailed", f"{entry.number} is no longer available.")
    for entry in found.numbers:
        tx.numbers.add(
            PurchasedNumber(
                number=entry.number,
                country_code=entry.country_code,
                number_type=entry.number_type,
                assignment_type=entry.assignment_type,
                capabilities=entry.capabilities,
                cost=entry.cost,
                purchased_at=now,
            )
        )
    tx.reservations.set_status(rid, ReservationStatus.COMPLETED, Availability.PURCHASED)
    return None
