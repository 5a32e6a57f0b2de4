"""Daily analytics rollups: whole UTC days of messages, counted once and reused.

A day is rolled up on first use once it has ended (plus ``SETTLE``, for transactions still
committing). Any change to a message of a rolled-up day (a late delivery report, rows loaded
in bulk) clears the day's ``valid`` flag in the same transaction (``invalidate``), and the
next question counts it again. Computing a day locks its ``analytics_days`` row, so on
PostgreSQL a change committing meanwhile waits for the rollup and then clears it.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from tidings.domain.analytics import latency_bin
from tidings.domain.messages import Direction, MessageStatus
from tidings.domain.timefmt import ensure_utc
from tidings.storage import dialects
from tidings.storage.schema import (
    analytics_daily,
    analytics_daily_latency,
    analytics_daily_words,
    analytics_days,
    messages,
)

SETTLE = timedelta(minutes=10)
DAY = timedelta(days=1)
_OUTCOME = sa.case(
    (messages.c.status == MessageStatus.DELIVERED.value, MessageStatus.DELIVERED.value),
    (messages.c.status == MessageStatus.FAILED.value, MessageStatus.FAILED.value),
    (messages.c.status == MessageStatus.RECEIVED.value, MessageStatus.RECEIVED.value),
    else_="pending",
)


def floor_day(moment: datetime) -> datetime:
    return ensure_utc(moment).replace(hour=0, minute=0, second=0, microsecond=0)


def full_days(start: datetime, end: datetime, now: datetime) -> tuple[datetime, datetime] | None:
    """The whole days inside [start, end) that ended ``SETTLE`` before ``now``."""
    first = floor_day(start)
    if first < start:
        first += DAY
    last = min(floor_day(end), floor_day(now - SETTLE))
    return (first, last) if first < last else None


def days(block: tuple[datetime, datetime]) -> list[datetime]:
    count = (block[1] - block[0]) // DAY
    return [block[0] + i * DAY for i in range(count)]


def invalidate(connection: sa.Connection, earliest: datetime, latest: datetime) -> None:
    """Mark the days from ``earliest`` to ``latest`` (message times) as changed."""
    connection.execute(
        analytics_days.update()
        .where(
            analytics_days.c.day >= floor_day(earliest),
            analytics_days.c.day <= floor_day(latest),
            analytics_days.c.valid.is_(True),
        )
        .values(valid=False)
    )


def invalidate_messages(connection: sa.Connection, ids: list[str]) -> None:
    """``invalidate`` the days of the messages ``ids`` were created on."""
    for start in range(0, len(ids), 500):
        row = connection.execute(
            sa.select(sa.func.min(messages.c.created_at), sa.func.max(messages.c.created_at)).where(
                messages.c.id.in_(ids[start : start + 500])
            )
        ).one()
        if row[0] is not None:
            invalidate(connection, ensure_utc(row[0]), ensure_utc(row[1]))


def stale(connection: sa.Connection, block: tuple[datetime, datetime]) -> list[datetime]:
    """The days of ``block`` without a current rollup."""
    current = {
        ensure_utc(d)
        for d in connection.execute(
            sa.select(analytics_days.c.day).where(
                analytics_days.c.day >= block[0],
                analytics_days.c.day < block[1],
                analytics_days.c.valid.is_(True),
            )
        ).scalars()
    }
    return [d for d in days(block) if d not in current]


def register(connection: sa.Connection, wanted: list[datetime]) -> None:
    """Make sure the days have an ``analytics_days`` row (committed before computing)."""
    if wanted:
        connection.execute(
            dialects.insert_ignore(connection, analytics_days),
            [{"day": d, "valid": False, "computed_at": None} for d in wanted],
        )


def compute(connection: sa.Connection, day: datetime, now: datetime) -> None:
    """Count one day into the rollup tables (replacing what was there)."""
    connection.execute(
        sa.select(analytics_days.c.day).where(analytics_days.c.day == day).with_for_update()
    )
    for table in (analytics_daily, analytics_daily_latency, analytics_daily_words):
        connection.execute(table.delete().where(table.c.day == day))
    in_day = (messages.c.created_at >= day, messages.c.created_at < day + DAY)
    rows: list[dict[str, Any]] = []
    for direction, ours in (
        (Direction.OUTBOUND.value, messages.c.sender),
        (Direction.INBOUND.value, messages.c.recipient),
    ):
        columns = (ours, messages.c.tag, _OUTCOME, messages.c.delivery_code)
        for number, tag, status, code, n, segments in connection.execute(
            sa.select(*columns, sa.func.count(), sa.func.sum(messages.c.segments))
            .where(messages.c.direction == direction, *in_day)
            .group_by(*columns)
        ):
            rows.append(
                {
                    "day": day,
                    "number": number,
                    "tag": tag,
                    "direction": direction,
                    "status": status,
                    "code": code,
                    "messages": n,
                    "segments": int(segments or 0),
                }
            )
    if rows:
        connection.execute(analytics_daily.insert(), rows)
    ms = dialects.millis_between(connection, messages.c.created_at, messages.c.final_at)
    bins: Counter[int] = Counter()
    for value, n in connection.execute(
        sa.select(ms, sa.func.count())
        .where(
            messages.c.direction == Direction.OUTBOUND.value,
            messages.c.status == MessageStatus.DELIVERED.value,
            *in_day,
        )
        .group_by(ms)
    ):
        if value is not None:
            bins[latency_bin(int(value))] += n
    if bins:
        connection.execute(
            analytics_daily_latency.insert(),
            [{"day": day, "ms": v, "messages": n} for v, n in bins.items()],
        )
    word = dialects.first_word(connection, messages.c.body)
    words = [
        {"day": day, "number": number, "word": w[:64], "messages": n}
        for number, w, n in connection.execute(
            sa.select(messages.c.recipient, word, sa.func.count())
            .where(messages.c.direction == Direction.INBOUND.value, *in_day)
            .group_by(messages.c.recipient, word)
        )
        if w
    ]
    merged: Counter[tuple[str, str]] = Counter()
    for w in words:
        merged[(w["number"], w["word"])] += w["messages"]
    if merged:
        connection.execute(
            analytics_daily_words.insert(),
            [{"day": day, "number": k[0], "word": k[1], "messages": n} for k, n in merged.items()],
        )
    connection.execute(
        analytics_days.update()
        .where(analytics_days.c.day == day)
        .values(valid=True, computed_at=now)
    )
