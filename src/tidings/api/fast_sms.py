"""``POST /sms`` without the rest of the stack: the accept path's own lane.

The send endpoint is the hottest by far, and most of its cost was the machinery in front of
it: Starlette's error middleware and router, the CORS, console-session and bearer
middlewares that never apply to it, ``Request`` and ``Response`` objects, and a ``send``
wrapper per middleware. ``FastSmsApp`` wraps the whole application (it is what uvicorn
calls) and answers a signed ``POST /sms`` itself with the very same code as the full path:
``RequestContext`` (request id, metrics, access log), ``HmacVerifier.verify``,
``read_body``, ``send_error``, the route's ``accept_sms`` and the app's exception handlers.
A 202 is written as two raw ASGI messages. Anything else, including a ``POST /sms`` without
an ``Authorization`` header (which a console session may authenticate), goes on to the full
application, untouched. ``tests/api/test_fast_sms.py`` checks that both answer byte for
byte the same.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tidings.api.auth import AuthError, HmacVerifier, read_body, send_error
from tidings.api.errors import handler_for, unexpected_error
from tidings.api.observability import HttpMetrics, RequestContext
from tidings.api.routes.common import SMS_VERSIONS, api_version
from tidings.api.routes.sms import accept_sms
from tidings.services.registry import Services

PATH = "/sms"
_JSON = (b"content-type", b"application/json")


class FastSmsApp:
    def __init__(
        self,
        app: ASGIApp,
        *,
        services: Services,
        verifier: HmacVerifier,
        max_body: int,
        metrics: HttpMetrics,
    ) -> None:
        self._app = app
        self._services = services
        self._verifier = verifier
        self._max_body = max_body
        self._metrics = metrics
        self._versions: dict[bytes, str | None] = {}
        self.handled = 0  # requests answered here (for tests)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["path"] != PATH
            or scope["method"] != "POST"
            or not _has_authorization(scope)
        ):
            await self._app(scope, receive, send)
            return
        self.handled += 1
        context = RequestContext(scope)
        try:
            await self._answer(scope, receive, send, context)
        finally:
            context.finish(scope, self._metrics, PATH)

    async def _answer(
        self, scope: Scope, receive: Receive, send: Send, context: RequestContext
    ) -> None:
        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                context.stamp(message)
            await send(message)

        try:
            body = await read_body(scope, receive, self._max_body)
            await self._verifier.verify(scope, body)
        except AuthError as exc:
            await send_error(send_with_id, exc)
            return
        try:
            if self._version(scope["query_string"]) not in SMS_VERSIONS:
                api_version(Request(scope), SMS_VERSIONS)  # raises the route's error
            content = await accept_sms(self._services, body)
        except Exception as exc:
            handler = handler_for(exc) or unexpected_error
            response = await handler(Request(scope, receive), exc)
            await response(scope, receive, send_with_id)
            return
        context.status = 202
        headers = [(b"content-length", str(len(content)).encode()), _JSON]
        headers += context.id_headers()
        await send({"type": "http.response.start", "status": 202, "headers": headers})
        await send({"type": "http.response.body", "body": content})

    def _version(self, query: bytes) -> str | None:
        """The query's ``api-version`` (the last one, as Starlette's ``query_params``)."""
        if query not in self._versions:
            if len(self._versions) >= 1024:
                self._versions.clear()
            pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
            self._versions[query] = dict(pairs).get("api-version")
        return self._versions[query]


def _has_authorization(scope: Scope) -> bool:
    return any(key == b"authorization" for key, _ in scope["headers"])
