"""The analytics counts, their rollups, and the operations dashboard's figures."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from tidings.domain.analytics import AnalyticsCounts, AnalyticsQuery


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


class WithAnalytics(Protocol):
    @property
    def analytics(self) -> AnalyticsRepo: ...
