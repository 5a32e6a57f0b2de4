"""Named transactions over one engine, retried when the database is busy.

Services never hold a connection: they pass a function to ``write`` or ``read``, which runs
it in a transaction with a fresh ``SqlTx`` (repositories bound to that transaction) and runs
it again if the database reports a transient conflict (synapse's ``runInteraction``).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from functools import cached_property
from typing import Any, TypeVar

import sqlalchemy as sa

from tidings.domain.messages import OutboundBatch
from tidings.errors import Conflict
from tidings.storage import dialects
from tidings.storage.analytics import SqlAnalyticsRepo
from tidings.storage.bulk import SqlBulkLoader
from tidings.storage.carriers import SqlCarrierRepo, SqlRouteRepo
from tidings.storage.chat import SqlChatRepo
from tidings.storage.checkpointer import WalCheckpointer
from tidings.storage.conversations import SqlConversationRepo, SqlOptOutRepo
from tidings.storage.deliveries import SqlDeliveryRepo
from tidings.storage.events import SqlEventOutbox
from tidings.storage.group_commit import GroupCommitter
from tidings.storage.identity import SqlIdentityRepo
from tidings.storage.intake import accept_batches
from tidings.storage.keys import SqlKeyRepo
from tidings.storage.messages import SqlMessageRepo
from tidings.storage.numbers import SqlNumberRepo, SqlOperationRepo, SqlSearchRepo
from tidings.storage.partners import SqlPartnerRepo
from tidings.storage.queue import SqlJobQueue, SqlRateWindows
from tidings.storage.reservations import SqlReservationRepo
from tidings.storage.signals import announce, commit_signals, drop_signals
from tidings.storage.simulator import SqlCarrierRuleRepo, SqlHandsetRepo
from tidings.storage.smpp import SqlSmppRepo
from tidings.storage.smpp_history import SqlSmppHistory
from tidings.storage.subscriptions import SqlSubscriptionRepo
from tidings.storage.write_lock import WriteLock
from tidings.wakeups import WakeupHub

T = TypeVar("T")
log = logging.getLogger(__name__)


class SqlTx:
    """The repositories of one transaction."""

    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection

    def savepoint(self) -> AbstractContextManager[object]:
        return self.connection.begin_nested()

    @cached_property
    def keys(self) -> SqlKeyRepo:
        return SqlKeyRepo(self.connection)

    @cached_property
    def numbers(self) -> SqlNumberRepo:
        return SqlNumberRepo(self.connection)

    @cached_property
    def partners(self) -> SqlPartnerRepo:
        return SqlPartnerRepo(self.connection)

    @cached_property
    def searches(self) -> SqlSearchRepo:
        return SqlSearchRepo(self.connection)

    @cached_property
    def operations(self) -> SqlOperationRepo:
        return SqlOperationRepo(self.connection)

    @cached_property
    def reservations(self) -> SqlReservationRepo:
        return SqlReservationRepo(self.connection)

    @cached_property
    def messages(self) -> SqlMessageRepo:
        return SqlMessageRepo(self.connection)

    @cached_property
    def conversations(self) -> SqlConversationRepo:
        return SqlConversationRepo(self.connection)

    @cached_property
    def optouts(self) -> SqlOptOutRepo:
        return SqlOptOutRepo(self.connection)

    @cached_property
    def jobs(self) -> SqlJobQueue:
        return SqlJobQueue(self.connection)

    @cached_property
    def rate_windows(self) -> SqlRateWindows:
        return SqlRateWindows(self.connection)

    @cached_property
    def events(self) -> SqlEventOutbox:
        return SqlEventOutbox(self.connection)

    @cached_property
    def handsets(self) -> SqlHandsetRepo:
        return SqlHandsetRepo(self.connection)

    @cached_property
    def carrier_rules(self) -> SqlCarrierRuleRepo:
        return SqlCarrierRuleRepo(self.connection)

    @cached_property
    def subscriptions(self) -> SqlSubscriptionRepo:
        return SqlSubscriptionRepo(self.connection)

    @cached_property
    def deliveries(self) -> SqlDeliveryRepo:
        return SqlDeliveryRepo(self.connection)

    @cached_property
    def analytics(self) -> SqlAnalyticsRepo:
        return SqlAnalyticsRepo(self.connection)

    @cached_property
    def bulk(self) -> SqlBulkLoader:
        return SqlBulkLoader(self.connection)

    @cached_property
    def identities(self) -> SqlIdentityRepo:
        return SqlIdentityRepo(self.connection)

    @cached_property
    def chat(self) -> SqlChatRepo:
        return SqlChatRepo(self.connection)

    @cached_property
    def carriers(self) -> SqlCarrierRepo:
        return SqlCarrierRepo(self.connection)

    @cached_property
    def routes(self) -> SqlRouteRepo:
        return SqlRouteRepo(self.connection)

    @cached_property
    def smpp(self) -> SqlSmppRepo:
        return SqlSmppRepo(self.connection)

    @cached_property
    def smpp_history(self) -> SqlSmppHistory:
        return SqlSmppHistory(self.connection)


class Database:
    """The storage adapter: ``write(fn)`` and ``read(fn)`` run ``fn(tx)`` in a transaction."""

    def __init__(self, url: str, *, max_retries: int = 8) -> None:
        self.url = url
        self.engine = dialects.create_engine(url)
        self._max_retries = max_retries
        self._write_lock = dialects.write_lock(self.engine)
        broadcast = dialects.broadcast(self.engine)
        #: Committed work's signals (``tidings/wakeups.py``), sent after each commit (to
        #: other processes with it, where the database can: ``_in_transaction``).
        self.wakeups = WakeupHub(broadcast)
        self._in_transaction = dialects.in_transaction(broadcast)
        self._committer = GroupCommitter(
            self.engine,
            self._write_lock,
            max_retries=max_retries,
            inline=dialects.inline_lock(self.engine, self._write_lock),
            on_commit=lambda connection: commit_signals(connection, self.wakeups),
            before_commit=lambda connection: announce(connection, self._in_transaction),
        )
        self._checkpointer = (
            WalCheckpointer(self.engine).start() if dialects.is_sqlite_file(self.engine) else None
        )
        self._adapted: dict[
            Callable[..., Any], Callable[[sa.Connection, list[Any]], list[Any]]
        ] = {}

    def write_in_background(self) -> None:
        """This process's writes are the worker's long batches: other processes waiting for
        the SQLite write lock then wait asleep (``WriteLock.background``)."""
        if isinstance(self._write_lock, WriteLock):
            self._write_lock.background = True

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def write(self, fn: Callable[[SqlTx], T]) -> T:
        return self._run(fn, write=True)

    async def write_async(self, fn: Callable[[SqlTx], T]) -> T:
        """Like ``write``, but shares one transaction with concurrent callers (group commit).

        Returns once the transaction holding ``fn``'s writes has committed.
        """
        result: T = await self._committer.submit(lambda connection: fn(SqlTx(connection)))
        return result

    async def write_batched(
        self, handler: Callable[[SqlTx, list[Any]], list[Any]], item: Any
    ) -> Any:
        """Hand ``item`` to ``handler`` with every concurrent item for it, in one transaction."""
        adapted = self._adapted.get(handler)
        if adapted is None:

            def adapted(connection: sa.Connection, items: list[Any]) -> list[Any]:
                return handler(SqlTx(connection), items)

            self._adapted[handler] = adapted
        return await self._committer.submit_batched(adapted, item)

    async def accept_outbound(self, batch: OutboundBatch) -> dict[str, str]:
        """Store a send request's rows, group-committed and merged with concurrent requests.

        Returns the repeatability ids that were already taken, with their first message id.
        """
        result: dict[str, str] = await self._committer.submit_batched(accept_batches, batch)
        return result

    def read(self, fn: Callable[[SqlTx], T]) -> T:
        return self._run(fn, write=False)

    def _run(self, fn: Callable[[SqlTx], T], *, write: bool) -> T:
        delay = 0.005
        for attempt in range(self._max_retries + 1):
            try:
                lock = self._write_lock if write else contextlib.nullcontext()
                with lock, self.engine.connect() as raw:
                    connection = raw.execution_options(**{dialects.WRITE_OPTION: write})
                    drop_signals(connection)
                    try:
                        with connection.begin():
                            result = fn(SqlTx(connection))
                            announce(connection, self._in_transaction)
                    except BaseException:
                        drop_signals(connection)
                        raise
                    commit_signals(connection, self.wakeups)
                    return result
            except sa.exc.IntegrityError as exc:
                # A unique key another transaction took first: the caller decides.
                raise Conflict(f"A conflicting row exists: {exc.orig}") from exc
            except sa.exc.DBAPIError as exc:
                if attempt == self._max_retries or not dialects.is_retryable(exc):
                    raise
                log.debug("retrying busy transaction (attempt %d): %s", attempt + 1, exc)
                time.sleep(delay)
                delay = min(delay * 2, 0.5)
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.close()
        self._committer.close()
        self.wakeups.close()
        self.engine.dispose()
        if isinstance(self._write_lock, WriteLock):
            self._write_lock.close()
