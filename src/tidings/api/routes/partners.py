"""``/tidings/messagingConnect/partners``: the Messaging Connect partners Tidings simulates.

A partner is registered with the API keys it accepts; numbers are then leased through it.
Sending from such a number needs ``smsSendOptions.messagingConnect`` naming the partner and
one of its keys (see ``docs/compatibility.md``). HMAC-authenticated; ``api-version`` optional.
"""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tidings.api import schemas
from tidings.api.routes.common import TIDINGS_VERSIONS, api_version, choice, int_param, json, run
from tidings.api.routes.phone_numbers import purchased_body
from tidings.domain.numbers import Capability, NumberType, PurchasedNumber
from tidings.domain.timefmt import iso_z
from tidings.services.partners import PartnerView
from tidings.services.registry import Services

PREFIX = "/tidings/messagingConnect/partners"


def partner_body(view: PartnerView) -> dict[str, Any]:
    return {
        "name": view.partner.name,
        "apiKeyCount": len(view.partner.key_digests),
        "numberCount": view.number_count,
        "createdAt": iso_z(view.partner.created_at),
    }


def _number_body(number: PurchasedNumber) -> dict[str, Any]:
    body: dict[str, Any] = msgspec.to_builtins(purchased_body(number))
    body["messagingConnectPartner"] = number.partner
    return body


def routes(services: Services) -> list[Route]:
    partners = services.partners

    def check(request: Request) -> str:
        api_version(request, TIDINGS_VERSIONS, optional=True)
        return str(request.path_params.get("name", ""))

    async def list_partners(request: Request) -> Response:
        check(request)
        return json({"value": [partner_body(v) for v in await run(partners.all)]})

    async def get_partner(request: Request) -> Response:
        return json(partner_body(await run(partners.get, check(request))))

    async def put_partner(request: Request) -> Response:
        name = check(request)
        body: schemas.PartnerRequest = schemas.decode(await request.body(), schemas.PartnerRequest)
        view, created = await run(partners.put, name, body.api_keys)
        return json(partner_body(view), 201 if created else 200)

    async def delete_partner(request: Request) -> Response:
        await run(partners.delete, check(request))
        return Response(status_code=204)

    async def list_numbers(request: Request) -> Response:
        name = check(request)
        skip = int_param(request, "skip", 0, 0, 10**9)
        top = int_param(request, "top", 100, 1, 1000)
        numbers = await run(partners.numbers, name, skip, top)
        return json({"value": [_number_body(n) for n in numbers]})

    async def lease_number(request: Request) -> Response:
        name = check(request)
        body: schemas.PartnerNumberRequest = schemas.decode(
            await request.body(), schemas.PartnerNumberRequest
        )
        number = await run(
            partners.lease,
            name,
            request.path_params["number"],
            choice(NumberType, body.phone_number_type, "phoneNumberType"),
            sms=choice(Capability, body.sms, "sms"),
            country_code=body.country_code,
        )
        return json(_number_body(number))

    async def release_number(request: Request) -> Response:
        await run(partners.release, check(request), request.path_params["number"])
        return Response(status_code=204)

    return [
        Route(PREFIX, list_partners, methods=["GET"]),
        Route(PREFIX + "/{name}", get_partner, methods=["GET"]),
        Route(PREFIX + "/{name}", put_partner, methods=["PUT"]),
        Route(PREFIX + "/{name}", delete_partner, methods=["DELETE"]),
        Route(PREFIX + "/{name}/numbers", list_numbers, methods=["GET"]),
        Route(PREFIX + "/{name}/numbers/{number}", lease_number, methods=["PUT"]),
        Route(PREFIX + "/{name}/numbers/{number}", release_number, methods=["DELETE"]),
    ]
