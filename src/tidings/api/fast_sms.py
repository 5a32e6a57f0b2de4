"""``POST /sms`` without the rest of the stack: the accept path's own lane.

The send endpoint is the hottest by far, and most of its cost was the machinery in front of
it (CORS and console-session checks that never apply to it, the bearer middleware, the
exception middleware, Starlette's router trying every chat route's pattern, the ``Request``
object). ``FastSmsMiddleware`` sits right after the request-context middleware (request id,
metrics, access log) and answers a signed ``POST /sms`` itself with the very same code as
the full path: ``HmacVerifier.verify``, ``read_body``, ``send_error``, the route's
``send_sms`` and the app's exception handlers. Anything else, including a ``POST /sms``
without an ``Authorization`` header (which a console session may authenticate), goes on to
the full application, untouched.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from tidings.api.auth import AuthError, HmacVerifier, header, read_body, send_error
from tidings.api.errors import handler_for
from tidings.api.routes.common import SMS_VERSIONS, api_version
from tidings.api.routes.sms import send_sms
from tidings.services.registry import Services

PATH = "/sms"


class FastSmsMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        services: Services,
        verifier: HmacVerifier,
        max_body: int,
        route: BaseRoute,
    ) -> None:
        self._app = app
        self._services = services
        self._verifier = verifier
        self._max_body = max_body
        self._route = route  # the full app's ``POST /sms`` route, for the metrics' label
        self._versions: dict[bytes, str | None] = {}
        self.handled = 0  # requests answered here (for tests)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["path"] != PATH
            or scope["method"] != "POST"
            or header(scope, b"authorization") is None
        ):
            await self._app(scope, receive, send)
            return
        self.handled += 1
        try:
            body = await read_body(scope, receive, self._max_body)
            await self._verifier.verify(scope, body)
        except AuthError as exc:
            await send_error(send, exc)
            return
        scope["route"] = self._route
        try:
            if self._version(scope["query_string"]) not in SMS_VERSIONS:
                api_version(Request(scope), SMS_VERSIONS)  # raises the route's error
            response = await send_sms(self._services, body)
        except Exception as exc:
            handler = handler_for(exc)
            if handler is None:
                raise  # to the server error middleware, as from the route
            response = await handler(Request(scope, receive), exc)
        await response(scope, receive, send)

    def _version(self, query: bytes) -> str | None:
        """The query's ``api-version`` (the last one, as Starlette's ``query_params``)."""
        if query not in self._versions:
            if len(self._versions) >= 1024:
                self._versions.clear()
            pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
            self._versions[query] = dict(pairs).get("api-version")
        return self._versions[query]
