"""The job queue the worker claims from, and the per-sender rate windows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol


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

    def enqueue_claimed(
        self,
        rows: list[tuple[str, dict[str, Any], datetime, str]],
        *,
        now: datetime,
        lease: timedelta,
        worker: str,
    ) -> list[Job]:
        """``enqueue_unique``, the new jobs already claimed by ``worker``: for work the
        enqueuer does itself at once, without a claim of its own (if it dies, the lease
        runs out and any worker claims them). Returns the jobs inserted."""
        ...

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

    def next_due(self, now: datetime) -> datetime | None: ...

    def dead(self, job_id: int, error: str) -> None: ...

    def count_failed_claim(
        self, job_id: int, attempts: int, run_at: datetime | None, error: str, now: datetime
    ) -> None:
        """For a job whose claiming transaction rolled back (its lease and attempt undone):
        record that attempt (``attempts``) and run it again at ``run_at`` (None: bury it),
        unless another worker has claimed it since."""
        ...

    def stats(self, now: datetime) -> QueueStats: ...

    def pending_payloads(self, kind: str) -> list[dict[str, Any]]: ...


class RateWindows(Protocol):
    def take(self, key: str, limit: int, window_start: datetime, count: int) -> int: ...

    def prune(self, before: datetime) -> None: ...


class WithJobs(Protocol):
    @property
    def jobs(self) -> JobQueue: ...


class WithRateWindows(Protocol):
    @property
    def rate_windows(self) -> RateWindows: ...
