"""``tidings demo seed``: fill the database with realistic traffic, in bulk.

Rows go straight to storage a chunk per transaction (no API, no worker, no events), so a
million messages take about a minute; ``progress`` hears how many were written.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from tidings.domain.conversations import Conversation, OptOutEntry, conversation_id
from tidings.domain.demo import DemoChunk, DemoPlan, OptChange, demo_numbers, generate
from tidings.domain.messages import Direction
from tidings.domain.numbers import NumberType
from tidings.domain.phone import region_of
from tidings.ports import DemoTx
from tidings.services.context import ServiceContext
from tidings.services.numbers import NumbersService


@dataclass(frozen=True)
class SeedSummary:
    messages: int
    conversations: int
    opt_changes: int
    numbers: list[str]


class DemoService:
    def __init__(self, ctx: ServiceContext[DemoTx], numbers: NumbersService) -> None:
        self._ctx = ctx
        self._numbers = numbers

    def seed(
        self,
        *,
        messages: int,
        days: int,
        numbers: int,
        seed: int = 1,
        progress: Callable[[int], object] = lambda _n: None,
    ) -> SeedSummary:
        store = self._ctx.store
        owned = store.read(lambda tx: tx.numbers.all_numbers())
        ours = demo_numbers(numbers)
        for number in ours:
            if number not in owned:
                self._numbers.provision(number, NumberType.TOLL_FREE)
        plan = DemoPlan(ours, messages, days, self._ctx.clock.now(), seed)
        pairs: dict[tuple[str, str], _Pair] = {}
        last_opt: dict[tuple[str, str], OptChange] = {}
        written = changes = 0
        for chunk in generate(plan):
            store.write(functools.partial(_write_chunk, chunk))
            for m in chunk.messages:
                outbound = m.direction is Direction.OUTBOUND
                pair = (m.sender, m.recipient) if outbound else (m.recipient, m.sender)
                found = pairs.get(pair)
                if found is None:
                    pairs[pair] = _Pair(m.created_at, m.created_at, 1)
                else:
                    found.add(m.created_at)
            for change in chunk.opt_changes:
                key = (change.sender, change.recipient)
                if key not in last_opt or last_opt[key].at < change.at:
                    last_opt[key] = change
            written += len(chunk.messages)
            changes += len(chunk.opt_changes)
            progress(len(chunk.messages))
        conversations = [
            Conversation(conversation_id(ours_, peer), ours_, peer, p.first, p.last, p.count)
            for (ours_, peer), p in pairs.items()
        ]
        opted_out = [
            OptOutEntry(c.sender, c.recipient, region_of(c.recipient), c.at, c.source)
            for c in last_opt.values()
            if c.action == "optOut"
        ]
        store.write(functools.partial(_write_state, conversations, opted_out))
        return SeedSummary(written, len(conversations), changes, ours)


@dataclass
class _Pair:
    first: datetime
    last: datetime
    count: int

    def add(self, at: datetime) -> None:
        self.first = min(self.first, at)
        self.last = max(self.last, at)
        self.count += 1


def _write_state(
    conversations: list[Conversation], opted_out: list[OptOutEntry], tx: DemoTx
) -> None:
    tx.bulk.conversations(conversations)
    tx.bulk.optouts(opted_out)


def _write_chunk(chunk: DemoChunk, tx: DemoTx) -> None:
    tx.messages.add_many([(m, None) for m in chunk.messages])
    tx.bulk.opt_changes(chunk.opt_changes)
