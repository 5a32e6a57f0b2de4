"""Wire shapes of ``/tidings/carriers`` and ``/tidings/routes`` (msgspec structs).

Requests refuse unknown members (a misspelt option group or criterion should not be
silently ignored by a management API); option keys inside ``options`` are the kind's own and
checked by its validator.
"""

from __future__ import annotations

from typing import Any

from msgspec import UNSET, Struct, UnsetType, field


class CarrierRequest(Struct, rename="camel", forbid_unknown_fields=True):
    name: str
    kind: str
    options: dict[str, Any] = field(default_factory=dict)
    enabled: bool = True


class CarrierPatch(Struct, rename="camel", forbid_unknown_fields=True):
    #: Merged into the stored options; a member set to null removes that option.
    options: dict[str, Any] | None = None
    #: Replace the stored options with ``options`` instead of merging.
    replace_options: bool = False
    enabled: bool | None = None


class BindOut(Struct, rename="camel"):
    bind: str
    mode: str
    state: str
    owner: str | None
    last_error: str | None
    last_status: int | None
    since: str
    window_used: int
    submitted: int
    updated_at: str


class CarrierOut(Struct, rename="camel"):
    name: str
    kind: str
    enabled: bool
    version: int
    #: The options with secrets (``password``, ...) shown as ``********``.
    options: dict[str, Any]
    routes: list[int]
    binds: list[BindOut]
    created_at: str
    updated_at: str


class CarrierList(Struct):
    value: list[CarrierOut]
    kinds: list[str]


class RouteRequest(Struct, rename="camel", forbid_unknown_fields=True):
    carriers: list[str]
    strategy: str | None = None  # failover (default) | round-robin
    prefix: str | None = None  # destination E.164 prefix, like +39
    sender: str | None = None  # one sender number, short code or sender id
    number_type: str | None = None  # the sender's number type
    priority: int = 0


class RoutePatch(Struct, rename="camel", forbid_unknown_fields=True):
    """Members present replace the route's; ``null`` clears ``prefix``, ``sender`` or
    ``numberType``."""

    carriers: list[str] | UnsetType = UNSET
    strategy: str | UnsetType = UNSET
    prefix: str | UnsetType | None = UNSET
    sender: str | UnsetType | None = UNSET
    number_type: str | UnsetType | None = UNSET
    priority: int | UnsetType = UNSET


class RouteOut(Struct, rename="camel"):
    id: int
    carriers: list[str]
    strategy: str
    prefix: str
    sender: str | None
    number_type: str | None
    priority: int
    created_at: str


class RouteList(Struct):
    #: In the order routing considers them: the first that matches a message is its route.
    value: list[RouteOut]


OPERATIONS: dict[tuple[str, str], tuple[str, type[Any] | None, type[Any] | None, int]] = {
    ("GET", "/tidings/carriers"): ("List carriers and their binds", None, CarrierList, 200),
    ("POST", "/tidings/carriers"): ("Add a carrier", CarrierRequest, CarrierOut, 201),
    ("GET", "/tidings/carriers/{name}"): ("Get a carrier", None, CarrierOut, 200),
    ("PATCH", "/tidings/carriers/{name}"): (
        "Change a carrier's options or enable/disable it",
        CarrierPatch,
        CarrierOut,
        200,
    ),
    ("DELETE", "/tidings/carriers/{name}"): ("Remove a carrier no route uses", None, None, 204),
    ("GET", "/tidings/routes"): ("List MT routes, best first", None, RouteList, 200),
    ("POST", "/tidings/routes"): ("Add an MT route", RouteRequest, RouteOut, 201),
    ("GET", "/tidings/routes/{route_id}"): ("Get an MT route", None, RouteOut, 200),
    ("PATCH", "/tidings/routes/{route_id}"): ("Change an MT route", RoutePatch, RouteOut, 200),
    ("DELETE", "/tidings/routes/{route_id}"): ("Remove an MT route", None, None, 204),
}
