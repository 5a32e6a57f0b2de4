"""Carriers and MT routes: their configuration and the pure routing decision.

A carrier is a named, kind-specific configuration (``simulator``, ``smpp``, ...) the worker
builds a ``Carrier`` adapter from. A route sends the outbound messages it matches to one
carrier, or to a group of them tried in order (``failover``) or in turn (``round-robin``).

Which route a message takes: of the routes whose criteria all match it, the one with the
highest key ``(priority, sender set, number type set, prefix length)``, ties going to the
older route. So a route for one sender number beats a route for a number type, which beats a
destination-prefix route, and among prefix routes the longest prefix wins; ``priority``
overrides all of that when a user needs to. The default route (no criteria) sends every
message nothing else matches to the simulator; users may repoint or remove it.

A route never falls through to a less specific one: when none of its carriers is available
the message waits (see ``NoUsableRoute``) rather than leave through a carrier the user did
not choose for it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from tidings.domain.messages import DeliveryCode
from tidings.domain.numbers import NumberType

#: The built-in carrier: always present, cannot be removed.
SIMULATOR = "simulator"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
_PREFIX = re.compile(r"^\+?(\d{1,15})$")
MAX_GROUP = 16
#: Secret options: stored (the worker needs them), never shown by the API, CLI or console.
SECRET_OPTIONS = frozenset({"password", "secret", "token", "api_key"})
MASK = "********"


class Strategy(StrEnum):
    FAILOVER = "failover"  # the first available carrier, in the order given
    ROUND_ROBIN = "round-robin"  # each message to the next available carrier in turn


@dataclass(frozen=True)
class CarrierConfig:
    name: str  # ^[a-z0-9][a-z0-9_-]{0,31}$ ; "simulator" is reserved, always present
    kind: str  # "simulator" | "smpp" | ...
    options: Mapping[str, Any]  # kind-specific, JSON-serialisable
    enabled: bool
    version: int  # +1 on every change; workers rebuild a carrier whose version moved
    created_at: datetime
    updated_at: datetime

    def masked_options(self) -> dict[str, Any]:
        """The options as they may be shown: secrets replaced by ``MASK``."""
        return {k: (MASK if k in SECRET_OPTIONS and v else v) for k, v in self.options.items()}


@dataclass(frozen=True)
class RouteSpec:
    """What a route matches and where it sends (a route before it has an id)."""

    carriers: tuple[str, ...]
    strategy: Strategy = Strategy.FAILOVER
    prefix: str = ""  # destination E.164 prefix ("+39"); "" matches every destination
    sender: str | None = None  # one sender (number, short code or alphanumeric id)
    number_type: NumberType | None = None  # the sender's number type
    priority: int = 0


@dataclass(frozen=True)
class Route:
    id: int
    spec: RouteSpec
    created_at: datetime

    def matches(self, recipient: str, sender: str, number_type: NumberType | None) -> bool:
        s = self.spec
        return (
            recipient.startswith(s.prefix)
            and (s.sender is None or s.sender == sender)
            and (s.number_type is None or s.number_type is number_type)
        )

    @property
    def rank(self) -> tuple[int, bool, bool, int, int]:
        s = self.spec
        typed = s.number_type is not None
        return (s.priority, s.sender is not None, typed, len(s.prefix), -self.id)


# -- validation ------------------------------------------------------------------------------


def carrier_name(raw: object) -> str:
    """A carrier name as stored (lower case), or ``ValueError`` saying what is wrong."""
    name = raw.strip().lower() if isinstance(raw, str) else ""
    if not _NAME.match(name):
        raise ValueError(
            "A carrier name is 1-32 characters of a-z, 0-9, '_' and '-', starting with a "
            f"letter or digit; got {raw!r}."
        )
    return name


def route_prefix(raw: str | None) -> str:
    """A destination prefix as stored: ``+`` and 1-15 digits, or "" for every destination."""
    if raw is None or raw.strip() == "":
        return ""
    match = _PREFIX.match(raw.strip().replace(" ", ""))
    if match is None:
        raise ValueError(f"prefix must be '+' followed by 1-15 digits (like +39); got {raw!r}.")
    return "+" + match.group(1)


def route_spec(
    carriers: Sequence[object],
    *,
    strategy: str | None = None,
    prefix: str | None = None,
    sender: str | None = None,
    number_type: str | None = None,
    priority: int = 0,
) -> RouteSpec:
    """A validated ``RouteSpec`` (``ValueError`` naming the field otherwise)."""
    if not carriers:
        raise ValueError("carriers: a route needs at least one carrier.")
    if len(carriers) > MAX_GROUP:
        raise ValueError(f"carriers: a route has at most {MAX_GROUP} carriers.")
    names = tuple(carrier_name(c) for c in carriers)
    if len(set(names)) != len(names):
        raise ValueError("carriers: a carrier appears twice in the route.")
    try:
        chosen = Strategy(strategy or Strategy.FAILOVER.value)
    except ValueError:
        allowed = ", ".join(s.value for s in Strategy)
        raise ValueError(f"strategy must be one of {allowed}; got {strategy!r}.") from None
    kind: NumberType | None = None
    if number_type:
        try:
            kind = NumberType(number_type)
        except ValueError:
            allowed = ", ".join(t.value for t in NumberType)
            raise ValueError(f"numberType must be one of {allowed}; got {number_type!r}.") from None
    if sender is not None and not (1 <= len(sender.strip()) <= 32):
        raise ValueError("sender must be 1-32 characters (a number, short code or sender id).")
    if not -1000 <= priority <= 1000:
        raise ValueError("priority must be between -1000 and 1000.")
    return RouteSpec(
        carriers=names,
        strategy=chosen,
        prefix=route_prefix(prefix),
        sender=sender.strip() if sender else None,
        number_type=kind,
        priority=priority,
    )


# -- the routing decision ----------------------------------------------------------------------


@dataclass(frozen=True)
class NoUsableRoute:
    """Why a message cannot leave now: no route matches it, or its route's carriers are all
    unavailable. ``code`` is the ACS delivery code it fails with once it has waited too long."""

    reason: str
    code: int


class RouteTable:
    """Routes indexed for ``pick``: by prefix, each prefix's routes best first, so a message
    costs one dictionary look-up per prefix length in use, whatever the number of routes."""

    def __init__(self, routes: Sequence[Route]) -> None:
        self.routes = sorted(routes, key=lambda r: r.rank, reverse=True)
        self._ranks = {r.id: r.rank for r in self.routes}
        self._by_prefix: dict[str, list[Route]] = {}
        for route in self.routes:
            self._by_prefix.setdefault(route.spec.prefix, []).append(route)
        self._lengths = sorted({len(p) for p in self._by_prefix}, reverse=True)

    def pick(self, recipient: str, sender: str, number_type: NumberType | None) -> Route | None:
        """The route a message takes (see the module docstring), or None."""
        best: Route | None = None
        for length in self._lengths:
            if length > len(recipient):
                continue
            for route in self._by_prefix.get(recipient[:length], ()):
                s = route.spec
                if (s.sender is None or s.sender == sender) and (
                    s.number_type is None or s.number_type is number_type
                ):
                    if best is None or self._ranks[route.id] > self._ranks[best.id]:
                        best = route
                    break  # the rest of this prefix's routes rank lower
        return best


def candidates(route: Route, position: int) -> tuple[str, ...]:
    """The carriers to try for one message, in order: the route's order for failover; for
    round-robin the group rotated to ``position`` (the route's shared turn counter)."""
    carriers = route.spec.carriers
    if route.spec.strategy is Strategy.FAILOVER or len(carriers) == 1:
        return carriers
    start = position % len(carriers)
    return carriers[start:] + carriers[:start]


def unusable(route: Route | None) -> NoUsableRoute:
    """Why a message has no carrier: no route, or none of its route's carriers available."""
    if route is None:
        return NoUsableRoute("No route matches the message.", DeliveryCode.UNSUPPORTED_DESTINATION)
    group = ", ".join(route.spec.carriers)
    return NoUsableRoute(
        f"No carrier of route {route.id} ({group}) is available.",
        DeliveryCode.TEMPORARILY_UNAVAILABLE,
    )


# -- the simulator kind ------------------------------------------------------------------------


@dataclass(frozen=True)
class SimulatorOptions:
    #: Seconds from submission to the delivery report when no carrier rule says otherwise.
    delay_seconds: float = 0.2


def parse_simulator_options(options: Mapping[str, Any]) -> SimulatorOptions:
    """Options of a ``simulator`` carrier (``ValueError`` naming the field otherwise)."""
    unknown = sorted(set(options) - {"delay_seconds"})
    if unknown:
        raise ValueError(f"{unknown[0]}: not an option of simulator carriers (delay_seconds).")
    delay = options.get("delay_seconds", SimulatorOptions.delay_seconds)
    if isinstance(delay, bool) or not isinstance(delay, int | float) or not 0 <= delay <= 3600:
        raise ValueError(f"delay_seconds must be a number from 0 to 3600; got {delay!r}.")
    return SimulatorOptions(float(delay))
