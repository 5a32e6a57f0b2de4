"""Analytics counts straight from the messages and opt-change tables.

Every figure is one grouped query over a time range that ``ix_messages_analytics``
(direction, created_at, status, sender, segments, final_at) covers, so the database reads
the index rather than the message rows; docs/performance.md has the measurements.
``QUERIES`` names them for the benchmark.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from tidings.domain.analytics import AnalyticsCounts, AnalyticsQuery
from tidings.domain.deliveries import DeliveryStatus
from tidings.domain.messages import Direction, MessageStatus
from tidings.domain.timefmt import ensure_utc
from tidings.storage import dialects
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

#: The statements behind one answer, by ``SqlAnalyticsRepo`` method.
QUERIES = (
    "outbound_series",
    "inbound_series",
    "opt_series",
    "outbound_by_number",
    "inbound_by_number",
    "outbound_by_tag",
    "failures",
    "latency",
    "keywords",
    "active_conversations",
    "first_replies",
)


def _unit_start(value: Any) -> datetime:
    """A truncated time as storage returns it: SQLite text or a naive UTC timestamp."""
    if isinstance(value, str):
        text = value if len(value) > 10 else value + " 00"
        return ensure_utc(datetime.strptime(text[:13], "%Y-%m-%d %H"))
    assert isinstance(value, datetime)
    return ensure_utc(value)


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


class SqlAnalyticsRepo:
    def __init__(self, connection: sa.Connection) -> None:
        self._c = connection

    def counts(self, q: AnalyticsQuery) -> AnalyticsCounts:
        return AnalyticsCounts(
            outbound=self.outbound_series(q),
            inbound=self.inbound_series(q),
            opt_changes=self.opt_series(q),
            by_number_out=self.outbound_by_number(q),
            by_number_in=self.inbound_by_number(q),
            by_tag=self.outbound_by_tag(q),
            failures=self.failures(q),
            latency_ms=self.latency(q),
            keywords=self.keywords(q),
            active_conversations=self.active_conversations(q),
            first_reply_ms=self.first_replies(q),
            numbers=self.numbers(q),
        )

    def _unit(self, q: AnalyticsQuery, column: Any) -> Any:
        return dialects.truncate_time(self._c, column, q.bucket.storage_unit.value)

    def outbound_series(self, q: AnalyticsQuery) -> list[tuple[datetime, str, int, int]]:
        unit = self._unit(q, messages.c.created_at)
        rows = self._c.execute(
            sa.select(unit, messages.c.status, _N, sa.func.sum(messages.c.segments))
            .where(*_where(q, _OUT))
            .group_by(unit, messages.c.status)
        )
        return [(_unit_start(r[0]), r[1], r[2], int(r[3] or 0)) for r in rows]

    def inbound_series(self, q: AnalyticsQuery) -> list[tuple[datetime, int, int]]:
        unit = self._unit(q, messages.c.created_at)
        rows = self._c.execute(
            sa.select(unit, _N, sa.func.sum(messages.c.segments))
            .where(*_where(q, _IN))
            .group_by(unit)
        )
        return [(_unit_start(r[0]), r[1], int(r[2] or 0)) for r in rows]

    def opt_series(self, q: AnalyticsQuery) -> list[tuple[datetime, str, int]]:
        unit = self._unit(q, opt_changes.c.at)
        query = (
            sa.select(unit, opt_changes.c.action, _N)
            .where(opt_changes.c.at >= q.start, opt_changes.c.at < q.end)
            .group_by(unit, opt_changes.c.action)
        )
        if q.number is not None:
            query = query.where(opt_changes.c.sender == q.number)
        return [(_unit_start(r[0]), r[1], r[2]) for r in self._c.execute(query)]

    def outbound_by_number(self, q: AnalyticsQuery) -> list[tuple[str, str, int]]:
        rows = self._c.execute(
            sa.select(messages.c.sender, messages.c.status, _N)
            .where(*_where(q, _OUT))
            .group_by(messages.c.sender, messages.c.status)
        )
        return [(r[0], r[1], r[2]) for r in rows]

    def inbound_by_number(self, q: AnalyticsQuery) -> list[tuple[str, int]]:
        rows = self._c.execute(
            sa.select(messages.c.recipient, _N)
            .where(*_where(q, _IN))
            .group_by(messages.c.recipient)
        )
        return [(r[0], r[1]) for r in rows]

    def outbound_by_tag(self, q: AnalyticsQuery) -> list[tuple[str, str, int]]:
        rows = self._c.execute(
            sa.select(messages.c.tag, messages.c.status, _N)
            .where(*_where(q, _OUT), messages.c.tag.is_not(None))
            .group_by(messages.c.tag, messages.c.status)
        )
        return [(r[0], r[1], r[2]) for r in rows]

    def failures(self, q: AnalyticsQuery) -> list[tuple[int | None, int]]:
        rows = self._c.execute(
            sa.select(messages.c.delivery_code, _N)
            .where(*_where(q, _OUT), messages.c.status == MessageStatus.FAILED.value)
            .group_by(messages.c.delivery_code)
        )
        return [(r[0], r[1]) for r in rows]

    def latency(self, q: AnalyticsQuery) -> list[tuple[int, int]]:
        ms = dialects.millis_between(self._c, messages.c.created_at, messages.c.final_at)
        rows = self._c.execute(
            sa.select(ms, _N)
            .where(*_where(q, _OUT), messages.c.status == MessageStatus.DELIVERED.value)
            .group_by(ms)
        )
        return [(int(r[0]), r[1]) for r in rows if r[0] is not None]

    def keywords(self, q: AnalyticsQuery) -> list[tuple[str, int]]:
        word = dialects.first_word(self._c, messages.c.body)
        rows = self._c.execute(
            sa.select(word, _N)
            .where(*_where(q, _IN))
            .group_by(word)
            .order_by(_N.desc(), word)
            .limit(KEYWORD_LIMIT)
        )
        return [(r[0], r[1]) for r in rows if r[0]]

    def numbers(self, q: AnalyticsQuery) -> list[str]:
        if q.number is not None:
            return [q.number]
        return list(self._c.execute(sa.select(phone_numbers.c.number)).scalars())

    def active_conversations(self, q: AnalyticsQuery) -> int:
        if q.tag is not None:  # tags are on outbound messages: conversations they started
            conditions = [*_where(q, _OUT)]
        else:
            conditions = [
                messages.c.created_at >= q.start,
                messages.c.created_at < q.end,
            ]
            if q.number is not None:
                conditions.append(
                    sa.or_(
                        sa.and_(messages.c.direction == _OUT, messages.c.sender == q.number),
                        sa.and_(messages.c.direction == _IN, messages.c.recipient == q.number),
                    )
                )
        query = sa.select(sa.func.count(sa.distinct(messages.c.conversation_id))).where(
            *conditions, messages.c.conversation_id.is_not(None)
        )
        return int(self._c.execute(query).scalar_one())

    def first_replies(self, q: AnalyticsQuery) -> list[tuple[int | None, int]]:
        """Per conversation with outbound in range: first outbound to first later inbound."""
        first_out = (
            sa.select(
                messages.c.conversation_id.label("cid"),
                sa.func.min(messages.c.created_at).label("first_out"),
            )
            .where(*_where(q, _OUT), messages.c.conversation_id.is_not(None))
            .group_by(messages.c.conversation_id)
            .subquery()
        )
        reply = messages.alias("reply")
        first_in = (
            sa.select(sa.func.min(reply.c.created_at))
            .where(
                reply.c.conversation_id == first_out.c.cid,
                reply.c.direction == _IN,
                reply.c.created_at > first_out.c.first_out,
                reply.c.created_at < q.end,
            )
            .scalar_subquery()
        )
        pairs = sa.select(first_out.c.first_out, first_in.label("first_in")).subquery()
        wait = dialects.millis_between(self._c, pairs.c.first_out, pairs.c.first_in)
        rows = self._c.execute(sa.select(wait, sa.func.count()).group_by(wait)).all()
        return [(None if r[0] is None else int(r[0]), r[1]) for r in rows]

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
