"""Analytics counts straight from the messages and opt-change tables.

Every figure is one grouped query over a time range that ``ix_messages_dashboard``
(direction, created_at and every column counted) covers, so the database reads the index
rather than the message rows with their bodies; docs/performance.md has the measurements.
``QUERIES`` names them for the benchmark.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from tidings.domain.analytics import AnalyticsCounts, AnalyticsQuery, Bucket, keyword_key
from tidings.domain.conversation_stats import ConversationStats, conversation_stats
from tidings.domain.deliveries import DeliveryStatus
from tidings.domain.messages import Direction, MessageStatus
from tidings.storage import conversation_rollups, dialects, rollups
from tidings.storage.analytics_schema import (
    analytics_daily,
    analytics_daily_latency,
    analytics_daily_words,
)
from tidings.storage.schema import (
    deliveries,
    delivery_attempts,
    messages,
    opt_changes,
    phone_numbers,
)

_OUT = Direction.OUTBOUND.value
_IN = Direction.INBOUND.value
KEYWORD_LIMIT = 10
_N = sa.func.count().label("n")

#: The parts of one answer, by ``SqlAnalyticsRepo`` method (each takes the query and block).
QUERIES = (
    "series",
    "breakdown",
    "inbound_by_number",
    "latency",
    "keywords",
    "conversations",
)


def _where(q: AnalyticsQuery, direction: str) -> list[Any]:
    conditions: list[Any] = [
        messages.c.direction == direction,
        messages.c.created_at >= q.start,
        messages.c.created_at < q.end,
    ]
    if q.number is not None:
        ours = messages.c.sender if direction == _OUT else messages.c.recipient
        conditions.append(ours == q.number)
    if q.tag is not None and direction == _OUT:
        conditions.append(messages.c.tag == q.tag)
    return conditions


Block = tuple[datetime, datetime] | None


def _parts(q: AnalyticsQuery, block: Block) -> list[AnalyticsQuery]:
    """The pieces of ``q`` the rollup does not answer (all of it without a block)."""
    if block is None:
        return [q]
    edges = (replace(q, end=block[0]), replace(q, start=block[1]))
    return [p for p in edges if p.start < p.end]


class SqlAnalyticsRepo:
    """Answers from the daily rollups for the whole days of a range (``block``), from the
    messages for the rest (and for hourly series, which the daily rollups cannot split)."""

    def __init__(self, connection: sa.Connection) -> None:
        self._c = connection

    # -- rollups ---------------------------------------------------------------------------

    def stale_days(self, q: AnalyticsQuery, now: datetime) -> list[datetime]:
        """Days ``q`` could take from the rollup that need counting (registered here)."""
        block = self._full_days(q, now)
        if block is None:
            return []
        wanted = rollups.stale(self._c, block)
        rollups.register(self._c, wanted)
        return wanted

    def roll_up(self, day: datetime, now: datetime) -> None:
        rollups.compute(self._c, day, now)

    def invalidate(self, start: datetime, end: datetime) -> None:
        rollups.invalidate(self._c, start, end)

    def rollup_block(self, q: AnalyticsQuery, now: datetime) -> Block:
        """The whole days of ``q`` with current rollups (None: answer from messages only)."""
        block = self._full_days(q, now)
        if block is None or rollups.stale(self._c, block):
            return None
        return block

    @staticmethod
    def _full_days(q: AnalyticsQuery, now: datetime) -> Block:
        return rollups.full_days(q.start, q.end, now)

    # -- the figures -----------------------------------------------------------------------

    def counts(self, q: AnalyticsQuery, now: datetime | None = None) -> AnalyticsCounts:
        block = None if now is None else self.rollup_block(q, now)
        outbound, inbound, opt = self.series(q, block)
        return AnalyticsCounts(
            outbound=outbound,
            inbound=inbound,
            opt_changes=opt,
            breakdown=self.breakdown(q, block),
            by_number_in=self.inbound_by_number(q, block),
            latency_ms=self.latency(q, block),
            keywords=self.keywords(q, block),
            conversations=self.conversations(q, block),
            numbers=self.numbers(q),
        )

    def series(
        self, q: AnalyticsQuery, block: Block
    ) -> tuple[
        list[tuple[datetime, str, int, int]],
        list[tuple[datetime, int, int]],
        list[tuple[datetime, str, int]],
    ]:
        # The hourly rollup (a few rows per hour; no tag) serves every bucket size; with a
        # tag, days come from the daily rollup and hourly buckets from the messages.
        if q.tag is not None and q.bucket is Bucket.HOUR:
            block = None
        outbound = [r for p in _parts(q, block) for r in self._outbound_series(p)]
        inbound = [r for p in _parts(q, block) for r in self._inbound_series(p)]
        if block is not None:
            rolled = rollups.daily_series if q.tag is not None else rollups.hourly_series
            rolled_out, rolled_in = rolled(self._c, q, block)
            outbound += rolled_out
            inbound += rolled_in
        return outbound, inbound, self._opt_series(q)

    def breakdown(
        self, q: AnalyticsQuery, block: Block
    ) -> list[tuple[str, str | None, str, int | None, int]]:
        """Outbound by (sender, tag, status, delivery code): byNumber, byTag and failures."""
        rows = [r for p in _parts(q, block) for r in self._breakdown(p)]
        if block is not None:
            d = analytics_daily
            columns = (d.c.number, d.c.tag, d.c.status, d.c.code)
            rows += [
                (r[0], r[1], r[2], r[3], int(r[4]))
                for r in self._c.execute(
                    sa.select(*columns, sa.func.sum(d.c.messages))
                    .where(*rollups.rolled(d, q, block, _OUT))
                    .group_by(*columns)
                )
            ]
        return rows

    def inbound_by_number(self, q: AnalyticsQuery, block: Block) -> list[tuple[str, int]]:
        rows = [r for p in _parts(q, block) for r in self._inbound_by_number(p)]
        if block is not None:
            d = analytics_daily
            rows += [
                (r[0], int(r[1]))
                for r in self._c.execute(
                    sa.select(d.c.number, sa.func.sum(d.c.messages))
                    .where(*rollups.rolled(d, q, block, _IN))
                    .group_by(d.c.number)
                )
            ]
        return rows

    def latency(self, q: AnalyticsQuery, block: Block) -> list[tuple[int, int]]:
        """Delivered messages by latency in ms (the rollup keeps no number or tag)."""
        if q.number is not None or q.tag is not None:
            block = None
        rows = [r for p in _parts(q, block) for r in self._latency(p)]
        if block is not None:
            t = analytics_daily_latency
            rows += [
                (int(r[0]), int(r[1]))
                for r in self._c.execute(
                    sa.select(t.c.ms, sa.func.sum(t.c.messages))
                    .where(*rollups.rolled(t, q, block, None))
                    .group_by(t.c.ms)
                )
            ]
        return rows

    def keywords(self, q: AnalyticsQuery, block: Block) -> list[tuple[str, int]]:
        """The ``KEYWORD_LIMIT`` most frequent first words of inbound messages."""
        counted: Counter[str] = Counter()
        for p in _parts(q, block):
            for word, n in self._keywords(p):
                counted[keyword_key(word)] += n
        if block is not None:
            t = analytics_daily_words
            for word, n in self._c.execute(
                sa.select(t.c.word, sa.func.sum(t.c.messages))
                .where(*rollups.rolled(t, q, block, None))
                .group_by(t.c.word)
            ):
                counted[keyword_key(word)] += int(n)
        ranked = sorted(counted.items(), key=lambda item: (-item[1], item[0]))
        return ranked[:KEYWORD_LIMIT]

    def _unit(self, q: AnalyticsQuery, column: Any) -> Any:
        return dialects.truncate_time(self._c, column, q.bucket.storage_unit.value)

    def _outbound_series(self, q: AnalyticsQuery) -> list[tuple[datetime, str, int, int]]:
        unit = self._unit(q, messages.c.created_at)
        rows = self._c.execute(
            sa.select(unit, messages.c.status, _N, sa.func.sum(messages.c.segments))
            .where(*_where(q, _OUT))
            .group_by(unit, messages.c.status)
        )
        return [(rollups.unit_start(r[0]), r[1], r[2], int(r[3] or 0)) for r in rows]

    def _inbound_series(self, q: AnalyticsQuery) -> list[tuple[datetime, int, int]]:
        unit = self._unit(q, messages.c.created_at)
        rows = self._c.execute(
            sa.select(unit, _N, sa.func.sum(messages.c.segments))
            .where(*_where(q, _IN))
            .group_by(unit)
        )
        return [(rollups.unit_start(r[0]), r[1], int(r[2] or 0)) for r in rows]

    def _opt_series(self, q: AnalyticsQuery) -> list[tuple[datetime, str, int]]:
        unit = self._unit(q, opt_changes.c.at)
        query = (
            sa.select(unit, opt_changes.c.action, _N)
            .where(opt_changes.c.at >= q.start, opt_changes.c.at < q.end)
            .group_by(unit, opt_changes.c.action)
        )
        if q.number is not None:
            query = query.where(opt_changes.c.sender == q.number)
        return [(rollups.unit_start(r[0]), r[1], r[2]) for r in self._c.execute(query)]

    def _breakdown(self, q: AnalyticsQuery) -> list[tuple[str, str | None, str, int | None, int]]:
        columns = (
            messages.c.sender,
            messages.c.tag,
            messages.c.status,
            messages.c.delivery_code,
        )
        rows = self._c.execute(sa.select(*columns, _N).where(*_where(q, _OUT)).group_by(*columns))
        return [(r[0], r[1], r[2], r[3], r[4]) for r in rows]

    def _inbound_by_number(self, q: AnalyticsQuery) -> list[tuple[str, int]]:
        rows = self._c.execute(
            sa.select(messages.c.recipient, _N)
            .where(*_where(q, _IN))
            .group_by(messages.c.recipient)
        )
        return [(r[0], r[1]) for r in rows]

    def _latency(self, q: AnalyticsQuery) -> list[tuple[int, int]]:
        ms = dialects.millis_between(self._c, messages.c.created_at, messages.c.final_at)
        rows = self._c.execute(
            sa.select(ms, _N)
            .where(*_where(q, _OUT), messages.c.status == MessageStatus.DELIVERED.value)
            .group_by(ms)
        )
        return [(int(r[0]), r[1]) for r in rows if r[0] is not None]

    def _keywords(self, q: AnalyticsQuery) -> list[tuple[str, int]]:
        word = dialects.first_word(self._c, messages.c.body)
        rows = self._c.execute(sa.select(word, _N).where(*_where(q, _IN)).group_by(word))
        return [(r[0], r[1]) for r in rows if r[0]]

    def numbers(self, q: AnalyticsQuery) -> list[str]:
        if q.number is not None:
            return [q.number]
        return list(self._c.execute(sa.select(phone_numbers.c.number)).scalars())

    def conversations(self, q: AnalyticsQuery, block: Block = None) -> ConversationStats:
        """Active conversations, and per conversation with outbound in range the time from
        its first outbound message to the first later inbound one.

        The whole days come from their conversation pieces in the rollup, the rest from the
        messages (index only); ``domain/conversation_stats`` combines them exactly.
        """
        outbound: conversation_rollups.Pieces = []
        inbound: conversation_rollups.Pieces = []
        for part in _parts(q, block):
            more_out, more_in = conversation_rollups.from_messages(self._c, part)
            outbound += more_out
            inbound += more_in
        if block is not None:
            more_out, more_in = conversation_rollups.from_rollup(self._c, q, block)
            outbound += more_out
            inbound += more_in
        return conversation_stats(outbound, inbound, outbound_only=q.tag is not None)

    # -- operational figures for /metrics --------------------------------------------------

    def message_counts(self) -> list[tuple[str, str, str, int]]:
        """All messages by (direction, status, our number)."""
        out = self._c.execute(
            sa.select(messages.c.status, messages.c.sender, _N)
            .where(messages.c.direction == _OUT)
            .group_by(messages.c.status, messages.c.sender)
        )
        inbound = self._c.execute(
            sa.select(messages.c.recipient, _N)
            .where(messages.c.direction == _IN)
            .group_by(messages.c.recipient)
        )
        return [(_OUT, r[0], r[1], r[2]) for r in out] + [
            (_IN, MessageStatus.RECEIVED.value, r[0], r[1]) for r in inbound
        ]

    def carrier_latency(self, since: datetime, window: timedelta) -> list[tuple[int, int]]:
        """Delivered messages finished since ``since`` by sent-to-report time in ms (messages
        created more than ``window`` before ``since`` are not looked at)."""
        ms = dialects.millis_between(self._c, messages.c.sent_at, messages.c.final_at)
        rows = self._c.execute(
            sa.select(ms, _N)
            .where(
                messages.c.direction == _OUT,
                messages.c.created_at >= since - window,
                messages.c.status == MessageStatus.DELIVERED.value,
                messages.c.final_at >= since,
            )
            .group_by(ms)
        )
        return [(int(r[0]), r[1]) for r in rows if r[0] is not None]

    def webhook_attempts(self, since: datetime) -> list[tuple[str, int]]:
        rows = self._c.execute(
            sa.select(delivery_attempts.c.outcome, _N)
            .where(delivery_attempts.c.attempted_at >= since)
            .group_by(delivery_attempts.c.outcome)
        )
        return [(r[0], r[1]) for r in rows]

    def dead_letters(self) -> list[tuple[str, int]]:
        rows = self._c.execute(
            sa.select(deliveries.c.subscription, _N)
            .where(deliveries.c.status == DeliveryStatus.DEAD_LETTERED.value)
            .group_by(deliveries.c.subscription)
        )
        return [(r[0], r[1]) for r in rows]
