"""What every chat operation shares: the caller and membership checks, and change helpers.

Every chat operation runs in one transaction that first checks the caller (token
generation), the thread (exists, not deleted) and the caller's membership, then changes the
rows and appends the change's events to the outbox, so a subscription sees exactly the
committed changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Generic, TypeVar

from tidings.domain import chat_events as ev
from tidings.domain.chat import (
    Message,
    MessageType,
    Participant,
    Thread,
    identifier,
    next_message_id,
)
from tidings.domain.identity import Caller
from tidings.errors import Forbidden, NotFound
from tidings.ports import ChatTx
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
class InvalidParticipant:
    target: str
    code: str
    message: str


T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def thread_not_found(thread_id: str) -> NotFound:
    return NotFound(f"Thread {thread_id} not found.", code="NotFound")


class ChatAccess:
    def __init__(self, ctx: ServiceContext[ChatTx]) -> None:
        self._ctx = ctx

    # -- shared checks ---------------------------------------------------------------------

    def _now(self) -> datetime:
        return self._ctx.clock.now()

    def _member(
        self, tx: ChatTx, caller: Caller, thread_id: str, *, lock: bool = False
    ) -> tuple[Thread, list[Participant]]:
        """The live thread and its participants, if the caller is one of them."""
        thread, _ids = self._member_ids(tx, caller, thread_id, lock=lock)
        return thread, tx.chat.participants(thread_id)

    def _member_ids(
        self, tx: ChatTx, caller: Caller, thread_id: str, *, lock: bool = False
    ) -> tuple[Thread, list[str]]:
        """The live thread and its participants' ids; 401, 404 or 403 as ACS answers."""
        check_caller(tx, caller)
        thread = tx.chat.thread(thread_id, lock=lock)
        if thread is None or thread.deleted_at is not None:
            raise thread_not_found(thread_id)
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


def _participant_wire(p: Participant) -> dict[str, object]:
    wire: dict[str, object] = {"communicationIdentifier": identifier(p.user_id)}
    if p.display_name is not None:
        wire["displayName"] = p.display_name
    return wire
