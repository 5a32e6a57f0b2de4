"""Wake-ups between the processes on one SQLite file: a datagram to each listener's socket.

Each process that waits for work (``tidings serve``'s first process, ``tidings worker``)
binds a Unix datagram socket in a directory named after the database file, private to the
user (``<tmp>/tidings-wake-<uid>-<hash>/``: socket paths must stay short), and a thread
blocks reading it. A process that commits work sends the topics to every socket there but
its own: a few system calls, no service to run. A process killed with ``kill -9`` leaves its
socket file behind; the first send that finds nobody bound to it (``ECONNREFUSED``)
removes it. A full socket queue (``EAGAIN``) means its reader has wake-ups to read already.

The list of sockets is read again when the directory changes (its mtime) and at least once
a second; a listener that starts in between misses at most that second of signals, which
its first claim and its fallback poll cover.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import secrets
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Collection
from pathlib import Path

log = logging.getLogger(__name__)
_REFRESH_SECONDS = 1.0


def wake_directory(database: str) -> Path:
    """Where the listeners of ``database`` (an SQLite file path) bind their sockets."""
    digest = hashlib.sha256(os.path.realpath(database).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"tidings-wake-{os.getuid()}-{digest}"


class SocketBroadcast:
    def __init__(self, database: str) -> None:
        self.directory = wake_directory(database)
        self._name = f"{os.getpid()}-{secrets.token_hex(4)}"
        self._out = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._out.setblocking(False)
        self._lock = threading.Lock()
        self._peers: list[str] = []
        self._seen: tuple[int, float] | None = None  # directory mtime, when read
        self._in: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._closing = False

    # -- sending ------------------------------------------------------------------------------

    def send(self, topics: Collection[str]) -> None:
        payload = ",".join(topics).encode()
        with self._lock:
            for name in self._current_peers():
                try:
                    self._out.sendto(payload, str(self.directory / name))
                except BlockingIOError:
                    pass  # its queue is full: it has wake-ups to read already
                except (ConnectionRefusedError, FileNotFoundError):
                    self._forget(name)
                except OSError as exc:
                    log.debug("wake-up to %s failed: %s", name, exc)

    def _current_peers(self) -> list[str]:
        try:
            mtime = os.stat(self.directory).st_mtime_ns
        except FileNotFoundError:
            return []
        now = time.monotonic()
        if self._seen is None or self._seen[0] != mtime or now - self._seen[1] > _REFRESH_SECONDS:
            self._peers = [n for n in os.listdir(self.directory) if n != self._name]
            self._seen = (mtime, now)
        return self._peers

    def _forget(self, name: str) -> None:
        """A socket nobody reads any more (its process died): remove it."""
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.directory / name)
        with contextlib.suppress(ValueError):
            self._peers.remove(name)

    # -- listening ----------------------------------------------------------------------------

    def listen(self, deliver: Callable[[Collection[str]], None]) -> None:
        path = self.directory / self._name
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        for attempt in range(3):
            self.directory.mkdir(mode=0o700, exist_ok=True)
            try:
                sock.bind(str(path))
                break
            except FileNotFoundError:  # the last listener removed the directory meanwhile
                if attempt == 2:
                    raise
        self._in = sock
        self._thread = threading.Thread(
            target=self._receive, args=(sock, deliver), name="tidings-wakeups", daemon=True
        )
        self._thread.start()

    def _receive(self, sock: socket.socket, deliver: Callable[[Collection[str]], None]) -> None:
        while True:
            try:
                data = sock.recv(4096)
            except OSError:
                return
            if self._closing:
                return
            topics = set(data.decode().split(","))
            while True:  # take what else is queued: one wake-up for all of it
                try:
                    more = sock.recv(4096, socket.MSG_DONTWAIT)
                except (BlockingIOError, OSError):
                    break
                topics.update(more.decode().split(","))
            topics.discard("")
            if topics:
                deliver(topics)

    def close(self) -> None:
        self._closing = True
        sock, thread = self._in, self._thread
        if sock is not None:
            path = self.directory / self._name
            with contextlib.suppress(OSError):
                self._out.sendto(b"", str(path))  # wakes the reader, which sees it is closing
            if thread is not None:
                thread.join(5)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
            sock.close()
            with contextlib.suppress(OSError):  # only when it was the last listener
                self.directory.rmdir()
        self._out.close()
