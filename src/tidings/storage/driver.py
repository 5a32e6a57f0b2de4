"""Statements straight through the database driver, for the hottest bulk work: no
per-row SQLAlchemy processing (parameter dicts, bind processors, result processors).

Values must be plain: ``str``, ``int``, ``bool``, ``None``, ``datetime`` (for timestamp
columns; spelled here as each dialect's ``DateTime`` stores them) and JSON documents
already encoded (``json_text``). Errors are raised as SQLAlchemy would have raised them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from tidings.storage.dialects import _json_dumps, _sqlite_execute, is_sqlite

#: PostgreSQL: up to how many rows ``fast_insert`` writes with one ``INSERT`` (more: ``COPY``).
INSERT_ROWS = 16


def _sqlite_datetime(value: datetime) -> str:
    """A timestamp as SQLAlchemy's SQLite ``DateTime`` stores it (UTC, naive text), spelled
    as ``strftime("%Y-%m-%d %H:%M:%S.%f")`` would, faster."""
    if value.tzinfo is UTC:
        return value.isoformat(" ", "microseconds")[:26]  # without the "+00:00"
    utc = value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo is not None else value
    return utc.isoformat(" ", "microseconds")


def _speller() -> Callable[[Any], Any]:
    """A value as SQLite's ``DateTime`` columns take it: a datetime spelled as text (each
    distinct one once), anything else as it is."""
    spelled: dict[datetime, str] = {}

    def spell(value: Any) -> Any:
        if not isinstance(value, datetime):
            return value
        text = spelled.get(value)
        if text is None:
            text = spelled[value] = _sqlite_datetime(value)
        return text

    return spell


def fast_insert(
    connection: sa.Connection,
    table: sa.Table,
    columns: tuple[str, ...],
    rows: list[tuple[Any, ...]],
) -> None:
    """``INSERT`` many rows straight through the driver, without per-row SQLAlchemy processing.

    For the hottest bulk writes (accepted messages, the event outbox's fan-out): SQLite gets
    multi-row ``INSERT``s, PostgreSQL one ``COPY ... FROM STDIN`` in the same transaction (up
    to ``INSERT_ROWS`` rows, one multi-row ``INSERT``). Values
    must be plain: ``str``, ``int``, ``bool``, ``datetime`` (in ``DateTime`` columns only), or
    JSON documents already encoded (``json_text``). Timestamps are spelled here as each
    dialect's ``DateTime`` expects them.
    """
    if not rows:
        return
    names = ", ".join(columns)
    if not is_sqlite(connection):
        driver = connection.connection.driver_connection
        assert driver is not None
        statement = f"COPY {table.name} ({names}) FROM STDIN"
        try:
            if len(rows) <= INSERT_ROWS:
                # ``COPY`` waits for the server twice (its start, its end); a few rows go
                # in one multi-row ``INSERT``: one round trip.
                marks = "(" + ", ".join(["%s"] * len(columns)) + ")"
                statement = f"INSERT INTO {table.name} ({names}) VALUES " + ", ".join(
                    [marks] * len(rows)
                )
                with driver.cursor() as cursor:
                    cursor.execute(statement, [value for row in rows for value in row])
                return
            with driver.cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
        except connection.dialect.loaded_dbapi.Error as exc:
            # As SQLAlchemy would have raised it: a unique clash is an ``IntegrityError``.
            raise sa.exc.DBAPIError.instance(
                statement, None, exc, connection.dialect.loaded_dbapi.Error
            ) from exc
        return
    spell = _speller()  # a fan-out's rows share their timestamps
    # Only timestamp columns can hold datetimes (their values are converted; others as given).
    stamps = [i for i, name in enumerate(columns) if isinstance(table.c[name].type, sa.DateTime)]

    def plain(row: tuple[Any, ...]) -> tuple[Any, ...] | list[Any]:
        if not stamps:
            return row
        values = list(row)
        for i in stamps:
            values[i] = spell(values[i])
        return values

    # One multi-row ``INSERT`` per chunk rather than ``executemany``: the sqlite3 module
    # releases and re-takes the GIL around every row's step, and under load each re-take
    # waits behind the event loop thread (up to a switch interval per row).
    driver = connection.connection.driver_connection
    limit = driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) if driver else 999
    per_statement = max(1, min(500, limit // len(columns)))
    marks = "(" + ", ".join(["?"] * len(columns)) + ")"
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        values = ", ".join([marks] * len(chunk))
        params: list[Any] = []
        for row in chunk:
            params.extend(plain(row))
        _sqlite_execute(connection, f"INSERT INTO {table.name} ({names}) VALUES {values}", params)


def fetch_all(connection: sa.Connection, query: sa.Select[Any]) -> list[tuple[Any, ...]]:
    """The rows of ``query`` straight from the driver: plain tuples, no per-row SQLAlchemy
    processing (for reads of tens of thousands of rows of plain values: a few times faster).
    Result values come as the driver gives them (SQLite: text for timestamps). PostgreSQL
    sends results in its binary format, so ``bytea`` arrives as bytes rather than hex text
    (half the bytes on the wire, no decoding: the rollup's packed arrays are megabytes)."""
    compiled = query.compile(connection)
    params = compiled.construct_params()
    driver = connection.connection.driver_connection
    assert driver is not None
    cursor = driver.cursor() if is_sqlite(connection) else driver.cursor(binary=True)
    try:
        if is_sqlite(connection):
            values = [params[name] for name in compiled.positiontup or ()]
            spell = _speller()
            cursor.execute(compiled.string, [spell(v) for v in values])
        else:
            cursor.execute(compiled.string, params)
        return [tuple(row) for row in cursor.fetchall()]
    finally:
        cursor.close()


def json_text(value: Any) -> str:
    return _json_dumps(value)


Statement = sa.Update | sa.Insert
#: (statement, SQL, parameter order (qmark) or None (named), the values built in), by the
#: statement's id and the dialect's name.
_COMPILED: dict[tuple[int, str], tuple[Statement, str, tuple[str, ...] | None, dict[str, Any]]] = {}


def executemany(connection: sa.Connection, statement: Statement, rows: list[dict[str, Any]]) -> int:
    """Run ``statement`` (built once, at import: an ``UPDATE`` or ``INSERT`` with bound
    parameters, no expanding ``IN``) once per row, straight through the driver. A row names
    the statement's parameters; those it leaves out keep the value built into the statement
    (``.values(valid=False)``, say). Compiled once per statement and dialect. Returns the
    rows changed, all runs together."""
    if not rows:
        return 0
    key = (id(statement), connection.dialect.name)
    found = _COMPILED.get(key)
    if found is None or found[0] is not statement:
        compiled = statement.compile(dialect=connection.dialect)
        order = tuple(compiled.positiontup) if compiled.positiontup is not None else None
        built = {n: b.effective_value for n, b in compiled.binds.items() if not b.required}
        found = (statement, compiled.string, order, built)
        _COMPILED[key] = found
    _, sql, order, defaults = found
    driver = connection.connection.driver_connection
    assert driver is not None
    if is_sqlite(connection):
        assert order is not None
        plain = _speller()  # the rows of a batch share their timestamps
        params: list[Any] = [
            [plain(row[name] if name in row else defaults[name]) for name in order] for row in rows
        ]
        try:
            cursor = driver.executemany(sql, params)
            changed = int(cursor.rowcount)
            cursor.close()
        except sqlite3.Error as exc:
            raise sa.exc.DBAPIError.instance(sql, params, exc, sqlite3.Error) from exc
        return changed
    params = [{**defaults, **row} for row in rows]
    try:
        with driver.cursor() as cursor:
            cursor.executemany(sql, params)
            return int(cursor.rowcount)
    except connection.dialect.loaded_dbapi.Error as exc:
        raise sa.exc.DBAPIError.instance(
            sql, params, exc, connection.dialect.loaded_dbapi.Error
        ) from exc
