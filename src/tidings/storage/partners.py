"""The Messaging Connect partner registry."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from tidings.domain.partners import Partner
from tidings.domain.timefmt import ensure_utc
from tidings.storage.schema import messaging_connect_partners as partners
from tidings.storage.schema import phone_numbers


def _partner(row: sa.Row[Any]) -> Partner:
    return Partner(row.name, tuple(row.key_digests), ensure_utc(row.created_at))


class SqlPartnerRepo:
    def __init__(self, connection: sa.Connection) -> None:
        self._c = connection

    def get(self, name: str) -> Partner | None:
        row = self._c.execute(sa.select(partners).where(partners.c.name == name)).first()
        return None if row is None else _partner(row)

    def put(self, name: str, key_digests: tuple[str, ...], now: datetime) -> bool:
        """Create the partner or replace its keys; True when it was created."""
        updated = self._c.execute(
            partners.update().where(partners.c.name == name).values(key_digests=list(key_digests))
        ).rowcount
        if updated:
            return False
        self._c.execute(
            partners.insert().values(name=name, key_digests=list(key_digests), created_at=now)
        )
        return True

    def all(self) -> list[Partner]:
        rows = self._c.execute(sa.select(partners).order_by(partners.c.name))
        return [_partner(r) for r in rows]

    def delete(self, name: str) -> bool:
        return self._c.execute(partners.delete().where(partners.c.name == name)).rowcount > 0

    def number_count(self, name: str) -> int:
        return int(
            self._c.execute(
                sa.select(sa.func.count()).where(phone_numbers.c.partner == name)
            ).scalar_one()
        )
