"""Checkpointing the SQLite WAL in the background, off the commit path.

SQLite copies its write-ahead log back into the database file (a checkpoint) when a commit
finds the log past ``wal_autocheckpoint`` pages, and that commit pays for it: it writes and
syncs the database file while holding the write lock. Under load that was the accept path's
p99 (about 100 ms against 30 ms without checkpoints). ``WalCheckpointer`` runs a ``PASSIVE``
checkpoint every ``interval`` seconds from its own thread instead: it copies what no reader
still needs while writers go on appending to the log, and the sqlite3 module lets the GIL go
while it runs. Commits still checkpoint by themselves past a far larger bound
(``dialects.WAL_AUTOCHECKPOINT_PAGES``), in case no checkpointer runs (a short CLI command).
A round whose log file has not changed since the last checkpoint (an idle server) skips it.
"""

from __future__ import annotations

import logging
import os
import threading

import sqlalchemy as sa

log = logging.getLogger(__name__)


class WalCheckpointer:
    def __init__(self, engine: sa.Engine, interval: float = 0.5) -> None:
        self._engine = engine
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="tidings-wal-checkpoint", daemon=True
        )
        self.checkpoints = 0
        self._wal = f"{engine.url.database}-wal"
        self._checkpointed: tuple[int, int] | None = None  # the log's (mtime, size) then

    def start(self) -> WalCheckpointer:
        self._thread.start()
        return self

    def checkpoint(self) -> tuple[int, int, int]:
        """One ``PASSIVE`` checkpoint: (busy, log frames, frames checkpointed)."""
        raw = self._engine.raw_connection()
        try:
            driver = raw.driver_connection
            assert driver is not None
            row = driver.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        finally:
            raw.close()
        self.checkpoints += 1
        return int(row[0]), int(row[1]), int(row[2])

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                stamp = self._wal_stamp()
                if stamp is None or stamp != self._checkpointed:
                    self.checkpoint()
                    self._checkpointed = stamp
            except Exception:  # the next round tries again; commits checkpoint if need be
                log.warning("WAL checkpoint failed", exc_info=True)

    def _wal_stamp(self) -> tuple[int, int] | None:
        try:
            info = os.stat(self._wal)
        except OSError:
            return None
        return info.st_mtime_ns, info.st_size

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(10)
