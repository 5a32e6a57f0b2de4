"""The carrier registry: add, change and remove carriers and the MT routes between them.

Every change bumps the carrier's ``version`` and the registry's revision in the same
transaction, the revision first: its row lock serialises concurrent changes on PostgreSQL,
so each change checks (routes using a carrier, duplicate routes) what the one before it
committed; workers poll the revision and rebuild what moved (``carriers/router.py``), so a
change takes effect within seconds, without a restart, on every node.

Options are kind-specific and checked by the validator injected for the kind (it raises
``ValueError`` naming the field, which becomes a 400 ``InvalidInput``). Secrets (``password``
and the like) are stored, since the worker needs them, but never shown: ``masked_options``.
Sending the mask back in an update keeps the stored secret.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from tidings.domain.carriers import (
    MASK,
    SIMULATOR,
    CarrierConfig,
    Route,
    RouteSpec,
    carrier_name,
    route_spec,
)
from tidings.errors import Conflict, InvalidInput, NotFound
from tidings.ports import Tx
from tidings.ports.registry import BindStatus, BindStatusReader, NoBinds
from tidings.services.context import ServiceContext

OptionValidator = Callable[[Mapping[str, Any]], object]


class CarrierService:
    def __init__(
        self,
        ctx: ServiceContext,
        validators: Mapping[str, OptionValidator],
        binds: BindStatusReader | None = None,
    ) -> None:
        self._ctx = ctx
        self._validators = dict(validators)
        self._binds = binds or NoBinds()

    @property
    def kinds(self) -> list[str]:
        return sorted(self._validators)

    # -- carriers ------------------------------------------------------------------------

    def add(
        self, name: object, kind: object, options: object = None, *, enabled: bool = True
    ) -> CarrierConfig:
        key = _name(name)
        chosen = self._kind(kind)
        opts = self._validated(chosen, _options(options))
        now = self._ctx.clock.now()
        config = CarrierConfig(key, chosen, opts, enabled, 1, now, now)

        def write(tx: Tx) -> CarrierConfig:
            tx.carriers.bump(now)  # first: serialises registry changes (row lock)
            if tx.carriers.get(key) is not None:
                raise Conflict(f"A carrier named {key!r} exists already.", code="CarrierExists")
            tx.carriers.add(config)
            return config

        return self._ctx.store.write(write)

    def update(
        self,
        name: object,
        *,
        options: object = None,
        replace_options: bool = False,
        enabled: bool | None = None,
    ) -> CarrierConfig:
        """Change a carrier's options (merged into the stored ones: a key set to null is
        removed; ``replace_options`` replaces them all) and/or whether it is enabled."""
        key = _name(name)
        changes = _options(options)
        now = self._ctx.clock.now()

        def write(tx: Tx) -> CarrierConfig:
            tx.carriers.bump(now)  # first: serialises registry changes (row lock)
            current = self._get(tx, key)
            merged = {} if replace_options else dict(current.options)
            for option, value in changes.items():
                if value is None:
                    merged.pop(option, None)
                elif value == MASK and option in current.options:
                    merged[option] = current.options[option]  # the mask sent back: keep it
                else:
                    merged[option] = value
            config = replace(
                current,
                options=self._validated(current.kind, merged),
                enabled=current.enabled if enabled is None else enabled,
                version=current.version + 1,
                updated_at=now,
            )
            tx.carriers.update(config)
            return config

        return self._ctx.store.write(write)

    def remove(self, name: object) -> None:
        """Remove a carrier no route sends to (the simulator is built in and stays)."""
        key = _name(name)
        if key == SIMULATOR:
            raise Conflict("The simulator carrier is built in; disable it instead.")
        now = self._ctx.clock.now()

        def write(tx: Tx) -> None:
            tx.carriers.bump(now)  # first: serialises registry changes (row lock)
            self._get(tx, key)
            using = [r.id for r in tx.routes.all() if key in r.spec.carriers]
            if using:
                ids = ", ".join(str(i) for i in using)
                raise Conflict(
                    f"Carrier {key!r} is used by route(s) {ids}; remove them first.",
                    code="CarrierInUse",
                )
            tx.carriers.delete(key)

        self._ctx.store.write(write)

    def get(self, name: object) -> CarrierConfig:
        key = _name(name)
        return self._ctx.store.read(lambda tx: self._get(tx, key))

    def all(self) -> list[CarrierConfig]:
        return self._ctx.store.read(lambda tx: tx.carriers.all())

    def binds(self) -> list[BindStatus]:
        """Every bind's state as its owner last wrote it (SMPP carriers), by carrier."""
        return sorted(self._binds.all(), key=lambda b: (b.carrier, b.bind))

    # -- routes --------------------------------------------------------------------------

    def add_route(
        self,
        carriers: Sequence[object],
        *,
        strategy: str | None = None,
        prefix: str | None = None,
        sender: str | None = None,
        number_type: str | None = None,
        priority: int = 0,
    ) -> Route:
        spec = _spec(
            {
                "carriers": carriers,
                "strategy": strategy,
                "prefix": prefix,
                "sender": sender,
                "number_type": number_type,
                "priority": priority,
            }
        )
        now = self._ctx.clock.now()

        def write(tx: Tx) -> Route:
            tx.carriers.bump(now)  # first: serialises registry changes (row lock)
            _check_route(tx, spec, None)
            route = tx.routes.add(spec, now)
            return route

        return self._ctx.store.write(write)

    def update_route(self, route_id: int, changes: Mapping[str, Any]) -> Route:
        """Change some of a route's fields (``carriers``, ``strategy``, ``prefix``, ``sender``,
        ``number_type``, ``priority``; None clears a criterion); it keeps its id and turn."""
        unknown = sorted(set(changes) - _ROUTE_FIELDS)
        if unknown:
            raise InvalidInput(f"{unknown[0]}: not a field of a route.", target=unknown[0])
        now = self._ctx.clock.now()

        def write(tx: Tx) -> Route:
            tx.carriers.bump(now)  # first: serialises registry changes (row lock)
            current = tx.routes.get(route_id)
            if current is None:
                raise NotFound(f"Route {route_id} was not found.", code="RouteNotFound")
            s = current.spec
            fields: dict[str, Any] = {
                "carriers": s.carriers,
                "strategy": s.strategy.value,
                "prefix": s.prefix,
                "sender": s.sender,
                "number_type": s.number_type.value if s.number_type else None,
                "priority": s.priority,
            }
            fields.update(changes)
            if fields["priority"] is None:
                fields["priority"] = 0
            route = replace(current, spec=_spec(fields))
            _check_route(tx, route.spec, route_id)
            tx.routes.update(route)
            return route

        return self._ctx.store.write(write)

    def remove_route(self, route_id: int) -> None:
        now = self._ctx.clock.now()

        def write(tx: Tx) -> None:
            tx.carriers.bump(now)  # first: serialises registry changes (row lock)
            if not tx.routes.delete(route_id):
                raise NotFound(f"Route {route_id} was not found.", code="RouteNotFound")

        self._ctx.store.write(write)

    def get_route(self, route_id: int) -> Route:
        route = self._ctx.store.read(lambda tx: tx.routes.get(route_id))
        if route is None:
            raise NotFound(f"Route {route_id} was not found.", code="RouteNotFound")
        return route

    def routes(self) -> list[Route]:
        """Every route, in the order routing considers them (the best first)."""
        routes = self._ctx.store.read(lambda tx: tx.routes.all())
        return sorted(routes, key=lambda r: r.rank, reverse=True)

    # -- helpers -------------------------------------------------------------------------

    def _kind(self, kind: object) -> str:
        if not isinstance(kind, str) or kind not in self._validators:
            raise InvalidInput(
                f"kind must be one of {', '.join(self.kinds)}; got {kind!r}.", target="kind"
            )
        return kind

    def _validated(self, kind: str, options: dict[str, Any]) -> dict[str, Any]:
        validator = self._validators.get(kind)
        if validator is None:
            raise InvalidInput(f"Carriers of kind {kind!r} are not supported here.", target="kind")
        try:
            validator(options)
        except ValueError as exc:
            raise InvalidInput(f"options: {exc}", target="options") from None
        return options

    @staticmethod
    def _get(tx: Tx, key: str) -> CarrierConfig:
        config = tx.carriers.get(key)
        if config is None:
            raise NotFound(f"Carrier {key!r} was not found.", code="CarrierNotFound")
        return config


def _name(raw: object) -> str:
    try:
        return carrier_name(raw)
    except ValueError as exc:
        raise InvalidInput(str(exc), target="name") from None


def _options(raw: object) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping) or not all(isinstance(k, str) for k in raw):
        raise InvalidInput("options must be a JSON object.", target="options")
    return dict(raw)


_ROUTE_FIELDS = frozenset({"carriers", "strategy", "prefix", "sender", "number_type", "priority"})


def _spec(fields: Mapping[str, Any]) -> RouteSpec:
    try:
        return route_spec(**fields)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(str(exc)) from None


def _check_route(tx: Tx, spec: RouteSpec, route_id: int | None) -> None:
    """Its carriers exist and no other route has the same criteria."""
    known = {c.name for c in tx.carriers.all()}
    missing = [c for c in spec.carriers if c not in known]
    if missing:
        raise InvalidInput(f"carriers: no carrier named {missing[0]!r}.", target="carriers")
    criteria = (spec.prefix, spec.sender, spec.number_type, spec.priority)
    for other in tx.routes.all():
        s = other.spec
        if other.id != route_id and (s.prefix, s.sender, s.number_type, s.priority) == criteria:
            raise Conflict(
                f"Route {other.id} matches the same messages; change or remove it first.",
                code="RouteExists",
            )
