"""Read-side queries: messages, conversations and the events outbox."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from tidings.domain.chat import Message as ChatMessage
from tidings.domain.chat import Participant, Thread
from tidings.domain.conversations import Conversation
from tidings.domain.deliveries import Attempt, Delivery
from tidings.domain.events import Event
from tidings.domain.messages import Direction, Message, MessageStatus
from tidings.errors import NotFound
from tidings.ports import PartEvent, QueriesTx
from tidings.services.context import ServiceContext


class QueryService:
    def __init__(self, ctx: ServiceContext[QueriesTx]) -> None:
        self._ctx = ctx

    def message(self, message_id: str) -> Message:
        found = self._ctx.store.read(lambda tx: tx.messages.get(message_id))
        if found is None:
            raise NotFound(f"Message {message_id} was not found.")
        return found

    def messages(
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
        return self._ctx.store.read(
            lambda tx: tx.messages.page(
                direction=direction,
                number=number,
                conversation_id=conversation_id,
                status=status,
                tag=tag,
                before=before,
                limit=limit,
                text=text,
            )
        )

    def conversation(self, conversation_id: str) -> Conversation:
        found = self._ctx.store.read(lambda tx: tx.conversations.get(conversation_id))
        if found is None:
            raise NotFound(f"Conversation {conversation_id} was not found.")
        return found

    def conversations(
        self, our_number: str | None, limit: int, offset: int, search: str | None = None
    ) -> list[Conversation]:
        return self._ctx.store.read(
            lambda tx: tx.conversations.page(our_number, limit, offset, search)
        )

    def events(
        self, after: int, event_types: list[str] | None, limit: int
    ) -> list[tuple[int, Event]]:
        return self._ctx.store.read(
            lambda tx: tx.events.page(after=after, event_types=event_types, limit=limit)
        )

    def timeline(self, message_id: str) -> MessageTimeline:
        """A message, the event it produced and that event's webhook deliveries and attempts;
        for a message sent over SMPP, each part's SMSC id and every receipt for it.

        An SMS event's id is its message's id (``SMSReceived`` for inbound messages,
        ``SMSDeliveryReportReceived`` for outbound ones), which links the three.
        """

        def read(tx: QueriesTx) -> MessageTimeline:
            message = tx.messages.get(message_id)
            if message is None:
                raise NotFound(f"Message {message_id} was not found.")
            found = tx.deliveries.event_by_id(message_id)
            event = found[1] if found else None
            deliveries: list[tuple[str, Delivery, list[Attempt]]] = []
            if event is not None:
                for sub in tx.subscriptions.all():
                    for d in tx.deliveries.page(sub.name, event_id=event.id, limit=20):
                        attempts = tx.deliveries.attempts(sub.name, delivery_id=d.id, limit=50)
                        deliveries.append((sub.name, d, attempts))
            smpp = (
                tx.smpp_history.of_message(message_id)
                if message.direction is Direction.OUTBOUND
                else []
            )
            return MessageTimeline(message, event, deliveries, smpp)

        return self._ctx.store.read(read)

    def chat_threads(
        self, *, before: tuple[datetime, str] | None, limit: int, topic: str | None = None
    ) -> list[Thread]:
        """Every live chat thread, most recently active first (no caller: the operator's view)."""
        return self._ctx.store.read(
            lambda tx: tx.chat.all_threads(before=before, limit=limit, topic=topic)
        )

    def chat_thread(self, thread_id: str, limit: int = 200) -> ChatThreadView:
        """A thread, its participants and its newest ``limit`` messages (newest first)."""

        def read(tx: QueriesTx) -> ChatThreadView:
            thread = tx.chat.thread(thread_id)
            if thread is None or thread.deleted_at is not None:
                raise NotFound(f"Chat thread {thread_id} was not found.")
            messages = tx.chat.messages(thread_id, since=None, before_id=None, limit=limit)
            return ChatThreadView(thread, tx.chat.participants(thread_id), messages)

        return self._ctx.store.read(read)


@dataclass(frozen=True)
class ChatThreadView:
    thread: Thread
    participants: list[Participant]
    messages: list[ChatMessage]


@dataclass(frozen=True)
class MessageTimeline:
    message: Message
    event: Event | None
    #: ``(subscription, delivery, attempts)`` of the event, by subscription.
    deliveries: list[tuple[str, Delivery, list[Attempt]]]
    #: What the SMSC said about each part (``smpp_history``), oldest first; empty when the
    #: message did not go over SMPP.
    smpp: list[PartEvent] = field(default_factory=list)
