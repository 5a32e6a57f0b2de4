"""Ports of the carrier registry: carriers, routes and the bind states a console shows.

``Tx.carriers`` and ``Tx.routes`` reach the first two (``WithCarriers``, ``WithRoutes``).
Bind states are written by the worker that holds each bind (the SMPP connector) and read by
any API process through ``BindStatusReader``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from tidings.domain.carriers import CarrierConfig, Route, RouteSpec


class CarrierRepo(Protocol):
    def all(self) -> list[CarrierConfig]: ...

    def get(self, name: str) -> CarrierConfig | None: ...

    def add(self, config: CarrierConfig) -> None: ...

    def update(self, config: CarrierConfig) -> bool:
        """Store ``config`` over the row of its name; False if there is none."""
        ...

    def delete(self, name: str) -> bool: ...

    def revision(self) -> int:
        """A number that moves on every change to carriers or routes (one row, cheap)."""
        ...

    def bump(self, now: datetime) -> int:
        """Move the revision on (in the transaction of the change); return the new one."""
        ...


class RouteRepo(Protocol):
    def all(self) -> list[Route]: ...

    def get(self, route_id: int) -> Route | None: ...

    def add(self, spec: RouteSpec, now: datetime) -> Route: ...

    def delete(self, route_id: int) -> bool: ...

    def update(self, route: Route) -> bool:
        """Store ``route``'s spec over the row of its id (its turn counter stays)."""
        ...

    def advance(self, turns: dict[int, int]) -> dict[int, int]:
        """Take ``turns[route]`` round-robin turns of each route; return each route's first.

        The turn counter is shared by every worker, so a group is shared evenly however
        many workers send through it.
        """
        ...


class BindStatus(Protocol):
    """One SMPP bind's state as its owner last wrote it (the connector's ``BindStatus``)."""

    @property
    def carrier(self) -> str: ...
    @property
    def bind(self) -> str: ...
    @property
    def mode(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def owner(self) -> str | None: ...
    @property
    def last_error(self) -> str | None: ...
    @property
    def last_status(self) -> int | None: ...
    @property
    def since(self) -> datetime: ...
    @property
    def window_used(self) -> int: ...
    @property
    def submitted(self) -> int: ...
    @property
    def updated_at(self) -> datetime: ...


class BindStatusReader(Protocol):
    def all(self) -> Sequence[BindStatus]: ...


class NoBinds:
    """A ``BindStatusReader`` for a deployment without bound carriers (simulator only)."""

    def all(self) -> Sequence[BindStatus]:
        return []


class WithCarriers(Protocol):
    @property
    def carriers(self) -> CarrierRepo: ...


class WithRoutes(Protocol):
    @property
    def routes(self) -> RouteRepo: ...
