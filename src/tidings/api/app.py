"""``create_app``: the ASGI application over a set of services."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from prometheus_client.registry import Collector
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp

from tidings.api.auth import HmacAuthMiddleware, HmacVerifier
from tidings.api.bearer import BearerAuthMiddleware
from tidings.api.console_session import ConsoleSessionMiddleware, session_routes
from tidings.api.cors import ChatCorsMiddleware
from tidings.api.errors import HANDLERS
from tidings.api.fast_sms import FastSmsApp
from tidings.api.observability import MetricsEndpoint, RequestContextMiddleware
from tidings.api.openapi import openapi_document
from tidings.api.routes import (
    analytics,
    carriers,
    chat,
    chat_stream,
    console,
    event_subscriptions,
    identity,
    partners,
    phone_inventory,
    phone_numbers,
    reservations,
    sms,
    tidings,
)
from tidings.api.routes.common import json
from tidings.api.supported_versions import SupportedVersionsMiddleware
from tidings.services.registry import Services


def create_app(
    services: Services,
    *,
    skew_seconds: int = 900,
    max_body: int = 1_048_576,
    public_hosts: tuple[str, ...] = (),
    public_url: str | None = None,
    now: Callable[[], datetime] | None = None,
    console_session_minutes: float = 480,
    fast_sms: bool = True,
    listeners: console.Listeners | None = None,
    collectors: Sequence[Collector] = (),
) -> ASGIApp:
    """The application; ``fast_sms=False`` sends ``POST /sms`` through the full stack too
    (the tests compare the two)."""
    clock = now or services.clock.now
    api_routes: list[BaseRoute] = [
        # Chat first: its send route is the hottest, and Starlette tries routes in order.
        *chat.routes(services),
        *chat_stream.routes(services),
        *sms.routes(services),
        *phone_numbers.routes(services),
        *phone_inventory.routes(services),
        *reservations.routes(services),
        *tidings.routes(services),
        *partners.routes(services),
        *carriers.routes(services),
        *event_subscriptions.routes(services, public_url=public_url),
        *analytics.routes(services),
        *console.routes(services, now=clock, listeners=listeners, public_url=public_url),
        *identity.routes(services),
    ]
    document = openapi_document(api_routes)
    metrics = MetricsEndpoint(services.operations, collectors)

    async def openapi(_request: Request) -> Response:
        return json(document)

    lifetime = timedelta(minutes=console_session_minutes)
    routes: list[BaseRoute] = [
        *console.page_routes(),
        *session_routes(services.keys, lifetime=lifetime, now=clock),
        Route("/openapi.json", openapi, methods=["GET"]),
        Route("/metrics", metrics.endpoint, methods=["GET"]),
        *api_routes,
    ]
    verifier = HmacVerifier(
        keys=services.keys, now=clock, skew_seconds=skew_seconds, public_hosts=public_hosts
    )
    middleware = [
        Middleware(RequestContextMiddleware, metrics=metrics.http),
        Middleware(SupportedVersionsMiddleware),
        Middleware(ChatCorsMiddleware),
        Middleware(ConsoleSessionMiddleware, keys=services.keys, now=clock),
        Middleware(HmacAuthMiddleware, verifier=verifier, max_body=max_body),
        Middleware(BearerAuthMiddleware, identity=services.identity, max_body=max_body),
    ]
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers=HANDLERS,
    )
    if not fast_sms:
        return app
    return FastSmsApp(
        app, services=services, verifier=verifier, max_body=max_body, metrics=metrics.http
    )
