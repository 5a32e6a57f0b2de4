"""Access keys, stored so that every node of a deployment shares them."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from tidings.storage import dialects
from tidings.storage.schema import access_keys


class SqlKeyRepo:
    def __init__(self, connection: sa.Connection) -> None:
        self._c = connection

    def all(self) -> dict[str, str]:
        return {r.name: r.key for r in self._c.execute(sa.select(access_keys))}

    def set(self, name: str, key: str, now: datetime) -> None:
        stmt = dialects.upsert(self._c, access_keys, ["name"], {"key": key, "created_at": now})
        self._c.execute(stmt.values(name=name, key=key, created_at=now))
