"""The SQLite write lock, shared by every process on one database file.

SQLite lets one writer in at a time; writers that collide fall into its busy handler, which
sleeps in steps of up to 100 ms, so two processes writing often (several ``tidings api``
processes, or ``tidings api`` beside ``tidings worker``) would wait on each other for far
longer than the writes take. Every write transaction first takes this lock instead:

- a ``threading.Lock`` orders the threads of one process;
- an ``flock`` on ``<database>.lock`` orders the processes: the kernel wakes a waiting
  process the moment the holder lets go;
- a second ``flock``, the turnstile (``<database>.lock-turn``), makes the hand-over fair. A
  process that has just released the lock and wants it again at once (a busy group-commit
  writer) would otherwise take it back before the woken waiter runs, and starve it. A waiter
  holds the turnstile while it waits, so the releaser queues behind it.

The locks go away with the processes that hold them (a killed process never leaves one
behind). The lock file's one byte says whether its holder is a ``background`` writer (the
worker, whose transactions are long batches, and whose process may run at a lower
priority): a process that finds the lock held then waits for it asleep rather than trying
again and again (``held_by_background``, ``group_commit._poll``), which would keep a core
from the holder. Only background writers write it; one killed while holding the lock leaves
it set, which only makes the others wait asleep until the next background writer lets go.
"""

from __future__ import annotations

import fcntl
import os
import threading
from types import TracebackType

_BACKGROUND, _FOREGROUND = b"\x01", b"\x00"


class WriteLock:
    def __init__(self, path: str) -> None:
        self._path = path
        self._thread = threading.Lock()
        self._files: tuple[int, int] | None = None
        self._pid = -1
        #: This process writes long background batches: it marks the lock while it holds it.
        self.background = False

    def _open(self) -> tuple[int, int]:
        # Opened lazily and again in a forked child: flock belongs to the open file, which a
        # child would share with its parent.
        if self._files is None or self._pid != os.getpid():
            flags = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC
            self._files = (
                os.open(self._path, flags, 0o600),
                os.open(self._path + "-turn", flags, 0o600),
            )
            self._pid = os.getpid()
        return self._files

    def acquire(self, blocking: bool = True) -> bool:
        """Take the lock; without ``blocking``, only if no thread or process holds it.

        Like ``threading.Lock``, it may be released by another thread of this process.
        """
        if not self._thread.acquire(blocking):
            return False
        try:
            lock, turn = self._open()
            if not blocking:
                # Through the turnstile too: a process waiting for the lock holds it, and
                # must not be overtaken by one that only tries.
                if self._try(turn):
                    try:
                        if self._try(lock):
                            self._mark(lock)
                            return True
                    finally:
                        fcntl.flock(turn, fcntl.LOCK_UN)
                self._thread.release()
                return False
            fcntl.flock(turn, fcntl.LOCK_EX)
            try:
                fcntl.flock(lock, fcntl.LOCK_EX)
            finally:
                fcntl.flock(turn, fcntl.LOCK_UN)
            self._mark(lock)
        except BaseException:
            self._thread.release()
            raise
        return True

    def _mark(self, lock: int) -> None:
        if self.background:
            os.pwrite(lock, _BACKGROUND, 0)

    def held_by_background(self) -> bool:
        """Whether the lock is held (as far as one can tell) by a background writer."""
        lock, _ = self._open()
        return os.pread(lock, 1, 0) == _BACKGROUND

    @staticmethod
    def _try(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def release(self) -> None:
        assert self._files is not None
        try:
            if self.background:
                os.pwrite(self._files[0], _FOREGROUND, 0)
            fcntl.flock(self._files[0], fcntl.LOCK_UN)
        finally:
            self._thread.release()

    def __enter__(self) -> WriteLock:
        self.acquire()
        return self

    def close(self) -> None:
        """Close the lock files (the lock must not be held)."""
        with self._thread:
            files, self._files = self._files, None
            if files is not None and self._pid == os.getpid():
                for fd in files:
                    os.close(fd)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
