"""Bearer-token authentication of the chat API, as a pure ASGI middleware.

Requests under ``/chat`` carry ``Authorization: Bearer <access token>`` (the SDK's
``CommunicationTokenCredential``); the real-time stream also accepts ``?access_token=``, since
a browser's ``EventSource`` cannot set headers. The token's signature and expiry are checked
here, off the database when the signing keys are cached; the verified ``Caller`` goes to the
route in ``scope["state"]["caller"]``. Scopes, revocation and membership are the chat
service's business (they need the transaction).
"""

from __future__ import annotations

from urllib.parse import parse_qs

import anyio
from starlette.types import ASGIApp, Receive, Scope, Send

from tidings.api.auth import AuthError, header, is_bearer_path, read_body, replay, send_error
from tidings.domain.identity import Caller
from tidings.errors import Unauthenticated
from tidings.services.identity import IdentityService

STREAM_PATH = "/chat/notifications"


class BearerAuthMiddleware:
    def __init__(self, app: ASGIApp, *, identity: IdentityService, max_body: int) -> None:
        self._app = app
        self._identity = identity
        self._max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_bearer_path(scope["path"]):
            await self._app(scope, receive, send)
            return
        try:
            caller = await self._caller(scope)
            body = await read_body(scope, receive, self._max_body)
        except AuthError as exc:
            await send_error(send, exc, b"Bearer")
            return
        scope.setdefault("state", {})["caller"] = caller
        await self._app(scope, replay(body, receive), send)

    async def _caller(self, scope: Scope) -> Caller:
        token = _token(scope)
        if token is None:
            raise AuthError(401, "Unauthorized", "The Authorization header is missing.")
        try:
            key = self._identity.cached_key(token)
            if key is None:
                key = await anyio.to_thread.run_sync(self._identity.key_for, token)
            return self._identity.decode(token, key)
        except Unauthenticated as exc:
            raise AuthError(401, exc.code, exc.message) from None


def _token(scope: Scope) -> str | None:
    authorization = header(scope, b"authorization")
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise AuthError(
                401, "Unauthorized", "The Authorization header must be 'Bearer <token>'."
            )
        return value.strip()
    if scope["path"] == STREAM_PATH:
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        values = query.get("access_token")
        if values:
            return str(values[0])
    return None
