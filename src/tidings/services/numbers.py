"""Phone numbers: search, purchase, release and capability updates as long-running operations
(``services/operations.py``); the worker runs them all here, reservation purchases included.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from tidings.domain.ids import new_guid
from tidings.domain.inventory import find_offering, pick_numbers, requires_agreement
from tidings.domain.keywords import SUPPORTED_LANGUAGES, KeywordAction
from tidings.domain.numbers import (
    AssignmentType,
    Capabilities,
    Capability,
    Cost,
    NumberSearch,
    NumberType,
    Operation,
    PurchasedNumber,
)
from tidings.domain.phone import parse_e164, region_of
from tidings.errors import Conflict, InvalidInput, NotFound
from tidings.ports import Job, NumbersTx
from tidings.services.context import ServiceContext
from tidings.services.inventory import require_country, taken_numbers
from tidings.services.operations import OPERATION_JOB, OperationFailed, new_operation, start
from tidings.services.reservations import run_reservation_purchase

SEARCH_TTL = timedelta(minutes=15)
MAX_QUANTITY = 100
NO_AGREEMENT = "Do not resell agreement was not provided and it is required for this purchase."
_NO_COST = Cost(0.0, "USD")
__all__ = ["OPERATION_JOB", "NumbersService", "SearchRequest", "number_location"]


@dataclass(frozen=True)
class SearchRequest:
    country_code: str
    number_type: NumberType
    assignment_type: AssignmentType
    capabilities: Capabilities
    area_code: str | None = None
    quantity: int = 1


def number_location(number: str) -> str:
    return f"/phoneNumbers/{quote(number, safe='')}"


class NumbersService:
    def __init__(self, ctx: ServiceContext[NumbersTx], rng: random.Random | None = None) -> None:
        self._ctx = ctx
        self._rng = rng or random.Random()

    # -- requests -------------------------------------------------------------------------

    def begin_search(self, request: SearchRequest) -> tuple[Operation, NumberSearch]:
        country = require_country(request.country_code)
        if not 1 <= request.quantity <= MAX_QUANTITY:
            raise InvalidInput(f"quantity must be between 1 and {MAX_QUANTITY}.", target="quantity")
        if request.number_type in {NumberType.SHORT_CODE, NumberType.ALPHANUMERIC}:
            raise InvalidInput(
                f"phoneNumberType {request.number_type.value} cannot be searched.",
                target="phoneNumberType",
            )
        now = self._ctx.clock.now()
        search_id = new_guid()
        offering = find_offering(country, request.number_type)
        search = NumberSearch(
            id=search_id,
            country_code=country,
            number_type=request.number_type,
            assignment_type=request.assignment_type,
            capabilities=request.capabilities,
            area_code=request.area_code,
            quantity=request.quantity,
            numbers=(),
            cost=offering.cost if offering else _NO_COST,
            created_at=now,
            expires_at=now + SEARCH_TTL,
            purchased=False,
            error_code=None,
        )
        operation = new_operation("search", f"search_{search_id}", now, {"searchId": search_id})

        def write(tx: NumbersTx) -> None:
            tx.searches.add(search)
            start(tx, operation, now)

        self._ctx.store.write(write)
        return operation, search

    def begin_purchase(self, search_id: str, agree_to_not_resell: bool) -> Operation:
        now = self._ctx.clock.now()
        operation = new_operation(
            "purchase",
            f"purchase_{new_guid()}",
            now,
            {"searchId": search_id, "agreeToNotResell": agree_to_not_resell},
        )

        def write(tx: NumbersTx) -> None:
            search = tx.searches.get(search_id)
            if search is None:
                raise NotFound(f"Search {search_id} was not found.", code="SearchIdNotFound")
            if search.purchased:
                raise Conflict(f"Search {search_id} was already purchased.")
            if not agree_to_not_resell and requires_agreement(search.country_code):
                raise InvalidInput(NO_AGREEMENT, code="BadRequest", target="agreeToNotResell")
            start(tx, operation, now)

        self._ctx.store.write(write)
        return operation

    def begin_release(self, number: str) -> Operation:
        now = self._ctx.clock.now()
        operation = new_operation(
            "releasePhoneNumber", f"release_{new_guid()}", now, {"phoneNumber": number}
        )

        def write(tx: NumbersTx) -> None:
            _acs_number(tx, number)
            start(tx, operation, now)

        self._ctx.store.write(write)
        return operation

    def begin_update_capabilities(
        self, number: str, calling: Capability | None, sms: Capability | None
    ) -> Operation:
        now = self._ctx.clock.now()
        payload = {
            "phoneNumber": number,
            "calling": calling.value if calling else None,
            "sms": sms.value if sms else None,
        }
        operation = new_operation(
            "updatePhoneNumberCapabilities", f"capabilities_{new_guid()}", now, payload
        )

        def write(tx: NumbersTx) -> None:
            _acs_number(tx, number)
            start(tx, operation, now)

        self._ctx.store.write(write)
        return operation

    # -- reads ----------------------------------------------------------------------------

    def get_operation(self, operation_id: str) -> Operation:
        operation = self._ctx.store.read(lambda tx: tx.operations.get(operation_id))
        if operation is None:
            raise NotFound(f"Operation {operation_id} was not found.")
        return operation

    def cancel_operation(self, operation_id: str) -> None:
        if not self._ctx.store.write(lambda tx: tx.operations.delete(operation_id)):
            raise NotFound(f"Operation {operation_id} was not found.")

    def get_search(self, search_id: str) -> NumberSearch:
        search = self._ctx.store.read(lambda tx: tx.searches.get(search_id))
        if search is None:
            raise NotFound(f"Search {search_id} was not found.", code="SearchIdNotFound")
        return search

    def get_number(self, number: str) -> PurchasedNumber:
        return self._ctx.store.read(lambda tx: _acs_number(tx, number))

    def list_numbers(self, skip: int, top: int, search: str | None = None) -> list[PurchasedNumber]:
        return self._ctx.store.read(lambda tx: tx.numbers.page(skip, top, search=search))

    # -- provisioning outside the ACS API (seed number, short codes, sender ids) ------------

    def provision(
        self,
        number: str,
        number_type: NumberType,
        *,
        sms: Capability = Capability.INBOUND_OUTBOUND,
        calling: Capability = Capability.NONE,
        country_code: str | None = None,
        partner: str | None = None,
    ) -> PurchasedNumber:
        """Own ``number`` at once (idempotent): the seed number, short codes, sender ids,
        and numbers leased through a Messaging Connect ``partner`` (which must exist)."""
        now = self._ctx.clock.now()
        if number_type in {NumberType.SHORT_CODE, NumberType.ALPHANUMERIC}:
            country = country_code or "US"
        else:
            if parse_e164(number) != number:
                raise InvalidInput(f"{number} is not an E.164 phone number.")
            country = country_code or region_of(number)
        offering = find_offering(country, number_type)
        purchased = PurchasedNumber(
            number=number,
            country_code=country,
            number_type=number_type,
            assignment_type=AssignmentType.APPLICATION,
            capabilities=Capabilities(calling, sms),
            cost=offering.cost if offering else _NO_COST,
            purchased_at=now,
            partner=partner,
        )

        def write(tx: NumbersTx) -> PurchasedNumber:
            if partner is not None and tx.partners.get(partner) is None:
                raise NotFound(f"Messaging Connect partner {partner!r} was not found.")
            existing = tx.numbers.get(number)
            if existing is not None:
                if existing.partner != partner:
                    owner = f"partner {existing.partner!r}" if existing.partner else "ACS"
                    raise Conflict(f"The number {number} is already held through {owner}.")
                return existing
            tx.numbers.add(purchased)
            return purchased

        return self._ctx.store.write(write)

    def set_keyword_replies(self, number: str, replies: dict[str, str]) -> dict[str, str]:
        """Override the automatic keyword replies of ``number``.

        Keys are an action (``optOut``, ``optIn``, ``help``) or an action and a language
        (``optOut:it``); an empty text disables that reply.
        """
        allowed = {a.value for a in KeywordAction}
        for key, text in replies.items():
            action, _, language = key.partition(":")
            if action not in allowed or (language and language not in SUPPORTED_LANGUAGES):
                raise InvalidInput(
                    f"{key!r} is not a keyword reply key; use one of {sorted(allowed)}, "
                    f"optionally with ':<language>' ({', '.join(SUPPORTED_LANGUAGES)}).",
                    target="replies",
                )
            if len(text) > 2048:
                raise InvalidInput(f"The reply for {key!r} is longer than 2048 characters.")

        def write(tx: NumbersTx) -> dict[str, str]:
            if tx.numbers.get(number) is None:
                raise NotFound(f"Phone number {number} was not found.", code="PhoneNumberNotFound")
            tx.numbers.set_keyword_replies(number, replies)
            return replies

        return self._ctx.store.write(write)

    # -- the worker's side -----------------------------------------------------------------

    def run(self, job: Job) -> None:
        """Carry out one operation job; the operation records success or failure."""
        operation_id = str(job.payload["operationId"])
        self._ctx.store.write(lambda tx: self._run(tx, operation_id))

    def _run(self, tx: NumbersTx, operation_id: str) -> None:
        operation = tx.operations.get(operation_id)
        if operation is None or operation.status in {"succeeded", "failed"}:
            return  # cancelled, or already done by an earlier attempt
        now = self._ctx.clock.now()
        handler = {
            "search": self._do_search,
            "purchase": self._do_purchase,
            "releasePhoneNumber": self._do_release,
            "updatePhoneNumberCapabilities": self._do_capabilities,
            "reservationPurchase": run_reservation_purchase,
        }[operation.operation_type]
        try:
            location = handler(tx, operation, now)
        except OperationFailed as failure:
            tx.operations.finish(
                operation_id,
                status="failed",
                at=now,
                error_code=failure.code,
                error_message=failure.message,
            )
            return
        tx.operations.finish(operation_id, status="succeeded", at=now, resource_location=location)

    def _do_search(self, tx: NumbersTx, operation: Operation, now: datetime) -> str | None:
        search = tx.searches.get(str(operation.payload["searchId"]))
        if search is None:
            raise OperationFailed("SearchIdNotFound", "The search no longer exists.")
        offering = find_offering(search.country_code, search.number_type)
        if offering is None:
            tx.searches.set_result(search.id, [], "OutOfStock")
            raise OperationFailed(
                "OutOfStock",
                f"No {search.number_type.value} numbers are available in {search.country_code}.",
            )
        if search.assignment_type not in offering.assignment_types:
            tx.searches.set_result(search.id, [], "InvalidOfferModel")
            raise OperationFailed(
                "InvalidOfferModel",
                f"{search.number_type.value} numbers in {search.country_code} are not sold for "
                f"assignment type {search.assignment_type.value}.",
            )
        taken = taken_numbers(tx, now)
        picked = pick_numbers(offering, search.quantity, taken, self._rng, search.area_code)
        if len(picked) < search.quantity:
            tx.searches.set_result(search.id, [], "OutOfStock")
            raise OperationFailed(
                "OutOfStock",
                "No numbers available for the requested area code or quantity.",
            )
        tx.searches.set_result(search.id, picked, None)
        return f"/availablePhoneNumbers/searchResults/{search.id}"

    def _do_purchase(self, tx: NumbersTx, operation: Operation, now: datetime) -> str | None:
        search = tx.searches.get(str(operation.payload["searchId"]))
        if search is None:
            raise OperationFailed("SearchIdNotFound", "The search no longer exists.")
        if search.purchased:
            raise OperationFailed("PurchaseFailed", "The search was already purchased.")
        if search.expires_at < now:
            raise OperationFailed("ReservationExpired", "The search results have expired.")
        if search.error_code or not search.numbers:
            raise OperationFailed("PurchaseFailed", "The search holds no numbers to purchase.")
        owned = tx.numbers.all_numbers()
        for number in search.numbers:
            if number in owned:
                raise OperationFailed("PurchaseFailed", f"{number} is no longer available.")
            tx.numbers.add(
                PurchasedNumber(
                    number=number,
                    country_code=search.country_code,
                    number_type=search.number_type,
                    assignment_type=search.assignment_type,
                    capabilities=search.capabilities,
                    cost=search.cost,
                    purchased_at=now,
                )
            )
        tx.searches.mark_purchased(search.id)
        return None

    def _do_release(self, tx: NumbersTx, operation: Operation, now: datetime) -> str | None:
        number = str(operation.payload["phoneNumber"])
        current = tx.numbers.get(number)
        if current is None or not current.from_acs:
            raise OperationFailed("PhoneNumberNotFound", f"Phone number {number} was not found.")
        tx.numbers.delete(number)
        return None

    def _do_capabilities(self, tx: NumbersTx, operation: Operation, now: datetime) -> str | None:
        number = str(operation.payload["phoneNumber"])
        current = tx.numbers.get(number)
        if current is None or not current.from_acs:
            raise OperationFailed("PhoneNumberNotFound", f"Phone number {number} was not found.")
        calling = operation.payload.get("calling")
        sms = operation.payload.get("sms")
        tx.numbers.update_capabilities(
            number,
            Capabilities(
                Capability(calling) if calling else current.capabilities.calling,
                Capability(sms) if sms else current.capabilities.sms,
            ),
        )
        return number_location(number)


def _acs_number(tx: NumbersTx, number: str) -> PurchasedNumber:
    """A number bought from ACS; partner-leased numbers are not part of the numbers API."""
    found = tx.numbers.get(number)
    if found is None or not found.from_acs:
        raise NotFound(f"Phone number {number} was not found.", code="PhoneNumberNotFound")
    return found
