"""Chat: threads, participants, messages, read receipts and typing, with their events.

Every operation runs in one transaction that first checks the caller (token generation),
the thread (exists, not deleted) and the caller's membership, then changes the rows and
appends the change's events to the outbox, so a subscription sees exactly the committed
changes. Sending a message is group-committed with concurrent sends.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Generic, TypeVar

from tidings.domain import chat_events as ev
from tidings.domain.chat import (
    MAX_PARTICIPANTS,
    Message,
    MessageType,
    Participant,
    ReadReceipt,
    Thread,
    check_content,
    check_display_name,
    check_message_type,
    check_metadata,
    check_topic,
    epoch_ms,
    identifier,
    new_thread_id,
    next_message_id,
)
from tidings.domain.events import Event
from tidings.domain.identity import CHAT_SCOPES, Caller, is_user_id
from tidings.domain.timefmt import iso_z, parse_iso
from tidings.errors import Forbidden, InvalidInput, NotFound, TidingsError, Unauthenticated
from tidings.ports import Tx
from tidings.services.context import ServiceContext
from tidings.services.identity import check_caller

#: Creating, deleting and renaming threads needs the full ``chat`` scope.
MANAGE = frozenset({"chat"})
#: Adding and removing participants: ``chat`` or ``chat.join``.
MEMBERSHIP = frozenset({"chat", "chat.join"})


@dataclass(frozen=True)
class NewParticipant:
    user_id: str
    display_name: str | None = None
    share_history_time: datetime | None = None
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Send:
    caller: Caller
    thread_id: str
    content: str
    type: MessageType
    display_name: str | None
    metadata: dict[str, str]
    at: datetime


@dataclass(frozen=True)
class InvalidParticipant:
    target: str
    code: str
    message: str


T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def _thread_not_found(thread_id: str) -> NotFound:
    return NotFound(f"Thread {thread_id} not found.", code="NotFound")


class ChatService:
    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx

    # -- shared checks ---------------------------------------------------------------------

    def _now(self) -> datetime:
        return self._ctx.clock.now()

    def _member(
        self, tx: Tx, caller: Caller, thread_id: str, *, lock: bool = False
    ) -> tuple[Thread, list[Participant]]:
        """The live thread and its participants, if the caller is one of them."""
        thread, _ids = self._member_ids(tx, caller, thread_id, lock=lock)
        return thread, tx.chat.participants(thread_id)

    def _member_ids(
        self, tx: Tx, caller: Caller, thread_id: str, *, lock: bool = False
    ) -> tuple[Thread, list[str]]:
        """The live thread and its participants' ids; 401, 404 or 403 as ACS answers."""
        check_caller(tx, caller)
        thread = tx.chat.thread(thread_id, lock=lock)
        if thread is None or thread.deleted_at is not None:
            raise _thread_not_found(thread_id)
        ids = tx.chat.member_ids(thread_id)
        if caller.user_id not in ids:
            raise Forbidden("User is not allowed to perform specified action.")
        return thread, ids

    def _change(self, thread: Thread, caller: Caller, now: datetime) -> ev.Change:
        return ev.Change(self._ctx.topic, thread, caller.user_id, now, ev.transaction_id())

    def _system_message(
        self,
        thread: Thread,
        kind: MessageType,
        caller: Caller,
        now: datetime,
        *,
        participants: list[Participant] | None = None,
        topic: str | None = None,
    ) -> tuple[Thread, Message]:
        content: dict[str, object] = {
            "initiatorCommunicationIdentifier": identifier(caller.user_id)
        }
        if participants is not None:
            content["participants"] = [_participant_wire(p) for p in participants]
        if topic is not None:
            content["topic"] = topic
        message_id = next_message_id(thread, now)
        message = Message(
            thread_id=thread.id,
            id=str(message_id),
            type=kind,
            sequence_id=thread.last_sequence + 1,
            version=str(message_id),
            created_at=now,
            content=content,
        )
        return (
            replace(thread, last_sequence=message.sequence_id, last_message_id=message_id),
            message,
        )

    # -- threads ---------------------------------------------------------------------------

    def create_thread(
        self,
        caller: Caller,
        topic: str,
        participants: list[NewParticipant],
        repeatability_id: str | None,
        metadata: dict[str, str] | None = None,
    ) -> tuple[Thread, list[InvalidParticipant]]:
        caller.require(MANAGE)
        check_topic(topic)
        thread_metadata = check_metadata(metadata, "metadata")
        if len(participants) > MAX_PARTICIPANTS:
            raise InvalidInput(
                f"A thread has at most {MAX_PARTICIPANTS} participants.", target="participants"
            )
        for i, p in enumerate(participants):
            check_display_name(p.display_name, f"participants[{i}].displayName")
        key = f"{caller.user_id} {repeatability_id}" if repeatability_id else None
        now = self._now()

        def write(tx: Tx) -> tuple[Thread, list[InvalidParticipant]]:
            check_caller(tx, caller)
            if key is not None:
                existing = tx.chat.thread_by_repeatability(key)
                if existing is not None:
                    found = tx.chat.thread(existing)
                    assert found is not None
                    return found, []
            valid, invalid = _split(tx, participants)
            if not any(p.user_id == caller.user_id for p in valid):
                valid.insert(0, NewParticipant(caller.user_id))
            thread = Thread(
                id=new_thread_id(),
                topic=topic,
                created_by=caller.user_id,
                created_at=now,
                metadata=thread_metadata,
                version=epoch_ms(now),
            )
            members = [_member_row(thread.id, p, now) for p in valid]
            thread, added = self._system_message(
                thread, MessageType.PARTICIPANT_ADDED, caller, now, participants=members
            )
            tx.chat.add_thread(thread, key)
            tx.chat.add_participants(members)
            tx.chat.add_messages([added])
            tx.events.append_many(ev.thread_created(self._change(thread, caller, now), members))
            return thread, invalid

        return self._ctx.store.write(write)

    def thread(self, caller: Caller, thread_id: str) -> Thread:
        caller.require(CHAT_SCOPES)
        return self._ctx.store.read(lambda tx: self._member_ids(tx, caller, thread_id)[0])

    def threads(
        self, caller: Caller, *, since: datetime | None, limit: int, cursor: str | None
    ) -> Page[Thread]:
        caller.require(CHAT_SCOPES)
        before = _decode_thread_cursor(cursor) if cursor else None

        def read(tx: Tx) -> list[Thread]:
            check_caller(tx, caller)
            return tx.chat.threads_of(caller.user_id, since=since, before=before, limit=limit + 1)

        rows = self._ctx.store.read(read)
        more = len(rows) > limit
        rows = rows[:limit]
        last = rows[-1] if more and rows else None
        next_cursor = (
            f"{iso_z(last.last_message_at or last.created_at)}|{last.id}" if last else None
        )
        return Page(rows, next_cursor)

    def update_thread(
        self, caller: Caller, thread_id: str, topic: str | None, metadata: dict[str, str] | None
    ) -> None:
        caller.require(MANAGE)
        if topic is not None:
            check_topic(topic)
        new_metadata = check_metadata(metadata, "metadata") if metadata is not None else None
        now = self._now()

        def write(tx: Tx) -> None:
            thread, participants = self._member(tx, caller, thread_id, lock=True)
            updated = replace(
                thread,
                topic=topic if topic is not None else thread.topic,
                metadata=new_metadata if new_metadata is not None else thread.metadata,
                version=max(epoch_ms(now), thread.version + 1),
            )
            messages: list[Message] = []
            if topic is not None and topic != thread.topic:
                updated, message = self._system_message(
                    updated, MessageType.TOPIC_UPDATED, caller, now, topic=topic
                )
                messages.append(message)
            tx.chat.save_thread(updated)
            tx.chat.add_messages(messages)
            recipients = [p.user_id for p in participants]
            tx.events.append_many(ev.thread_updated(self._change(updated, caller, now), recipients))

        self._ctx.store.write(write)

    def delete_thread(self, caller: Caller, thread_id: str) -> None:
        """Idempotent: deleting a deleted or unknown thread answers 204, as ACS does."""
        caller.require(MANAGE)
        now = self._now()

        def write(tx: Tx) -> None:
            check_caller(tx, caller)
            thread = tx.chat.thread(thread_id, lock=True)
            if thread is None or thread.deleted_at is not None:
                return
            thread, participants = self._member(tx, caller, thread_id)
            deleted = replace(
                thread, deleted_at=now, version=max(epoch_ms(now), thread.version + 1)
            )
            tx.chat.save_thread(deleted)
            recipients = [p.user_id for p in participants]
            tx.events.append_many(ev.thread_deleted(self._change(deleted, caller, now), recipients))

        self._ctx.store.write(write)

    # -- participants ----------------------------------------------------------------------

    def participants(
        self, caller: Caller, thread_id: str, *, skip: int, limit: int
    ) -> Page[Participant]:
        caller.require(CHAT_SCOPES)
        everyone = self._ctx.store.read(lambda tx: self._member(tx, caller, thread_id)[1])
        page = everyone[skip : skip + limit]
        more = skip + limit < len(everyone)
        return Page(page, str(skip + limit) if more else None)

    def add_participants(
        self, caller: Caller, thread_id: str, participants: list[NewParticipant]
    ) -> list[InvalidParticipant]:
        caller.require(MEMBERSHIP)
        if not participants:
            raise InvalidInput("At least one participant is required.", target="participants")
        for i, p in enumerate(participants):
            check_display_name(p.display_name, f"participants[{i}].displayName")
        now = self._now()

        def write(tx: Tx) -> list[InvalidParticipant]:
            thread, current = self._member(tx, caller, thread_id, lock=True)
            valid, invalid = _split(tx, participants)
            known = {p.user_id for p in current}
            if len(known | {p.user_id for p in valid}) > MAX_PARTICIPANTS:
                raise InvalidInput(
                    f"A thread has at most {MAX_PARTICIPANTS} participants.",
                    target="participants",
                )
            members = [_member_row(thread_id, p, now) for p in valid]
            tx.chat.add_participants(members)
            fresh = [m for m in members if m.user_id not in known]
            if fresh:
                thread, message = self._system_message(
                    thread, MessageType.PARTICIPANT_ADDED, caller, now, participants=fresh
                )
                thread = replace(thread, version=max(epoch_ms(now), thread.version + 1))
                tx.chat.save_thread(thread)
                tx.chat.add_messages([message])
                recipients = [p.user_id for p in current] + [m.user_id for m in fresh]
                change = self._change(thread, caller, now)
                tx.events.append_many(ev.members_changed(change, fresh, recipients, added=True))
            return invalid

        return self._ctx.store.write(write)

    def remove_participant(self, caller: Caller, thread_id: str, user_id: str) -> None:
        if user_id != caller.user_id:
            caller.require(MEMBERSHIP)
        else:
            caller.require(CHAT_SCOPES)
        now = self._now()

        def write(tx: Tx) -> None:
            thread, current = self._member(tx, caller, thread_id, lock=True)
            removed = next((p for p in current if p.user_id == user_id), None)
            if removed is None:
                raise NotFound(f"Participant {user_id} is not in the thread.", code="NotFound")
            tx.chat.remove_participant(thread_id, user_id)
            thread, message = self._system_message(
                thread, MessageType.PARTICIPANT_REMOVED, caller, now, participants=[removed]
            )
            thread = replace(thread, version=max(epoch_ms(now), thread.version + 1))
            tx.chat.save_thread(thread)
            tx.chat.add_messages([message])
            recipients = [p.user_id for p in current]
            change = self._change(thread, caller, now)
            tx.events.append_many(ev.members_changed(change, [removed], recipients, added=False))

        self._ctx.store.write(write)

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

    def _send_batch(self, tx: Tx, sends: list[_Send]) -> list[Message | TidingsError]:
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
                results.append(_thread_not_found(send.thread_id))
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

        def read(tx: Tx) -> Message:
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

        def read(tx: Tx) -> list[Message]:
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

        def write(tx: Tx) -> None:
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

        def write(tx: Tx) -> None:
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
        self, tx: Tx, caller: Caller, thread_id: str, number: int, message_id: str
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

        def write(tx: Tx) -> None:
            self._member_ids(tx, caller, thread_id)
            if tx.chat.message(thread_id, number) is None:
                raise NotFound(f"Message {message_id} not found.", code="NotFound")
            tx.chat.set_read_receipt(ReadReceipt(thread_id, caller.user_id, str(number), now))

        self._ctx.store.write(write)

    def read_receipts(
        self, caller: Caller, thread_id: str, *, skip: int, limit: int
    ) -> Page[ReadReceipt]:
        caller.require(CHAT_SCOPES)

        def read(tx: Tx) -> list[ReadReceipt]:
            self._member_ids(tx, caller, thread_id)
            return tx.chat.read_receipts(thread_id, skip=skip, limit=limit + 1)

        rows = self._ctx.store.read(read)
        more = len(rows) > limit
        return Page(rows[:limit], str(skip + limit) if more else None)

    def typing(self, caller: Caller, thread_id: str, display_name: str | None) -> None:
        caller.require(CHAT_SCOPES)
        check_display_name(display_name, "senderDisplayName")
        now = self._now()

        def write(tx: Tx) -> None:
            thread, _ids = self._member_ids(tx, caller, thread_id)
            tx.events.append(ev.typing(self._change(thread, caller, now), display_name))

        self._ctx.store.write(write)


def _participant_wire(p: Participant) -> dict[str, object]:
    wire: dict[str, object] = {"communicationIdentifier": identifier(p.user_id)}
    if p.display_name is not None:
        wire["displayName"] = p.display_name
    return wire


def _member_row(thread_id: str, p: NewParticipant, now: datetime) -> Participant:
    return Participant(thread_id, p.user_id, p.display_name, p.share_history_time, now, p.metadata)


def _split(
    tx: Tx, participants: list[NewParticipant]
) -> tuple[list[NewParticipant], list[InvalidParticipant]]:
    """Participants that are users of this resource, and the others (``invalidParticipants``)."""
    shaped = [p for p in participants if is_user_id(p.user_id)]
    existing = tx.identities.existing([p.user_id for p in shaped])
    valid: dict[str, NewParticipant] = {}
    invalid: list[InvalidParticipant] = []
    for p in participants:
        if p.user_id in existing:
            valid[p.user_id] = p
        elif is_user_id(p.user_id):
            invalid.append(InvalidParticipant(p.user_id, "404", "Identity not found."))
        else:
            invalid.append(InvalidParticipant(p.user_id, "400", "Identifier is not valid."))
    return list(valid.values()), invalid


def _message_number(message_id: str) -> int:
    if not message_id.isdigit() or len(message_id) > 18:
        raise NotFound(f"Message {message_id} not found.", code="NotFound")
    return int(message_id)


def _decode_thread_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        at, thread_id = cursor.split("|", 1)
        return parse_iso(at), thread_id
    except ValueError:
        raise InvalidInput("The continuation token is not valid.", target="syncState") from None
