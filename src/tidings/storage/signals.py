"""Which wake-up topics a transaction touched (``tidings/wakeups.py``), and their delivery.

Repositories call ``touch(connection, topic)`` when they write work someone waits for; the
code that commits (``Database`` and the group committer) calls ``commit_signals`` after a
successful commit and ``drop_signals`` when the transaction was rolled back or failed. The
marks live in the connection's ``info`` (the pooled DBAPI connection's), so a transaction's
marks never reach another's: each transaction starts with ``drop_signals``.
"""

from __future__ import annotations

import sqlalchemy as sa

from tidings.wakeups import Wakeups

_KEY = "tidings.wake"


def touch(connection: sa.Connection, topic: str) -> None:
    """Mark ``topic`` to be signalled once this transaction commits."""
    info = connection.info
    marks = info.get(_KEY)
    if marks is None:
        info[_KEY] = {topic}
    else:
        marks.add(topic)


def drop_signals(connection: sa.Connection) -> None:
    """Forget the marks (a new transaction, or a rolled back one)."""
    connection.info.pop(_KEY, None)


def commit_signals(connection: sa.Connection, wakeups: Wakeups) -> None:
    """Signal what the transaction that just committed on ``connection`` marked."""
    marks = connection.info.pop(_KEY, None)
    if marks:
        wakeups.notify(marks)
