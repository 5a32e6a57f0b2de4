"""The batches of the group committer (``group_commit.py``): writing one in a transaction,
as one piece of work or each write in its savepoint, and answering its callers."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from tidings.errors import Conflict
from tidings.storage import dialects

#: Writes the payloads of many callers at once; returns one result per payload, in order.
BatchHandler = Callable[[sa.Connection, list[Any]], list[Any]]


@dataclass
class Item:
    """One caller's write: a function, or a payload for a ``BatchHandler``."""

    fn: Callable[[sa.Connection], Any] | None
    future: asyncio.Future[Any]
    loop: asyncio.AbstractEventLoop
    handler: BatchHandler | None = None
    payload: Any = None


def lean_batch(
    connection: sa.Connection,
    batch: list[Item],
    before_commit: Callable[[sa.Connection], None],
) -> list[tuple[Item, Any, BaseException | None]] | None:
    """A batch that is one piece of work (the usual batch: many ``POST /sms``, one handler)
    written without a SAVEPOINT around it: its transaction is its savepoint (two round trips
    fewer on PostgreSQL). None, with nothing written, when it is more than one piece or the
    piece failed, for ``run_batch`` to write with savepoints (and report the failure as it
    does)."""
    first = batch[0]
    if first.handler is None:
        if len(batch) > 1:
            return None
        fn = first.fn
        assert fn is not None
        work: Callable[[sa.Connection], Any] = fn
    else:
        handler = first.handler
        if any(item.handler is not handler for item in batch):
            return None
        payloads = [item.payload for item in batch]
        work = functools.partial(_apply, handler, payloads)
    try:
        with connection.begin():
            result = work(connection)
            before_commit(connection)
    except sa.exc.DBAPIError as exc:
        if dialects.is_retryable(exc):
            raise
        return None
    except Exception:
        return None
    if first.handler is None:
        return [(first, result, None)]
    return [(item, r, None) for item, r in zip(batch, result, strict=True)]


def run_batch(
    connection: sa.Connection, batch: list[Item]
) -> list[tuple[Item, Any, BaseException | None]]:
    outcomes: list[tuple[Item, Any, BaseException | None]] = []
    groups: dict[BatchHandler, list[Item]] = {}
    for item in batch:
        if item.handler is not None:
            groups.setdefault(item.handler, []).append(item)
    for handler, items in groups.items():
        payloads = [item.payload for item in items]
        call = functools.partial(_apply, handler, payloads)
        result, error = _run_one(connection, call)
        if isinstance(error, Conflict):
            # Another node took a unique key between our read and write: read again, once.
            result, error = _run_one(connection, call)
        if error is not None:
            outcomes.extend((item, None, error) for item in items)
        else:
            outcomes.extend((item, r, None) for item, r in zip(items, result, strict=True))
    for item in batch:
        if item.fn is not None:
            outcomes.append((item, *_run_one(connection, item.fn)))
    return outcomes


def _apply(handler: BatchHandler, payloads: list[Any], connection: sa.Connection) -> list[Any]:
    return handler(connection, payloads)


def _run_one(connection: sa.Connection, fn: Callable[[sa.Connection], Any]) -> tuple[Any, Any]:
    savepoint = connection.begin_nested()
    try:
        result = fn(connection)
    except sa.exc.IntegrityError as exc:
        savepoint.rollback()
        return None, Conflict(f"A conflicting row exists: {exc.orig}")
    except sa.exc.DBAPIError:
        savepoint.rollback()
        raise  # the connection may be unusable: let the batch retry or fail
    except Exception as exc:
        savepoint.rollback()
        return None, exc
    savepoint.commit()
    return result, None


def resolve_all(outcomes: list[tuple[Item, Any, BaseException | None]]) -> None:
    for item, result, error in outcomes:
        _resolve(item.future, result, error)


def _resolve(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
