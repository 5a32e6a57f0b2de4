"""Chat threads, participants, messages and read receipts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from tidings.domain.chat import Message as ChatMessage
from tidings.domain.chat import Participant, ReadReceipt, Thread


class ChatRepo(Protocol):
    def add_thread(self, thread: Thread, repeatability_key: str | None) -> None: ...

    def thread_by_repeatability(self, repeatability_key: str) -> str | None: ...

    def thread(self, thread_id: str, *, lock: bool = False) -> Thread | None: ...

    def save_thread(self, thread: Thread) -> None: ...

    def threads_of(
        self,
        user_id: str,
        *,
        since: datetime | None,
        before: tuple[datetime, str] | None,
        limit: int,
    ) -> list[Thread]: ...

    def all_threads(
        self, *, before: tuple[datetime, str] | None, limit: int, topic: str | None = None
    ) -> list[Thread]:
        """Every live thread, most recently active first (the console's operator view);
        ``topic``: only those whose topic contains it."""
        ...

    def participants(self, thread_id: str) -> list[Participant]: ...

    def member_ids(self, thread_id: str) -> list[str]: ...

    def touch_thread(self, thread: Thread) -> None: ...

    def participant(self, thread_id: str, user_id: str) -> Participant | None: ...

    def add_participants(self, participants: Sequence[Participant]) -> None: ...

    def remove_participant(self, thread_id: str, user_id: str) -> bool: ...

    def add_messages(self, messages: Sequence[ChatMessage]) -> None: ...

    def message(self, thread_id: str, message_id: int) -> ChatMessage | None: ...

    def save_message(self, message: ChatMessage) -> None: ...

    def messages(
        self, thread_id: str, *, since: datetime | None, before_id: int | None, limit: int
    ) -> list[ChatMessage]: ...

    def set_read_receipt(self, receipt: ReadReceipt) -> None: ...

    def read_receipts(self, thread_id: str, *, skip: int, limit: int) -> list[ReadReceipt]: ...


class WithChat(Protocol):
    @property
    def chat(self) -> ChatRepo: ...
