"""Errors become responses here, and only here: one table from error class to HTTP status.

Every error body has the ACS shape ``{"error": {"code": ..., "message": ...}}``.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable

import msgspec
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from tidings import logs
from tidings.errors import (
    CarrierError,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    QuotaExceeded,
    TidingsError,
    Unauthenticated,
    ValidationFailed,
)

log = logging.getLogger(__name__)

STATUS: dict[type[TidingsError], int] = {
    InvalidInput: 400,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    QuotaExceeded: 429,
    CarrierError: 502,
    TidingsError: 500,
}

_HTTP_CODES = {
    400: "BadRequest",
    401: "Denied",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "Conflict",
    413: "RequestEntityTooLarge",
    415: "UnsupportedMediaType",
    429: "TooManyRequests",
    500: "InternalError",
}


def error_body(code: str, message: str, target: str | None = None) -> bytes:
    error: dict[str, str] = {"code": code, "message": message}
    if target:
        error["target"] = target
    return msgspec.json.encode({"error": error})


def error_response(
    status: int,
    code: str,
    message: str,
    target: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    return Response(
        error_body(code, message, target),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def status_of(exc: TidingsError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


async def tidings_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, TidingsError)
    status = status_of(exc)
    if status >= 500:
        log.error("request failed: %s", exc.message)
    headers = {"WWW-Authenticate": "HMAC-SHA256"} if status == 401 else None
    return error_response(status, exc.code, exc.message, exc.target, headers)


def problem_body(errors: dict[str, list[str]]) -> bytes:
    """RFC 9110 validation problem details, as ASP.NET (and so ACS) writes them."""
    return msgspec.json.encode(
        {
            "type": "https://tools.ietf.org/html/rfc9110#section-15.5.1",
            "title": "One or more validation errors occurred.",
            "status": 400,
            "errors": errors,
            "traceId": _trace_id(),
        }
    )


def _trace_id() -> str:
    """A W3C trace context id, as ASP.NET puts in ``traceId``: the request id's hex when it
    is a GUID (so the answer and the logs line up), else random."""
    request_id = (logs.request_id.get() or "").replace("-", "").lower()
    trace = request_id if len(request_id) == 32 else secrets.token_hex(16)
    return f"00-{trace}-{secrets.token_hex(8)}-00"


async def validation_problem(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ValidationFailed)
    return Response(problem_body(exc.errors), 400, media_type="application/problem+json")


async def validation_error(_request: Request, exc: Exception) -> Response:
    message = str(exc) or "The request body is not valid."
    if isinstance(exc, msgspec.DecodeError) and not isinstance(exc, msgspec.ValidationError):
        message = f"The request body is not valid JSON: {exc}"
    return error_response(400, "InvalidParameter", message)


async def http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "Error")
    headers = dict(exc.headers) if exc.headers else None
    return error_response(exc.status_code, code, str(exc.detail), headers=headers)


async def unexpected_error(_request: Request, exc: Exception) -> Response:
    log.exception("unhandled error", exc_info=exc)
    return error_response(500, "InternalError", "An unexpected error occurred.")


Handler = Callable[[Request, Exception], Awaitable[Response]]

HANDLERS: dict[type[Exception], Handler] = {
    ValidationFailed: validation_problem,
    TidingsError: tidings_error,
    msgspec.ValidationError: validation_error,
    msgspec.DecodeError: validation_error,
    HTTPException: http_error,
    Exception: unexpected_error,
}


def handler_for(exc: Exception) -> Handler | None:
    """The handler Starlette's exception middleware picks for ``exc`` (by its classes, most
    specific first); None for the ones left to the server error middleware."""
    for cls in type(exc).__mro__:
        if cls is Exception:
            return None
        if cls in HANDLERS:
            return HANDLERS[cls]
    return None
