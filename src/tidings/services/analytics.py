"""The analytics use case: check the question, count in storage, assemble the document."""

from __future__ import annotations

import csv
import io
from typing import Any

from tidings.domain.analytics import CSV_TABLES, AnalyticsQuery, build_report, parse_query
from tidings.domain.messages import DeliveryCode
from tidings.errors import InvalidInput
from tidings.services.context import ServiceContext


def failure_reason(code: int | None) -> str:
    return "Unknown" if code is None else DeliveryCode.details(code)


class AnalyticsService:
    def __init__(self, ctx: ServiceContext) -> None:
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
        counts = self._ctx.store.read(lambda tx: tx.analytics.counts(query))
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


def to_csv(report: dict[str, Any], table: str) -> str:
    """One table of a report as CSV (header row first; empty cells for nulls)."""
    columns = check_table(table)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in report[table]:
        writer.writerow(["" if row[c] is None else row[c] for c in columns])
    return out.getvalue()
