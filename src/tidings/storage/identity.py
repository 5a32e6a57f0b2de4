"""Communication users (with their token generation) and the token signing keys."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa

from tidings.domain.identity import SigningKey
from tidings.domain.timefmt import ensure_utc
from tidings.storage.chat_schema import identities, identity_keys


class SqlIdentityRepo:
    def __init__(self, connection: sa.Connection) -> None:
        self._c = connection

    def add(self, user_id: str, now: datetime) -> None:
        self._c.execute(identities.insert().values(id=user_id, created_at=now, token_generation=0))

    def generations(self, user_ids: Sequence[str]) -> dict[str, int]:
        rows = self._c.execute(
            sa.select(identities.c.id, identities.c.token_generation).where(
                identities.c.id.in_(user_ids)
            )
        )
        return {r.id: int(r.token_generation) for r in rows}

    def generation(self, user_id: str) -> int | None:
        value = self._c.execute(
            sa.select(identities.c.token_generation).where(identities.c.id == user_id)
        ).scalar_one_or_none()
        return None if value is None else int(value)

    def revoke(self, user_id: str) -> bool:
        result = self._c.execute(
            identities.update()
            .where(identities.c.id == user_id)
            .values(token_generation=identities.c.token_generation + 1)
        )
        return result.rowcount > 0

    def delete(self, user_id: str) -> bool:
        return self._c.execute(identities.delete().where(identities.c.id == user_id)).rowcount > 0

    def existing(self, user_ids: Sequence[str]) -> set[str]:
        if not user_ids:
            return set()
        rows = self._c.execute(sa.select(identities.c.id).where(identities.c.id.in_(user_ids)))
        return {r.id for r in rows}

    def signing_keys(self) -> list[SigningKey]:
        rows = self._c.execute(
            sa.select(identity_keys).order_by(
                identity_keys.c.created_at.desc(), identity_keys.c.kid.desc()
            )
        )
        return [SigningKey(r.kid, r.secret, ensure_utc(r.created_at)) for r in rows]

    def add_signing_key(self, key: SigningKey) -> None:
        self._c.execute(
            identity_keys.insert().values(kid=key.kid, secret=key.secret, created_at=key.created_at)
        )

    def delete_signing_keys(self, kids: Sequence[str]) -> None:
        if kids:
            self._c.execute(identity_keys.delete().where(identity_keys.c.kid.in_(kids)))
