"""The SMPP connector's storage port (``Tx.smpp``): its durable queue, correlation, MO parts,
outboxes towards the ``CarrierSink`` and bind leases/status. See ``carriers/smpp``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from tidings.domain.smpp import BindStatus


@dataclass(slots=True)  # not frozen: a frozen __init__ costs 3x, and every part is read
class Segment:  # several times on its way; treat it as a value all the same
    """One ``submit_sm`` of a message, from queued to done."""

    id: int
    carrier: str
    message_id: str
    seq: int
    total: int
    segments: int  # the message's ACS segment count
    sender: str
    recipient: str
    short_message: bytes
    data_coding: int
    esm_class: int
    tlvs: tuple[tuple[int, bytes], ...]
    state: str  # queued | inflight | submitted | done
    bind: str | None
    attempts: int
    due_at: datetime
    smsc_id: str | None = None
    delivered: bool | None = None
    code: int | None = None
    details: str | None = None
    receipt_state: str | None = None
    submitted_at: datetime | None = None


@dataclass(frozen=True)
class NewSegment:
    carrier: str
    message_id: str
    seq: int
    total: int
    segments: int
    sender: str
    recipient: str
    short_message: bytes
    data_coding: int
    esm_class: int
    tlvs: tuple[tuple[int, bytes], ...]
    due_at: datetime


@dataclass(frozen=True)
class SegmentUpdate:
    id: int
    state: str
    at: datetime
    bind: str | None = None
    attempts: int | None = None
    due_at: datetime | None = None
    smsc_id: str | None = None
    delivered: bool | None = None
    code: int | None = None
    details: str | None = None
    receipt_state: str | None = None


@dataclass(frozen=True)
class EarlyReceipt:
    """A receipt no segment matched yet (it beat its submit_sm_resp, or is unknown)."""

    id: int
    carrier: str
    smsc_id: str  # as received
    state: str
    error: str | None
    network_error: str | None
    received_at: datetime
    bind: str | None = None  # the bind it arrived on
    raw_id: str | None = None  # the id as the SMSC wrote it


@dataclass(frozen=True)
class PartEvent:
    """What happened to one part of a message at the SMSC (``smpp_history``): ``accepted``,
    a ``submit_sm_resp`` with the SMSC's message id; or ``receipt``, a delivery receipt
    matched to the part (final or not: ENROUTE, ACCEPTD are recorded too)."""

    message_id: str
    carrier: str
    seq: int
    total: int
    kind: str  # accepted | receipt
    at: datetime
    bind: str | None  # the bind that submitted it, or the one the receipt arrived on
    smsc_id: str | None  # the part's id, normalised (domain/smpp_receipts)
    raw_id: str | None  # the id as the SMSC wrote it (in the response, or in the receipt)
    state: str | None = None  # receipt stat: DELIVRD, UNDELIV, ENROUTE, ...
    error: str | None = None  # receipt err:
    network_error: str | None = None  # network_error_code TLV, hex
    final: bool | None = None


@dataclass(frozen=True)
class PendingReport:
    message_id: str
    delivered: bool
    code: int
    details: str | None
    at: datetime
    attempts: tuple[tuple[datetime, int, int], ...]


@dataclass(frozen=True)
class MoPart:
    carrier: str
    sender: str
    recipient: str
    ref: int
    total: int
    seq: int
    body: str
    received_at: datetime


@dataclass(frozen=True)
class PendingInbound:
    id: int
    sender: str
    recipient: str
    body: str
    segments: int
    received_at: datetime


class SmppRepo(Protocol):
    # -- the outbound queue and correlation
    def add_segments(self, rows: Sequence[NewSegment]) -> None: ...

    def claim(self, carrier: str, bind: str, *, limit: int, now: datetime) -> list[Segment]: ...

    def requeue(self, carrier: str, bind: str, now: datetime) -> int:
        """Segments in flight on ``bind`` (no submit_sm_resp yet) go back to the queue."""
        ...

    def update_segments(self, updates: Sequence[SegmentUpdate]) -> None: ...

    def by_smsc_ids(self, carrier: str, smsc_ids: Sequence[str]) -> list[Segment]: ...

    def segments_of(self, message_ids: Sequence[str]) -> list[Segment]: ...

    def lock_messages(self, message_ids: Sequence[str]) -> bool:
        """Lock every part of these messages for this transaction (PostgreSQL ``FOR
        UPDATE``, in id order), so concurrent receipts for parts of one message see each
        other; False where the database has one writer anyway (SQLite)."""
        ...

    def queued_count(self, carrier: str) -> int: ...

    def unreceipted(self, carrier: str, before: datetime, limit: int) -> list[Segment]:
        """Parts submitted before ``before`` whose receipt has not come."""
        ...

    def prune_done(self, before: datetime) -> int: ...

    # -- receipts that arrived before their segment's submit_sm_resp
    def add_early(self, receipts: Sequence[EarlyReceipt]) -> None: ...

    def early(self, carrier: str, limit: int) -> list[EarlyReceipt]: ...

    def early_by_ids(self, carrier: str, smsc_ids: Sequence[str]) -> list[EarlyReceipt]: ...

    def delete_early(self, ids: Sequence[int]) -> None: ...

    def expire_early(self, before: datetime) -> int: ...

    # -- delivery reports waiting to reach the sink
    def add_reports(self, reports: Sequence[PendingReport]) -> None: ...

    def pending_reports(self, limit: int) -> list[PendingReport]: ...

    def delete_reports(self, message_ids: Sequence[str]) -> None: ...

    # -- MO parts and inbound messages waiting to reach the sink
    def add_parts(self, parts: Sequence[MoPart]) -> None:
        """Insert parts; a part already stored (SMSC redelivery) is ignored."""
        ...

    def complete_groups(self, limit: int) -> list[list[MoPart]]:
        """Part groups that have all their parts, each in ``seq`` order."""
        ...

    def delete_parts(self, groups: Sequence[Sequence[MoPart]]) -> None: ...

    def expire_parts(self, before: datetime) -> int: ...

    def add_inbound(self, items: Sequence[PendingInbound]) -> list[PendingInbound]:
        """Store ``items``; return them with their ids."""
        ...

    def pending_inbound(self, limit: int) -> list[PendingInbound]: ...

    def delete_inbound(self, ids: Sequence[int]) -> None: ...

    # -- bind leases and status
    def acquire(
        self, carrier: str, bind: str, mode: str, owner: str, now: datetime, until: datetime
    ) -> bool:
        """Take or renew the lease of ``bind``: True if ``owner`` holds it until ``until``."""
        ...

    def release(self, carrier: str, bind: str, owner: str, now: datetime) -> None: ...

    def set_status(self, status: BindStatus, owner: str) -> None:
        """Record ``status`` if ``owner`` still holds the lease."""
        ...

    def statuses(self, carrier: str | None = None) -> list[BindStatus]: ...

    def live_binds(self, carrier: str, now: datetime) -> list[BindStatus]:
        """Bound binds whose lease has not run out."""
        ...


class SmppHistoryRepo(Protocol):
    """Each part's SMSC ids and receipts, kept as long as the message (its timeline)."""

    def add(self, events: Sequence[PartEvent]) -> None: ...

    def of_message(self, message_id: str, limit: int = 1000) -> list[PartEvent]:
        """The message's events, oldest first."""
        ...


class WithSmpp(Protocol):
    @property
    def smpp(self) -> SmppRepo: ...


class WithSmppHistory(Protocol):
    @property
    def smpp_history(self) -> SmppHistoryRepo: ...
