"""One look-up for many concurrent callers: the cure for a cache's thundering herd.

When a short-lived cache (the access keys, a sender's number) runs out under load, every
request in flight misses it at the same moment; without this each would start its own
database read in a worker thread (64 threads at 64 connections, each opening a pooled
connection). ``SingleFlight.run(key, fn)`` starts ``fn`` in a worker thread once per key and
lets every caller that arrives meanwhile wait for that same call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import anyio

T = TypeVar("T")


class SingleFlight:
    def __init__(self) -> None:
        self._running: dict[Hashable, asyncio.Future[Any]] = {}

    async def run(self, key: Hashable, fn: Callable[[], T]) -> T:
        """``fn()`` in a worker thread, shared with concurrent callers of the same ``key``.

        A caller that is cancelled does not cancel the call the others wait for.
        """
        running = self._running.get(key)
        if running is None:
            running = asyncio.ensure_future(anyio.to_thread.run_sync(fn))
            self._running[key] = running
            running.add_done_callback(lambda done: self._finished(key, done))
        result: T = await asyncio.shield(running)
        return result

    def _finished(self, key: Hashable, done: asyncio.Future[Any]) -> None:
        if self._running.get(key) is done:
            del self._running[key]
        if not done.cancelled():
            done.exception()  # retrieved here, whether or not a caller is still waiting
