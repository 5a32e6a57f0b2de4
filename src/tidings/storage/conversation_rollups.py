"""The pieces behind the conversation figures (``domain/conversation_stats.py``).

Per whole day, ``analytics_daily_conversations`` keeps one row per (our number, tag) with
the conversation of each outbound message that day and its time, and one row per our number
with every inbound time that day, as packed (conversation key, epoch ms) arrays, plus the
same for all numbers together. A day's rows are
written with the rest of its rollup (``rollups.compute``) and share its validity flag; the
partial days at the ends of a range are read from the messages in the same shape. So a
week of a million-message month is ~50 rows to read instead of ~230,000 index entries to
sort by conversation.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from tidings.domain.analytics import AnalyticsQuery
from tidings.domain.conversation_stats import Int64s, arrays, conversation_key, decode, encode
from tidings.domain.messages import Direction
from tidings.storage import dialects, driver
from tidings.storage.analytics_schema import analytics_daily_conversations as table
from tidings.storage.schema import messages

_OUT = Direction.OUTBOUND.value
_IN = Direction.INBOUND.value
Pieces = list[tuple[Int64s, Int64s]]


def _times(
    connection: sa.Connection,
    direction: str,
    start: datetime,
    end: datetime,
    number: str | None = None,
    tag: str | None = None,
) -> sa.Select[Any]:
    """(our number, tag, conversation id, epoch ms) of each message of one direction in
    [start, end) that belongs to a conversation; the covering index answers it."""
    m = messages.c
    ours = m.sender if direction == _OUT else m.recipient
    query = sa.select(ours, m.tag, m.conversation_id, dialects.epoch_ms(connection, m.created_at))
    query = query.where(
        m.direction == direction,
        m.created_at >= start,
        m.created_at < end,
        m.conversation_id.is_not(None),
    )
    if number is not None:
        query = query.where(ours == number)
    if tag is not None and direction == _OUT:
        query = query.where(m.tag == tag)
    return query


def compute_day(connection: sa.Connection, day: datetime, end: datetime) -> None:
    """Write the day's rows (the caller has deleted the old ones): per our number and tag,
    and for all numbers together (number NULL), so a question without a number filter
    reads a handful of rows per day rather than one per number. Inbound rows keep no tag."""
    pieces: dict[tuple[str | None, str, str | None], tuple[list[int], list[int]]] = {}
    for direction in (_OUT, _IN):
        for number, tag, conversation, ms in driver.fetch_all(
            connection, _times(connection, direction, day, end)
        ):
            key = conversation_key(conversation)
            kept_tag = tag if direction == _OUT else None
            for owner in (number, None):
                keys, millis = pieces.setdefault((owner, direction, kept_tag), ([], []))
                keys.append(key)
                millis.append(ms)
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
    """(outbound, inbound) pieces of ``q``'s range, read from the messages (straight from
    the driver: tens of thousands of rows); the figures take each conversation's first
    outbound themselves, so nothing is grouped here."""
    pieces: list[Pieces] = []
    for direction in (_OUT, _IN):
        rows = driver.fetch_all(
            connection, _times(connection, direction, q.start, q.end, q.number, q.tag)
        )
        keys = [conversation_key(r[2]) for r in rows]
        pieces.append([arrays(keys, [r[3] for r in rows])] if rows else [])
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
    for direction, data in driver.fetch_all(connection, query):
        (outbound if direction == _OUT else inbound).append(decode(bytes(data)))
    return outbound, inbound
