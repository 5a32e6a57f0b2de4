"""``/tidings/carriers`` and ``/tidings/routes``: the carrier registry and the MT routes.

HMAC-authenticated like the rest of ``/tidings``; ``api-version`` optional. Secrets in a
carrier's options are never returned (``********``); see ``docs/carriers-routing.md``.
"""

from __future__ import annotations

from collections import defaultdict

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route as HttpRoute

from tidings.api.carrier_schemas import (
    BindOut,
    CarrierList,
    CarrierOut,
    CarrierPatch,
    CarrierRequest,
    RouteList,
    RouteOut,
    RoutePatch,
    RouteRequest,
)
from tidings.api.routes.common import TIDINGS_VERSIONS, api_version, json, run
from tidings.api.schemas import decode
from tidings.domain.carriers import CarrierConfig, Route
from tidings.domain.timefmt import iso_z
from tidings.errors import InvalidInput
from tidings.ports.registry import BindStatus
from tidings.services.registry import Services


def _bind(b: BindStatus) -> BindOut:
    return BindOut(
        bind=b.bind,
        mode=b.mode,
        state=b.state,
        owner=b.owner,
        last_error=b.last_error,
        last_status=b.last_status,
        since=iso_z(b.since),
        window_used=b.window_used,
        submitted=b.submitted,
        updated_at=iso_z(b.updated_at),
    )


def carrier_out(c: CarrierConfig, routes: list[Route], binds: list[BindStatus]) -> CarrierOut:
    return CarrierOut(
        name=c.name,
        kind=c.kind,
        enabled=c.enabled,
        version=c.version,
        options=c.masked_options(),
        routes=sorted(r.id for r in routes if c.name in r.spec.carriers),
        binds=[_bind(b) for b in binds if b.carrier == c.name],
        created_at=iso_z(c.created_at),
        updated_at=iso_z(c.updated_at),
    )


def route_out(r: Route) -> RouteOut:
    s = r.spec
    return RouteOut(
        id=r.id,
        carriers=list(s.carriers),
        strategy=s.strategy.value,
        prefix=s.prefix,
        sender=s.sender,
        number_type=s.number_type.value if s.number_type else None,
        priority=s.priority,
        created_at=iso_z(r.created_at),
    )


def _route_id(request: Request) -> int:
    raw = request.path_params["route_id"]
    if not raw.isdigit() or len(raw) > 12:
        raise InvalidInput(f"A route id is a number; got {raw!r}.", target="route_id")
    return int(raw)


def routes(services: Services) -> list[HttpRoute]:
    carriers = services.carriers

    def check(request: Request) -> None:
        api_version(request, TIDINGS_VERSIONS, optional=True)

    def view(name: str) -> CarrierOut:
        by_carrier = defaultdict(list)
        for b in carriers.binds():
            by_carrier[b.carrier].append(b)
        return carrier_out(carriers.get(name), carriers.routes(), by_carrier[name])

    async def list_carriers(request: Request) -> Response:
        check(request)

        def read() -> CarrierList:
            all_routes, binds = carriers.routes(), carriers.binds()
            items = [carrier_out(c, all_routes, binds) for c in carriers.all()]
            return CarrierList(value=items, kinds=carriers.kinds)

        return json(await run(read))

    async def add_carrier(request: Request) -> Response:
        check(request)
        body = decode(await request.body(), CarrierRequest)
        config = await run(carriers.add, body.name, body.kind, body.options, enabled=body.enabled)
        return json(await run(view, config.name), 201)

    async def get_carrier(request: Request) -> Response:
        check(request)
        return json(await run(view, request.path_params["name"]))

    async def patch_carrier(request: Request) -> Response:
        check(request)
        body = decode(await request.body(), CarrierPatch)
        config = await run(
            carriers.update,
            request.path_params["name"],
            options=body.options,
            replace_options=body.replace_options,
            enabled=body.enabled,
        )
        return json(await run(view, config.name))

    async def delete_carrier(request: Request) -> Response:
        check(request)
        await run(carriers.remove, request.path_params["name"])
        return Response(status_code=204)

    async def list_routes(request: Request) -> Response:
        check(request)
        return json(RouteList([route_out(r) for r in await run(carriers.routes)]))

    async def add_route(request: Request) -> Response:
        check(request)
        body = decode(await request.body(), RouteRequest)
        route = await run(
            carriers.add_route,
            body.carriers,
            strategy=body.strategy,
            prefix=body.prefix,
            sender=body.sender,
            number_type=body.number_type,
            priority=body.priority,
        )
        return json(route_out(route), 201)

    async def get_route(request: Request) -> Response:
        check(request)
        return json(route_out(await run(carriers.get_route, _route_id(request))))

    async def patch_route(request: Request) -> Response:
        check(request)
        route_id = _route_id(request)
        body = decode(await request.body(), RoutePatch)
        changes = {
            name: value
            for name in RoutePatch.__struct_fields__
            if (value := getattr(body, name)) is not msgspec.UNSET
        }
        return json(route_out(await run(carriers.update_route, route_id, changes)))

    async def delete_route(request: Request) -> Response:
        check(request)
        await run(carriers.remove_route, _route_id(request))
        return Response(status_code=204)

    return [
        HttpRoute("/tidings/carriers", list_carriers, methods=["GET"]),
        HttpRoute("/tidings/carriers", add_carrier, methods=["POST"]),
        HttpRoute("/tidings/carriers/{name}", get_carrier, methods=["GET"]),
        HttpRoute("/tidings/carriers/{name}", patch_carrier, methods=["PATCH"]),
        HttpRoute("/tidings/carriers/{name}", delete_carrier, methods=["DELETE"]),
        HttpRoute("/tidings/routes", list_routes, methods=["GET"]),
        HttpRoute("/tidings/routes", add_route, methods=["POST"]),
        HttpRoute("/tidings/routes/{route_id}", get_route, methods=["GET"]),
        HttpRoute("/tidings/routes/{route_id}", patch_route, methods=["PATCH"]),
        HttpRoute("/tidings/routes/{route_id}", delete_route, methods=["DELETE"]),
    ]
