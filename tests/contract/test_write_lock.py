"""``WriteLock``: the SQLite write lock orders processes, and hands over fairly."""

from __future__ import annotations

import multiprocessing
import threading
import time
from pathlib import Path
from typing import Any

from tidings.storage.write_lock import WriteLock

_SPAWN = multiprocessing.get_context("spawn")


def _count(path: str, counter: str, times: int) -> None:
    lock = WriteLock(path)
    for _ in range(times):
        with lock:
            value = int(Path(counter).read_text() or "0")
            time.sleep(0.0005)  # widen the window a lost update needs
            Path(counter).write_text(str(value + 1))
    lock.close()


def _greedy(path: str, seconds: float, started: Any, taken: Any) -> None:
    """Hold the lock 2 ms at a time and take it back at once, as a busy writer does;
    ``taken`` counts its acquisitions."""
    lock = WriteLock(path)
    deadline = time.monotonic() + seconds
    started.set()
    while time.monotonic() < deadline:
        with lock:
            with taken.get_lock():
                taken.value += 1
            time.sleep(0.002)
    lock.close()


def test_processes_take_turns(tmp_path: Path) -> None:
    path, counter = str(tmp_path / "db.lock"), tmp_path / "counter"
    counter.write_text("0")
    workers = [_SPAWN.Process(target=_count, args=(path, str(counter), 150)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    assert counter.read_text() == "450"  # no update lost: never two holders at once


def test_a_waiting_process_is_not_starved_by_a_busy_one(tmp_path: Path) -> None:
    path = str(tmp_path / "db.lock")
    started, taken = _SPAWN.Event(), _SPAWN.Value("i", 0)
    greedy = _SPAWN.Process(target=_greedy, args=(path, 3.0, started, taken))
    greedy.start()
    assert started.wait(30)
    lock = WriteLock(path)
    overtaken, waits = [], []
    try:
        for _ in range(60):
            time.sleep(0.003)  # let the busy process take the lock back
            before, asked = taken.value, time.monotonic()
            with lock:
                waits.append(time.monotonic() - asked)
                overtaken.append(taken.value - before)
    finally:
        lock.close()
        greedy.join(30)
    assert greedy.exitcode == 0
    # The busy process did hold the lock when this one asked (it waited ~a hold each time).
    assert sum(waits) > 60 * 0.0005, waits
    # The turnstile: once this process waits, the busy one gets the lock at most once more
    # (the take already under way); without it, it can take it back again and again.
    assert max(overtaken) <= 1, overtaken


def test_two_locks_of_one_process_exclude_each_other(tmp_path: Path) -> None:
    path = str(tmp_path / "db.lock")
    first, second = WriteLock(path), WriteLock(path)
    order: list[str] = []
    with first:

        def other() -> None:
            with second:
                order.append("second")

        thread = threading.Thread(target=other)
        thread.start()
        time.sleep(0.2)
        order.append("first")
    thread.join(10)
    assert order == ["first", "second"]
    first.close()
    second.close()
