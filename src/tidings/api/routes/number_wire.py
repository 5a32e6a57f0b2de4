"""Helpers the phone numbers route modules share: enum members, capabilities and costs on
the wire, ACS paging (``skip`` / ``maxPageSize`` / ``nextLink``) and LRO headers."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import TypeVar
from urllib.parse import urlencode

from starlette.requests import Request

from tidings.api import number_schemas as ns
from tidings.api import schemas
from tidings.api.routes.common import int_param
from tidings.domain.numbers import Capabilities, Cost, Operation
from tidings.domain.reservations import AvailableNumber
from tidings.errors import InvalidInput

E = TypeVar("E", bound=StrEnum)
T = TypeVar("T")
MAX_PAGE_SIZE = 1000


def member(enum: type[E], value: str, field: str) -> E:
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(m.value for m in enum)
        raise InvalidInput(
            f"{field} must be one of {allowed}; got {value!r}.", target=field
        ) from None


def optional_member(enum: type[E], value: str | None, field: str) -> E | None:
    return None if value is None else member(enum, value, field)


def caps(capabilities: Capabilities) -> schemas.PhoneNumberCapabilities:
    return schemas.PhoneNumberCapabilities(
        calling=capabilities.calling.value, sms=capabilities.sms.value
    )


def cost(value: Cost) -> schemas.PhoneNumberCost:
    return schemas.PhoneNumberCost(value.amount, value.currency_code, value.billing_frequency)


def available(number: AvailableNumber) -> ns.AvailablePhoneNumber:
    return ns.AvailablePhoneNumber(
        id=number.id,
        country_code=number.country_code,
        phone_number=number.number,
        capabilities=caps(number.capabilities),
        phone_number_type=number.number_type.value,
        assignment_type=number.assignment_type.value,
        cost=cost(number.cost),
        status=number.status.value,
        is_agreement_to_not_resell_required=number.agreement_required,
        error=(
            ns.NumberError(number.error_code, number.error_message or "")
            if number.error_code
            else None
        ),
    )


def page(request: Request, items: Sequence[T], version: str | None) -> tuple[list[T], str | None]:
    """One page of ``items`` as the request's ``skip`` and ``maxPageSize`` ask, and the
    ``nextLink`` to the next one (None on the last page)."""
    skip = int_param(request, "skip", 0, 0, 10**9)
    size = int_param(request, "maxPageSize", 100, 1, MAX_PAGE_SIZE)
    chosen = list(items[skip : skip + size])
    if skip + size >= len(items):
        return chosen, None
    return chosen, next_link(request, skip + size, size, version)


def next_link(request: Request, skip: int, size: int, version: str | None) -> str:
    query = [
        (k, v)
        for k, v in request.query_params.multi_items()
        if k not in {"skip", "maxPageSize", "api-version"}
    ]
    query += [("skip", str(skip)), ("maxPageSize", str(size))]
    if version:
        query.append(("api-version", version))
    return f"{request.base_url}{request.url.path.lstrip('/')}?{urlencode(query)}"


def lro_headers(
    operation: Operation, id_header: str, id_value: str, location: str | None = None
) -> dict[str, str]:
    headers = {
        "Operation-Location": f"/phoneNumbers/operations/{operation.id}",
        "operation-id": operation.id,
        id_header: id_value,
    }
    if location:
        headers["Location"] = location
    exposed = [*(["Location"] if location else []), "Operation-Location", "operation-id", id_header]
    headers["Access-Control-Expose-Headers"] = ",".join(exposed)
    return headers
