"""State of the simulated carrier network: handsets, their inboxes and the delivery rules."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from tidings.domain.simulator import CarrierRule, Handset, HandsetMessage
from tidings.domain.timefmt import ensure_utc
from tidings.storage import dialects
from tidings.storage.search import number_matches
from tidings.storage.simulator_schema import carrier_rules, handset_messages, handsets

# Built once (the simulator reads them in every send's settling transaction).
_SCRIPTS = sa.select(handsets.c.number, handsets.c.script).where(
    handsets.c.number.in_(sa.bindparam("numbers", expanding=True)),
    handsets.c.script.is_not(None),
)
_RULES = sa.select(carrier_rules).order_by(carrier_rules.c.position)


class SqlHandsetRepo:
    def __init__(self, connection: sa.Connection) -> None:
        self._c = connection

    def ensure(self, number: str, now: datetime) -> None:
        self._c.execute(
            dialects.insert_ignore(self._c, handsets).values(
                number=number, created_at=now, script=None
            )
        )

    def ensure_many(self, numbers: set[str], now: datetime) -> None:
        if numbers:
            self._c.execute(
                dialects.insert_ignore(self._c, handsets),
                [{"number": n, "created_at": now, "script": None} for n in sorted(numbers)],
            )

    def scripts(self, numbers: set[str]) -> dict[str, list[dict[str, Any]]]:
        """The auto-respond scripts of those of ``numbers`` that have one."""
        if not numbers:
            return {}
        rows = self._c.execute(_SCRIPTS, {"numbers": sorted(numbers)})
        return {r.number: list(r.script) for r in rows if r.script}

    def record_many(self, rows: list[HandsetMessage]) -> None:
        if rows:
            self._c.execute(
                handset_messages.insert(),
                [
                    {
                        "handset": m.handset,
                        "direction": m.direction,
                        "peer": m.peer,
                        "body": m.body,
                        "message_id": m.message_id,
                        "at": m.at,
                    }
                    for m in rows
                ],
            )

    def get(self, number: str) -> Handset | None:
        row = self._c.execute(sa.select(handsets).where(handsets.c.number == number)).first()
        if row is None:
            return None
        return Handset(row.number, ensure_utc(row.created_at), list(row.script or []))

    def page(self, limit: int, offset: int, search: str | None = None) -> list[Handset]:
        """Newest first; ``search``: only handsets whose number contains its digits."""
        query = sa.select(handsets)
        if search:
            query = query.where(number_matches(handsets.c.number, search))
        rows = self._c.execute(
            query.order_by(handsets.c.created_at.desc(), handsets.c.number)
            .offset(offset)
            .limit(limit)
        )
        return [Handset(r.number, ensure_utc(r.created_at), list(r.script or [])) for r in rows]

    def set_script(self, number: str, script: list[dict[str, Any]]) -> None:
        self._c.execute(
            handsets.update().where(handsets.c.number == number).values(script=script or None)
        )

    def record(
        self,
        handset: str,
        direction: str,
        peer: str,
        body: str,
        message_id: str | None,
        at: datetime,
    ) -> None:
        self._c.execute(
            handset_messages.insert().values(
                handset=handset,
                direction=direction,
                peer=peer,
                body=body,
                message_id=message_id,
                at=at,
            )
        )

    def messages(self, handset: str, after_id: int, limit: int) -> list[HandsetMessage]:
        rows = self._c.execute(
            sa.select(handset_messages)
            .where(handset_messages.c.handset == handset, handset_messages.c.id > after_id)
            .order_by(handset_messages.c.id)
            .limit(limit)
        )
        return [
            HandsetMessage(
                r.id, r.handset, r.direction, r.peer, r.body, r.message_id, ensure_utc(r.at)
            )
            for r in rows
        ]


class SqlCarrierRuleRepo:
    def __init__(self, connection: sa.Connection) -> None:
        self._c = connection

    def all(self) -> list[CarrierRule]:
        rows = self._c.execute(_RULES)
        return [CarrierRule(r.pattern, r.outcome, r.delay_seconds, r.code) for r in rows]

    def replace(self, rules: list[CarrierRule]) -> None:
        self._c.execute(carrier_rules.delete())
        if rules:
            self._c.execute(
                carrier_rules.insert(),
                [
                    {
                        "position": i,
                        "pattern": r.pattern,
                        "outcome": r.outcome,
                        "delay_seconds": r.delay_seconds,
                        "code": r.code,
                    }
                    for i, r in enumerate(rules)
                ],
            )
