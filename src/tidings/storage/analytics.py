"""Analytics counts straight from the messages and opt-change tables.

Every figure is one grouped query over a time range that ``ix_messages_analytics``
(direction, created_at, status, sender, segments, final_at) covers, so the database reads
the index rather than the message rows; docs/performance.md has the measurements.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from tidings.domain.analytics import AnalyticsCounts, AnalyticsQuery
from tidings.domain.messages import Direction, MessageStatus
from tidings.domain.timefmt import ensure_utc
from tidings.storage import dialects
from tidings.storage.schema import messages, opt_changes, phone_numbers

_OUT = Direction.OUTBOUND.value
_IN = Direction.INBOUND.value
KEYWORD_LIMIT = 10


def _unit_start(value: Any) -> datetime:
    """A truncated time as storage returns it: SQLite text or a naive UTC timestamp."""
    if isinstance(value, str):
        text = value if len(value) > 10 else value + " 00"
        return ensure_utc(datetime.strptime(text[:13], "%Y-%m-%d %H"))
    assert isinstance(value, datetime)
    return ensure_utc(value)


class SqlAnalyticsRepo:
    def __init__(self, connection: sa.Connection) -> None:
        self._c = connection

    def _where(self, q: AnalyticsQuery, direction: str) -> list[Any]:
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

    def counts(self, q: AnalyticsQuery) -> AnalyticsCounts:
        c = self._c
        unit = dialects.truncate_time(c, messages.c.created_at, q.bucket.storage_unit.value)
        out, inbound = self._where(q, _OUT), self._where(q, _IN)
        n = sa.func.count().label("n")

        outbound_rows = c.execute(
            sa.select(unit.label("u"), messages.c.status, n, sa.func.sum(messages.c.segments))
            .where(*out)
            .group_by(unit, messages.c.status)
        ).all()
        inbound_rows = c.execute(
            sa.select(unit.label("u"), n, sa.func.sum(messages.c.segments))
            .where(*inbound)
            .group_by(unit)
        ).all()
        by_number_out = c.execute(
            sa.select(messages.c.sender, messages.c.status, n)
            .where(*out)
            .group_by(messages.c.sender, messages.c.status)
        ).all()
        by_number_in = c.execute(
            sa.select(messages.c.recipient, n).where(*inbound).group_by(messages.c.recipient)
        ).all()
        by_tag = c.execute(
            sa.select(messages.c.tag, messages.c.status, n)
            .where(*out, messages.c.tag.is_not(None))
            .group_by(messages.c.tag, messages.c.status)
        ).all()
        failures = c.execute(
            sa.select(messages.c.delivery_code, n)
            .where(*out, messages.c.status == MessageStatus.FAILED.value)
            .group_by(messages.c.delivery_code)
        ).all()
        latency = dialects.millis_between(c, messages.c.created_at, messages.c.final_at)
        latency_rows = c.execute(
            sa.select(latency.label("ms"), n)
            .where(*out, messages.c.status == MessageStatus.DELIVERED.value)
            .group_by(latency)
        ).all()
        word = dialects.first_word(c, messages.c.body)
        keywords = c.execute(
            sa.select(word.label("word"), n)
            .where(*inbound)
            .group_by(word)
            .order_by(n.desc(), word)
            .limit(KEYWORD_LIMIT)
        ).all()
        numbers = (
            [q.number]
            if q.number is not None
            else list(c.execute(sa.select(phone_numbers.c.number)).scalars())
        )
        return AnalyticsCounts(
            outbound=[(_unit_start(r[0]), r[1], r[2], int(r[3] or 0)) for r in outbound_rows],
            inbound=[(_unit_start(r[0]), r[1], int(r[2] or 0)) for r in inbound_rows],
            opt_changes=self._opt_changes(q),
            by_number_out=[(r[0], r[1], r[2]) for r in by_number_out],
            by_number_in=[(r[0], r[1]) for r in by_number_in],
            by_tag=[(r[0], r[1], r[2]) for r in by_tag],
            failures=[(r[0], r[1]) for r in failures],
            latency_ms=[(int(r[0]), r[1]) for r in latency_rows if r[0] is not None],
            keywords=[(r[0], r[1]) for r in keywords if r[0]],
            active_conversations=self._active_conversations(q),
            first_reply_ms=self._first_replies(q),
            numbers=numbers,
        )

    def _opt_changes(self, q: AnalyticsQuery) -> list[tuple[datetime, str, int]]:
        unit = dialects.truncate_time(self._c, opt_changes.c.at, q.bucket.storage_unit.value)
        query = (
            sa.select(unit, opt_changes.c.action, sa.func.count())
            .where(opt_changes.c.at >= q.start, opt_changes.c.at < q.end)
            .group_by(unit, opt_changes.c.action)
        )
        if q.number is not None:
            query = query.where(opt_changes.c.sender == q.number)
        return [(_unit_start(r[0]), r[1], r[2]) for r in self._c.execute(query)]

    def _active_conversations(self, q: AnalyticsQuery) -> int:
        conditions: list[Any] = [
            messages.c.created_at >= q.start,
            messages.c.created_at < q.end,
            messages.c.conversation_id.is_not(None),
        ]
        if q.number is not None:
            conditions.append(
                sa.or_(
                    sa.and_(messages.c.direction == _OUT, messages.c.sender == q.number),
                    sa.and_(messages.c.direction == _IN, messages.c.recipient == q.number),
                )
            )
        if q.tag is not None:  # tags are on outbound messages: conversations they started
            conditions.append(messages.c.tag == q.tag)
        query = sa.select(sa.func.count(sa.distinct(messages.c.conversation_id))).where(*conditions)
        return int(self._c.execute(query).scalar_one())

    def _first_replies(self, q: AnalyticsQuery) -> list[tuple[int | None, int]]:
        first_out = (
            sa.select(
                messages.c.conversation_id.label("cid"),
                sa.func.min(messages.c.created_at).label("first_out"),
            )
            .where(*self._where(q, _OUT), messages.c.conversation_id.is_not(None))
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
