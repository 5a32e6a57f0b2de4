"""The pieces behind the conversation figures (``domain/conversation_stats.py``).

Per whole day, ``analytics_daily_conversations`` keeps one row per (our number, tag) with
each conversation's first outbound time that day, and one row per our number with every
inbound time that day, as packed (conversation key, epoch ms) arrays. A day's rows are
written with the rest of its rollup (``rollups.compute``) and share its validity flag; the
partial days at the ends of a range are read from the messages in the same shape. So a
week of a million-message month is ~700 rows to read instead of ~230,000 index entries to
sort by conversation.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from tidings.domain.analytics import AnalyticsQuery
from tidings.domain.conversation_stats import Int64s, arrays, conversation_key, decode, encode
from tidings.domain.messages import Direction
from tidings.storage import dialects
from tidings.storage.schema import analytics_daily_conversations as table
from tidings.storage.schema import messages

_OUT = Direction.OUTBOUND.value
_IN = Direction.INBOUND.value
Pieces = list[tuple[Int64s, Int64s]]


def _outbound(connection: sa.Connection, start: datetime, end: datetime) -> sa.Select[Any]:
    """First outbound time per (sender, tag, conversation) in [start, end)."""
    m = messages.c
    return (
        sa.select(
            m.sender,
            m.tag,
            m.conversation_id,
            sa.func.min(dialects.epoch_ms(connection, m.created_at)),
        )
        .where(
            m.direction == _OUT,
            m.created_at >= start,
            m.created_at < end,
            m.conversation_id.is_not(None),
        )
        .group_by(m.sender, m.tag, m.conversation_id)
    )


def _inbound(connection: sa.Connection, start: datetime, end: datetime) -> sa.Select[Any]:
    """Every inbound time in [start, end), with our number and conversation."""
    m = messages.c
    return sa.select(
        m.recipient, m.conversation_id, dialects.epoch_ms(connection, m.created_at)
    ).where(
        m.direction == _IN,
        m.created_at >= start,
        m.created_at < end,
        m.conversation_id.is_not(None),
    )


def _grouped(rows: Any, width: int) -> dict[tuple[Any, ...], tuple[list[int], list[int]]]:
    """Rows (group columns..., conversation id, ms) as packed-array inputs per group."""
    groups: dict[tuple[Any, ...], tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
    for row in rows:
        keys, millis = groups[tuple(row[:width])]
        keys.append(conversation_key(row[width]))
        millis.append(int(row[width + 1]))
    return groups


def compute_day(connection: sa.Connection, day: datetime, end: datetime) -> None:
    """Write the day's rows (the caller has deleted the old ones): per our number, and for
    all numbers together (number NULL), so a question without a number filter reads a
    handful of rows per day rather than one per number."""
    pieces: dict[tuple[str | None, str, str | None], tuple[list[int], list[int]]] = {}

    def add(
        number: str | None, direction: str, tag: str | None, keys: list[int], ms: list[int]
    ) -> None:
        into = pieces.setdefault((number, direction, tag), ([], []))
        into[0].extend(keys)
        into[1].extend(ms)

    outbound = _grouped(connection.execute(_outbound(connection, day, end)), 2)
    for (number, tag), (keys, millis) in outbound.items():
        add(number, _OUT, tag, keys, millis)
        add(None, _OUT, tag, keys, millis)
    inbound = _grouped(connection.execute(_inbound(connection, day, end)), 1)
    for (number,), (keys, millis) in inbound.items():
        add(number, _IN, None, keys, millis)
        add(None, _IN, None, keys, millis)
    rows = [
        {
            "day": day,
            "number": number,
            "direction": direction,
            "tag": tag,
            "items": len(keys),
            "data": encode(keys, millis),
        }
        for (number, direction, tag), (keys, millis) in pieces.items()
    ]
    if rows:
        connection.execute(table.insert(), rows)


def from_messages(connection: sa.Connection, q: AnalyticsQuery) -> tuple[Pieces, Pieces]:
    """(outbound, inbound) pieces of ``q``'s range, read from the messages: every message's
    (conversation key, time) in one piece each; the figures take each conversation's first
    outbound themselves, so nothing is grouped here."""
    m = messages.c
    at = dialects.epoch_ms(connection, m.created_at)
    pieces: list[Pieces] = []
    for direction, ours in ((_OUT, m.sender), (_IN, m.recipient)):
        query = sa.select(m.conversation_id, at).where(
            m.direction == direction,
            m.created_at >= q.start,
            m.created_at < q.end,
            m.conversation_id.is_not(None),
        )
        if q.number is not None:
            query = query.where(ours == q.number)
        if q.tag is not None and direction == _OUT:
            query = query.where(m.tag == q.tag)
        rows = dialects.fetch_all(connection, query)
        keys = [conversation_key(r[0]) for r in rows]
        pieces.append([arrays(keys, [r[1] for r in rows])] if rows else [])
    return pieces[0], pieces[1]


def from_rollup(
    connection: sa.Connection, q: AnalyticsQuery, block: tuple[datetime, datetime]
) -> tuple[Pieces, Pieces]:
    """(outbound, inbound) pieces of the whole days ``block``, from the rollup."""
    query = sa.select(table.c.direction, table.c.data).where(
        table.c.day >= block[0], table.c.day < block[1]
    )
    query = query.where(
        table.c.number.is_(None) if q.number is None else table.c.number == q.number
    )
    if q.tag is not None:
        query = query.where(sa.or_(table.c.direction == _IN, table.c.tag == q.tag))
    outbound: Pieces = []
    inbound: Pieces = []
    for direction, data in connection.execute(query):
        (outbound if direction == _OUT else inbound).append(decode(bytes(data)))
    return outbound, inbound
