"""``/availablePhoneNumbers/reservations``: hold numbers found by browsing, then buy them."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tidings.api import number_schemas as ns
from tidings.api import schemas
from tidings.api.routes.common import PHONE_NUMBER_VERSIONS, api_version, int_param, json, run
from tidings.api.routes.number_wire import MAX_PAGE_SIZE, available, lro_headers, member, next_link
from tidings.domain.numbers import AssignmentType, Capabilities, Capability, NumberType
from tidings.domain.reservations import Reservation
from tidings.domain.timefmt import iso_offset
from tidings.services.registry import Services
from tidings.services.reservations import NumberRequest

_PATH = "/availablePhoneNumbers/reservations"


def reservation_body(reservation: Reservation, *, with_numbers: bool = True) -> ns.ReservationBody:
    return ns.ReservationBody(
        id=reservation.id,
        expires_at=iso_offset(reservation.expires_at),
        status=reservation.status.value,
        phone_numbers=({n.id: available(n) for n in reservation.numbers} if with_numbers else None),
    )


def _addition(number_id: str, body: ns.ReservedNumberRequest) -> NumberRequest:
    field = f"phoneNumbers.{number_id}"
    return NumberRequest(
        id=number_id,
        country_code=body.country_code,
        number_type=member(NumberType, body.phone_number_type, f"{field}.phoneNumberType"),
        assignment_type=member(AssignmentType, body.assignment_type, f"{field}.assignmentType"),
        capabilities=Capabilities(
            member(Capability, body.capabilities.calling, f"{field}.capabilities.calling"),
            member(Capability, body.capabilities.sms, f"{field}.capabilities.sms"),
        ),
    )


def routes(services: Services) -> list[Route]:
    reservations = services.reservations

    async def list_reservations(request: Request) -> Response:
        version = api_version(request, PHONE_NUMBER_VERSIONS)
        skip = int_param(request, "skip", 0, 0, 10**9)
        size = int_param(request, "maxPageSize", 100, 1, MAX_PAGE_SIZE)
        found = await run(reservations.page, skip, size + 1)
        link = next_link(request, skip + size, size, version) if len(found) > size else None
        body = [reservation_body(r, with_numbers=False) for r in found[:size]]
        return json(ns.ReservationPage(body, link))

    async def get_reservation(request: Request) -> Response:
        api_version(request, PHONE_NUMBER_VERSIONS, optional=True)
        found = await run(reservations.get, request.path_params["reservation_id"])
        return json(reservation_body(found))

    async def upsert(request: Request) -> Response:
        api_version(request, PHONE_NUMBER_VERSIONS)
        body: ns.ReservationRequest = schemas.decode(await request.body(), ns.ReservationRequest)
        additions = [_addition(k, v) for k, v in body.phone_numbers.items() if v is not None]
        removals = [k for k, v in body.phone_numbers.items() if v is None]
        result = await run(
            reservations.upsert, request.path_params["reservation_id"], additions, removals
        )
        content = reservation_body(result.reservation)
        assert content.phone_numbers is not None
        content.phone_numbers.update({n.id: available(n) for n in result.failed})
        if result.failed:
            return json(content, 207)
        if result.created:
            return json(content, 201, {"Location": f"{_PATH}/{result.reservation.id}"})
        return json(content)

    async def delete(request: Request) -> Response:
        api_version(request, PHONE_NUMBER_VERSIONS)
        await run(reservations.delete, request.path_params["reservation_id"])
        return Response(status_code=204)

    async def purchase(request: Request) -> Response:
        api_version(request, PHONE_NUMBER_VERSIONS)
        body: ns.ReservationPurchaseRequest = schemas.decode(
            await request.body(), ns.ReservationPurchaseRequest
        )
        operation = await run(
            reservations.begin_purchase,
            request.path_params["reservation_id"],
            body.agree_to_not_resell,
        )
        purchase_id = operation.id.removeprefix("reservationPurchase_")
        return Response(
            status_code=202,
            headers=lro_headers(operation, "reservation-purchase-id", purchase_id),
        )

    return [
        Route(_PATH, list_reservations, methods=["GET"]),
        Route(f"{_PATH}/{{reservation_id}}", get_reservation, methods=["GET"]),
        Route(f"{_PATH}/{{reservation_id}}", upsert, methods=["PATCH"]),
        Route(f"{_PATH}/{{reservation_id}}", delete, methods=["DELETE"]),
        Route(f"{_PATH}/{{reservation_id}}/:purchase", purchase, methods=["POST"]),
    ]
