"""Tables of the analytics rollups, in the shared ``metadata``.

Whole UTC days, computed on first use and dropped when a message of the day changes
(``storage/analytics.py``, ``storage/rollups.py``, ``storage/conversation_rollups.py``).
"""

from __future__ import annotations

import sqlalchemy as sa

from tidings.storage.schema import Timestamp, metadata

#: Days with rollup rows, and whether they are current (a change to a message of the day
#: clears ``valid``).
analytics_days = sa.Table(
    "analytics_days",
    metadata,
    sa.Column("day", Timestamp, primary_key=True),
    sa.Column("valid", sa.Boolean, nullable=False),
    sa.Column("computed_at", Timestamp, nullable=True),
)

#: Messages of a day by our number, tag, direction, outcome and delivery code.
analytics_daily = sa.Table(
    "analytics_daily",
    metadata,
    sa.Column("day", Timestamp, nullable=False),
    sa.Column("number", sa.String(32), nullable=False),
    sa.Column("tag", sa.String(256), nullable=True),
    sa.Column("direction", sa.String(8), nullable=False),
    sa.Column("status", sa.String(12), nullable=False),  # delivered | failed | pending | received
    sa.Column("code", sa.Integer, nullable=True),
    sa.Column("messages", sa.Integer, nullable=False),
    sa.Column("segments", sa.Integer, nullable=False),
    sa.Index(None, "day", "number"),
)

#: Delivered messages of a day by delivery latency (10 ms steps below 10 s, then coarser).
analytics_daily_latency = sa.Table(
    "analytics_daily_latency",
    metadata,
    sa.Column("day", Timestamp, primary_key=True),
    sa.Column("ms", sa.Integer, primary_key=True),
    sa.Column("messages", sa.Integer, nullable=False),
)

#: Inbound messages of a day by our number and first word.
analytics_daily_words = sa.Table(
    "analytics_daily_words",
    metadata,
    sa.Column("day", Timestamp, nullable=False),
    sa.Column("number", sa.String(32), nullable=False),
    sa.Column("word", sa.String(64), nullable=False),
    sa.Column("messages", sa.Integer, nullable=False),
    sa.Index(None, "day", "number"),
)

#: Messages of a day by hour (0-23), our number (NULL: all numbers), direction and outcome.
analytics_hourly = sa.Table(
    "analytics_hourly",
    metadata,
    sa.Column("day", Timestamp, nullable=False),
    sa.Column("hour", sa.SmallInteger, nullable=False),
    sa.Column("number", sa.String(32), nullable=True),
    sa.Column("direction", sa.String(8), nullable=False),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("messages", sa.Integer, nullable=False),
    sa.Column("segments", sa.Integer, nullable=False),
    sa.Index(None, "day", "number"),
)

#: Per day, our number (NULL: all numbers) and tag: each outbound message's conversation and
#: time; per day and our number (or all): the same of every inbound message
#: (``storage/conversation_rollups.py``). ``data`` holds
#: ``items`` conversation keys, then as many epoch milliseconds, as little-endian int64.
analytics_daily_conversations = sa.Table(
    "analytics_daily_conversations",
    metadata,
    sa.Column("day", Timestamp, nullable=False),
    sa.Column("number", sa.String(32), nullable=True),
    sa.Column("direction", sa.String(8), nullable=False),
    sa.Column("tag", sa.String(256), nullable=True),
    sa.Column("items", sa.Integer, nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.Index(None, "day", "number"),
)
