"""Which wake-up topics a transaction touched (``tidings/wakeups.py``), and their delivery.

Repositories call ``touch(connection, topic)`` when they write work someone waits for; the
code that commits (``Database`` and the group committer) calls ``announce`` as the last step
of the transaction, ``commit_signals`` after a successful commit and ``drop_signals`` when
the transaction was rolled back or failed. The marks live in the connection's ``info`` (the
pooled DBAPI connection's), so a transaction's marks never reach another's: each transaction
starts with ``drop_signals``.

``announce`` lets a broadcast that can travel with the transaction (PostgreSQL's ``NOTIFY``,
delivered by the server when the transaction commits) send the marks to the other processes
itself; ``commit_signals`` then only wakes this process's waiters.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

import sqlalchemy as sa

from tidings.wakeups import Wakeups

_KEY = "tidings.wake"
_SENT = "tidings.wake.sent"

#: Sends topics within the transaction on a connection, if it can now: whether it did.
InTransaction = Callable[[sa.Connection, Collection[str]], bool]


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
    info = connection.info
    info.pop(_KEY, None)
    info.pop(_SENT, None)


def announce(connection: sa.Connection, send: InTransaction | None) -> None:
    """The transaction's last statement: its marks sent with it by ``send``, if it can."""
    marks = connection.info.get(_KEY)
    if marks and send is not None and send(connection, marks):
        connection.info[_SENT] = True


def commit_signals(connection: sa.Connection, wakeups: Wakeups) -> None:
    """Signal what the transaction that just committed on ``connection`` marked (to this
    process alone when ``announce`` sent them to the others with the commit)."""
    info = connection.info
    marks = info.pop(_KEY, None)
    sent = info.pop(_SENT, False)
    if marks:
        wakeups.notify(marks, broadcast=not sent)
