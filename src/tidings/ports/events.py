"""The event outbox: every Event Grid event, in order, for subscriptions and streams."""

from __future__ import annotations

from typing import Protocol

from tidings.domain.events import Event


class EventOutbox(Protocol):
    def append(self, event: Event) -> None: ...

    def page(
        self, *, after: int = 0, event_types: list[str] | None = None, limit: int = 100
    ) -> list[tuple[int, Event]]: ...

    def count(self) -> int: ...

    def append_many(self, batch: list[Event]) -> None: ...

    def last_seq(self) -> int: ...


class WithEvents(Protocol):
    @property
    def events(self) -> EventOutbox: ...
