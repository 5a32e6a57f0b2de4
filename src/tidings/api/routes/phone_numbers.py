"""The ACS Phone Numbers API: search/purchase/release LROs, purchased numbers, capabilities.

The inventory listings, browsing and operator look-ups are in ``phone_inventory.py``,
reservations in ``reservations.py``.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tidings.api import schemas
from tidings.api.routes.common import PHONE_NUMBER_VERSIONS, api_version, int_param, json, run
from tidings.api.routes.number_wire import caps, cost, lro_headers, member
from tidings.domain.inventory import requires_agreement
from tidings.domain.numbers import (
    AssignmentType,
    Capabilities,
    Capability,
    NumberSearch,
    NumberType,
    Operation,
    PurchasedNumber,
)
from tidings.domain.phone import digits
from tidings.domain.timefmt import iso_offset
from tidings.errors import InvalidInput
from tidings.services.inventory import require_country
from tidings.services.numbers import SearchRequest, number_location
from tidings.services.registry import Services

_SEARCHABLE = {NumberType.GEOGRAPHIC, NumberType.TOLL_FREE, NumberType.MOBILE}
_enum = member


def purchased_body(number: PurchasedNumber) -> schemas.PurchasedPhoneNumber:
    return schemas.PurchasedPhoneNumber(
        id=digits(number.number),
        phone_number=number.number,
        country_code=number.country_code,
        phone_number_type=number.number_type.value,
        capabilities=caps(number.capabilities),
        assignment_type=number.assignment_type.value,
        purchase_date=iso_offset(number.purchased_at),
        cost=cost(number.cost),
    )


def _search_body(search: NumberSearch) -> schemas.PhoneNumberSearchResult:
    return schemas.PhoneNumberSearchResult(
        search_id=search.id,
        phone_numbers=list(search.numbers),
        phone_number_type=search.number_type.value,
        assignment_type=search.assignment_type.value,
        capabilities=caps(search.capabilities),
        cost=cost(search.cost),
        search_expires_by=iso_offset(search.expires_at),
        is_agreement_to_not_resell_required=requires_agreement(search.country_code),
        error=search.error_code or "NoError",
    )


def _operation_body(operation: Operation) -> schemas.PhoneNumberOperation:
    status = {"notStarted": "running"}.get(operation.status, operation.status)
    return schemas.PhoneNumberOperation(
        operation_type=operation.operation_type,
        status=status,
        created_date_time=iso_offset(operation.created_at),
        id=operation.id,
        resource_location=operation.resource_location,
        last_action_date_time=(
            iso_offset(operation.last_action_at) if operation.last_action_at else None
        ),
        error=(
            schemas.OperationError(operation.error_code, operation.error_message or "")
            if operation.error_code
            else None
        ),
    )


def routes(services: Services) -> list[Route]:
    numbers = services.numbers

    async def search(request: Request) -> Response:
        api_version(request, PHONE_NUMBER_VERSIONS)
        country = require_country(request.path_params["country_code"])
        body: schemas.PhoneNumberSearchRequest = schemas.decode(
            await request.body(), schemas.PhoneNumberSearchRequest
        )
        number_type = _enum(NumberType, body.phone_number_type, "phoneNumberType")
        if number_type not in _SEARCHABLE:
            raise InvalidInput(
                f"phoneNumberType {body.phone_number_type} cannot be searched.",
                target="phoneNumberType",
            )
        search_request = SearchRequest(
            country_code=country,
            number_type=number_type,
            assignment_type=_enum(AssignmentType, body.assignment_type, "assignmentType"),
            capabilities=Capabilities(
                _enum(Capability, body.capabilities.calling, "capabilities.calling"),
                _enum(Capability, body.capabilities.sms, "capabilities.sms"),
            ),
            area_code=body.area_code,
            quantity=body.quantity,
        )
        operation, found = await run(numbers.begin_search, search_request)
        location = f"/availablePhoneNumbers/searchResults/{found.id}"
        return Response(
            status_code=202, headers=lro_headers(operation, "search-id", found.id, location)
        )

    async def search_result(request: Request) -> Response:
        api_version(request, PHONE_NUMBER_VERSIONS, optional=True)
        found = await run(numbers.get_search, request.path_params["search_id"])
        return json(_search_body(found))

    async def purchase(request: Request) -> Response:
        api_version(request, PHONE_NUMBER_VERSIONS)
        body: schemas.PhoneNumberPurchaseRequest = schemas.decode(
            await request.body(), schemas.PhoneNumberPurchaseRequest
        )
        operation = await run(numbers.begin_purchase, body.search_id, body.agree_to_not_resell)
        return Response(
            status_code=202,
            headers=lro_headers(operation, "purchase-id", operation.id.removeprefix("purchase_")),
        )

    async def operation(request: Request) -> Response:
        api_version(request, PHONE_NUMBER_VERSIONS, optional=True)
        found = await run(numbers.get_operation, request.path_params["operation_id"])
        return json(_operation_body(found))

    async def cancel_operation(request: Request) -> Response:
        api_version(request, PHONE_NUMBER_VERSIONS, optional=True)
        await run(numbers.cancel_operation, request.path_params["operation_id"])
        return Response(status_code=204)

    async def list_numbers(request: Request) -> Response:
        version = api_version(request, PHONE_NUMBER_VERSIONS)
        skip = int_param(request, "skip", 0, 0, 1_000_000)
        top = int_param(request, "top", 100, 1, 1000)
        search = request.query_params.get("q") or None  # a Tidings extension for the console
        page = await run(numbers.list_numbers, skip, top + 1, search)
        next_link = None
        if len(page) > top:
            params = {"skip": skip + top, "top": top, "api-version": version}
            query = urlencode(params | ({"q": search} if search else {}))
            next_link = f"{request.base_url}phoneNumbers?{query}"
        return json(
            schemas.PurchasedPhoneNumbers([purchased_body(n) for n in page[:top]], next_link)
        )

    async def get_number(request: Request) -> Response:
        api_version(request, PHONE_NUMBER_VERSIONS, optional=True)
        found = await run(numbers.get_number, request.path_params["number"])
        return json(purchased_body(found))

    async def release(request: Request) -> Response:
        api_version(request, PHONE_NUMBER_VERSIONS)
        operation = await run(numbers.begin_release, request.path_params["number"])
        return Response(
            status_code=202,
            headers=lro_headers(operation, "release-id", operation.id.removeprefix("release_")),
        )

    async def capabilities(request: Request) -> Response:
        api_version(request, PHONE_NUMBER_VERSIONS)
        number = request.path_params["number"]
        body: schemas.PhoneNumberCapabilitiesRequest = schemas.decode(
            await request.body(), schemas.PhoneNumberCapabilitiesRequest
        )
        if body.calling is None and body.sms is None:
            raise InvalidInput("Give at least one of calling or sms.", target="capabilities")
        calling = _enum(Capability, body.calling, "calling") if body.calling else None
        sms = _enum(Capability, body.sms, "sms") if body.sms else None
        operation = await run(numbers.begin_update_capabilities, number, calling, sms)
        return Response(
            status_code=202,
            headers=lro_headers(
                operation,
                "capabilities-id",
                operation.id.removeprefix("capabilities_"),
                number_location(number),
            ),
        )

    return [
        Route("/availablePhoneNumbers/countries/{country_code}/:search", search, methods=["POST"]),
        Route("/availablePhoneNumbers/searchResults/{search_id}", search_result, methods=["GET"]),
        Route("/availablePhoneNumbers/:purchase", purchase, methods=["POST"]),
        Route("/phoneNumbers/operations/{operation_id}", operation, methods=["GET"]),
        Route("/phoneNumbers/operations/{operation_id}", cancel_operation, methods=["DELETE"]),
        Route("/phoneNumbers", list_numbers, methods=["GET"]),
        Route("/phoneNumbers/{number}/capabilities", capabilities, methods=["PATCH"]),
        Route("/phoneNumbers/{number}", get_number, methods=["GET"]),
        Route("/phoneNumbers/{number}", release, methods=["DELETE"]),
    ]
