"""Group commit on SQLite (inline, on the event loop) and PostgreSQL (the writer thread)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import anyio
import pytest
import sqlalchemy as sa

from tidings.errors import Conflict
from tidings.storage import dialects, group_commit, migrations
from tidings.storage.database import Database, SqlTx
from tidings.storage.schema import jobs
from tidings.storage.write_lock import WriteLock

pytestmark = pytest.mark.anyio
T0 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _insert(n: int, key: str | None = None) -> Any:
    def write(tx: SqlTx) -> int:
        row = {
            "kind": "t",
            "payload": {"n": n},
            "status": "pending",
            "run_at": T0,
            "attempts": 0,
            "created_at": T0,
            "dedupe_key": key,
        }
        tx.connection.execute(jobs.insert(), row)
        return n

    return write


def _stored(db: Database) -> list[int]:
    with db.engine.connect() as c:
        rows = c.execute(sa.select(jobs.c.payload).where(jobs.c.kind == "t")).scalars()
        return sorted(p["n"] for p in rows)


def _committer(db: Database) -> Any:
    return db._committer


async def _gather(db: Database, writes: list[Any]) -> list[Any]:
    results: list[Any] = [None] * len(writes)

    async def one(index: int) -> None:
        try:
            results[index] = await db.write_async(writes[index])
        except Exception as exc:
            results[index] = exc

    async with anyio.create_task_group() as tasks:
        for index in range(len(writes)):
            tasks.start_soon(one, index)
    return results


async def test_concurrent_writes_share_transactions(db: Database) -> None:
    before = _committer(db).batches
    results = await _gather(db, [_insert(n) for n in range(50)])
    assert results == list(range(50))
    assert _stored(db) == list(range(50))
    batches = _committer(db).batches - before
    assert 1 <= batches <= 5  # not one transaction per write
    if db.dialect == "sqlite":
        assert _committer(db).inline_batches >= batches


async def test_a_failing_write_rolls_back_alone(db: Database) -> None:
    def boom(tx: SqlTx) -> None:
        _insert(999)(tx)
        raise ValueError("no")

    writes = [_insert(1), boom, _insert(2), _insert(3, key="k"), _insert(4, key="k")]
    results = await _gather(db, writes)
    assert results[0] == 1 and isinstance(results[1], ValueError) and results[2] == 2
    assert results[3] == 3
    assert isinstance(results[4], Conflict)  # the same unique key: that caller only
    assert _stored(db) == [1, 2, 3]  # nothing of the failed writes


async def test_a_batch_of_one_handler_fails_as_a_whole_only_if_it_raises(db: Database) -> None:
    """The lean path (no SAVEPOINT) must leave nothing behind when the handler fails."""

    def handler(tx: SqlTx, items: list[int]) -> list[int]:
        for n in items:
            _insert(n)(tx)
        if 13 in items:
            raise ValueError("unlucky")
        return items

    results: list[Any] = []

    async def one(n: int) -> None:
        try:
            results.append(await db.write_batched(handler, n))
        except ValueError as exc:
            results.append(exc)

    async with anyio.create_task_group() as tasks:
        for n in (11, 12, 13):
            tasks.start_soon(one, n)
    assert all(isinstance(r, ValueError) for r in results)  # one transaction, one failure
    assert _stored(db) == []
    async with anyio.create_task_group() as tasks:
        for n in (21, 22):
            tasks.start_soon(one, n)
    assert _stored(db) == [21, 22]


async def _until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Let the loop run until ``condition()`` holds."""
    with anyio.fail_after(timeout):
        while not condition():
            await anyio.sleep(0.001)


class _Once:
    """``release`` called once: by the test, or by a watchdog 30 s on, so that a committer
    that blocks the event loop fails the test instead of hanging it."""

    def __init__(self, release: Callable[[], object]) -> None:
        self._release = release
        self._lock = threading.Lock()
        self._done = False
        self._watchdog = threading.Timer(30, self)
        self._watchdog.start()

    def __call__(self) -> None:
        with self._lock:
            if not self._done:
                self._done = True
                self._watchdog.cancel()
                self._release()


class _Ticker:
    """Counts the turns of the event loop (10 ms apart) and the longest gap between them."""

    def __init__(self) -> None:
        self.ticks = 0
        self.gaps: list[float] = []
        self.done = anyio.Event()

    async def run(self) -> None:
        last = time.monotonic()
        while not self.done.is_set():
            await anyio.sleep(0.01)
            now = time.monotonic()
            self.gaps.append(now - last)
            self.ticks, last = self.ticks + 1, now


async def test_sqlite_hands_a_batch_to_the_writer_thread_when_locked_outside(
    tmp_path: Any,
) -> None:
    """A writer outside Tidings (here the sqlite3 module) holds the database: the inline
    commit gives up after a short busy timeout, the writer thread retries with back-off and
    commits once the outsider is done, and the event loop keeps running all along."""
    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    migrations.upgrade(db.engine)
    committer = _committer(db)
    outsider = sqlite3.connect(tmp_path / "x.db", isolation_level=None, check_same_thread=False)
    outsider.execute("BEGIN IMMEDIATE")
    release = _Once(lambda: outsider.execute("COMMIT"))
    ticker = _Ticker()
    results: list[Any] = []

    async def write() -> None:
        results.extend(await _gather(db, [_insert(n) for n in range(5)]))

    try:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(ticker.run)
            tasks.start_soon(write)
            await _until(lambda: committer._thread is not None)  # handed over
            handed = ticker.ticks
            await _until(lambda: ticker.ticks >= handed + 10)  # the loop runs meanwhile
            assert results == [] and _stored(db) == []  # nothing past the outsider
            release()
            await _until(lambda: results != [])
            ticker.done.set()
        assert results == list(range(5))
        assert committer.inline_batches == 0  # the writer thread committed them
        assert max(ticker.gaps) < 0.2  # ...without stopping the loop (SQLite's own timeout is 30 s)
        assert _stored(db) == list(range(5))
    finally:
        release()
        outsider.close()
        db.close()


async def test_sqlite_waits_for_the_write_lock_off_the_loop(tmp_path: Any) -> None:
    """Another process's writer (here: another WriteLock on the file) holds the lock for
    longer than ``POLL_SECONDS``: the inline commit waits for it in a thread, then commits on
    the loop."""
    db = Database(f"sqlite:///{tmp_path / 'y.db'}")
    migrations.upgrade(db.engine)
    committer = _committer(db)
    other = WriteLock(str(tmp_path / "y.db") + ".lock")
    other.acquire()
    release = _Once(other.release)
    ticker = _Ticker()
    results: list[Any] = []

    async def write() -> None:
        results.extend(await _gather(db, [_insert(n) for n in range(3)]))

    try:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(ticker.run)
            tasks.start_soon(write)
            await _until(lambda: committer.lock_waits == 1)  # waiting in a thread
            waiting = ticker.ticks
            await _until(lambda: ticker.ticks >= waiting + 10)  # the loop runs meanwhile
            assert results == []
            release()
            await _until(lambda: results != [])
            ticker.done.set()
        assert results == [0, 1, 2]
        assert max(ticker.gaps) < 0.2
        assert committer.inline_batches == 1  # committed on the loop once it had the lock
        assert committer.lock_waits == 1
    finally:
        release()
        other.close()
        db.close()


async def test_sqlite_takes_a_briefly_held_write_lock_on_the_loop(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lock held for a few milliseconds (another process's commit) is taken by trying
    again on each turn of the loop, with the writes that arrived meanwhile in the batch."""
    # Generous, so that a loaded machine never sends a round to the thread wait.
    monkeypatch.setattr(group_commit, "POLL_SECONDS", 2.0)
    db = Database(f"sqlite:///{tmp_path / 'z.db'}")
    migrations.upgrade(db.engine)
    other = WriteLock(str(tmp_path / "z.db") + ".lock")
    committer = _committer(db)
    try:
        for round_ in range(5):
            other.acquire()
            asyncio.get_running_loop().call_later(0.003, other.release)
            first = [_insert(round_ * 10 + n) for n in range(3)]

            async def later(write: Any) -> list[Any]:
                await anyio.sleep(0)
                return await _gather(db, [write])

            async with anyio.create_task_group() as tasks:
                tasks.start_soon(_gather, db, first)
                tasks.start_soon(later, _insert(round_ * 10 + 5))
        assert _stored(db) == sorted([r * 10 + n for r in range(5) for n in (0, 1, 2, 5)])
        assert (committer.lock_polls, committer.lock_waits) == (5, 0)
        assert committer.batches == 5  # the late writes joined their round's batch
    finally:
        other.close()
        db.close()


async def test_sqlite_waits_asleep_for_a_lock_the_worker_holds(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker's batches are long (and its process may run at a lower priority): a
    commit that finds the lock held by it waits in a thread at once instead of trying again
    on a busy loop, which would keep a core from the holder."""
    monkeypatch.setattr(group_commit, "POLL_SECONDS", 2.0)
    db = Database(f"sqlite:///{tmp_path / 'b.db'}")
    migrations.upgrade(db.engine)
    committer = _committer(db)
    worker = WriteLock(str(tmp_path / "b.db") + ".lock")
    worker.background = True
    release = _Once(worker.release)
    results: list[Any] = []

    async def write() -> None:
        results.extend(await _gather(db, [_insert(n) for n in range(2)]))

    try:
        worker.acquire()
        lock = db._write_lock
        assert isinstance(lock, WriteLock) and lock.held_by_background()
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(write)
            with anyio.fail_after(1.0):  # far sooner than POLL_SECONDS
                await _until(lambda: committer.lock_waits == 1)
            release()
        assert results == [0, 1]
        assert committer.lock_polls == 0
        assert not lock.held_by_background()  # let go: the mark is cleared
    finally:
        release()
        worker.close()
        db.close()


async def test_sqlite_wal_is_checkpointed_in_the_background(tmp_path: Any) -> None:
    db = Database(f"sqlite:///{tmp_path / 'w.db'}")
    migrations.upgrade(db.engine)
    try:
        checkpointer = db._checkpointer
        assert checkpointer is not None
        await _gather(db, [_insert(n) for n in range(200)])
        busy, frames, done = checkpointer.checkpoint()
        assert busy == 0 and frames == done  # everything copied back into the database
        # The background thread's own rounds, seen as they happen.
        rounds: list[tuple[float, tuple[int, int, int]]] = []
        own = checkpointer.checkpoint

        def watched() -> tuple[int, int, int]:
            outcome = own()
            rounds.append((time.monotonic(), outcome))
            return outcome

        checkpointer.checkpoint = watched  # type: ignore[method-assign]
        await _gather(db, [_insert(n) for n in range(200, 400)])
        written = time.monotonic()
        await _until(lambda: any(r[0] > written for r in rounds))
        (_, first), *_ = [r for r in rounds if r[0] > written]
        assert first[0] == 0 and first[1] == first[2] > 0  # it copied the new writes back
        idle = checkpointer.checkpoints
        await anyio.sleep(1.2)  # two more rounds of the thread, with nothing written
        assert checkpointer.checkpoints <= idle + 1  # an unchanged log is not checkpointed
        with db.engine.connect() as c:  # commits checkpoint only past a far larger bound
            pages = c.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
            assert pages == dialects.WAL_AUTOCHECKPOINT_PAGES
    finally:
        db.close()
    assert not checkpointer._thread.is_alive()
