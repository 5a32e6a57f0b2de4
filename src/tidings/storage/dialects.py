"""Everything that differs between SQLite and PostgreSQL lives here, and nowhere else.

- SQLite: WAL journal, ``synchronous=NORMAL`` (a committed transaction survives a killed
  process; see the README's durability notes), a busy timeout, and ``BEGIN IMMEDIATE`` for
  write transactions so two writers never deadlock upgrading a read lock.
- PostgreSQL: ``FOR UPDATE SKIP LOCKED`` when claiming rows (rendered by SQLAlchemy's
  ``with_for_update(skip_locked=True)``, which SQLite ignores since it has one writer).
- ``INSERT ... ON CONFLICT DO NOTHING`` spelled per dialect.
- Which driver errors mean "busy, try again".
- How wake-ups reach other processes (``broadcast``).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from contextlib import AbstractContextManager
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from tidings.storage.broadcast_postgres import PgBroadcast
from tidings.storage.broadcast_sqlite import SocketBroadcast
from tidings.storage.signals import InTransaction
from tidings.storage.write_lock import WriteLock
from tidings.wakeups import Broadcast

WRITE_OPTION = "tidings_write"
#: The WAL size (in 4 KB pages) past which a commit checkpoints by itself.
WAL_AUTOCHECKPOINT_PAGES = 100_000
#: How long SQLite waits for a lock another connection holds.
BUSY_TIMEOUT_MS = 30000


def _json_dumps(value: Any) -> str:
    return msgspec.json.encode(value).decode()


#: JSON columns go through msgspec: several times faster than the json module on the
#: event outbox's many small documents.
_JSON = {"json_serializer": _json_dumps, "json_deserializer": msgspec.json.decode}


def create_engine(url: str) -> Engine:
    """An engine configured for its dialect."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(
            url,
            connect_args={"timeout": 30, "check_same_thread": False},
            pool_use_lifo=True,
            **_JSON,
        )
        _configure_sqlite(engine)
        return engine
    # No ``pool_pre_ping``: it costs every transaction a round trip before its BEGIN. A
    # connection the server dropped fails its first statement instead, which invalidates the
    # pool, and ``is_retryable`` runs the transaction again (every write and read goes
    # through ``Database`` or the group committer, which do).
    return sa.create_engine(url, pool_size=10, max_overflow=20, **_JSON)


def _configure_sqlite(engine: Engine) -> None:
    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        # A background thread checkpoints the WAL (``storage/checkpointer.py``); a commit
        # does only past ~400 MB of log. Each such checkpoint syncs the database file while
        # the committer holds the write lock, which for bulk writes (a chat fan-out writes
        # ~100 KB per message) cost more than the writes themselves.
        cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        write = connection.get_execution_options().get(WRITE_OPTION, False)
        _sqlite_execute(connection, "BEGIN IMMEDIATE" if write else "BEGIN")


def _sqlite_execute(
    connection: sa.Connection, sql: str, params: tuple[Any, ...] | list[Any] = ()
) -> None:
    """Run one statement on the sqlite3 connection itself, without SQLAlchemy's execution
    machinery (a fifth of a small write transaction's time), its errors raised as
    SQLAlchemy would have raised them (``IntegrityError``, ``OperationalError``...)."""
    driver = connection.connection.driver_connection
    assert driver is not None
    try:
        driver.execute(sql, params).close()
    except sqlite3.Error as exc:
        raise sa.exc.DBAPIError.instance(sql, params, exc, sqlite3.Error) from exc


def sqlite_busy_timeout(connection: sa.Connection, ms: int | None) -> None:
    """Set an SQLite connection's busy timeout (``None``: back to ``BUSY_TIMEOUT_MS``),
    outside any transaction."""
    _sqlite_execute(connection, f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS if ms is None else int(ms)}")


def write_lock(engine: Engine) -> AbstractContextManager[object]:
    """A lock every write transaction takes first, on SQLite only.

    SQLite has one writer at a time; writers that collide fall into SQLite's busy handler,
    which sleeps in steps of up to 100 ms. Queuing on a lock instead hands the database over
    the moment the previous writer commits: a ``WriteLock`` that orders every process and
    every engine on the file (``storage/write_lock.py``; ``close`` it with the engine), a
    thread lock shared by the engines on an in-memory database.
    """
    if engine.dialect.name != "sqlite":
        return contextlib.nullcontext()
    if is_sqlite_file(engine):
        return WriteLock(os.path.abspath(str(engine.url.database)) + ".lock")
    return _MEMORY_LOCKS.setdefault(str(engine.url), threading.Lock())


_MEMORY_LOCKS: dict[str, threading.Lock] = {}


def is_sqlite_file(engine: Engine) -> bool:
    database = engine.url.database
    return (
        engine.dialect.name == "sqlite"
        and bool(database)
        and database != ":memory:"
        and not str(database).startswith("file:")
    )


def broadcast(engine: Engine) -> Broadcast | None:
    """How wake-ups reach the other processes on the database: ``NOTIFY`` on PostgreSQL, a
    datagram beside an SQLite file, nothing for an in-memory database (one process)."""
    if engine.dialect.name == "postgresql":
        return PgBroadcast(engine)
    if is_sqlite_file(engine):
        return SocketBroadcast(os.path.abspath(str(engine.url.database)))
    return None


def in_transaction(broadcast: Broadcast | None) -> InTransaction | None:
    """How a transaction sends its wake-ups with its commit (``signals.announce``):
    PostgreSQL's ``NOTIFY``; None where signals go only after the commit."""
    return broadcast.in_transaction if isinstance(broadcast, PgBroadcast) else None


def inline_lock(engine: Engine, lock: AbstractContextManager[object]) -> Any:
    """``lock`` (from ``write_lock``) when group commits run on the event loop, on SQLite
    (``storage/group_commit.py``); None on PostgreSQL, which keeps the writer thread."""
    return lock if engine.dialect.name == "sqlite" else None


def is_sqlite(connection: sa.Connection) -> bool:
    return connection.dialect.name == "sqlite"


def insert_ignore(connection: sa.Connection, table: sa.Table) -> Any:
    """``INSERT ... ON CONFLICT DO NOTHING`` for the connection's dialect (built once per
    table and dialect: add rows as parameters, not with ``values``)."""
    key = (table, connection.dialect.name)
    stmt = _IGNORE.get(key)
    if stmt is None:
        insert = sqlite.insert(table) if is_sqlite(connection) else postgresql.insert(table)
        stmt = _IGNORE[key] = insert.on_conflict_do_nothing()
    return stmt


_IGNORE: dict[tuple[sa.Table, str], Any] = {}


def upsert(
    connection: sa.Connection, table: sa.Table, keys: list[str], update: dict[str, Any]
) -> Any:
    """``INSERT ... ON CONFLICT (keys) DO UPDATE SET update`` for the connection's dialect."""
    stmt = sqlite.insert(table) if is_sqlite(connection) else postgresql.insert(table)
    return stmt.on_conflict_do_update(index_elements=keys, set_=update)


def is_retryable(exc: BaseException) -> bool:
    """Errors after which the whole transaction may simply be run again."""
    if not isinstance(exc, sa.exc.DBAPIError):
        return False
    if isinstance(exc, sa.exc.OperationalError):
        text = str(exc.orig).lower()
        if "database is locked" in text or "database is busy" in text:
            return True
    sqlstate = getattr(exc.orig, "sqlstate", None)
    # serialization_failure, deadlock_detected, admin shutdown / connection failures
    return sqlstate in {"40001", "40P01", "57P01", "08006", "08003"} or bool(
        exc.connection_invalidated
    )


def greatest(connection: sa.Connection, *values: Any) -> Any:
    """SQL ``GREATEST`` (PostgreSQL) or multi-argument ``MAX`` (SQLite)."""
    if is_sqlite(connection):
        return sa.func.max(*values)
    return sa.func.greatest(*values)


def any_row_under_shared_lock(connection: sa.Connection, key: str, table: sa.Table) -> bool:
    """Take ``lock_key``'s shared form (many holders at once, none while ``lock_key`` is
    held) until commit, then tell whether ``table`` has a row, as seen once the lock is held.
    PostgreSQL: one round trip, both statements in one simple query (each statement of it
    takes its own snapshot, so the read sees what committed before the lock came). SQLite's
    write transactions are exclusive already."""
    if is_sqlite(connection):
        return (
            connection.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first()
            is not None
        )
    driver = connection.connection.driver_connection
    assert driver is not None
    literal = "'" + key.replace("'", "''") + "'"
    query = (
        f"SELECT pg_advisory_xact_lock_shared(hashtext({literal})); "
        f"SELECT 1 FROM {table.name} LIMIT 1"
    )
    try:
        with driver.cursor() as cursor:
            cursor.execute(query)
            cursor.nextset()
            return cursor.fetchone() is not None
    except connection.dialect.loaded_dbapi.Error as exc:
        raise sa.exc.DBAPIError.instance(
            query, None, exc, connection.dialect.loaded_dbapi.Error
        ) from exc


def lock_key(connection: sa.Connection, key: str) -> None:
    """Serialise transactions touching ``key`` until commit.

    SQLite write transactions are already exclusive; PostgreSQL takes a transaction-scoped
    advisory lock on a hash of the key.
    """
    if is_sqlite(connection):
        return
    connection.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})


def truncate_time(connection: sa.Connection, column: Any, unit: str) -> Any:
    """``column`` cut to the start of its UTC ``hour`` or ``day``.

    SQLite stores times as ``YYYY-MM-DD HH:MM:SS.ffffff`` text, so a prefix is the
    truncation (the result is text); PostgreSQL truncates the timestamp in UTC.
    """
    if is_sqlite(connection):
        return sa.func.substr(column, 1, 13 if unit == "hour" else 10)
    return sa.func.date_trunc(unit, sa.func.timezone("UTC", column))


def millis_between(connection: sa.Connection, start: Any, end: Any) -> Any:
    """Whole milliseconds from ``start`` to ``end`` (NULL if either is NULL)."""
    if is_sqlite(connection):
        days = sa.func.julianday(end) - sa.func.julianday(start)
        return sa.cast(sa.func.round(days * 86_400_000), sa.Integer)
    seconds = sa.extract("epoch", end - start)
    return sa.cast(sa.func.round(seconds * 1000), sa.BigInteger)


def epoch_ms(connection: sa.Connection, column: Any) -> Any:
    """``column`` as whole milliseconds since 1970 (SQLite keeps times to the millisecond
    internally, so the rounding of its Julian day is exact)."""
    if is_sqlite(connection):
        days = sa.func.julianday(column) - 2440587.5
        return sa.cast(sa.func.round(days * 86_400_000), sa.BigInteger)
    return sa.cast(sa.func.round(sa.extract("epoch", column) * 1000), sa.BigInteger)


def first_word(connection: sa.Connection, column: Any) -> Any:
    """The first space-separated word of ``column``, trimmed and upper-cased."""
    trimmed = sa.func.trim(column, type_=sa.String)
    if is_sqlite(connection):
        end = sa.func.instr(trimmed + " ", " ")
        return sa.func.upper(sa.func.substr(trimmed, 1, end - 1))
    return sa.func.upper(sa.func.split_part(trimmed, " ", 1))
