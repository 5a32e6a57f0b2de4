"""Helpers shared by the route modules: api-version checks, JSON responses, thread hops."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import anyio
import msgspec
from starlette.requests import Request
from starlette.responses import Response

from tidings.domain.timefmt import parse_iso
from tidings.errors import InvalidInput

T = TypeVar("T")

SMS_VERSIONS = frozenset(
    {
        "2021-03-07",
        "2024-01-14-preview",
        "2024-02-05-preview",
        "2024-12-10-preview",
        "2025-05-29-preview",
        "2025-08-01-preview",
        "2025-09-17",
        "2026-01-23",
    }
)
#: Versions that have the Opt-Out API.
OPTOUT_VERSIONS = frozenset(
    {"2024-12-10-preview", "2025-05-29-preview", "2025-08-01-preview", "2025-09-17", "2026-01-23"}
)
#: Versions that have ``GET /deliveryReports/{id}``.
DELIVERY_REPORT_VERSIONS = frozenset({"2025-08-01-preview", "2025-09-17", "2026-01-23"})
PHONE_NUMBER_VERSIONS = frozenset(
    {
        "2022-01-11-preview2",
        "2022-12-01",
        "2023-05-01-preview",
        "2024-03-01-preview",
        "2025-02-11",
        "2025-04-01",
        "2025-06-01",
    }
)
TIDINGS_VERSIONS = frozenset({"2026-01-01"})


def api_version(
    request: Request, supported: frozenset[str], *, optional: bool = False
) -> str | None:
    """The request's ``api-version``, refused as ACS does when missing or unsupported."""
    version = request.query_params.get("api-version")
    if version is None:
        if optional:
            return None
        raise InvalidInput(
            "The api-version query parameter (?api-version=) is required for all requests.",
            code="MissingApiVersionParameter",
        )
    if version not in supported:
        raise InvalidInput(
            f"The HTTP resource that matches the request URI '{request.url.path}' does not "
            f"support the API version '{version}'. Supported versions: "
            f"{', '.join(sorted(supported))}.",
            code="UnsupportedApiVersion",
        )
    return version


def json(content: Any, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        msgspec.json.encode(content),
        status_code=status_code,
        media_type="application/json",
        headers=headers,
    )


async def run(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a blocking service call in a worker thread."""
    return await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs))


def choice(enum: Any, raw: str | None, name: str) -> Any:
    """``raw`` as a member of ``enum`` (None stays None), or a 400 listing the members."""
    if raw is None:
        return None
    try:
        return enum(raw)
    except ValueError:
        allowed = ", ".join(m.value for m in enum)
        raise InvalidInput(f"{name} must be one of {allowed}.", target=name) from None


def int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInput(f"{name} must be an integer.", target=name) from None
    if not low <= value <= high:
        raise InvalidInput(f"{name} must be between {low} and {high}.", target=name)
    return value


def page_params(request: Request) -> tuple[int, int]:
    """``limit`` (1-1000, default 100) and ``offset`` of a paged list."""
    return (
        int_param(request, "limit", 100, 1, 1000),
        int_param(request, "offset", 0, 0, 10**9),
    )


def before_param(request: Request) -> tuple[datetime, str] | None:
    """A ``before=<ISO time>|<id>`` keyset cursor."""
    raw = request.query_params.get("before")
    if raw is None:
        return None
    at, _, item_id = raw.partition("|")
    try:
        return parse_iso(at), item_id
    except ValueError:
        raise InvalidInput("before must be '<time>|<id>'.", target="before") from None
