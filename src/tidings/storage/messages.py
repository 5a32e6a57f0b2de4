"""Messages (both directions), conversations and the opt-out list."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from tidings.domain.conversations import Conversation, OptOutEntry, conversation_id
from tidings.domain.messages import (
    DeliveryAttempt,
    Direction,
    FinalOutcome,
    Message,
    MessageOrigin,
    MessageStatus,
    OutboundBatch,
)
from tidings.domain.timefmt import ensure_utc
from tidings.storage import dialects, rollups
from tidings.storage.intake import accept_batches, attempts_json, message_row
from tidings.storage.schema import conversations, messages, opt_changes, optouts
from tidings.storage.search import number_matches


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


class SqlMessageRepo:
    def __init__(self, connection: sa.Connection) -> None:
        self._c = connection

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

    def mark_sent_many(self, sent: list[tuple[str, str, str | None]], at: datetime) -> None:
        """``mark_sent`` for many ``(message_id, carrier_message_id, carrier)`` in one
        statement."""
        if sent:
            self._c.execute(
                _MARK_SENT,
                [
                    {"b_id": i, "b_carrier": c, "b_carrier_name": name, "b_at": at}
                    for i, c, name in sent
                ],
            )

    def finish_many(self, outcomes: list[FinalOutcome]) -> None:
        """``finish`` for many messages in one statement (a message already final is left)."""
        if outcomes:
            rollups.invalidate_messages(self._c, [o.message_id for o in outcomes])
            self._c.execute(
                _FINISH,
                [
                    {
                        "b_id": o.message_id,
                        "b_status": o.status.value,
                        "b_code": o.code,
                        "b_at": o.at,
                        "b_attempts": attempts_json(o.attempts),
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


class SqlConversationRepo:
    def __init__(self, connection: sa.Connection) -> None:
        self._c = connection

    def touch(self, our_number: str, peer_number: str, at: datetime, count: int = 1) -> str:
        """The conversation id of the pair, created on first use; counts ``count`` messages."""
        self._c.execute(
            dialects.insert_ignore(self._c, conversations).values(
                id=conversation_id(our_number, peer_number),
                our_number=our_number,
                peer_number=peer_number,
                created_at=at,
                last_message_at=at,
                message_count=0,
            )
        )
        row = self._c.execute(
            conversations.update()
            .where(
                conversations.c.our_number == our_number,
                conversations.c.peer_number == peer_number,
            )
            .values(
                last_message_at=sa.case(
                    (conversations.c.last_message_at < at, at),
                    else_=conversations.c.last_message_at,
                ),
                message_count=conversations.c.message_count + count,
            )
            .returning(conversations.c.id)
        ).one()
        return str(row.id)

    def touch_many(self, counts: Mapping[tuple[str, str], int], at: datetime) -> None:
        """``touch`` for many pairs (ours, peer) -> messages, in two statements."""
        if not counts:
            return
        self._c.execute(
            dialects.insert_ignore(self._c, conversations),
            [
                {
                    "id": conversation_id(ours, peer),
                    "our_number": ours,
                    "peer_number": peer,
                    "created_at": at,
                    "last_message_at": at,
                    "message_count": 0,
                }
                for ours, peer in counts
            ],
        )
        c = conversations.c
        self._c.execute(
            conversations.update()
            .where(c.our_number == sa.bindparam("b_ours"), c.peer_number == sa.bindparam("b_peer"))
            .values(
                last_message_at=sa.case(
                    (c.last_message_at < sa.bindparam("b_at"), sa.bindparam("b_at")),
                    else_=c.last_message_at,
                ),
                message_count=c.message_count + sa.bindparam("b_count"),
            ),
            [
                {"b_ours": ours, "b_peer": peer, "b_at": at, "b_count": count}
                for (ours, peer), count in counts.items()
            ],
        )

    def get(self, conversation_id: str) -> Conversation | None:
        row = self._c.execute(
            sa.select(conversations).where(conversations.c.id == conversation_id)
        ).first()
        return None if row is None else self._row(row)

    def page(
        self, our_number: str | None, limit: int, offset: int, search: str | None = None
    ) -> list[Conversation]:
        """Most recently active first, each with its last message's text (``preview``).
        ``search``: the digits of a number in the pair, or text in any of its messages."""
        last = (
            sa.select(messages.c.body)
            .where(messages.c.conversation_id == conversations.c.id)
            .order_by(messages.c.created_at.desc(), messages.c.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        query = sa.select(conversations, last.label("preview"))
        if our_number is not None:
            query = query.where(conversations.c.our_number == our_number)
        if search:
            query = query.where(_conversation_matches(search))
        query = query.order_by(conversations.c.last_message_at.desc()).offset(offset).limit(limit)
        return [self._row(r) for r in self._c.execute(query)]

    @staticmethod
    def _row(row: sa.Row[Any]) -> Conversation:
        return Conversation(
            id=row.id,
            our_number=row.our_number,
            peer_number=row.peer_number,
            created_at=ensure_utc(row.created_at),
            last_message_at=ensure_utc(row.last_message_at),
            message_count=row.message_count,
            preview=getattr(row, "preview", None),
        )


def _conversation_matches(search: str) -> Any:
    """A number (digits and phone punctuation only) matches either side of the pair; any
    other text matches a conversation with a message that contains it."""
    text = search.strip()
    if all(ch.isdigit() or ch in "+-() " for ch in text):
        digits = "".join(ch for ch in text if ch.isdigit())
        return sa.or_(
            conversations.c.peer_number.contains(digits, autoescape=True),
            conversations.c.our_number.contains(digits, autoescape=True),
        )
    return sa.exists().where(
        messages.c.conversation_id == conversations.c.id,
        messages.c.body.icontains(text, autoescape=True),
    )


class SqlOptOutRepo:
    def __init__(self, connection: sa.Connection) -> None:
        self._c = connection

    def add(self, entry: OptOutEntry) -> bool:
        result = self._c.execute(
            dialects.insert_ignore(self._c, optouts)
            .values(
                sender=entry.sender,
                recipient=entry.recipient,
                country_code=entry.country_code,
                created_at=entry.created_at,
                source=entry.source,
            )
            .returning(optouts.c.sender)
        )
        added = result.first() is not None
        if added:
            self._log(entry.sender, entry.recipient, "optOut", entry.source, entry.created_at)
        return added

    def remove(self, sender: str, recipient: str, *, at: datetime, source: str) -> bool:
        """Take a recipient off the list, logging the opt-in (for analytics) if it was on."""
        result = self._c.execute(
            optouts.delete().where(optouts.c.sender == sender, optouts.c.recipient == recipient)
        )
        removed = result.rowcount > 0
        if removed:
            self._log(sender, recipient, "optIn", source, at)
        return removed

    def _log(self, sender: str, recipient: str, action: str, source: str, at: datetime) -> None:
        self._c.execute(
            opt_changes.insert().values(
                sender=sender, recipient=recipient, action=action, source=source, at=at
            )
        )

    def opted_out(self, sender: str, recipients: list[str]) -> set[str]:
        if not recipients:
            return set()
        rows = self._c.execute(
            sa.select(optouts.c.recipient).where(
                optouts.c.sender == sender, optouts.c.recipient.in_(recipients)
            )
        )
        return set(rows.scalars())

    def page(
        self, sender: str | None, limit: int, offset: int, search: str | None = None
    ) -> list[OptOutEntry]:
        query = sa.select(optouts)
        if sender is not None:
            query = query.where(optouts.c.sender == sender)
        if search:
            query = query.where(number_matches(optouts.c.recipient, search))
        query = query.order_by(optouts.c.created_at.desc()).offset(offset).limit(limit)
        return [
            OptOutEntry(r.sender, r.recipient, r.country_code, ensure_utc(r.created_at), r.source)
            for r in self._c.execute(query)
        ]
