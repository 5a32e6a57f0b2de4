"""ACS HMAC-SHA256 authentication as a pure ASGI middleware.

The middleware buffers the body (up to ``max_body`` bytes), checks ``x-ms-content-sha256``
against it, checks ``x-ms-date`` is within the allowed skew, and verifies the signature
against the raw request target and each candidate host (the ``Host`` header, the same with
a trailing ``/``, which the SDK signs when its endpoint ends in ``/``, and any configured
public host), with the primary and secondary keys. The verified body is then replayed to the
application, so handlers read exactly the bytes that were signed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tidings.api.errors import error_body
from tidings.domain import hmac
from tidings.domain.timefmt import parse_rfc1123
from tidings.services.keys import KeyService

#: Set on the scope by ``ConsoleSessionMiddleware`` for requests a console session authenticates.
CONSOLE_SESSION = "tidings.console_session"
PUBLIC_PREFIXES = (
    "/healthz",
    "/metrics",
    "/openapi.json",
    "/docs",
    "/console",
    "/webhooks/validate/",
)
#: Paths authenticated with a user's bearer token (``api/bearer.py``) instead of HMAC.
BEARER_PREFIX = "/chat"


class AuthError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class HmacVerifier:
    """Checks a request's HMAC signature against its buffered body (``verify``)."""

    def __init__(
        self,
        *,
        keys: KeyService,
        now: Callable[[], datetime],
        skew_seconds: int,
        public_hosts: Iterable[str] = (),
    ) -> None:
        self._keys = keys
        self._now = now
        self._skew = skew_seconds
        self._public_hosts = tuple(public_hosts)
        self._dates: dict[str, datetime] = {}  # parsed x-ms-date values (many requests share one)

    async def verify(self, scope: Scope, body: bytes) -> None:
        """Raises ``AuthError`` unless ``scope`` and ``body`` are signed with a valid key."""
        headers = _header_map(scope)
        authorization = _text(headers.get(b"authorization"))
        if not authorization:
            raise AuthError(401, "Denied", "The Authorization header is missing.")
        parsed = hmac.parse_authorization(authorization)
        if parsed is None:
            scheme = authorization.split(" ", 1)[0]
            raise AuthError(
                401,
                "Denied",
                f"Authorization scheme {scheme!r} is not accepted here; sign the request "
                "with HMAC-SHA256 and an access key.",
            )
        signed_headers, signature = parsed
        if signed_headers.lower() != hmac.SIGNED_HEADERS:
            raise AuthError(
                401,
                "Denied",
                f"SignedHeaders must be {hmac.SIGNED_HEADERS!r}, not {signed_headers!r}.",
            )
        date = _text(headers.get(b"x-ms-date")) or _text(headers.get(b"date"))
        if not date:
            raise AuthError(401, "Denied", "The x-ms-date header is missing.")
        when = self._dates.get(date)
        if when is None:
            try:
                when = parse_rfc1123(date)
            except ValueError:
                raise AuthError(
                    401, "Denied", f"x-ms-date {date!r} is not an RFC 1123 date."
                ) from None
            if len(self._dates) >= 4096:
                self._dates.clear()
            self._dates[date] = when
        skew = abs((self._now() - when).total_seconds())  # aware datetimes: any zone
        if skew > self._skew:
            raise AuthError(
                401,
                "Denied",
                f"x-ms-date {date!r} is {int(skew)} seconds away from the server's clock; "
                f"at most {self._skew} seconds are allowed.",
            )
        claimed_hash = _text(headers.get(b"x-ms-content-sha256"))
        actual_hash = hmac.content_hash(body)
        if claimed_hash is None:
            raise AuthError(401, "Denied", "The x-ms-content-sha256 header is missing.")
        if not hmac.constant_time_equal(claimed_hash, actual_hash):
            raise AuthError(
                401, "Denied", "Request 'x-ms-content-sha256' differs from generated content hash."
            )
        keys = self._keys.cached_keys() or await self._keys.valid_keys_async()
        target = scope.get("raw_path") or scope["path"].encode()
        path_and_query = target.decode("latin-1")
        if scope.get("query_string"):
            path_and_query += "?" + scope["query_string"].decode("latin-1")
        host = _text(headers.get(b"host")) or ""
        for candidate in (host, host + "/", *self._public_hosts):
            text = hmac.string_to_sign(
                scope["method"], path_and_query, date, candidate, claimed_hash
            )
            for key in keys:
                if hmac.constant_time_equal(hmac.signature(key, text), signature):
                    return
        raise AuthError(401, "Denied", "The request signature does not match any access key.")


class HmacAuthMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        verifier: HmacVerifier,
        max_body: int,
        public_paths: Iterable[str] = PUBLIC_PREFIXES,
    ) -> None:
        self._app = app
        self._verifier = verifier
        self._max_body = max_body
        self._public_paths = tuple(public_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or self._is_public(scope)
            or scope.get(CONSOLE_SESSION)
            or is_bearer_path(scope["path"])
        ):
            await self._app(scope, receive, send)
            return
        try:
            body = await self._read_body(scope, receive)
            await self._verifier.verify(scope, body)
        except AuthError as exc:
            await send_error(send, exc)
            return
        await self._app(scope, replay(body, receive), send)

    def _is_public(self, scope: Scope) -> bool:
        path: str = scope["path"]
        return scope["method"] in {"GET", "HEAD"} and (
            path == "/" or path.startswith(self._public_paths)
        )

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes:
        return await read_body(scope, receive, self._max_body)


async def read_body(scope: Scope, receive: Receive, max_body: int) -> bytes:
    """The whole request body, refused with 413 past ``max_body`` bytes."""
    length = _header(scope, b"content-length")
    if length is not None and length.isdigit() and int(length) > max_body:
        raise _too_large(max_body)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise AuthError(400, "BadRequest", "The client disconnected.")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > max_body:
            raise _too_large(max_body)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _too_large(max_body: int) -> AuthError:
    return AuthError(413, "RequestEntityTooLarge", f"The request body exceeds {max_body} bytes.")


def is_bearer_path(path: str) -> bool:
    return path == BEARER_PREFIX or path.startswith(BEARER_PREFIX + "/")


def header(scope: Scope, name: bytes) -> str | None:
    return _header(scope, name)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def _header_map(scope: Scope) -> dict[bytes, bytes]:
    """The request's headers by name, the first of repeated ones winning (as ``header``)."""
    return {k: v for k, v in reversed(scope["headers"])}


def _text(value: bytes | None) -> str | None:
    return None if value is None else bytes(value).decode("latin-1")


def replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def send_error(send: Send, exc: AuthError, scheme: bytes = b"HMAC-SHA256") -> None:
    body = error_body(exc.code, exc.message)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if exc.status == 401:
        headers.append((b"www-authenticate", scheme))
    await send({"type": "http.response.start", "status": exc.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
