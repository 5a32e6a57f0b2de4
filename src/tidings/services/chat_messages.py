"""Chat messages, read receipts and typing notifications, with their events.

Sending is group-committed: concurrent sends are handed together to ``_send_batch``, which
checks all callers with one query and each thread once, then writes all messages, thread
counters and events with one statement per table.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from tidings.domain import chat_events as ev
from tidings.domain.chat import (
    Message,
    MessageType,
    ReadReceipt,
    Thread,
    check_content,
    check_display_name,
    check_message_type,
    check_metadata,
    epoch_ms,
    next_message_id,
)
from tidings.domain.events import Event
from tidings.domain.identity import CHAT_SCOPES, Caller
from tidings.errors import Forbidden, NotFound, TidingsError, Unauthenticated
from tidings.ports import ChatTx
from tidings.services.chat_access import ChatAccess, Page, thread_not_found


@dataclass(frozen=True)
class _Send:
    caller: Caller
    thread_id: str
    content: str
    type: MessageType
    display_name: str | None
    metadata: dict[str, str]
    at: datetime


class MessageOps(ChatAccess):
    # -- messages --------------------------------------------------------------------------

    async def send_message(
        self,
        caller: Caller,
        thread_id: str,
        content: str | None,
        type_: str | None,
        sender_display_name: str | None,
        metadata: dict[str, str] | None,
    ) -> Message:
        """Group-committed with concurrent sends: one statement per table per batch."""
        caller.require(CHAT_SCOPES)
        send = _Send(
            caller=caller,
            thread_id=thread_id,
            content=check_content(content),
            type=check_message_type(type_),
            display_name=check_display_name(sender_display_name, "senderDisplayName"),
            metadata=check_metadata(metadata, "metadata"),
            at=self._now(),
        )
        result = await self._ctx.store.write_batched(self._send_batch, send)
        if isinstance(result, TidingsError):
            raise result
        assert isinstance(result, Message)
        return result

    def _send_batch(self, tx: ChatTx, sends: list[_Send]) -> list[Message | TidingsError]:
        generations = tx.identities.generations(sorted({s.caller.user_id for s in sends}))
        threads: dict[str, tuple[Thread, list[str]] | None] = {}
        results: list[Message | TidingsError] = []
        messages: list[Message] = []
        events: list[Event] = []
        for send in sends:
            caller = send.caller
            if generations.get(caller.user_id) != caller.generation:
                results.append(Unauthenticated("Invalid token", code="Unauthorized"))
                continue
            if send.thread_id not in threads:
                thread = tx.chat.thread(send.thread_id, lock=True)
                alive = thread is not None and thread.deleted_at is None
                threads[send.thread_id] = (
                    (thread, tx.chat.member_ids(send.thread_id)) if thread and alive else None
                )
            state = threads[send.thread_id]
            if state is None:
                results.append(thread_not_found(send.thread_id))
                continue
            thread, members = state
            if caller.user_id not in members:
                results.append(Forbidden("User is not allowed to perform specified action."))
                continue
            message_id = next_message_id(thread, send.at)
            message = Message(
                thread_id=thread.id,
                id=str(message_id),
                type=send.type,
                sequence_id=thread.last_sequence + 1,
                version=str(message_id),
                created_at=send.at,
                content={"message": send.content},
                sender_id=caller.user_id,
                sender_display_name=send.display_name,
                metadata=send.metadata,
            )
            thread = replace(
                thread,
                last_sequence=message.sequence_id,
                last_message_id=message_id,
                last_message_at=send.at,
            )
            threads[send.thread_id] = (thread, members)
            messages.append(message)
            change = self._change(thread, caller, send.at)
            events += ev.message_events(change, message, members, "received")
            results.append(message)
        tx.chat.add_messages(messages)
        for touched in {m.thread_id for m in messages}:
            state = threads[touched]
            assert state is not None
            tx.chat.touch_thread(state[0])
        tx.events.append_many(events)
        return results

    def message(self, caller: Caller, thread_id: str, message_id: str) -> Message:
        caller.require(CHAT_SCOPES)
        number = _message_number(message_id)

        def read(tx: ChatTx) -> Message:
            self._member_ids(tx, caller, thread_id)
            message = tx.chat.message(thread_id, number)
            if message is None:
                raise NotFound(f"Message {message_id} not found.", code="NotFound")
            return message

        return self._ctx.store.read(read)

    def messages(
        self,
        caller: Caller,
        thread_id: str,
        *,
        since: datetime | None,
        limit: int,
        cursor: str | None,
    ) -> Page[Message]:
        caller.require(CHAT_SCOPES)
        before = _message_number(cursor) if cursor else None

        def read(tx: ChatTx) -> list[Message]:
            _thread, participants = self._member(tx, caller, thread_id)
            me = next(p for p in participants if p.user_id == caller.user_id)
            visible = me.share_history_time or me.added_at
            start = max(since, visible) if since is not None else visible
            return tx.chat.messages(thread_id, since=start, before_id=before, limit=limit + 1)

        rows = self._ctx.store.read(read)
        more = len(rows) > limit
        rows = rows[:limit]
        return Page(rows, rows[-1].id if more and rows else None)

    def update_message(
        self,
        caller: Caller,
        thread_id: str,
        message_id: str,
        content: str | None,
        metadata: dict[str, str | None] | None,
    ) -> None:
        """A merge patch: absent members stay, a null metadata value removes its key."""
        caller.require(CHAT_SCOPES)
        number = _message_number(message_id)
        if content is not None:
            check_content(content)
        now = self._now()

        def write(tx: ChatTx) -> None:
            thread, recipients = self._member_ids(tx, caller, thread_id, lock=True)
            message = self._own_message(tx, caller, thread_id, number, message_id)
            merged = dict(message.metadata)
            for key, value in (metadata or {}).items():
                if value is None:
                    merged.pop(key, None)
                else:
                    merged[key] = value
            check_metadata(merged, "metadata")
            edited = replace(
                message,
                content={"message": content} if content is not None else message.content,
                metadata=merged,
                edited_at=now,
                version=str(max(epoch_ms(now), int(message.version) + 1)),
            )
            tx.chat.save_message(edited)
            change = self._change(thread, caller, now)
            tx.events.append_many(ev.message_events(change, edited, recipients, "edited"))

        self._ctx.store.write(write)

    def delete_message(self, caller: Caller, thread_id: str, message_id: str) -> None:
        caller.require(CHAT_SCOPES)
        number = _message_number(message_id)
        now = self._now()

        def write(tx: ChatTx) -> None:
            thread, recipients = self._member_ids(tx, caller, thread_id, lock=True)
            message = self._own_message(tx, caller, thread_id, number, message_id)
            if message.deleted_at is not None:
                return
            deleted = replace(
                message,
                deleted_at=now,
                version=str(max(epoch_ms(now), int(message.version) + 1)),
            )
            tx.chat.save_message(deleted)
            change = self._change(thread, caller, now)
            tx.events.append_many(ev.message_events(change, deleted, recipients, "deleted"))

        self._ctx.store.write(write)

    def _own_message(
        self, tx: ChatTx, caller: Caller, thread_id: str, number: int, message_id: str
    ) -> Message:
        message = tx.chat.message(thread_id, number)
        if message is None:
            raise NotFound(f"Message {message_id} not found.", code="NotFound")
        if message.type.is_system or message.sender_id != caller.user_id:
            raise Forbidden("Only the sender may edit or delete a message.")
        return message

    # -- receipts and typing ---------------------------------------------------------------

    def send_read_receipt(self, caller: Caller, thread_id: str, message_id: str) -> None:
        caller.require(CHAT_SCOPES)
        number = _message_number(message_id)
        now = self._now()

        def write(tx: ChatTx) -> None:
            self._member_ids(tx, caller, thread_id)
            if tx.chat.message(thread_id, number) is None:
                raise NotFound(f"Message {message_id} not found.", code="NotFound")
            tx.chat.set_read_receipt(ReadReceipt(thread_id, caller.user_id, str(number), now))

        self._ctx.store.write(write)

    def read_receipts(
        self, caller: Caller, thread_id: str, *, skip: int, limit: int
    ) -> Page[ReadReceipt]:
        caller.require(CHAT_SCOPES)

        def read(tx: ChatTx) -> list[ReadReceipt]:
            self._member_ids(tx, caller, thread_id)
            return tx.chat.read_receipts(thread_id, skip=skip, limit=limit + 1)

        rows = self._ctx.store.read(read)
        more = len(rows) > limit
        return Page(rows[:limit], str(skip + limit) if more else None)

    def typing(self, caller: Caller, thread_id: str, display_name: str | None) -> None:
        caller.require(CHAT_SCOPES)
        check_display_name(display_name, "senderDisplayName")
        now = self._now()

        def write(tx: ChatTx) -> None:
            thread, _ids = self._member_ids(tx, caller, thread_id)
            tx.events.append(ev.typing(self._change(thread, caller, now), display_name))

        self._ctx.store.write(write)


def _message_number(message_id: str) -> int:
    if not message_id.isdigit() or len(message_id) > 18:
        raise NotFound(f"Message {message_id} not found.", code="NotFound")
    return int(message_id)
