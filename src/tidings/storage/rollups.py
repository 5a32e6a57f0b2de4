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

from tidings.domain.analytics import AnalyticsQuery, latency_bin
from tidings.domain.messages import Direction, MessageStatus
from tidings.domain.timefmt import ensure_utc
from tidings.storage import conversation_rollups, dialects
from tidings.storage.analytics_schema import (
    analytics_daily,
    analytics_daily_conversations,
    analytics_daily_latency,
    analytics_daily_words,
    analytics_days,
    analytics_hourly,
)
from tidings.storage.schema import messages

_OUT = Direction.OUTBOUND.value
_IN = Direction.INBOUND.value
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


_INVALIDATE = (
    analytics_days.update()
    .where(
        analytics_days.c.day >= sa.bindparam("b_first"),
        analytics_days.c.day <= sa.bindparam("b_last"),
        analytics_days.c.valid.is_(True),
    )
    .values(valid=False)
)


def invalidate(connection: sa.Connection, earliest: datetime, latest: datetime) -> None:
    """Mark the days from ``earliest`` to ``latest`` (message times) as changed."""
    connection.execute(_INVALIDATE, {"b_first": floor_day(earliest), "b_last": floor_day(latest)})


_CREATED_SPAN = sa.select(
    sa.func.min(messages.c.created_at), sa.func.max(messages.c.created_at)
).where(messages.c.id.in_(sa.bindparam("b_ids", expanding=True)))


def invalidate_messages(connection: sa.Connection, ids: list[str]) -> None:
    """``invalidate`` the days of the messages ``ids`` were created on."""
    for start in range(0, len(ids), 500):
        row = connection.execute(_CREATED_SPAN, {"b_ids": ids[start : start + 500]}).one()
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


def _hourly_rows(connection: sa.Connection, day: datetime, in_day: Any) -> list[dict[str, Any]]:
    """The day by hour, our number (and all numbers, as number NULL), direction and
    outcome: hourly series read ~100 rows a day instead of ~30,000 index entries."""
    unit = dialects.truncate_time(connection, messages.c.created_at, "hour")
    counted: Counter[tuple[int, str | None, str, str]] = Counter()
    segments: Counter[tuple[int, str | None, str, str]] = Counter()
    for direction, ours in (
        (Direction.OUTBOUND.value, messages.c.sender),
        (Direction.INBOUND.value, messages.c.recipient),
    ):
        for start, number, status, n, s in connection.execute(
            sa.select(unit, ours, _OUTCOME, sa.func.count(), sa.func.sum(messages.c.segments))
            .where(messages.c.direction == direction, *in_day)
            .group_by(unit, ours, _OUTCOME)
        ):
            hour = unit_start(start).hour
            for key in ((hour, number, direction, status), (hour, None, direction, status)):
                counted[key] += n
                segments[key] += int(s or 0)
    return [
        {
            "day": day,
            "hour": key[0],
            "number": key[1],
            "direction": key[2],
            "status": key[3],
            "messages": n,
            "segments": segments[key],
        }
        for key, n in counted.items()
    ]


def unit_start(value: Any) -> datetime:
    """A truncated time as storage returns it: SQLite text or a naive UTC timestamp."""
    if isinstance(value, str):
        text = value if len(value) > 10 else value + " 00"
        return ensure_utc(datetime.strptime(text[:13], "%Y-%m-%d %H"))
    assert isinstance(value, datetime)
    return ensure_utc(value)


def compute(connection: sa.Connection, day: datetime, now: datetime) -> None:
    """Count one day into the rollup tables (replacing what was there)."""
    connection.execute(
        sa.select(analytics_days.c.day).where(analytics_days.c.day == day).with_for_update()
    )
    tables = (
        analytics_daily,
        analytics_hourly,
        analytics_daily_latency,
        analytics_daily_words,
        analytics_daily_conversations,
    )
    for table in tables:
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
    hourly = _hourly_rows(connection, day, in_day)
    if hourly:
        connection.execute(analytics_hourly.insert(), hourly)
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
    conversation_rollups.compute_day(connection, day, day + DAY)
    connection.execute(
        analytics_days.update()
        .where(analytics_days.c.day == day)
        .values(valid=True, computed_at=now)
    )


def rolled(
    table: sa.Table,
    q: AnalyticsQuery,
    block: tuple[datetime, datetime] | None,
    direction: str | None,
) -> list[Any]:
    """Conditions on a rollup table: the days of ``block``, a direction, ``q``'s filters."""
    conditions: list[Any] = [table.c.day >= block[0], table.c.day < block[1]] if block else []
    if direction is not None:
        conditions.append(table.c.direction == direction)
    if q.number is not None and "number" in table.c:
        conditions.append(table.c.number == q.number)
    if q.tag is not None and direction == _OUT:
        conditions.append(table.c.tag == q.tag)
    return conditions


def daily_series(
    connection: sa.Connection, q: AnalyticsQuery, block: tuple[datetime, datetime]
) -> tuple[list[tuple[datetime, str, int, int]], list[tuple[datetime, int, int]]]:
    d = analytics_daily
    messages_, segments = sa.func.sum(d.c.messages), sa.func.sum(d.c.segments)
    outbound = [
        (ensure_utc(r[0]), r[1], int(r[2]), int(r[3]))
        for r in connection.execute(
            sa.select(d.c.day, d.c.status, messages_, segments)
            .where(*rolled(d, q, block, _OUT))
            .group_by(d.c.day, d.c.status)
        )
    ]
    inbound = [
        (ensure_utc(r[0]), int(r[1]), int(r[2]))
        for r in connection.execute(
            sa.select(d.c.day, messages_, segments)
            .where(*rolled(d, q, block, _IN))
            .group_by(d.c.day)
        )
    ]
    return outbound, inbound


def hourly_series(
    connection: sa.Connection, q: AnalyticsQuery, block: tuple[datetime, datetime]
) -> tuple[list[tuple[datetime, str, int, int]], list[tuple[datetime, int, int]]]:
    h = analytics_hourly
    ours = h.c.number.is_(None) if q.number is None else h.c.number == q.number
    rows = connection.execute(
        sa.select(
            h.c.day,
            h.c.hour,
            h.c.direction,
            h.c.status,
            sa.func.sum(h.c.messages),
            sa.func.sum(h.c.segments),
        )
        .where(h.c.day >= block[0], h.c.day < block[1], ours)
        .group_by(h.c.day, h.c.hour, h.c.direction, h.c.status)
    )
    outbound: list[tuple[datetime, str, int, int]] = []
    inbound: list[tuple[datetime, int, int]] = []
    for day, hour, direction, status, n, segments in rows:
        start = ensure_utc(day) + timedelta(hours=hour)
        if direction == _OUT:
            outbound.append((start, status, int(n), int(segments)))
        else:
            inbound.append((start, int(n), int(segments)))
    return outbound, inbound
