"""Ports: the narrow interfaces services depend on. Adapters implement them; fakes too.

Storage is reached through ``Store``: ``store.write(fn)`` runs ``fn(tx)`` in one transaction,
retrying it when the database is busy, so ``fn`` must be free of side effects outside ``tx``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar

from tidings.domain.analytics import AnalyticsCounts, AnalyticsQuery
from tidings.domain.chat import Message as ChatMessage
from tidings.domain.chat import Participant, ReadReceipt, Thread
from tidings.domain.conversations import Conversation, OptOutEntry
from tidings.domain.deliveries import (
    Attempt,
    ClaimedDelivery,
    DeadLetter,
    Delivery,
    DeliveryResult,
    DeliveryStatus,
    NewDelivery,
)
from tidings.domain.demo import OptChange
from tidings.domain.events import Event
from tidings.domain.identity import SigningKey
from tidings.domain.messages import (
    CarrierInbound,
    CarrierReport,
    DeliveryAttempt,
    Direction,
    FinalOutcome,
    Message,
    MessageStatus,
    OutboundBatch,
    OutboundSms,
)
from tidings.domain.numbers import Capabilities, NumberSearch, Operation, PurchasedNumber
from tidings.domain.partners import Partner
from tidings.domain.simulator import CarrierRule, Handset, HandsetMessage
from tidings.domain.subscriptions import EventSubscription
from tidings.domain.webhooks import TransportError
from tidings.errors import CarrierError
from tidings.ports_smpp import SmppRepo

T = TypeVar("T")


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass(frozen=True)
class Job:
    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    run_at: datetime


@dataclass(frozen=True)
class QueueStats:
    pending: int
    due: int
    dead: int
    oldest_due_at: datetime | None


class JobQueue(Protocol):
    def enqueue(
        self,
        kind: str,
        payload: dict[str, Any],
        run_at: datetime,
        *,
        now: datetime,
        dedupe_key: str | None = None,
    ) -> None: ...

    def enqueue_many(
        self, rows: list[tuple[str, dict[str, Any], datetime]], *, now: datetime
    ) -> None: ...

    def enqueue_unique(
        self, rows: list[tuple[str, dict[str, Any], datetime, str]], *, now: datetime
    ) -> None: ...

    def claim(
        self, kinds: list[str], *, limit: int, now: datetime, lease: timedelta, worker: str
    ) -> list[Job]: ...

    def ack(self, ids: list[int]) -> None: ...

    def retry(
        self, job_id: int, run_at: datetime, error: str, payload: dict[str, Any] | None = None
    ) -> None: ...

    def update_payload(self, job_id: int, payload: dict[str, Any]) -> None: ...

    def defer(self, job_id: int, run_at: datetime) -> None: ...

    def release_all(self) -> int: ...

    def dead(self, job_id: int, error: str) -> None: ...

    def stats(self, now: datetime) -> QueueStats: ...

    def pending_payloads(self, kind: str) -> list[dict[str, Any]]: ...


class RateWindows(Protocol):
    def take(self, key: str, limit: int, window_start: datetime, count: int) -> int: ...

    def prune(self, before: datetime) -> None: ...


class KeyRepo(Protocol):
    def all(self) -> dict[str, str]: ...

    def set(self, name: str, key: str, now: datetime) -> None: ...


class NumberRepo(Protocol):
    def add(self, number: PurchasedNumber) -> None: ...

    def get(self, number: str) -> PurchasedNumber | None: ...

    def page(self, skip: int, top: int, partner: str | None = None) -> list[PurchasedNumber]: ...

    def all_numbers(self) -> set[str]: ...

    def delete(self, number: str) -> bool: ...

    def update_capabilities(self, number: str, capabilities: Capabilities) -> None: ...

    def keyword_replies(self, number: str) -> dict[str, str]: ...

    def set_keyword_replies(self, number: str, replies: dict[str, str]) -> None: ...


class PartnerRepo(Protocol):
    """Messaging Connect partners (see ``domain/partners.py``)."""

    def get(self, name: str) -> Partner | None: ...

    def put(self, name: str, key_digests: tuple[str, ...], now: datetime) -> bool: ...

    def all(self) -> list[Partner]: ...

    def delete(self, name: str) -> bool: ...

    def number_count(self, name: str) -> int: ...


class SearchRepo(Protocol):
    def add(self, search: NumberSearch) -> None: ...

    def get(self, search_id: str) -> NumberSearch | None: ...

    def set_result(self, search_id: str, numbers: list[str], error_code: str | None) -> None: ...

    def mark_purchased(self, search_id: str) -> None: ...

    def reserved_numbers(self, now: datetime) -> set[str]: ...

    def prune(self, expired_before: datetime) -> int: ...


class OperationRepo(Protocol):
    def add(self, operation: Operation) -> None: ...

    def get(self, operation_id: str) -> Operation | None: ...

    def finish(
        self,
        operation_id: str,
        *,
        status: str,
        at: datetime,
        resource_location: str | None = None,
        error_code: str | None = None,
        error_message: str | None = None,
    ) -> None: ...

    def delete(self, operation_id: str) -> bool: ...

    def prune(self, finished_before: datetime) -> int: ...


class MessageRepo(Protocol):
    def add_many(self, rows: list[tuple[Message, str | None]]) -> None: ...

    def get(self, message_id: str) -> Message | None: ...

    def mark_sent(self, message_id: str, at: datetime, carrier_message_id: str) -> bool: ...

    def accept(self, batch: OutboundBatch) -> dict[str, str]: ...

    def mark_sent_many(self, sent: list[tuple[str, str]], at: datetime) -> None: ...

    def finish_many(self, outcomes: list[FinalOutcome]) -> None: ...

    def get_many(self, message_ids: list[str], *, lock: bool = False) -> dict[str, Message]: ...

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

    def get(self, conversation_id: str) -> Conversation | None: ...

    def page(self, our_number: str | None, limit: int, offset: int) -> list[Conversation]: ...


class OptOutRepo(Protocol):
    def add(self, entry: OptOutEntry) -> bool: ...

    def remove(self, sender: str, recipient: str, *, at: datetime, source: str) -> bool: ...

    def opted_out(self, sender: str, recipients: list[str]) -> set[str]: ...

    def page(self, sender: str | None, limit: int, offset: int) -> list[OptOutEntry]: ...


class EventOutbox(Protocol):
    def append(self, event: Event) -> None: ...

    def page(
        self, *, after: int = 0, event_types: list[str] | None = None, limit: int = 100
    ) -> list[tuple[int, Event]]: ...

    def count(self) -> int: ...

    def append_many(self, batch: list[Event]) -> None: ...

    def last_seq(self) -> int: ...


class HandsetRepo(Protocol):
    def ensure(self, number: str, now: datetime) -> None: ...

    def get(self, number: str) -> Handset | None: ...

    def ensure_many(self, numbers: set[str], now: datetime) -> None: ...

    def scripts(self, numbers: set[str]) -> dict[str, list[dict[str, Any]]]: ...

    def record_many(self, rows: list[HandsetMessage]) -> None: ...

    def page(self, limit: int, offset: int) -> list[Handset]: ...

    def set_script(self, number: str, script: list[dict[str, Any]]) -> None: ...

    def record(
        self,
        handset: str,
        direction: str,
        peer: str,
        body: str,
        message_id: str | None,
        at: datetime,
    ) -> None: ...

    def messages(self, handset: str, after_id: int, limit: int) -> list[HandsetMessage]: ...


class CarrierRuleRepo(Protocol):
    def all(self) -> list[CarrierRule]: ...

    def replace(self, rules: list[CarrierRule]) -> None: ...


class SubscriptionRepo(Protocol):
    def last_event_seq(self) -> int: ...

    def save(self, s: EventSubscription) -> None: ...

    def get(self, name: str, *, lock: bool = False) -> EventSubscription | None: ...

    def all(self) -> list[EventSubscription]: ...

    def delete(self, name: str) -> bool: ...

    def record_health(
        self, outcomes: dict[str, tuple[int, int, float]], now: datetime, threshold: int
    ) -> None: ...


class DeliveryRepo(Protocol):
    def unrouted(self, limit: int) -> list[tuple[int, Event]]: ...

    def mark_routed(self, seqs: Sequence[int]) -> None: ...

    def last_unrouted_seq(self) -> int | None: ...

    def mark_routed_upto(self, seq: int) -> int: ...

    def add(self, new: Sequence[NewDelivery]) -> None: ...

    def claim(
        self, subscription: str, *, now: datetime, limit: int, lease_until: datetime
    ) -> list[ClaimedDelivery]: ...

    def events_of(self, delivery_ids: Sequence[str]) -> dict[str, list[tuple[int, Event]]]: ...

    def finish(self, results: Sequence[DeliveryResult]) -> None: ...

    def get(self, delivery_id: str) -> Delivery | None: ...

    def page(
        self,
        subscription: str,
        *,
        status: DeliveryStatus | None = None,
        event_id: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Delivery]: ...

    def attempts(
        self,
        subscription: str,
        *,
        delivery_id: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Attempt]: ...

    def dead_letters(self, subscription: str, *, limit: int, offset: int) -> list[DeadLetter]: ...

    def dead_lettered_ids(self, subscription: str, limit: int) -> list[str]: ...

    def mark(self, delivery_ids: Sequence[str], status: DeliveryStatus) -> None: ...

    def event_by_id(self, event_id: str) -> tuple[int, Event] | None: ...

    def events_between(
        self, start: datetime, end: datetime, *, after_seq: int, limit: int
    ) -> list[tuple[int, Event]]: ...

    def count_events_between(
        self, start: datetime, end: datetime, *, upto_seq: int | None = None
    ) -> int: ...

    def counts(self, subscription: str) -> dict[str, int]: ...

    def oldest_pending(self) -> datetime | None: ...

    def delete_subscription(self, subscription: str) -> None: ...

    def prune(self, finished_before: datetime, limit: int = 5000) -> int: ...


class AnalyticsRepo(Protocol):
    def counts(self, query: AnalyticsQuery, now: datetime | None = None) -> AnalyticsCounts:
        """``now`` lets whole, settled days come from the daily rollups."""
        ...

    def stale_days(self, query: AnalyticsQuery, now: datetime) -> list[datetime]: ...

    def roll_up(self, day: datetime, now: datetime) -> None: ...

    def invalidate(self, start: datetime, end: datetime) -> None: ...

    def rollup_block(
        self, query: AnalyticsQuery, now: datetime
    ) -> tuple[datetime, datetime] | None: ...

    def message_counts(self) -> list[tuple[str, str, str, int]]: ...

    def carrier_latency(self, since: datetime, window: timedelta) -> list[tuple[int, int]]: ...

    def webhook_attempts(self, since: datetime) -> list[tuple[str, int]]: ...

    def dead_letters(self) -> list[tuple[str, int]]: ...


class BulkLoader(Protocol):
    """Demo and benchmark data in bulk (messages go through ``MessageRepo.add_many``)."""

    def opt_changes(self, changes: list[OptChange]) -> None: ...

    def conversations(self, items: list[Conversation]) -> None: ...

    def optouts(self, entries: list[OptOutEntry]) -> None: ...


class IdentityRepo(Protocol):
    def add(self, user_id: str, now: datetime) -> None: ...

    def generations(self, user_ids: Sequence[str]) -> dict[str, int]: ...

    def generation(self, user_id: str) -> int | None:
        """The user's token generation, or None if there is no such user."""
        ...

    def revoke(self, user_id: str) -> bool: ...

    def delete(self, user_id: str) -> bool: ...

    def existing(self, user_ids: Sequence[str]) -> set[str]: ...

    def signing_keys(self) -> list[SigningKey]:
        """Every signing key, newest first."""
        ...

    def add_signing_key(self, key: SigningKey) -> None: ...

    def delete_signing_keys(self, kids: Sequence[str]) -> None: ...


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

    def all_threads(self, *, before: tuple[datetime, str] | None, limit: int) -> list[Thread]:
        """Every live thread, most recently active first (the console's operator view)."""
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


class Tx(Protocol):
    """The repositories of one transaction."""

    @property
    def keys(self) -> KeyRepo: ...
    @property
    def numbers(self) -> NumberRepo: ...
    @property
    def partners(self) -> PartnerRepo: ...
    @property
    def searches(self) -> SearchRepo: ...
    @property
    def operations(self) -> OperationRepo: ...
    @property
    def messages(self) -> MessageRepo: ...
    @property
    def conversations(self) -> ConversationRepo: ...
    @property
    def optouts(self) -> OptOutRepo: ...
    @property
    def jobs(self) -> JobQueue: ...
    @property
    def rate_windows(self) -> RateWindows: ...
    @property
    def events(self) -> EventOutbox: ...
    @property
    def handsets(self) -> HandsetRepo: ...
    @property
    def carrier_rules(self) -> CarrierRuleRepo: ...
    @property
    def subscriptions(self) -> SubscriptionRepo: ...
    @property
    def deliveries(self) -> DeliveryRepo: ...
    @property
    def identities(self) -> IdentityRepo: ...
    @property
    def chat(self) -> ChatRepo: ...

    @property
    def analytics(self) -> AnalyticsRepo: ...

    @property
    def bulk(self) -> BulkLoader: ...

    @property
    def smpp(self) -> SmppRepo: ...


class Store(Protocol):
    def write(self, fn: Callable[[Tx], T]) -> T: ...

    async def write_async(self, fn: Callable[[Tx], T]) -> T:
        """``write`` for the event loop: the transaction may be shared (group commit)."""
        ...

    async def write_batched(self, handler: Callable[[Tx, list[Any]], list[Any]], item: Any) -> Any:
        """Group-commit ``item`` with every concurrent item for the same ``handler``.

        ``handler(tx, items)`` gets them all in one call (so it can write them with one
        statement per table) and returns one result per item, in order. It must not raise
        for one item's fault: return the error as that item's result instead.
        """
        ...

    async def accept_outbound(self, batch: OutboundBatch) -> dict[str, str]:
        """Store a send request's messages and jobs (group-committed); return the
        repeatability ids already taken, each with the id of its first message."""
        ...

    def read(self, fn: Callable[[Tx], T]) -> T: ...


@dataclass(frozen=True)
class SubmitResult:
    """A carrier's answer to a submission: its own id for the message."""

    carrier_message_id: str


class CarrierSink(Protocol):
    """Where a carrier hands what it receives: delivery reports and inbound messages.

    Both are called from the carrier's own task; implementations persist durably before
    returning, so a carrier may acknowledge upstream once the call returns.
    """

    async def delivery_reports(self, reports: Sequence[CarrierReport]) -> None: ...

    async def inbound(self, message: CarrierInbound) -> None: ...


class Carrier(Protocol):
    """A route to handsets.

    ``submit`` hands the carrier a batch and returns, for each message in order, the
    carrier's receipt or the ``CarrierError`` it refused that message with.
    """

    name: str

    async def submit(
        self, messages: Sequence[OutboundSms]
    ) -> list[SubmitResult | CarrierError]: ...

    async def start(self, sink: CarrierSink) -> None: ...

    async def run_due(self) -> int:
        """Do the carrier's own due background work; return how much was done."""
        ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True)
class HttpResult:
    """What a webhook request came back with: a status, or the transport error instead."""

    status: int | None
    duration_ms: float
    headers: dict[str, str]
    body: bytes  # at most the sender's cap
    error: TransportError | None = None
    error_message: str | None = None


class WebhookSender(Protocol):
    """Sends webhook requests: no redirects followed, bodies capped, refused addresses kept."""

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str],
        body: bytes = b"",
        timeout: float,
    ) -> HttpResult: ...

    async def aclose(self) -> None: ...
