"""Messages, both directions (conversations and the opt-out list: ``conversations.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from tidings.domain.messages import (
    DeliveryAttempt,
    Direction,
    FinalOutcome,
    Message,
    MessageOrigin,
    MessageStatus,
    OutboundBatch,
    QueuedSms,
    ReportTarget,
)
from tidings.domain.timefmt import ensure_utc
from tidings.storage import driver, rollups
from tidings.storage.intake import accept_batches, attempts_json, message_row
from tidings.storage.schema import messages


def _opt(value: datetime | None) -> datetime | None:
    return None if value is None else ensure_utc(value)


def _attempts(value: Any) -> tuple[DeliveryAttempt, ...]:
    return tuple(
        DeliveryAttempt(
            timestamp=ensure_utc(datetime.fromisoformat(a["timestamp"])),
            segments_succeeded=int(a["segmentsSucceeded"]),
            segments_failed=int(a["segmentsFailed"]),
        )
        for a in value or ()
    )


def _message(row: sa.Row[Any]) -> Message:
    return Message(
        id=row.id,
        direction=Direction(row.direction),
        status=MessageStatus(row.status),
        sender=row.sender,
        recipient=row.recipient,
        body=row.body,
        segments=row.segments,
        encoding=row.encoding,
        tag=row.tag,
        enable_delivery_report=bool(row.enable_delivery_report),
        origin=MessageOrigin(row.origin),
        created_at=ensure_utc(row.created_at),
        sent_at=_opt(row.sent_at),
        final_at=_opt(row.final_at),
        delivery_code=row.delivery_code,
        attempts=_attempts(row.attempts),
        conversation_id=row.conversation_id,
        scheduled_at=_opt(row.scheduled_at),
        report_timeout_seconds=row.report_timeout_seconds,
        carrier_message_id=row.carrier_message_id,
        partner=row.partner,
        carrier=row.carrier,
    )


_FINAL = [MessageStatus.DELIVERED.value, MessageStatus.FAILED.value]
_MARK_SENT = (
    messages.update()
    .where(
        messages.c.id == sa.bindparam("b_id"),
        messages.c.status == MessageStatus.QUEUED.value,
    )
    .values(
        status=MessageStatus.SENT.value,
        sent_at=sa.bindparam("b_at"),
        carrier_message_id=sa.bindparam("b_carrier"),
        carrier=sa.bindparam("b_carrier_name"),
    )
)
_FINISH = (
    messages.update()
    .where(
        messages.c.id == sa.bindparam("b_id"),
        messages.c.status != MessageStatus.DELIVERED.value,
        messages.c.status != MessageStatus.FAILED.value,
    )
    .values(
        status=sa.bindparam("b_status"),
        delivery_code=sa.bindparam("b_code"),
        final_at=sa.bindparam("b_at"),
        attempts=sa.bindparam("b_attempts", type_=messages.c.attempts.type),
    )
)


_TARGET_COLUMNS = (
    messages.c.id,
    messages.c.status,
    messages.c.sender,
    messages.c.recipient,
    messages.c.segments,
    messages.c.tag,
    messages.c.enable_delivery_report,
    messages.c.created_at,
)
_TARGETS = sa.select(*_TARGET_COLUMNS).where(
    messages.c.id.in_(sa.bindparam("b_ids", expanding=True))
)
_TARGETS_LOCKED = _TARGETS.order_by(messages.c.id).with_for_update()
_QUEUED = sa.select(
    *_TARGET_COLUMNS,
    messages.c.body,
    messages.c.origin,
    messages.c.partner,
    messages.c.scheduled_at,
).where(
    messages.c.id.in_(sa.bindparam("b_ids", expanding=True)),
    messages.c.status == MessageStatus.QUEUED.value,
)
_QUEUED_LOCKED = _QUEUED.order_by(messages.c.id).with_for_update()


class SqlMessageRepo:
    def __init__(self, connection: sa.Connection) -> None:
        self._c = connection
        #: Messages this transaction marked sent, as ``report_targets`` would read them.
        self._sent: dict[str, ReportTarget] = {}

    def accept(self, batch: OutboundBatch) -> dict[str, str]:
        """Store one send request's rows; see ``accept_batches``."""
        return accept_batches(self._c, [batch])[0]

    def get_many(self, message_ids: list[str], *, lock: bool = False) -> dict[str, Message]:
        """Messages by id; ``lock`` holds their rows until commit (PostgreSQL) so two
        transactions never both finish the same message."""
        found: dict[str, Message] = {}
        for start in range(0, len(message_ids), 500):
            query = sa.select(messages).where(messages.c.id.in_(message_ids[start : start + 500]))
            if lock:
                query = query.order_by(messages.c.id).with_for_update()
            rows = self._c.execute(query)
            found.update({r.id: _message(r) for r in rows})
        return found

    def report_targets(
        self, message_ids: list[str], *, lock: bool = False
    ) -> dict[str, ReportTarget]:
        found: dict[str, ReportTarget] = {}
        if lock and self._sent:  # marked sent by this transaction (``mark_sent_many``)
            found = {i: self._sent[i] for i in message_ids if i in self._sent}
            message_ids = [i for i in message_ids if i not in found]
            if not message_ids:
                return found
        query = _TARGETS_LOCKED if lock else _TARGETS
        for start in range(0, len(message_ids), 500):
            for r in self._c.execute(query, {"b_ids": message_ids[start : start + 500]}):
                found[r[0]] = ReportTarget(
                    r[0], MessageStatus(r[1]), r[2], r[3], r[4], r[5], bool(r[6]), ensure_utc(r[7])
                )
        return found

    def queued(self, message_ids: list[str], *, lock: bool = False) -> dict[str, QueuedSms]:
        found: dict[str, QueuedSms] = {}
        query = _QUEUED_LOCKED if lock else _QUEUED
        for start in range(0, len(message_ids), 500):
            for r in self._c.execute(query, {"b_ids": message_ids[start : start + 500]}):
                found[r[0]] = QueuedSms(
                    r[0],
                    MessageStatus.QUEUED,
                    r[2],
                    r[3],
                    r[8],
                    r[4],
                    r[5],
                    bool(r[6]),
                    MessageOrigin(r[9]),
                    r[10],
                    ensure_utc(r[7]),
                    _opt(r[11]),
                )
        return found

    def link_conversation(self, message_id: str, conversation_id: str) -> None:
        self._c.execute(
            messages.update()
            .where(messages.c.id == message_id)
            .values(conversation_id=conversation_id)
        )

    def add_many(self, rows: list[tuple[Message, str | None]]) -> None:
        if rows:
            self._c.execute(messages.insert(), [message_row(m, rid) for m, rid in rows])
            times = [m.created_at for m, _ in rows]
            rollups.invalidate(self._c, min(times), max(times))

    def get(self, message_id: str) -> Message | None:
        row = self._c.execute(sa.select(messages).where(messages.c.id == message_id)).first()
        return None if row is None else _message(row)

    def mark_sent(self, message_id: str, at: datetime, carrier_message_id: str) -> bool:
        result = self._c.execute(
            messages.update()
            .where(messages.c.id == message_id, messages.c.status == MessageStatus.QUEUED.value)
            .values(
                status=MessageStatus.SENT.value, sent_at=at, carrier_message_id=carrier_message_id
            )
        )
        return result.rowcount > 0

    def mark_sent_many(
        self,
        sent: list[tuple[str, str, str | None]],
        at: datetime,
        targets: Sequence[ReportTarget] = (),
    ) -> None:
        """``mark_sent`` for many ``(message_id, carrier_message_id, carrier)`` in one
        statement; ``targets`` are kept for ``report_targets`` if every message was marked."""
        if not sent:
            return
        changed = driver.executemany(
            self._c,
            _MARK_SENT,
            [
                {"b_id": i, "b_carrier": c, "b_carrier_name": name, "b_at": at}
                for i, c, name in sent
            ],
        )
        if targets and changed == len(sent):
            # Each row is now SENT and locked by this transaction until it ends: as a
            # locking read would find it, until ``finish_many`` changes it.
            self._sent.update((t.id, t) for t in targets)

    def finish_many(self, outcomes: list[FinalOutcome]) -> None:
        """``finish`` for many messages in one statement (a message already final is left)."""
        for outcome in outcomes:
            self._sent.pop(outcome.message_id, None)
        if outcomes:
            created = [o.created_at for o in outcomes if o.created_at is not None]
            if len(created) == len(outcomes):  # read by the caller (``report_targets``, ...)
                rollups.invalidate(self._c, min(created), max(created))
            else:
                rollups.invalidate_messages(self._c, [o.message_id for o in outcomes])
            driver.executemany(
                self._c,
                _FINISH,
                [
                    {
                        "b_id": o.message_id,
                        "b_status": o.status.value,
                        "b_code": o.code,
                        "b_at": o.at,
                        "b_attempts": driver.json_text(attempts_json(o.attempts)),
                    }
                    for o in outcomes
                ],
            )

    def finish(
        self,
        message_id: str,
        *,
        status: MessageStatus,
        code: int,
        at: datetime,
        attempts: tuple[DeliveryAttempt, ...],
    ) -> bool:
        """Record the final outcome unless one is already recorded; True if this call did."""
        self._sent.pop(message_id, None)
        rollups.invalidate_messages(self._c, [message_id])
        result = self._c.execute(
            messages.update()
            .where(messages.c.id == message_id, messages.c.status.not_in(_FINAL))
            .values(
                status=status.value,
                delivery_code=code,
                final_at=at,
                attempts=attempts_json(attempts),
            )
        )
        return result.rowcount > 0

    def page(
        self,
        *,
        direction: Direction | None = None,
        number: str | None = None,
        conversation_id: str | None = None,
        status: MessageStatus | None = None,
        tag: str | None = None,
        before: tuple[datetime, str] | None = None,
        limit: int = 100,
        text: str | None = None,
    ) -> list[Message]:
        query = sa.select(messages)
        if text:
            query = query.where(messages.c.body.icontains(text, autoescape=True))
        if direction is not None:
            query = query.where(messages.c.direction == direction.value)
        if number is not None:
            query = query.where(sa.or_(messages.c.sender == number, messages.c.recipient == number))
        if conversation_id is not None:
            query = query.where(messages.c.conversation_id == conversation_id)
        if status is not None:
            query = query.where(messages.c.status == status.value)
        if tag is not None:
            query = query.where(messages.c.tag == tag)
        if before is not None:
            at, message_id = before
            query = query.where(
                sa.or_(
                    messages.c.created_at < at,
                    sa.and_(messages.c.created_at == at, messages.c.id < message_id),
                )
            )
        query = query.order_by(messages.c.created_at.desc(), messages.c.id.desc()).limit(limit)
        return [_message(r) for r in self._c.execute(query)]
