"""``create_app``: the ASGI application over a set of services."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from tidings.api.auth import HmacAuthMiddleware
from tidings.api.bearer import BearerAuthMiddleware
from tidings.api.errors import HANDLERS
from tidings.api.openapi import openapi_document
from tidings.api.routes import (
    chat,
    chat_stream,
    event_subscriptions,
    identity,
    phone_numbers,
    sms,
    tidings,
)
from tidings.api.routes.common import json
from tidings.services.registry import Services


def create_app(
    services: Services,
    *,
    skew_seconds: int = 900,
    max_body: int = 1_048_576,
    public_hosts: tuple[str, ...] = (),
    public_url: str | None = None,
    now: Callable[[], datetime] | None = None,
) -> Starlette:
    api_routes: list[BaseRoute] = [
        *sms.routes(services),
        *phone_numbers.routes(services),
        *tidings.routes(services),
        *event_subscriptions.routes(services, public_url=public_url),
        *identity.routes(services),
        *chat.routes(services),
        *chat_stream.routes(services),
    ]
    document = openapi_document(api_routes)

    async def openapi(_request: Request) -> Response:
        return json(document)

    async def index(_request: Request) -> Response:
        return json(
            {
                "name": "Tidings",
                "description": "Azure Communication Services-compatible messaging",
                "openapi": "/openapi.json",
            }
        )

    routes: list[BaseRoute] = [
        Route("/", index, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
        *api_routes,
    ]
    middleware = [
        Middleware(
            HmacAuthMiddleware,
            keys=services.keys,
            now=now or services.clock.now,
            skew_seconds=skew_seconds,
            max_body=max_body,
            public_hosts=public_hosts,
        ),
        Middleware(BearerAuthMiddleware, identity=services.identity, max_body=max_body),
    ]
    return Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers=HANDLERS,
    )
