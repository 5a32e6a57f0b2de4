"""What every service needs: the store, the clock and the event settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from tidings.domain.numbers import NumberType
from tidings.domain.throughput import LIMITS_PER_MINUTE
from tidings.ports import Clock, Store


@dataclass(frozen=True)
class ServiceContext:
    store: Store
    clock: Clock
    topic: str  # the ACS resource id events carry as ``topic``
    pascal_events: bool  # SMS event data keys as the seed spells them (PascalCase)
    #: Messages per minute per sender by number type; None lifts the limit.
    limits: dict[NumberType, int | None] = field(default_factory=lambda: dict(LIMITS_PER_MINUTE))
