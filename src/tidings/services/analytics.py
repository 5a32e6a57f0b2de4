"""The analytics use case: check the question, count in storage, assemble the document."""

from __future__ import annotations

import csv
import functools
import io
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tidings.domain.analytics import (
    CSV_TABLES,
    AnalyticsQuery,
    build_report,
    parse_query,
    percentiles,
)
from tidings.domain.messages import DeliveryCode
from tidings.errors import InvalidInput
from tidings.ports import AnalyticsTx, QueueStats
from tidings.services.context import ServiceContext


def _roll_up(day: datetime, now: datetime, tx: AnalyticsTx) -> None:
    tx.analytics.roll_up(day, now)


def failure_reason(code: int | None) -> str:
    return "Unknown" if code is None else DeliveryCode.details(code)


class AnalyticsService:
    def __init__(self, ctx: ServiceContext[AnalyticsTx]) -> None:
        self._ctx = ctx

    def query(
        self,
        *,
        start: str | None = None,
        end: str | None = None,
        bucket: str | None = None,
        number: str | None = None,
        tag: str | None = None,
    ) -> AnalyticsQuery:
        """Parse a question against the current time (defaults: the last 7 days, by day)."""
        return parse_query(
            self._ctx.clock.now(), start=start, end=end, bucket=bucket, number=number, tag=tag
        )

    def report(self, query: AnalyticsQuery) -> dict[str, Any]:
        """The analytics document; whole past days of the range are counted once into the
        daily rollups (a transaction per day) and read from there afterwards."""
        store, now = self._ctx.store, self._ctx.clock.now()
        for day in store.write(lambda tx: tx.analytics.stale_days(query, now)):
            store.write(functools.partial(_roll_up, day, now))
        counts = store.read(lambda tx: tx.analytics.counts(query, now))
        return build_report(query, counts, failure_reason)


def check_table(table: str) -> tuple[str, ...]:
    """The columns of a CSV table.

    Raises:
        InvalidInput: no such table.
    """
    columns = CSV_TABLES.get(table)
    if columns is None:
        raise InvalidInput(
            f"table must be one of {', '.join(CSV_TABLES)}; got {table!r}.", target="table"
        )
    return columns


_NUMBER = re.compile(r"^[+-]?[0-9.]+$")


def _cell(value: object) -> object:
    """A CSV cell: empty for null; text a spreadsheet would run as a formula (inbound
    keywords and tags are anyone's text) gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return value if _NUMBER.match(value) else "'" + value
    return value


def to_csv(report: dict[str, Any], table: str) -> str:
    """One table of a report as CSV (header row first; empty cells for nulls)."""
    columns = check_table(table)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in report[table]:
        writer.writerow([_cell(row[c]) for c in columns])
    return out.getvalue()


#: How far back the "recent" operational figures look.
RECENT = timedelta(minutes=5)


@dataclass(frozen=True)
class OperationsSnapshot:
    """Cluster-wide operational state, read from the database (for /metrics)."""

    #: (direction, status, number type) -> messages.
    messages: dict[tuple[str, str, str], int]
    queue: QueueStats
    queue_oldest_due_age: float | None  # seconds
    webhook_oldest_pending_age: float | None  # seconds
    #: Carrier latency (sent to delivery report) of messages delivered in the last
    #: ``RECENT``: (p50, p90, p99) in seconds, None when there were none.
    carrier_latency: tuple[float | None, ...]
    carrier_reports: int
    #: Webhook attempts in the last ``RECENT`` by outcome.
    webhook_attempts: dict[str, int]
    #: Dead-lettered deliveries by subscription.
    dead_letters: dict[str, int]


class OperationsService:
    def __init__(self, ctx: ServiceContext[AnalyticsTx]) -> None:
        self._ctx = ctx

    def snapshot(self) -> OperationsSnapshot:
        now = self._ctx.clock.now()
        return self._ctx.store.read(lambda tx: self._read(tx, now))

    @staticmethod
    def _read(tx: AnalyticsTx, now: datetime) -> OperationsSnapshot:
        kinds = {n.number: n.number_type.value for n in tx.numbers.page(0, 100_000)}
        counted: dict[tuple[str, str, str], int] = {}
        for direction, status, number, n in tx.analytics.message_counts():
            key = (direction, status, kinds.get(number, "unknown"))
            counted[key] = counted.get(key, 0) + n
        queue = tx.jobs.stats(now)
        pending_since = tx.deliveries.oldest_pending()
        latency = tx.analytics.carrier_latency(now - RECENT, timedelta(hours=24))
        return OperationsSnapshot(
            messages=counted,
            queue=queue,
            queue_oldest_due_age=_age(now, queue.oldest_due_at),
            webhook_oldest_pending_age=_age(now, pending_since),
            carrier_latency=tuple(
                None if p is None else p / 1000 for p in percentiles(latency, (0.5, 0.9, 0.99))
            ),
            carrier_reports=sum(n for _, n in latency),
            webhook_attempts=dict(tx.analytics.webhook_attempts(now - RECENT)),
            dead_letters=dict(tx.analytics.dead_letters()),
        )


def _age(now: datetime, since: datetime | None) -> float | None:
    return None if since is None else max(0.0, (now - since).total_seconds())
