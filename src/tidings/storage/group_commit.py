"""Group commit: many concurrent writes share one transaction and one commit.

Request handlers call ``await committer.submit(fn)``. One writer thread takes every ``fn``
waiting (up to ``max_batch``), runs each inside its own SAVEPOINT of a single transaction,
commits once, and only then resolves each caller's future, so a caller that sees success
knows its rows are committed. A function that raises rolls back to its savepoint alone; the
others still commit. If the commit itself fails with a transient error the whole batch runs
again; any other failure fails every caller of the batch and writes nothing.

On SQLite, where there is one writer at a time anyway, this turns N small transactions into
one; on PostgreSQL it saves N-1 commit round trips.

On SQLite the batch is committed on the event loop itself (``inline``): the requests that
arrived in one turn of the loop are written together right after it, with no thread in
between. A writer thread had to take the GIL back from the busy event loop after every
statement (the sqlite3 module lets it go around each one), which cost up to a switch
interval each time: ~4 ms a batch, most of the accept path's latency. The loop waits for the
write lock in a thread only when another thread or process holds it, and hands a batch that
meets a busy database (a writer outside Tidings) to the writer thread, which retries with
back-off. PostgreSQL keeps the writer thread: its commits wait on the network.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, Protocol

import sqlalchemy as sa

from tidings.storage import dialects, signals
from tidings.storage.group_batch import BatchHandler, Item, lean_batch, resolve_all, run_batch

log = logging.getLogger(__name__)


#: How long an inline commit waits for a database locked outside Tidings before handing its
#: batch to the writer thread (the event loop must not wait SQLite's usual 30 s).
_INLINE_BUSY_MS = 20
#: How long an inline commit tries for a busy write lock on the loop (``_poll``).
POLL_SECONDS = 0.005


class Lock(Protocol):
    """What inline commits need of the write lock (``threading.Lock``, ``WriteLock``)."""

    def acquire(self, blocking: bool = True) -> bool: ...

    def release(self) -> None: ...


class GroupCommitter:
    def __init__(
        self,
        engine: sa.Engine,
        write_lock: AbstractContextManager[object],
        *,
        max_batch: int = 256,
        max_retries: int = 8,
        inline: Lock | None = None,
        on_commit: Callable[[sa.Connection], None] | None = None,
        before_commit: Callable[[sa.Connection], None] | None = None,
    ) -> None:
        self._engine = engine
        #: Called with the connection after each successful commit (its wake-up signals),
        #: and as the last step of each transaction (wake-ups that travel with the commit).
        self._on_commit = on_commit
        self._before_commit = before_commit or _nothing
        self._write_lock = write_lock
        self._max_batch = max_batch
        self._max_retries = max_retries
        self._queue: queue.SimpleQueue[Item | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._inline = inline  # the write lock, when batches are committed on the loop
        self._pending: dict[asyncio.AbstractEventLoop, list[Item]] = {}
        self._flushers: dict[asyncio.AbstractEventLoop, asyncio.Task[None]] = {}
        self._connections: dict[asyncio.AbstractEventLoop, sa.Connection] = {}
        self.batches = 0
        self.items = 0
        self.inline_batches = 0
        self.lock_polls = 0  # inline batches that took a busy lock by trying again
        self.lock_waits = 0  # ... and that waited for it in a thread

    async def submit(self, fn: Callable[[sa.Connection], Any]) -> Any:
        """Run ``fn(connection)`` in the next shared transaction; its result once committed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._enqueue(Item(fn, future, loop))
        return await future

    async def submit_batched(self, handler: BatchHandler, payload: Any) -> Any:
        """Hand ``payload`` to ``handler`` together with every other payload for it.

        The handler gets all such payloads of a transaction in one call, so it can write
        them with one statement per table instead of one per caller.
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._enqueue(Item(None, future, loop, handler, payload))
        return await future

    def _enqueue(self, item: Item) -> None:
        if self._inline is None:
            self._ensure_thread()
            self._queue.put(item)
            return
        self._pending.setdefault(item.loop, []).append(item)
        if item.loop not in self._flushers:
            # Runs once the requests already scheduled in this turn of the loop have queued
            # their writes too.
            self._flushers[item.loop] = item.loop.create_task(self._flush(item.loop))

    async def _flush(self, loop: asyncio.AbstractEventLoop) -> None:
        try:
            while self._pending.get(loop):
                await self._commit_inline(loop)
        finally:
            del self._flushers[loop]

    def _take(self, loop: asyncio.AbstractEventLoop, limit: int | None = None) -> list[Item]:
        """The next ``limit`` (default: every) pending writes of ``loop``."""
        pending = self._pending.get(loop, [])
        batch = pending[:limit]
        del pending[:limit]
        return batch

    async def _commit_inline(self, loop: asyncio.AbstractEventLoop) -> None:
        """Take the write lock, then commit what is pending on ``loop`` (what arrived while
        the lock was busy included)."""
        lock = self._inline
        assert lock is not None
        try:
            if not lock.acquire(blocking=False) and not await self._poll(loop, lock):
                self.lock_waits += 1
                waiting = loop.run_in_executor(None, lock.acquire)
                try:
                    await asyncio.shield(waiting)
                except asyncio.CancelledError:
                    # The thread still takes the lock: give it back once it has.
                    waiting.add_done_callback(lambda _: lock.release())
                    raise
        except asyncio.CancelledError:
            self._to_thread(self._take(loop))  # the writer thread commits them
            raise
        batch = self._take(loop, self._max_batch)
        try:
            if not batch:  # nothing left (only this flusher takes; kept safe all the same)
                return
            outcomes = self._attempt(batch, final=False, connection=self._inline_connection(loop))
        finally:
            lock.release()
        if outcomes is None:  # busy: a writer outside Tidings holds the database
            self._to_thread(batch)
            return
        self.inline_batches += 1
        resolve_all(outcomes)

    async def _poll(self, loop: asyncio.AbstractEventLoop, lock: Lock) -> bool:
        """Try for the lock held elsewhere once per turn of the loop, for up to
        ``POLL_SECONDS``: whether it was taken.

        Another process's commit takes about a millisecond. Waiting for the lock in a thread
        kept it idle about as long again after that thread got it (the thread waits for the
        GIL, then the loop for its turn) while the other process queued behind it: with two
        API processes, half the commits waited so. A try per turn takes it on the loop, in
        the turn it is free, for a few system calls a try, and the loop answers requests
        meanwhile, so the batch grows. Past ``POLL_SECONDS`` (an idle loop spins here), or
        at once when the holder is the worker (``WriteLock.held_by_background``: its batches
        are long), a thread waits instead, in the turnstile's fair order.
        """
        background = getattr(lock, "held_by_background", _never)
        deadline = loop.time() + POLL_SECONDS
        while loop.time() < deadline:
            if background():
                # The worker's long batch, perhaps at a lower priority: trying again on a
                # busy loop would keep a core from it. Wait asleep.
                return False
            await asyncio.sleep(0)
            if lock.acquire(blocking=False):
                self.lock_polls += 1
                return True
        return False

    def _inline_connection(self, loop: asyncio.AbstractEventLoop) -> sa.Connection:
        """The connection inline commits on ``loop`` use, kept between batches (a pool
        checkout and return cost more than a small batch's statements), with a short busy
        timeout: the event loop must not wait SQLite's usual 30 s for a writer outside
        Tidings."""
        connection = self._connections.get(loop)
        if connection is None or connection.closed or connection.invalidated:
            connection = self._engine.connect()
            dialects.sqlite_busy_timeout(connection, _INLINE_BUSY_MS)
            connection.execution_options(**{dialects.WRITE_OPTION: True})
            self._connections[loop] = connection
        return connection

    def _drop_inline_connection(self) -> None:
        for loop, connection in list(self._connections.items()):
            if connection.invalidated or connection.in_transaction():
                connection.close()
                del self._connections[loop]

    def _to_thread(self, batch: list[Item]) -> None:
        self._ensure_thread()
        for item in batch:
            self._queue.put(item)

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
        for connection in self._connections.values():
            if not connection.closed:
                with contextlib.suppress(sa.exc.DBAPIError):
                    dialects.sqlite_busy_timeout(connection, None)
                connection.close()
        self._connections.clear()
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

    def _attempt(
        self, batch: list[Item], *, final: bool = True, connection: sa.Connection | None = None
    ) -> list[tuple[Item, Any, BaseException | None]] | None:
        """Write ``batch`` in one transaction (the caller holds the write lock): each item's
        outcome, or None when the database was busy and the batch may be tried again (never
        when ``final``). ``connection``: the inline commits' own, else one from the pool."""
        try:
            if connection is not None:
                outcomes = self._write(connection, batch)
            else:
                with self._engine.connect() as raw:
                    pooled = raw.execution_options(**{dialects.WRITE_OPTION: True})
                    outcomes = self._write(pooled, batch)
        except sa.exc.DBAPIError as exc:
            if connection is not None:
                self._drop_inline_connection()
            if not final and dialects.is_retryable(exc):
                return None
            log.exception("group commit of %d writes failed", len(batch))
            outcomes = [(item, None, exc) for item in batch]
        except BaseException as exc:
            log.exception("group commit of %d writes failed", len(batch))
            outcomes = [(item, None, exc) for item in batch]
        self.batches += 1
        self.items += len(batch)
        return outcomes

    def _write(
        self, connection: sa.Connection, batch: list[Item]
    ) -> list[tuple[Item, Any, BaseException | None]]:
        """Write ``batch`` in one transaction on ``connection`` and signal its commit: as one
        piece of work when it is one (``lean_batch``), else each in a savepoint."""
        signals.drop_signals(connection)
        outcomes = lean_batch(connection, batch, self._before_commit)
        if outcomes is None:
            signals.drop_signals(connection)  # what the failed attempt marked
            with connection.begin():
                outcomes = run_batch(connection, batch)
                self._before_commit(connection)
        if self._on_commit is not None:
            self._on_commit(connection)
        return outcomes

    def _commit(self, batch: list[Item]) -> None:
        delay = 0.005
        for attempt in range(self._max_retries + 1):
            with self._write_lock:
                outcomes = self._attempt(batch, final=attempt == self._max_retries)
            if outcomes is None:
                time.sleep(delay)
                delay = min(delay * 2, 0.5)
                continue
            # One wake-up per event loop, not one per caller: each call_soon_threadsafe is a
            # write to the loop's self-pipe.
            by_loop: dict[asyncio.AbstractEventLoop, list[tuple[Item, Any, Any]]] = {}
            for outcome in outcomes:
                by_loop.setdefault(outcome[0].loop, []).append(outcome)
            for loop, resolved in by_loop.items():
                with contextlib.suppress(RuntimeError):  # the loop closed: no one waits
                    loop.call_soon_threadsafe(resolve_all, resolved)
            return


def _nothing(connection: sa.Connection) -> None:
    pass


def _never() -> bool:
    return False
