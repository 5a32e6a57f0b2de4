"""The carrier registry: carriers, MT routes and the revision workers poll for changes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from tidings.domain.carriers import CarrierConfig, Route, RouteSpec, Strategy
from tidings.domain.numbers import NumberType
from tidings.domain.timefmt import ensure_utc
from tidings.storage.schema_carriers import carrier_revision, carriers, routes
from tidings.storage.signals import touch
from tidings.wakeups import CARRIERS


def _carrier(row: sa.Row[Any]) -> CarrierConfig:
    return CarrierConfig(
        name=row.name,
        kind=row.kind,
        options=dict(row.options or {}),
        enabled=bool(row.enabled),
        version=int(row.version),
        created_at=ensure_utc(row.created_at),
        updated_at=ensure_utc(row.updated_at),
    )


def _values(config: CarrierConfig) -> dict[str, Any]:
    return {
        "kind": config.kind,
        "options": dict(config.options),
        "enabled": config.enabled,
        "version": config.version,
        "created_at": config.created_at,
        "updated_at": config.updated_at,
    }


class SqlCarrierRepo:
    def __init__(self, connection: sa.Connection) -> None:
        self._c = connection

    def all(self) -> list[CarrierConfig]:
        return [_carrier(r) for r in self._c.execute(sa.select(carriers).order_by(carriers.c.name))]

    def get(self, name: str) -> CarrierConfig | None:
        row = self._c.execute(sa.select(carriers).where(carriers.c.name == name)).first()
        return None if row is None else _carrier(row)

    def add(self, config: CarrierConfig) -> None:
        self._c.execute(carriers.insert().values(name=config.name, **_values(config)))

    def update(self, config: CarrierConfig) -> bool:
        result = self._c.execute(
            carriers.update().where(carriers.c.name == config.name).values(**_values(config))
        )
        return result.rowcount > 0

    def delete(self, name: str) -> bool:
        return self._c.execute(carriers.delete().where(carriers.c.name == name)).rowcount > 0

    def revision(self) -> int:
        value = self._c.execute(
            sa.select(carrier_revision.c.revision).where(carrier_revision.c.id == 1)
        ).scalar()
        return 0 if value is None else int(value)

    def bump(self, now: datetime) -> int:
        touch(self._c, CARRIERS)
        value = self._c.execute(
            carrier_revision.update()
            .where(carrier_revision.c.id == 1)
            .values(revision=carrier_revision.c.revision + 1, updated_at=now)
            .returning(carrier_revision.c.revision)
        ).scalar()
        if value is not None:
            return int(value)
        self._c.execute(carrier_revision.insert().values(id=1, revision=1, updated_at=now))
        return 1


def _route(row: sa.Row[Any]) -> Route:
    return Route(
        id=int(row.id),
        spec=RouteSpec(
            carriers=tuple(row.carriers),
            strategy=Strategy(row.strategy),
            prefix=row.prefix,
            sender=row.sender,
            number_type=NumberType(row.number_type) if row.number_type else None,
            priority=int(row.priority),
        ),
        created_at=ensure_utc(row.created_at),
    )


def _spec_values(spec: RouteSpec) -> dict[str, Any]:
    return {
        "carriers": list(spec.carriers),
        "strategy": spec.strategy.value,
        "prefix": spec.prefix,
        "sender": spec.sender,
        "number_type": spec.number_type.value if spec.number_type else None,
        "priority": spec.priority,
    }


class SqlRouteRepo:
    def __init__(self, connection: sa.Connection) -> None:
        self._c = connection

    def all(self) -> list[Route]:
        return [_route(r) for r in self._c.execute(sa.select(routes).order_by(routes.c.id))]

    def get(self, route_id: int) -> Route | None:
        row = self._c.execute(sa.select(routes).where(routes.c.id == route_id)).first()
        return None if row is None else _route(row)

    def add(self, spec: RouteSpec, now: datetime) -> Route:
        route_id = self._c.execute(
            routes.insert()
            .values(**_spec_values(spec), turn=0, created_at=now)
            .returning(routes.c.id)
        ).scalar_one()
        return Route(int(route_id), spec, now)

    def update(self, route: Route) -> bool:
        result = self._c.execute(
            routes.update().where(routes.c.id == route.id).values(**_spec_values(route.spec))
        )
        return result.rowcount > 0

    def delete(self, route_id: int) -> bool:
        return self._c.execute(routes.delete().where(routes.c.id == route_id)).rowcount > 0

    def advance(self, turns: dict[int, int]) -> dict[int, int]:
        first: dict[int, int] = {}
        for route_id, count in sorted(turns.items()):  # one order: no deadlock between workers
            after = self._c.execute(
                routes.update()
                .where(routes.c.id == route_id)
                .values(turn=routes.c.turn + count)
                .returning(routes.c.turn)
            ).scalar()
            if after is not None:
                first[route_id] = int(after) - count
        return first
