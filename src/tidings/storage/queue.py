"""The durable job queue and the throughput windows, both plain tables.

Jobs::

    pending ──claim (lease)──> running ──ack──> (row deleted)
       ^                          │
       └──── retry(run_at) ───────┤
                                  └── dead(error)   kept for inspection and re-drive

A claim sets ``locked_until``; a worker that dies simply lets its lease run out and the
job becomes claimable again. On PostgreSQL the claim uses ``FOR UPDATE SKIP LOCKED`` so many
workers never take the same row; SQLite has one writer at a time.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from tidings.domain.timefmt import ensure_utc
from tidings.ports import Job, QueueStats
from tidings.storage import dialects
from tidings.storage.schema import jobs, rate_windows
from tidings.storage.signals import touch
from tidings.wakeups import JOBS


def job_row(
    kind: str,
    payload: dict[str, Any],
    run_at: datetime,
    now: datetime,
    dedupe_key: str | None = None,
) -> dict[str, Any]:
    return {
        "kind": kind,
        "payload": payload,
        "dedupe_key": dedupe_key,
        "status": "pending",
        "run_at": run_at,
        "attempts": 0,
        "created_at": now,
    }


# The statements of every worker round, built once: building one and its cache key cost
# ~0.2 ms a call, more than running it.
_DUE = (
    sa.select(jobs.c.id)
    .where(
        jobs.c.status == "pending",
        jobs.c.run_at <= sa.bindparam("now"),
        sa.or_(jobs.c.locked_until.is_(None), jobs.c.locked_until < sa.bindparam("now")),
        jobs.c.kind.in_(sa.bindparam("kinds", expanding=True)),
    )
    .order_by(jobs.c.run_at, jobs.c.id)
    .limit(sa.bindparam("limit", type_=sa.Integer))
    .with_for_update(skip_locked=True)
)
_CLAIM = (
    jobs.update()
    .where(jobs.c.id.in_(_DUE.scalar_subquery()))
    .values(
        locked_until=sa.bindparam("until", type_=jobs.c.locked_until.type),
        locked_by=sa.bindparam("worker"),
        attempts=jobs.c.attempts + 1,
    )
    .returning(jobs.c.id, jobs.c.kind, jobs.c.payload, jobs.c.attempts, jobs.c.run_at)
)
_PENDING = jobs.c.status == "pending"
#: ``SqlRateWindows.take``'s upsert, by dialect.
_RATE_TAKE: dict[str, Any] = {}
_ACK = jobs.delete().where(jobs.c.id.in_(sa.bindparam("ids", expanding=True)))
_NEXT_DUE = sa.select(
    sa.select(sa.func.min(jobs.c.run_at))
    .where(_PENDING, jobs.c.run_at > sa.bindparam("now"))
    .scalar_subquery(),
    sa.select(sa.func.min(jobs.c.locked_until))
    .where(
        _PENDING, jobs.c.run_at <= sa.bindparam("now"), jobs.c.locked_until > sa.bindparam("now")
    )
    .scalar_subquery(),
)


def _released(error: str) -> dict[str, Any]:
    """A job's columns once its worker lets go of it after a failure."""
    return {"locked_until": None, "locked_by": None, "last_error": error[:2000]}


class SqlJobQueue:
    def __init__(self, connection: sa.Connection) -> None:
        self._c = connection

    def enqueue(
        self,
        kind: str,
        payload: dict[str, Any],
        run_at: datetime,
        *,
        now: datetime,
        dedupe_key: str | None = None,
    ) -> None:
        row = job_row(kind, payload, run_at, now, dedupe_key)
        touch(self._c, JOBS)
        if dedupe_key is None:
            self._c.execute(jobs.insert(), row)
        else:
            self._c.execute(dialects.insert_ignore(self._c, jobs), row)

    def enqueue_unique(
        self, rows: list[tuple[str, dict[str, Any], datetime, str]], *, now: datetime
    ) -> None:
        """Enqueue ``(kind, payload, run_at, dedupe_key)`` rows; keys already queued are skipped."""
        if rows:
            touch(self._c, JOBS)
            self._c.execute(
                dialects.insert_ignore(self._c, jobs),
                [job_row(k, p, r, now, key) for k, p, r, key in rows],
            )

    def enqueue_claimed(
        self,
        rows: list[tuple[str, dict[str, Any], datetime, str]],
        *,
        now: datetime,
        lease: timedelta,
        worker: str,
    ) -> list[Job]:
        """``enqueue_unique``, the new jobs leased to ``worker`` (their first attempt), so no
        other worker takes them meanwhile; returns the jobs inserted. No signal: the
        enqueuer does them itself, and a lease that runs out is found by ``next_due``."""
        if not rows:
            return []
        until = now + lease
        result = self._c.execute(
            dialects.insert_ignore(self._c, jobs).returning(
                jobs.c.id, jobs.c.kind, jobs.c.payload, jobs.c.run_at
            ),
            [
                {
                    **job_row(k, p, r, now, key),
                    "attempts": 1,
                    "locked_by": worker,
                    "locked_until": until,
                }
                for k, p, r, key in rows
            ],
        )
        inserted = [Job(r.id, r.kind, dict(r.payload), 1, ensure_utc(r.run_at)) for r in result]
        inserted.sort(key=lambda j: (j.run_at, j.id))
        return inserted

    def enqueue_many(
        self, rows: list[tuple[str, dict[str, Any], datetime]], *, now: datetime
    ) -> None:
        if not rows:
            return
        touch(self._c, JOBS)
        self._c.execute(jobs.insert(), [job_row(k, p, r, now) for k, p, r in rows])

    def claim(
        self, kinds: list[str], *, limit: int, now: datetime, lease: timedelta, worker: str
    ) -> list[Job]:
        result = self._c.execute(
            _CLAIM,
            {"now": now, "kinds": kinds, "limit": limit, "until": now + lease, "worker": worker},
        )
        claimed = [
            Job(r.id, r.kind, dict(r.payload), r.attempts, ensure_utc(r.run_at)) for r in result
        ]
        claimed.sort(key=lambda j: (j.run_at, j.id))
        return claimed

    def next_due(self, now: datetime) -> datetime | None:
        """The next time after ``now`` a job becomes claimable: the earliest future
        ``run_at``, or the earliest lease on a due job that runs out. Two seeks in the
        ``(status, run_at)`` index (leased jobs are due ones, and few)."""
        row = self._c.execute(_NEXT_DUE, {"now": now}).one()
        times = [ensure_utc(t) for t in row if t is not None]
        return min(times) if times else None

    def ack(self, ids: list[int]) -> None:
        if ids:
            self._c.execute(_ACK, {"ids": ids})

    def release_all(self) -> int:
        """Make every leased job claimable again; return how many were leased."""
        result = self._c.execute(
            jobs.update()
            .where(jobs.c.locked_until.is_not(None))
            .values(locked_until=None, locked_by=None)
        )
        if result.rowcount:
            touch(self._c, JOBS)
        return int(result.rowcount)

    def defer(self, job_id: int, run_at: datetime) -> None:
        """Put a claimed job back until ``run_at`` without counting the attempt (throttling)."""
        touch(self._c, JOBS)
        self._c.execute(
            jobs.update()
            .where(jobs.c.id == job_id)
            .values(
                run_at=run_at,
                locked_until=None,
                locked_by=None,
                attempts=dialects.greatest(self._c, jobs.c.attempts - 1, 0),
            )
        )

    def retry(
        self, job_id: int, run_at: datetime, error: str, payload: dict[str, Any] | None = None
    ) -> None:
        """Run a claimed job again at ``run_at`` (with ``payload`` instead, when given)."""
        values = {**_released(error), "run_at": run_at}
        if payload is not None:
            values["payload"] = payload
        touch(self._c, JOBS)
        self._c.execute(jobs.update().where(jobs.c.id == job_id).values(**values))

    def update_payload(self, job_id: int, payload: dict[str, Any]) -> None:
        """Replace a job's payload (a claimed ``sms.send`` job that hands messages on)."""
        self._c.execute(jobs.update().where(jobs.c.id == job_id).values(payload=payload))

    def dead(self, job_id: int, error: str) -> None:
        self._c.execute(
            jobs.update().where(jobs.c.id == job_id).values(status="dead", **_released(error))
        )

    def count_failed_claim(
        self, job_id: int, attempts: int, run_at: datetime | None, error: str, now: datetime
    ) -> None:
        values = {**_released(error), "attempts": attempts}
        if run_at is None:
            values["status"] = "dead"
        else:
            values["run_at"] = run_at
            touch(self._c, JOBS)
        self._c.execute(
            jobs.update()
            .where(
                jobs.c.id == job_id,
                _PENDING,
                jobs.c.attempts < attempts,  # not claimed (and counted) again since
                sa.or_(jobs.c.locked_until.is_(None), jobs.c.locked_until <= now),
            )
            .values(**values)
        )

    def pending_payloads(self, kind: str) -> list[dict[str, Any]]:
        """The payloads of the pending jobs of one kind (for progress displays)."""
        rows = self._c.execute(
            sa.select(jobs.c.payload).where(jobs.c.kind == kind, jobs.c.status == "pending")
        )
        return [dict(r[0]) for r in rows]

    def stats(self, now: datetime) -> QueueStats:
        row = self._c.execute(
            sa.select(
                sa.func.count().filter(jobs.c.status == "pending"),
                sa.func.count().filter(jobs.c.status == "pending", jobs.c.run_at <= now),
                sa.func.count().filter(jobs.c.status == "dead"),
                sa.func.min(jobs.c.run_at).filter(jobs.c.status == "pending"),
            )
        ).one()
        return QueueStats(row[0], row[1], row[2], None if row[3] is None else ensure_utc(row[3]))


class SqlRateWindows:
    """Fixed one-minute windows per key, counting the messages asked for in each: the
    first ``limit`` of them are granted, the rest wait for a later window."""

    def __init__(self, connection: sa.Connection) -> None:
        self._c = connection

    def take(self, key: str, limit: int, window_start: datetime, count: int) -> int:
        """Take up to ``count`` slots from the window starting at ``window_start``; return how
        many were granted (the rest must wait for a later window).

        One statement: an upsert adds ``count`` to what was asked for before (the row
        locked until the transaction ends, so concurrent takers queue up) and returns the
        sum, from which the grant follows: ``limit`` minus what was asked for before,
        between 0 and ``count``."""
        stmt = _RATE_TAKE.get(self._c.dialect.name)
        if stmt is None:  # built once per dialect
            stmt = _RATE_TAKE[self._c.dialect.name] = (
                dialects.upsert(
                    self._c,
                    rate_windows,
                    ["key", "window_start"],
                    {"used": rate_windows.c.used + sa.literal_column("excluded.used")},
                )
                .values(
                    key=sa.bindparam("key"),
                    window_start=sa.bindparam("window_start"),
                    used=sa.bindparam("used"),
                )
                .returning(rate_windows.c.used)
            )
        asked: int = self._c.execute(
            stmt, {"key": key, "window_start": window_start, "used": count}
        ).scalar_one()
        return max(0, min(limit - (asked - count), count))

    def prune(self, before: datetime) -> None:
        self._c.execute(rate_windows.delete().where(rate_windows.c.window_start < before))
