"""SMS messages, the conversations they make up, the opt-out list, and demo data in bulk."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

from tidings.domain.conversations import Conversation, OptOutEntry
from tidings.domain.demo import OptChange
from tidings.domain.messages import (
    DeliveryAttempt,
    Direction,
    FinalOutcome,
    Message,
    MessageStatus,
    OutboundBatch,
    QueuedSms,
    ReportTarget,
)


class MessageRepo(Protocol):
    def add_many(self, rows: list[tuple[Message, str | None]]) -> None: ...

    def get(self, message_id: str) -> Message | None: ...

    def mark_sent(self, message_id: str, at: datetime, carrier_message_id: str) -> bool: ...

    def accept(self, batch: OutboundBatch) -> dict[str, str]: ...

    def mark_sent_many(
        self,
        sent: list[tuple[str, str, str | None]],
        at: datetime,
        targets: Sequence[ReportTarget] = (),
    ) -> None:
        """Mark ``(message_id, carrier_message_id, carrier name)`` sent. ``targets``: the
        same messages as ``report_targets`` reads them once sent; when every one of them was
        marked (all were still queued), later ``report_targets(lock=True)`` calls in this
        transaction take them from here, without a read (a carrier that reports at once)."""
        ...

    def finish_many(self, outcomes: list[FinalOutcome]) -> None: ...

    def get_many(self, message_ids: list[str], *, lock: bool = False) -> dict[str, Message]: ...

    def report_targets(
        self, message_ids: list[str], *, lock: bool = False
    ) -> dict[str, ReportTarget]:
        """``get_many``'s narrow read: what finishing the messages needs."""
        ...

    def queued(self, message_ids: list[str], *, lock: bool = False) -> dict[str, QueuedSms]:
        """``get_many``'s narrow read of the messages still queued: what sending needs."""
        ...

    def link_conversation(self, message_id: str, conversation_id: str) -> None: ...

    def finish(
        self,
        message_id: str,
        *,
        status: MessageStatus,
        code: int,
        at: datetime,
        attempts: tuple[DeliveryAttempt, ...],
    ) -> bool: ...

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
    ) -> list[Message]: ...


class ConversationRepo(Protocol):
    def touch(self, our_number: str, peer_number: str, at: datetime, count: int = 1) -> str: ...

    def touch_many(self, counts: Mapping[tuple[str, str], int], at: datetime) -> None:
        """``touch`` for many (ours, peer) pairs and their message counts."""
        ...

    def get(self, conversation_id: str) -> Conversation | None: ...

    def page(
        self, our_number: str | None, limit: int, offset: int, search: str | None = None
    ) -> list[Conversation]: ...


class OptOutRepo(Protocol):
    def add(self, entry: OptOutEntry) -> bool: ...

    def remove(self, sender: str, recipient: str, *, at: datetime, source: str) -> bool: ...

    def opted_out(self, sender: str, recipients: list[str]) -> set[str]: ...

    def page(
        self, sender: str | None, limit: int, offset: int, search: str | None = None
    ) -> list[OptOutEntry]: ...


class BulkLoader(Protocol):
    """Demo and benchmark data in bulk (messages go through ``MessageRepo.add_many``)."""

    def opt_changes(self, changes: list[OptChange]) -> None: ...

    def conversations(self, items: list[Conversation]) -> None: ...

    def optouts(self, entries: list[OptOutEntry]) -> None: ...


class WithMessages(Protocol):
    @property
    def messages(self) -> MessageRepo: ...


class WithConversations(Protocol):
    @property
    def conversations(self) -> ConversationRepo: ...


class WithOptOuts(Protocol):
    @property
    def optouts(self) -> OptOutRepo: ...


class WithBulk(Protocol):
    @property
    def bulk(self) -> BulkLoader: ...
