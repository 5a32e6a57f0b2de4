"""Wake-ups between the processes and nodes on one PostgreSQL schema: ``LISTEN``/``NOTIFY``.

A transaction that made work visible sends its ``pg_notify`` itself, as its last statement
(``in_transaction``): the server delivers it the moment the transaction commits, so the
process waiting for that work wakes as the committer learns of its commit, with no round
trip or thread hand-off after it. ``NOTIFY`` serialises the commits of the transactions
that send one (the queue keeps commit order), so a process does this at most once every
``INLINE_GAP`` seconds; the other transactions of a busy process hand their topics, after
their commit, to a sender thread on a connection of its own (psycopg, autocommit), which
sends them with one ``pg_notify``; what is committed while that round trip is on its way
goes in the next one, so a busy process sends a few hundred notifications a second however
many transactions it commits. A process that waits for work (a worker) also opens a
listening connection; its thread blocks on the socket and hands what other processes sent to
the hub (its own notifications, which the hub delivered at once already, are recognised by
the sender's token and skipped).

A broken connection is opened again after a second. A listener that (re)connects wakes
every waiter, since it may have missed signals meanwhile; a lost notification only delays
work until the waiters' fallback poll.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
import time
from collections.abc import Callable, Collection
from typing import Any

import psycopg
import sqlalchemy as sa
from psycopg import sql

from tidings.wakeups import EVERYTHING

log = logging.getLogger(__name__)
_RECONNECT_SECONDS = 1.0
_LISTEN_TIMEOUT = 5.0
#: At most one transaction every ``INLINE_GAP`` seconds sends its notification itself.
INLINE_GAP = 0.005


class PgBroadcast:
    def __init__(self, engine: sa.Engine) -> None:
        args, kwargs = engine.dialect.create_connect_args(engine.url)
        self._args: list[Any] = list(args)
        self._kwargs: dict[str, Any] = {**kwargs, "autocommit": True}
        self._token = secrets.token_hex(6)
        self._channel: str | None = None
        self._pending: set[str] = set()
        self._cond = threading.Condition()
        self._sender: threading.Thread | None = None
        self._listener: threading.Thread | None = None
        self._closing = False
        self._inline_after = 0.0  # (monotonic) when a transaction may notify itself again
        #: Notifications sent by the sender thread, and within transactions (diagnostics).
        self.sent = 0
        self.sent_inline = 0

    def _connect(self) -> psycopg.Connection[Any]:
        connection: psycopg.Connection[Any] = psycopg.connect(*self._args, **self._kwargs)
        if self._channel is None:
            row = connection.execute("SELECT current_schema()").fetchone()
            self._channel = _channel(row[0] if row else None)
        return connection

    # -- sending ------------------------------------------------------------------------------

    def in_transaction(self, connection: sa.Connection, topics: Collection[str]) -> bool:
        """Send ``topics`` within the transaction on ``connection``, just before it commits
        (the server delivers them at the commit, and drops them on a rollback): whether it
        did. It does not when another transaction did less than ``INLINE_GAP`` ago, or the
        channel is not known yet; the caller then ``send``s them after the commit."""
        now = time.monotonic()
        if now < self._inline_after or self._closing:
            return False
        self._inline_after = now + INLINE_GAP
        if self._channel is None:  # once: the engine's connections share the schema
            self._channel = _channel(
                connection.exec_driver_sql("SELECT current_schema()").scalar_one_or_none()
            )
        payload = f"{self._token}:{','.join(sorted(topics))}"
        connection.exec_driver_sql("SELECT pg_notify(%s, %s)", (self._channel, payload))
        self.sent_inline += 1
        return True

    def send(self, topics: Collection[str]) -> None:
        with self._cond:
            if self._closing:
                return
            self._pending.update(topics)
            if self._sender is None:
                self._sender = threading.Thread(
                    target=self._send_loop, name="tidings-notify", daemon=True
                )
                self._sender.start()
            self._cond.notify()

    def _send_loop(self) -> None:
        connection: psycopg.Connection[Any] | None = None
        while True:
            with self._cond:
                while not self._pending and not self._closing:
                    self._cond.wait()
                if not self._pending:
                    break
                topics, self._pending = self._pending, set()
            try:
                if connection is None:
                    connection = self._connect()
                payload = f"{self._token}:{','.join(sorted(topics))}"
                connection.execute("SELECT pg_notify(%s, %s)", (self._channel, payload))
                self.sent += 1
            except psycopg.Error as exc:
                log.warning("sending a wake-up failed (the fallback poll will find it): %s", exc)
                _close(connection)
                connection = None
                time.sleep(_RECONNECT_SECONDS)
        _close(connection)

    # -- listening ----------------------------------------------------------------------------

    def listen(self, deliver: Callable[[Collection[str]], None]) -> None:
        self._listener = threading.Thread(
            target=self._listen_loop, args=(deliver,), name="tidings-listen", daemon=True
        )
        self._listener.start()

    def _listen_loop(self, deliver: Callable[[Collection[str]], None]) -> None:
        prefix = f"{self._token}:"
        while not self._stopping():
            connection: psycopg.Connection[Any] | None = None
            try:
                connection = self._connect()
                assert self._channel is not None
                connection.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self._channel)))
                deliver({EVERYTHING})  # whatever was sent before we listened
                while not self._stopping():
                    for notify in connection.notifies(timeout=_LISTEN_TIMEOUT):
                        if self._stopping():
                            break
                        if not notify.payload.startswith(prefix):
                            _, _, topics = notify.payload.partition(":")
                            deliver(topics.split(","))
            except psycopg.Error as exc:
                if self._stopping():
                    break
                log.warning("listening for wake-ups failed; listening again: %s", exc)
                time.sleep(_RECONNECT_SECONDS)
            finally:
                _close(connection)

    def _stopping(self) -> bool:
        return self._closing

    def close(self) -> None:
        with self._cond:
            self._closing = True
            self._cond.notify()
            sender = self._sender
        listener = self._listener
        if listener is not None and self._channel is not None:
            # Wakes our own listener at once: it sees it is closing.
            try:
                with self._connect() as connection:
                    connection.execute("SELECT pg_notify(%s, %s)", (self._channel, "stop:"))
            except psycopg.Error:
                pass
            listener.join(_LISTEN_TIMEOUT + 1)
        if sender is not None:
            sender.join(5)


def _channel(schema: str | None) -> str:
    """The channel of a schema's wake-ups (every node on the schema listens on it)."""
    return "tidings_wake_" + hashlib.sha256((schema or "public").encode()).hexdigest()[:16]


def _close(connection: psycopg.Connection[Any] | None) -> None:
    if connection is not None:
        try:
            connection.close()
        except psycopg.Error:
            log.debug("closing a wake-up connection failed", exc_info=True)
