"""What the phone numbers API offers: countries, localities, area codes and offerings (paged
as ACS pages them), browsing for numbers, and operator information."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tidings.api import number_schemas as ns
from tidings.api import schemas
from tidings.api.routes.common import PHONE_NUMBER_VERSIONS, api_version, json, run
from tidings.api.routes.number_wire import available, cost, member, optional_member, page
from tidings.domain.inventory import Division
from tidings.domain.numbers import AssignmentType, Capability, NumberType
from tidings.errors import InvalidInput
from tidings.services.inventory import BrowseRequest, require_country
from tidings.services.registry import Services

_PATH = "/availablePhoneNumbers/countries"
#: What ACS sends on localities and area codes.
_CACHED = {"Cache-Control": "max-age=21600, private, stale-while-revalidate=86400"}


def _division(division: Division | None) -> dict[str, str] | None:
    if division is None:
        return None
    return {
        "localizedName": division.localized_name,
        "abbreviatedName": division.abbreviated_name,
    }


def _type(request: Request) -> NumberType | None:
    return optional_member(
        NumberType, request.query_params.get("phoneNumberType"), "phoneNumberType"
    )


def _required_type(request: Request) -> NumberType:
    raw = request.query_params.get("phoneNumberType")
    if raw is None:
        raise InvalidInput("phoneNumberType is required.", target="phoneNumberType")
    return member(NumberType, raw, "phoneNumberType")


def _assignment(request: Request) -> AssignmentType | None:
    return optional_member(
        AssignmentType, request.query_params.get("assignmentType"), "assignmentType"
    )


def routes(services: Services) -> list[Route]:
    inventory = services.inventory

    async def countries(request: Request) -> Response:
        version = api_version(request, PHONE_NUMBER_VERSIONS)
        items, link = page(request, inventory.countries(), version)
        body = [{"localizedName": c.name, "countryCode": c.code} for c in items]
        return json({"countries": body, "nextLink": link})

    async def localities(request: Request) -> Response:
        version = api_version(request, PHONE_NUMBER_VERSIONS)
        found = inventory.localities(
            request.path_params["country_code"],
            request.query_params.get("administrativeDivision"),
            _type(request),
        )
        items, link = page(request, found, version)
        body = [
            {"localizedName": loc.name, "administrativeDivision": _division(loc.division)}
            for loc in items
        ]
        return json({"phoneNumberLocalities": body, "nextLink": link}, headers=_CACHED)

    async def area_codes(request: Request) -> Response:
        version = api_version(request, PHONE_NUMBER_VERSIONS)
        country = require_country(request.path_params["country_code"])
        found = inventory.area_codes(
            country,
            _required_type(request),
            assignment_type=_assignment(request),
            locality=request.query_params.get("locality"),
            division=request.query_params.get("administrativeDivision"),
        )
        items, link = page(request, found, version)
        body = [{"areaCode": code} for code in items]
        return json({"areaCodes": body, "nextLink": link}, headers=_CACHED)

    async def offerings(request: Request) -> Response:
        version = api_version(request, PHONE_NUMBER_VERSIONS)
        found = inventory.offerings(
            request.path_params["country_code"], _type(request), _assignment(request)
        )
        items, link = page(request, found, version)
        body = [
            {
                "phoneNumberType": offering.number_type.value,
                "assignmentType": assignment.value,
                "availableCapabilities": {
                    "calling": offering.capabilities.calling.value,
                    "sms": offering.capabilities.sms.value,
                },
                "cost": cost(offering.cost),
            }
            for offering, assignment in items
        ]
        return json({"phoneNumberOfferings": body, "nextLink": link})

    async def browse(request: Request) -> Response:
        api_version(request, PHONE_NUMBER_VERSIONS)
        country = require_country(request.path_params["country_code"])
        body: ns.BrowseRequest = schemas.decode(await request.body(), ns.BrowseRequest)
        capabilities = body.capabilities or ns.BrowseCapabilities()
        browse_request = BrowseRequest(
            country_code=country,
            number_type=member(NumberType, body.phone_number_type, "phoneNumberType"),
            assignment_type=optional_member(AssignmentType, body.assignment_type, "assignmentType"),
            calling=optional_member(Capability, capabilities.calling, "capabilities.calling"),
            sms=optional_member(Capability, capabilities.sms, "capabilities.sms"),
            prefixes=body.phone_number_prefixes,
        )
        found = await run(inventory.browse, browse_request)
        return json(ns.BrowseResult([available(n) for n in found]))

    async def operator_information(request: Request) -> Response:
        api_version(request, PHONE_NUMBER_VERSIONS)
        body: ns.OperatorInformationRequest = schemas.decode(
            await request.body(), ns.OperatorInformationRequest
        )
        details = bool(body.options and body.options.include_additional_operator_details)
        found = inventory.operator_information(body.phone_numbers, details)
        return json(
            ns.OperatorInformationResult(
                [
                    ns.OperatorInformationBody(
                        phone_number=info.phone_number,
                        national_format=info.national_format,
                        international_format=info.international_format,
                        iso_country_code=info.iso_country_code,
                        number_type=info.number_type,
                        operator_details=(
                            ns.OperatorDetailsBody(
                                info.operator_details.name,
                                info.operator_details.mobile_network_code,
                                info.operator_details.mobile_country_code,
                            )
                            if info.operator_details
                            else None
                        ),
                    )
                    for info in found
                ]
            )
        )

    return [
        Route(_PATH, countries, methods=["GET"]),
        Route(f"{_PATH}/{{country_code}}/localities", localities, methods=["GET"]),
        Route(f"{_PATH}/{{country_code}}/areaCodes", area_codes, methods=["GET"]),
        Route(f"{_PATH}/{{country_code}}/offerings", offerings, methods=["GET"]),
        Route(f"{_PATH}/{{country_code}}/:browse", browse, methods=["POST"]),
        Route("/operatorInformation/:search", operator_information, methods=["POST"]),
    ]
