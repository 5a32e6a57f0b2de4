"""SQL adapter of ``SmppHistoryRepo``: each SMPP part's SMSC ids and receipts
(``smpp_history``), read by the message timeline."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from tidings.domain.timefmt import ensure_utc
from tidings.ports.smpp import PartEvent
from tidings.storage import driver
from tidings.storage.smpp_schema import smpp_history

_H = smpp_history.c
_FIELDS = (
    "message_id",
    "carrier",
    "seq",
    "total",
    "kind",
    "at",
    "bind",
    "smsc_id",
    "raw_id",
    "state",
    "error",
    "network_error",
    "final",
)


class SqlSmppHistory:
    def __init__(self, connection: sa.Connection) -> None:
        self._c = connection

    def add(self, events: Sequence[PartEvent]) -> None:
        if events:
            driver.fast_insert(
                self._c,
                smpp_history,
                _FIELDS,
                [tuple(getattr(e, name) for name in _FIELDS) for e in events],
            )

    def of_message(self, message_id: str, limit: int = 1000) -> list[PartEvent]:
        rows = self._c.execute(
            sa.select(*(smpp_history.c[name] for name in _FIELDS))
            .where(_H.message_id == message_id)
            .order_by(_H.id)
            .limit(limit)
        )
        return [PartEvent(**{**r._asdict(), "at": ensure_utc(r.at)}) for r in rows]
