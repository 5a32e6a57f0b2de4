"""Chat threads, participants, messages and read receipts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from tidings.domain.chat import Message, MessageType, Participant, ReadReceipt, Thread
from tidings.domain.timefmt import ensure_utc
from tidings.storage import dialects
from tidings.storage.chat_schema import (
    chat_messages,
    chat_participants,
    chat_read_receipts,
    chat_threads,
)


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else ensure_utc(value)


def _thread(r: Any) -> Thread:
    return Thread(
        id=r.id,
        topic=r.topic,
        created_by=r.created_by,
        created_at=ensure_utc(r.created_at),
        deleted_at=_utc(r.deleted_at),
        metadata=dict(r.metadata),
        last_message_at=_utc(r.last_message_at),
        last_sequence=int(r.last_sequence),
        last_message_id=int(r.last_message_id),
        version=int(r.version),
    )


def _thread_row(t: Thread) -> dict[str, Any]:
    return {
        "topic": t.topic,
        "created_by": t.created_by,
        "created_at": t.created_at,
        "deleted_at": t.deleted_at,
        "metadata": t.metadata,
        "last_message_at": t.last_message_at,
        "last_sequence": t.last_sequence,
        "last_message_id": t.last_message_id,
        "version": t.version,
    }


def _participant(r: Any) -> Participant:
    return Participant(
        thread_id=r.thread_id,
        user_id=r.user_id,
        display_name=r.display_name,
        share_history_time=_utc(r.share_history_time),
        added_at=ensure_utc(r.added_at),
        metadata=dict(r.metadata),
    )


def _message(r: Any) -> Message:
    return Message(
        thread_id=r.thread_id,
        id=str(r.id),
        type=MessageType(r.type),
        sequence_id=int(r.sequence_id),
        version=str(r.version),
        created_at=ensure_utc(r.created_at),
        content=dict(r.content),
        sender_id=r.sender_id,
        sender_display_name=r.sender_display_name,
        edited_at=_utc(r.edited_at),
        deleted_at=_utc(r.deleted_at),
        metadata=dict(r.metadata),
    )


def _message_row(m: Message) -> dict[str, Any]:
    return {
        "thread_id": m.thread_id,
        "id": int(m.id),
        "type": m.type.value,
        "sequence_id": m.sequence_id,
        "version": int(m.version),
        "created_at": m.created_at,
        "content": m.content,
        "sender_id": m.sender_id,
        "sender_display_name": m.sender_display_name,
        "edited_at": m.edited_at,
        "deleted_at": m.deleted_at,
        "metadata": m.metadata,
    }


class SqlChatRepo:
    def __init__(self, connection: sa.Connection) -> None:
        self._c = connection

    # -- threads ---------------------------------------------------------------------------

    def add_thread(self, thread: Thread, repeatability_key: str | None) -> None:
        self._c.execute(
            chat_threads.insert().values(
                id=thread.id, repeatability_key=repeatability_key, **_thread_row(thread)
            )
        )

    def thread_by_repeatability(self, repeatability_key: str) -> str | None:
        return self._c.execute(
            sa.select(chat_threads.c.id).where(
                chat_threads.c.repeatability_key == repeatability_key
            )
        ).scalar_one_or_none()

    def thread(self, thread_id: str, *, lock: bool = False) -> Thread | None:
        query = sa.select(chat_threads).where(chat_threads.c.id == thread_id)
        if lock and not dialects.is_sqlite(self._c):
            query = query.with_for_update()
        row = self._c.execute(query).first()
        return None if row is None else _thread(row)

    def save_thread(self, thread: Thread) -> None:
        self._c.execute(
            chat_threads.update()
            .where(chat_threads.c.id == thread.id)
            .values(**_thread_row(thread))
        )

    def touch_thread(self, thread: Thread) -> None:
        """Save only what a new message changes."""
        self._c.execute(
            chat_threads.update()
            .where(chat_threads.c.id == thread.id)
            .values(
                last_sequence=thread.last_sequence,
                last_message_id=thread.last_message_id,
                last_message_at=thread.last_message_at,
            )
        )

    def threads_of(
        self,
        user_id: str,
        *,
        since: datetime | None,
        before: tuple[datetime, str] | None,
        limit: int,
    ) -> list[Thread]:
        """The user's threads, most recently active first (``last_message_at``, then id)."""
        query = (
            sa.select(chat_threads)
            .join(chat_participants, chat_participants.c.thread_id == chat_threads.c.id)
            .where(chat_participants.c.user_id == user_id)
        )
        return self._by_activity(query, since=since, before=before, limit=limit)

    def all_threads(
        self, *, before: tuple[datetime, str] | None, limit: int, topic: str | None = None
    ) -> list[Thread]:
        query = sa.select(chat_threads).where(chat_threads.c.deleted_at.is_(None))
        if topic:
            query = query.where(chat_threads.c.topic.icontains(topic, autoescape=True))
        return self._by_activity(query, since=None, before=before, limit=limit)

    def _by_activity(
        self,
        query: sa.Select[Any],
        *,
        since: datetime | None,
        before: tuple[datetime, str] | None,
        limit: int,
    ) -> list[Thread]:
        activity = sa.func.coalesce(chat_threads.c.last_message_at, chat_threads.c.created_at)
        if since is not None:
            query = query.where(activity >= since)
        if before is not None:
            at, thread_id = before
            query = query.where(
                sa.or_(activity < at, sa.and_(activity == at, chat_threads.c.id < thread_id))
            )
        query = query.order_by(activity.desc(), chat_threads.c.id.desc()).limit(limit)
        return [_thread(r) for r in self._c.execute(query)]

    # -- participants ----------------------------------------------------------------------

    def participants(self, thread_id: str) -> list[Participant]:
        query = (
            sa.select(chat_participants)
            .where(chat_participants.c.thread_id == thread_id)
            .order_by(chat_participants.c.added_at, chat_participants.c.user_id)
        )
        return [_participant(r) for r in self._c.execute(query)]

    def member_ids(self, thread_id: str) -> list[str]:
        query = sa.select(chat_participants.c.user_id).where(
            chat_participants.c.thread_id == thread_id
        )
        return [r.user_id for r in self._c.execute(query)]

    def participant(self, thread_id: str, user_id: str) -> Participant | None:
        row = self._c.execute(
            sa.select(chat_participants).where(
                chat_participants.c.thread_id == thread_id,
                chat_participants.c.user_id == user_id,
            )
        ).first()
        return None if row is None else _participant(row)

    def add_participants(self, participants: Sequence[Participant]) -> None:
        if not participants:
            return
        stmt = dialects.upsert(
            self._c,
            chat_participants,
            ["thread_id", "user_id"],
            {
                "display_name": sa.literal_column("excluded.display_name"),
                "share_history_time": sa.literal_column("excluded.share_history_time"),
                "metadata": sa.literal_column("excluded.metadata"),
            },
        )
        self._c.execute(
            stmt,
            [
                {
                    "thread_id": p.thread_id,
                    "user_id": p.user_id,
                    "display_name": p.display_name,
                    "share_history_time": p.share_history_time,
                    "added_at": p.added_at,
                    "metadata": p.metadata,
                }
                for p in participants
            ],
        )

    def remove_participant(self, thread_id: str, user_id: str) -> bool:
        result = self._c.execute(
            chat_participants.delete().where(
                chat_participants.c.thread_id == thread_id,
                chat_participants.c.user_id == user_id,
            )
        )
        return result.rowcount > 0

    # -- messages --------------------------------------------------------------------------

    def add_messages(self, messages: Sequence[Message]) -> None:
        if messages:
            self._c.execute(chat_messages.insert(), [_message_row(m) for m in messages])

    def message(self, thread_id: str, message_id: int) -> Message | None:
        row = self._c.execute(
            sa.select(chat_messages).where(
                chat_messages.c.thread_id == thread_id, chat_messages.c.id == message_id
            )
        ).first()
        return None if row is None else _message(row)

    def save_message(self, message: Message) -> None:
        row = _message_row(message)
        self._c.execute(
            chat_messages.update()
            .where(chat_messages.c.thread_id == message.thread_id, chat_messages.c.id == row["id"])
            .values(**row)
        )

    def messages(
        self, thread_id: str, *, since: datetime | None, before_id: int | None, limit: int
    ) -> list[Message]:
        """Newest first, as ACS lists them."""
        query = sa.select(chat_messages).where(chat_messages.c.thread_id == thread_id)
        if since is not None:
            query = query.where(chat_messages.c.created_at >= since)
        if before_id is not None:
            query = query.where(chat_messages.c.id < before_id)
        query = query.order_by(chat_messages.c.id.desc()).limit(limit)
        return [_message(r) for r in self._c.execute(query)]

    # -- read receipts ---------------------------------------------------------------------

    def set_read_receipt(self, receipt: ReadReceipt) -> None:
        stmt = dialects.upsert(
            self._c,
            chat_read_receipts,
            ["thread_id", "user_id"],
            {"message_id": int(receipt.message_id), "read_at": receipt.read_at},
        )
        self._c.execute(
            stmt.values(
                thread_id=receipt.thread_id,
                user_id=receipt.user_id,
                message_id=int(receipt.message_id),
                read_at=receipt.read_at,
            )
        )

    def read_receipts(self, thread_id: str, *, skip: int, limit: int) -> list[ReadReceipt]:
        query = (
            sa.select(chat_read_receipts)
            .where(chat_read_receipts.c.thread_id == thread_id)
            .order_by(chat_read_receipts.c.read_at.desc(), chat_read_receipts.c.user_id)
            .offset(skip)
            .limit(limit)
        )
        return [
            ReadReceipt(r.thread_id, r.user_id, str(r.message_id), ensure_utc(r.read_at))
            for r in self._c.execute(query)
        ]
