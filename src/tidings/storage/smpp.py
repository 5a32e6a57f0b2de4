"""SQL adapter of ``SmppRepo`` (``ports_smpp``): the SMPP connector's tables."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from tidings.domain.timefmt import ensure_utc
from tidings.ports.smpp import (
    EarlyReceipt,
    NewSegment,
    Segment,
    SegmentUpdate,
)
from tidings.storage import dialects, driver
from tidings.storage.smpp_outbox import SqlSmppOutbox
from tidings.storage.smpp_schema import (
    smpp_early_receipts,
    smpp_segments,
)

_S = smpp_segments.c
_OPTIONAL_UPDATES = (
    "bind",
    "attempts",
    "due_at",
    "smsc_id",
    "delivered",
    "code",
    "details",
    "receipt_state",
)


def _segment(r: Any) -> Segment:
    """A ``smpp_segments`` row (every column, in the table's order) as a ``Segment``: by
    position, the cheapest way to read a row (this runs for every part, several times)."""
    (
        id_, carrier, message_id, seq, total, segments, sender, recipient, short_message,
        data_coding, esm_class, tlvs, state, bind, attempts, due_at, smsc_id, delivered,
        code, details, receipt_state, submitted_at, _updated_at,
    ) = r  # fmt: skip
    return Segment(
        id_,
        carrier,
        message_id,
        seq,
        total,
        segments,
        sender,
        recipient,
        bytes(short_message),
        data_coding,
        esm_class,
        tuple((int(t), bytes.fromhex(v)) for t, v in tlvs) if tlvs else (),
        state,
        bind,
        attempts,
        ensure_utc(due_at),
        smsc_id,
        delivered,
        code,
        details,
        receipt_state,
        ensure_utc(submitted_at) if submitted_at else None,
    )


_NEW_COLUMNS = (
    "carrier", "message_id", "seq", "total", "segments", "sender", "recipient",
    "short_message", "data_coding", "esm_class", "tlvs", "state", "bind", "attempts",
    "due_at", "updated_at",
)  # fmt: skip

# The hot statements are built once: building one and its cache key costs more than
# running it (expanding IN lists take any number of ids).
_CLAIM_DUE = (
    sa.select(_S.id)
    .where(
        _S.carrier == sa.bindparam("b_carrier"),
        _S.state == "queued",
        _S.due_at <= sa.bindparam("b_now"),
    )
    .order_by(_S.due_at, _S.id)
    .limit(sa.bindparam("b_limit"))
    .with_for_update(skip_locked=True)
)
_CLAIM = (
    smpp_segments.update()
    .where(_S.id.in_(sa.bindparam("b_ids", expanding=True)), _S.state == "queued")
    .values(state="inflight", bind=sa.bindparam("b_bind"), updated_at=sa.bindparam("b_now"))
    .returning(*smpp_segments.c)
)
_BY_SMSC_IDS = sa.select(smpp_segments).where(
    _S.carrier == sa.bindparam("b_carrier"),
    _S.smsc_id.in_(sa.bindparam("b_ids", expanding=True)),
)
_SEGMENTS_OF = (
    sa.select(smpp_segments)
    .where(_S.message_id.in_(sa.bindparam("b_ids", expanding=True)))
    .order_by(_S.message_id, _S.seq)
)
_LOCK_MESSAGES = (
    sa.select(_S.id)
    .where(_S.message_id.in_(sa.bindparam("b_ids", expanding=True)))
    .order_by(_S.id)  # one order everywhere: no deadlocks between lockers
    .with_for_update()
)
_E = smpp_early_receipts.c
_ANY_EARLY = sa.select(_E.id).where(_E.carrier == sa.bindparam("b_carrier")).limit(1)
_EARLY_BY_IDS = (
    sa.select(smpp_early_receipts)
    .where(
        _E.carrier == sa.bindparam("b_carrier"),
        _E.smsc_id.in_(sa.bindparam("b_ids", expanding=True)),
    )
    .order_by(_E.id)
)
_UPDATES: dict[tuple[str, ...], sa.Update] = {}


def _update_of(shape: tuple[str, ...]) -> sa.Update:
    """The executemany statement of an update that sets ``shape``'s columns."""
    statement = _UPDATES.get(shape)
    if statement is None:
        statement = _UPDATES[shape] = (
            smpp_segments.update()
            .where(_S.id == sa.bindparam("b_id"))
            .values({key: sa.bindparam(f"b_{key}") for key in shape})
        )
    return statement


class SqlSmppQueue:
    """The outbound queue, correlation and early receipts."""

    def __init__(self, connection: sa.Connection) -> None:
        self._c = connection

    # -- outbound queue and correlation ------------------------------------------------------

    def add_segments(self, rows: Sequence[NewSegment]) -> None:
        if not rows:
            return
        driver.fast_insert(
            self._c,
            smpp_segments,
            _NEW_COLUMNS,
            [
                (
                    r.carrier,
                    r.message_id,
                    r.seq,
                    r.total,
                    r.segments,
                    r.sender,
                    r.recipient,
                    r.short_message,
                    r.data_coding,
                    r.esm_class,
                    driver.json_text([[t, v.hex()] for t, v in r.tlvs]) if r.tlvs else "[]",
                    "queued",
                    None,
                    0,
                    r.due_at,
                    r.due_at,
                )
                for r in rows
            ],
        )

    def claim(self, carrier: str, bind: str, *, limit: int, now: datetime) -> list[Segment]:
        params = {"b_carrier": carrier, "b_now": now, "b_limit": limit}
        ids = [row[0] for row in self._c.execute(_CLAIM_DUE, params)]
        if not ids:
            return []
        result = self._c.execute(_CLAIM, {"b_ids": ids, "b_bind": bind, "b_now": now})
        return sorted((_segment(r) for r in result), key=lambda s: s.id)

    def requeue(self, carrier: str, bind: str, now: datetime) -> int:
        result = self._c.execute(
            smpp_segments.update()
            .where(_S.carrier == carrier, _S.bind == bind, _S.state == "inflight")
            .values(state="queued", updated_at=now)
        )
        return int(result.rowcount or 0)

    def update_segments(self, updates: Sequence[SegmentUpdate]) -> None:
        """One executemany per shape of update (which columns it sets)."""
        shapes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for u in updates:
            values: dict[str, Any] = {"state": u.state, "updated_at": u.at}
            for key in _OPTIONAL_UPDATES:
                value = getattr(u, key)
                if value is not None:
                    values[key] = value
            if u.state == "submitted":
                values["submitted_at"] = u.at
            shape = tuple(sorted(values))
            shapes.setdefault(shape, []).append(
                {"b_id": u.id, **{f"b_{k}": v for k, v in values.items()}}
            )
        for shape, rows in shapes.items():
            driver.executemany(self._c, _update_of(shape), rows)

    def by_smsc_ids(self, carrier: str, smsc_ids: Sequence[str]) -> list[Segment]:
        if not smsc_ids:
            return []
        rows = self._c.execute(_BY_SMSC_IDS, {"b_carrier": carrier, "b_ids": sorted(set(smsc_ids))})
        return [_segment(r) for r in rows]

    def segments_of(self, message_ids: Sequence[str]) -> list[Segment]:
        if not message_ids:
            return []
        rows = self._c.execute(_SEGMENTS_OF, {"b_ids": sorted(set(message_ids))})
        return [_segment(r) for r in rows]

    def lock_messages(self, message_ids: Sequence[str]) -> bool:
        if dialects.is_sqlite(self._c) or not message_ids:
            return False
        self._c.execute(_LOCK_MESSAGES, {"b_ids": sorted(set(message_ids))}).all()
        return True

    def queued_count(self, carrier: str) -> int:
        query = sa.select(sa.func.count()).where(
            _S.carrier == carrier, _S.state.in_(["queued", "inflight"])
        )
        return int(self._c.execute(query).scalar_one())

    def unreceipted(self, carrier: str, before: datetime, limit: int) -> list[Segment]:
        rows = self._c.execute(
            sa.select(smpp_segments)
            .where(_S.carrier == carrier, _S.state == "submitted", _S.submitted_at < before)
            .order_by(_S.id)
            .limit(limit)
        )
        return [_segment(r) for r in rows]

    def prune_done(self, before: datetime) -> int:
        result = self._c.execute(
            smpp_segments.delete().where(_S.state == "done", _S.updated_at < before)
        )
        return int(result.rowcount or 0)

    # -- early receipts ------------------------------------------------------------------------

    def add_early(self, receipts: Sequence[EarlyReceipt]) -> None:
        if receipts:
            self._c.execute(
                smpp_early_receipts.insert(),
                [
                    {
                        "carrier": r.carrier,
                        "smsc_id": r.smsc_id,
                        "state": r.state,
                        "error": r.error,
                        "network_error": r.network_error,
                        "received_at": r.received_at,
                        "bind": r.bind,
                        "raw_id": r.raw_id,
                    }
                    for r in receipts
                ],
            )

    def early(self, carrier: str, limit: int) -> list[EarlyReceipt]:
        e = smpp_early_receipts.c
        return self._early(
            sa.select(smpp_early_receipts)
            .where(e.carrier == carrier)
            .order_by(e.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )

    def early_by_ids(self, carrier: str, smsc_ids: Sequence[str]) -> list[EarlyReceipt]:
        if not smsc_ids or self._c.execute(_ANY_EARLY, {"b_carrier": carrier}).first() is None:
            return []  # the usual case: no receipt waits (a one-row probe, not a long IN)
        return self._early(_EARLY_BY_IDS, {"b_carrier": carrier, "b_ids": list(smsc_ids)})

    def _early(
        self, query: sa.Select[Any], params: dict[str, Any] | None = None
    ) -> list[EarlyReceipt]:
        rows = self._c.execute(query, params)
        return [
            EarlyReceipt(
                r.id,
                r.carrier,
                r.smsc_id,
                r.state,
                r.error,
                r.network_error,
                ensure_utc(r.received_at),
                r.bind,
                r.raw_id,
            )
            for r in rows
        ]

    def delete_early(self, ids: Sequence[int]) -> None:
        if ids:
            self._c.execute(smpp_early_receipts.delete().where(smpp_early_receipts.c.id.in_(ids)))

    def expire_early(self, before: datetime) -> int:
        result = self._c.execute(
            smpp_early_receipts.delete().where(smpp_early_receipts.c.received_at < before)
        )
        return int(result.rowcount or 0)


class SqlSmppRepo(SqlSmppQueue, SqlSmppOutbox):
    """``SmppRepo``: the queue half here, outboxes, MO parts and binds in ``smpp_outbox``."""
