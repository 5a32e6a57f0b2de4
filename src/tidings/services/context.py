"""What every service needs: the store, the clock and the event settings.

A service takes ``ServiceContext[ItsTx]``: its store hands out only that slice of ``Tx``
(``ports/tx.py``). The one context the container builds serves every service.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic

from tidings.domain.numbers import NumberType
from tidings.domain.throughput import LIMITS_PER_MINUTE
from tidings.ports import Clock, Store, TxT


@dataclass(frozen=True)
class ServiceContext(Generic[TxT]):
    store: Store[TxT]
    clock: Clock
    topic: str  # the ACS resource id events carry as ``topic``
    pascal_events: bool  # SMS event data keys as the seed spells them (PascalCase)
    #: Messages per minute per sender by number type; None lifts the limit.
    limits: dict[NumberType, int | None] = field(default_factory=lambda: dict(LIMITS_PER_MINUTE))
