"""Chat: threads and participants here; messages, receipts and typing in ``chat_messages``.

``ChatService`` is the one chat service the edges see.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from tidings.domain import chat_events as ev
from tidings.domain.chat import (
    MAX_PARTICIPANTS,
    Message,
    MessageType,
    Participant,
    Thread,
    check_display_name,
    check_metadata,
    check_topic,
    epoch_ms,
    new_thread_id,
)
from tidings.domain.identity import CHAT_SCOPES, Caller, is_user_id
from tidings.domain.timefmt import iso_z, parse_iso
from tidings.errors import InvalidInput, NotFound
from tidings.ports import ChatTx
from tidings.services.chat_access import (
    MANAGE,
    MEMBERSHIP,
    ChatAccess,
    InvalidParticipant,
    NewParticipant,
    Page,
)
from tidings.services.chat_messages import MessageOps
from tidings.services.identity import check_caller

__all__ = ["ChatService", "InvalidParticipant", "NewParticipant", "Page"]


class ChatService(MessageOps, ChatAccess):
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

        def write(tx: ChatTx) -> tuple[Thread, list[InvalidParticipant]]:
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

        def read(tx: ChatTx) -> list[Thread]:
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

        def write(tx: ChatTx) -> None:
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

        def write(tx: ChatTx) -> None:
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

        def write(tx: ChatTx) -> list[InvalidParticipant]:
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

        def write(tx: ChatTx) -> None:
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


def _member_row(thread_id: str, p: NewParticipant, now: datetime) -> Participant:
    return Participant(thread_id, p.user_id, p.display_name, p.share_history_time, now, p.metadata)


def _split(
    tx: ChatTx, participants: list[NewParticipant]
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


def _decode_thread_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        at, thread_id = cursor.split("|", 1)
        return parse_iso(at), thread_id
    except ValueError:
        raise InvalidInput("The continuation token is not valid.", target="syncState") from None
