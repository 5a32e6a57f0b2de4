"""``Store``: how services reach storage, one transaction at a time.

``store.write(fn)`` runs ``fn(tx)`` in one transaction, retrying it when the database is
busy, so ``fn`` must be free of side effects outside ``tx``. ``Store[SmsTx]`` hands ``fn``
only the repositories of ``SmsTx``; a bare ``Store`` is ``Store[Tx]``, every repository. A
``Store[Tx]`` serves wherever a ``Store`` of any slice is asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from typing_extensions import TypeVar as DefaultTypeVar

from tidings.domain.messages import OutboundBatch
from tidings.ports.tx import Tx

T = TypeVar("T")
#: The transaction a store hands out (covariant: a ``Store[Tx]`` is a ``Store[SmsTx]``).
TxT = DefaultTypeVar("TxT", covariant=True, default=Tx)


class Store(Protocol[TxT]):
    def write(self, fn: Callable[[TxT], T]) -> T: ...

    async def write_async(self, fn: Callable[[TxT], T]) -> T:
        """``write`` for the event loop: the transaction may be shared (group commit)."""
        ...

    async def write_batched(self, handler: Callable[[TxT, list[Any]], list[Any]], item: Any) -> Any:
        """Group-commit ``item`` with every concurrent item for the same ``handler``.

        ``handler(tx, items)`` gets them all in one call (so it can write them with one
        statement per table) and returns one result per item, in order. It must not raise
        for one item's fault: return the error as that item's result instead.
        """
        ...

    async def accept_outbound(self, batch: OutboundBatch) -> dict[str, str]:
        """Store a send request's messages and jobs (group-committed); return the
        repeatability ids already taken, each with the id of its first message."""
        ...

    def read(self, fn: Callable[[TxT], T]) -> T: ...
