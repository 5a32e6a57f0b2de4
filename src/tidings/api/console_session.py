"""The web console's session: sign in with an access key, then call the APIs with a cookie.

``POST /console/session`` with ``{"accessKey": ...}`` (a key or a connection string) sets an
HttpOnly, ``SameSite=Strict`` cookie holding a signed, expiring token
(:mod:`tidings.domain.sessions`); ``GET`` tells whether the session is alive, ``DELETE`` signs
out. :class:`ConsoleSessionMiddleware` sits in front of the HMAC middleware: a request without
an ``Authorization`` header but with a valid session cookie is marked authenticated
(``scope[AUTHENTICATED]``), and the HMAC middleware lets it through. Requests that change
anything must also carry ``X-Tidings-Console: 1``, a header a cross-site form or script cannot
send without a CORS preflight Tidings never grants. Requests with an ``Authorization`` header
are left entirely to the HMAC middleware.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http.cookies import CookieError, SimpleCookie

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from tidings.api.auth import CONSOLE_SESSION as AUTHENTICATED
from tidings.api.auth import PUBLIC_PREFIXES
from tidings.api.errors import error_body
from tidings.api.routes.common import json, run
from tidings.domain import json_input, sessions
from tidings.domain.timefmt import iso_z
from tidings.errors import InvalidInput
from tidings.services.keys import KeyService

COOKIE = "tidings_console"
#: Over HTTPS the cookie is ``Secure`` and named with the ``__Host-`` prefix, so the plain-HTTP
#: listener (the other port of the same host: cookies ignore ports) never sees or clobbers it.
SECURE_COOKIE = "__Host-tidings_console"
CSRF_HEADER = "x-tidings-console"
SESSION_PATH = "/console/session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class SignIn(msgspec.Struct, rename="camel"):
    access_key: str = ""


def cookie_name(scheme: str) -> str:
    return SECURE_COOKIE if scheme == "https" else COOKIE


def session_cookie(token: str, max_age: int, secure: bool) -> str:
    name = SECURE_COOKIE if secure else COOKIE
    cookie = f"{name}={token}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Strict"
    return cookie + ("; Secure" if secure else "")


def _cookie_token(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(bytes(value).decode("latin-1"))
            except CookieError:  # a malformed cookie header is no session
                return None
            name = cookie_name(scope.get("scheme", "http"))
            if name in jar:
                return jar[name].value
    return None


def _has_header(scope: Scope, header: bytes) -> bool:
    return any(name == header for name, _ in scope["headers"])


class ConsoleSessionMiddleware:
    def __init__(self, app: ASGIApp, *, keys: KeyService, now: Callable[[], datetime]) -> None:
        self._app = app
        self._keys = keys
        self._now = now

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _has_header(scope, b"authorization"):
            await self._app(scope, receive, send)
            return
        path: str = scope["path"]
        csrf_ok = scope["method"] in SAFE_METHODS or _has_header(scope, CSRF_HEADER.encode())
        if path == SESSION_PATH:
            if not csrf_ok:
                await _deny(send, 403, "Forbidden", f"Send the {CSRF_HEADER} header.")
                return
            scope[AUTHENTICATED] = True  # the route checks the key or the cookie itself
            await self._app(scope, receive, send)
            return
        token = _cookie_token(scope)
        public = scope["method"] in {"GET", "HEAD"} and (
            path == "/" or path.startswith(PUBLIC_PREFIXES)
        )
        if token is None or public:
            await self._app(scope, receive, send)
            return
        keys = self._keys.cached_keys()
        if keys is None:
            keys = await run(self._keys.valid_keys)
        found = sessions.check(token, keys, self._now())
        if found.state is not sessions.SessionState.VALID:
            message = (
                "Your console session has expired; sign in again."
                if found.state is sessions.SessionState.EXPIRED
                else "Your console session is no longer valid; sign in again."
            )
            https = scope.get("scheme") == "https"
            await _deny(send, 401, "SessionExpired", message, clear=True, secure=https)
            return
        if not csrf_ok:
            await _deny(
                send,
                403,
                "Forbidden",
                f"Console requests that change data must carry the {CSRF_HEADER} header.",
            )
            return
        scope[AUTHENTICATED] = True
        await self._app(scope, receive, send)


async def _deny(
    send: Send, status: int, code: str, message: str, *, clear: bool = False, secure: bool = False
) -> None:
    body = error_body(code, message)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if clear:
        headers.append((b"set-cookie", session_cookie("", 0, secure=secure).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def session_routes(
    keys: KeyService, *, lifetime: timedelta, now: Callable[[], datetime]
) -> list[Route]:
    def signed_in(request: Request, key: str) -> Response:
        expires = now() + lifetime
        response = json({"signedIn": True, "expiresAt": iso_z(expires)})
        secure = request.url.scheme == "https"
        cookie = session_cookie(sessions.issue(key, expires), int(lifetime.total_seconds()), secure)
        response.headers.append("set-cookie", cookie)
        return response

    async def sign_in(request: Request) -> Response:
        try:
            body = json_input.decode(await request.body(), SignIn)
        except InvalidInput:
            body = SignIn()
        if not body.access_key.strip():
            return Response(
                error_body("InvalidParameter", "Enter an access key."),
                400,
                media_type="application/json",
            )
        key = sessions.matching_key(body.access_key, await run(keys.valid_keys))
        if key is None:
            return Response(
                error_body(
                    "InvalidAccessKey",
                    "That access key is not valid. Use the primary or secondary key "
                    "`tidings keys show` prints.",
                ),
                401,
                media_type="application/json",
            )
        return signed_in(request, key)

    async def status(request: Request) -> Response:
        token = request.cookies.get(cookie_name(request.url.scheme))
        if token is None:
            return json({"signedIn": False, "reason": None})
        found = sessions.check(token, await run(keys.valid_keys), now())
        if found.state is sessions.SessionState.VALID and found.expires_at is not None:
            return json({"signedIn": True, "expiresAt": iso_z(found.expires_at)})
        return json({"signedIn": False, "reason": found.state.value})

    async def sign_out(request: Request) -> Response:
        response = Response(status_code=204)
        secure = request.url.scheme == "https"
        response.headers.append("set-cookie", session_cookie("", 0, secure=secure))
        return response

    return [
        Route(SESSION_PATH, sign_in, methods=["POST"]),
        Route(SESSION_PATH, status, methods=["GET"]),
        Route(SESSION_PATH, sign_out, methods=["DELETE"]),
    ]


def renew_after_key_change(
    request: Request, response: Response, new_key: str, now: datetime
) -> None:
    """Re-sign the caller's session with ``new_key`` when it came through the console."""
    token = request.cookies.get(cookie_name(request.url.scheme))
    if not request.scope.get(AUTHENTICATED) or token is None:
        return
    parts = token.split(".")
    if len(parts) != 4 or not parts[1].isdigit():
        return
    expires = datetime.fromtimestamp(int(parts[1]), UTC)
    max_age = max(0, int((expires - now).total_seconds()))
    secure = request.url.scheme == "https"
    response.headers.append(
        "set-cookie", session_cookie(sessions.issue(new_key, expires), max_age, secure)
    )
