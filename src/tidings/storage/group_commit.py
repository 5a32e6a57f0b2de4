"""Group commit: many concurrent writes share one transaction and one commit.

Request handlers call ``await committer.submit(fn)``. One writer thread takes every ``fn``
waiting (up to ``max_batch``), runs each inside its own SAVEPOINT of a single transaction,
commits once, and only then resolves each caller's future, so a caller that sees success
knows its rows are committed. A function that raises rolls back to its savepoint alone; the
others still commit. If the commit itself fails with a transient error the whole batch runs
again; any other failure fails every caller of the batch and writes nothing.

On SQLite, where there is one writer at a time anyway, this turns N small transactions into
one; on PostgreSQL it saves N-1 commit round trips.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import queue
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from tidings.errors import Conflict
from tidings.storage import dialects

log = logging.getLogger(__name__)


#: Writes the payloads of many callers at once; returns one result per payload, in order.
BatchHandler = Callable[[sa.Connection, list[Any]], list[Any]]


@dataclass
class _Item:
    fn: Callable[[sa.Connection], Any] | None
    future: asyncio.Future[Any]
    loop: asyncio.AbstractEventLoop
    handler: BatchHandler | None = None
    payload: Any = None


class GroupCommitter:
    def __init__(
        self,
        engine: sa.Engine,
        write_lock: AbstractContextManager[object],
        *,
        max_batch: int = 256,
        max_retries: int = 8,
    ) -> None:
        self._engine = engine
        self._write_lock = write_lock
        self._max_batch = max_batch
        self._max_retries = max_retries
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.batches = 0
        self.items = 0

    async def submit(self, fn: Callable[[sa.Connection], Any]) -> Any:
        """Run ``fn(connection)`` in the next shared transaction; its result once committed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._ensure_thread()
        self._queue.put(_Item(fn, future, loop))
        return await future

    async def submit_batched(self, handler: BatchHandler, payload: Any) -> Any:
        """Hand ``payload`` to ``handler`` together with every other payload for it.

        The handler gets all such payloads of a transaction in one call, so it can write
        them with one statement per table instead of one per caller.
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._ensure_thread()
        self._queue.put(_Item(None, future, loop, handler, payload))
        return await future

    def _ensure_thread(self) -> None:
        if self._thread is not None:
            return
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="tidings-group-commit", daemon=True
                )
                self._thread.start()

    def close(self) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join(10)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < self._max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    self._queue.put(None)  # finish this batch, then stop
                    break
                batch.append(item)
            self._commit(batch)

    def _commit(self, batch: list[_Item]) -> None:
        delay = 0.005
        for attempt in range(self._max_retries + 1):
            outcomes: list[tuple[_Item, Any, BaseException | None]] = []
            try:
                with self._write_lock, self._engine.connect() as raw:
                    connection = raw.execution_options(**{dialects.WRITE_OPTION: True})
                    with connection.begin():
                        outcomes = _run_batch(connection, batch)
            except sa.exc.DBAPIError as exc:
                if attempt < self._max_retries and dialects.is_retryable(exc):
                    time.sleep(delay)
                    delay = min(delay * 2, 0.5)
                    continue
                log.exception("group commit of %d writes failed", len(batch))
                outcomes = [(item, None, exc) for item in batch]
            except BaseException as exc:
                log.exception("group commit of %d writes failed", len(batch))
                outcomes = [(item, None, exc) for item in batch]
            self.batches += 1
            self.items += len(batch)
            # One wake-up per event loop, not one per caller: each call_soon_threadsafe is a
            # write to the loop's self-pipe.
            by_loop: dict[asyncio.AbstractEventLoop, list[tuple[_Item, Any, Any]]] = {}
            for outcome in outcomes:
                by_loop.setdefault(outcome[0].loop, []).append(outcome)
            for loop, resolved in by_loop.items():
                loop.call_soon_threadsafe(_resolve_all, resolved)
            return


def _run_batch(
    connection: sa.Connection, batch: list[_Item]
) -> list[tuple[_Item, Any, BaseException | None]]:
    outcomes: list[tuple[_Item, Any, BaseException | None]] = []
    groups: dict[BatchHandler, list[_Item]] = {}
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


def _resolve_all(outcomes: list[tuple[_Item, Any, BaseException | None]]) -> None:
    for item, result, error in outcomes:
        _resolve(item.future, result, error)


def _resolve(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
