"""Real-time chat notifications: each connected user's chat events, as they are committed.

One poller per process reads new chat events from the outbox (the same rows webhook
subscriptions get, so every node of a deployment sees every change) and hands each to the
streams of its recipient: per-user events by ``recipientId``; typing indicators to the
thread's other participants. Streams resume after the last event they saw (``Last-Event-ID``),
so a reconnecting browser misses nothing the outbox still holds. The poller runs only while
someone listens.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from dataclasses import dataclass

import anyio

from tidings.domain import chat_events as ev
from tidings.domain.events import Event
from tidings.domain.identity import CHAT_SCOPES, Caller
from tidings.errors import Unauthenticated
from tidings.ports import NotificationsTx
from tidings.services.context import ServiceContext
from tidings.services.identity import check_caller

log = logging.getLogger(__name__)
STREAM_TYPES = [*ev.PER_USER_TYPES, ev.TYPING_IN_THREAD]
BATCH = 500
#: How many missed events a resuming stream may replay at most.
MAX_REPLAY = 5000


@dataclass(frozen=True)
class Notification:
    seq: int
    event: Event


class Subscription:
    """One open stream: ``next`` waits for the user's next notification."""

    def __init__(self, notifier: ChatNotifier, user_id: str) -> None:
        self._notifier = notifier
        self.user_id = user_id
        self.queue: asyncio.Queue[Notification] = asyncio.Queue(maxsize=10_000)

    async def next(self, timeout: float) -> Notification | None:
        """The next notification, or None after ``timeout`` seconds without one."""
        try:
            return await asyncio.wait_for(self.queue.get(), timeout)
        except TimeoutError:
            return None

    def close(self) -> None:
        self._notifier._unsubscribe(self.user_id, self.queue)


class ChatNotifier:
    def __init__(self, ctx: ServiceContext[NotificationsTx], *, poll_interval: float = 0.1) -> None:
        self._ctx = ctx
        self._poll_interval = poll_interval
        self._queues: dict[str, set[asyncio.Queue[Notification]]] = defaultdict(set)
        self._task: asyncio.Task[None] | None = None
        self._last_seq = 0

    async def open(self, caller: Caller, last_event_id: int | None = None) -> Subscription:
        """Start the caller's stream, first replaying what came after ``last_event_id``."""
        caller.require(CHAT_SCOPES)

        def start(tx: NotificationsTx) -> tuple[int, list[tuple[int, Event]]]:
            check_caller(tx, caller)
            head = tx.events.last_seq()
            missed: list[tuple[int, Event]] = []
            if last_event_id is None or last_event_id >= head:
                return head, missed
            after = max(last_event_id, head - MAX_REPLAY)
            while True:
                rows = self._fetch(tx, after, head)
                missed += rows
                if len(rows) < BATCH:
                    return head, missed
                after = rows[-1][0]

        head, missed = await anyio.to_thread.run_sync(self._ctx.store.read, start)
        subscription = Subscription(self, caller.user_id)
        for seq, event in missed:
            if caller.user_id in self._recipients_in(event, {}):
                subscription.queue.put_nowait(Notification(seq, event))
        self._subscribe(caller.user_id, subscription.queue, head)
        return subscription

    async def still_valid(self, caller: Caller) -> bool:
        """False once the caller's token was revoked or its user deleted."""

        def check(tx: NotificationsTx) -> bool:
            try:
                check_caller(tx, caller)
            except Unauthenticated:
                return False
            return True

        return bool(await anyio.to_thread.run_sync(self._ctx.store.read, check))

    # -- the poller ------------------------------------------------------------------------

    def _subscribe(self, user_id: str, queue: asyncio.Queue[Notification], head: int) -> None:
        if self._task is None or self._task.done():
            self._last_seq = head
            self._task = asyncio.get_running_loop().create_task(self._poll())
        self._queues[user_id].add(queue)

    def _unsubscribe(self, user_id: str, queue: asyncio.Queue[Notification]) -> None:
        queues = self._queues.get(user_id)
        if queues is not None:
            queues.discard(queue)
            if not queues:
                del self._queues[user_id]

    async def _poll(self) -> None:
        while self._queues:
            try:
                batch = await anyio.to_thread.run_sync(self._read, self._last_seq)
            except Exception:
                # The database is away: the streams stay open and catch up when it is back.
                log.exception("reading chat notifications failed; retrying")
                await asyncio.sleep(1.0)
                continue
            for seq, event, recipients in batch:
                self._last_seq = seq
                for user_id in recipients:
                    for queue in self._queues.get(user_id, ()):
                        with contextlib.suppress(asyncio.QueueFull):
                            queue.put_nowait(Notification(seq, event))
            if len(batch) < BATCH:
                await asyncio.sleep(self._poll_interval)
        self._task = None

    def _read(self, after: int) -> list[tuple[int, Event, set[str]]]:
        def read(tx: NotificationsTx) -> list[tuple[int, Event, set[str]]]:
            members: dict[str, set[str]] = {}
            rows = self._fetch(tx, after, None)
            out = []
            for seq, event in rows:
                if event.event_type == ev.TYPING_IN_THREAD:
                    thread_id = event.data["threadId"]
                    if thread_id not in members:
                        members[thread_id] = {p.user_id for p in tx.chat.participants(thread_id)}
                out.append((seq, event, self._recipients_in(event, members)))
            return out

        return self._ctx.store.read(read)

    @staticmethod
    def _fetch(tx: NotificationsTx, after: int, upto: int | None) -> list[tuple[int, Event]]:
        rows = tx.events.page(after=after, event_types=STREAM_TYPES, limit=BATCH)
        return [(seq, e) for seq, e in rows if upto is None or seq <= upto]

    @staticmethod
    def _recipients_in(event: Event, members: dict[str, set[str]]) -> set[str]:
        if event.event_type == ev.TYPING_IN_THREAD:
            sender = event.data["senderCommunicationIdentifier"]["rawId"]
            return members.get(event.data["threadId"], set()) - {sender}
        recipient = event.data.get("recipientId")
        return {recipient} if isinstance(recipient, str) else set()
