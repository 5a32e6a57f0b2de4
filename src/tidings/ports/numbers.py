"""Phone numbers: the numbers we hold, the Messaging Connect partners they are leased
through, number searches and the long-running operations."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from tidings.domain.numbers import Capabilities, NumberSearch, Operation, PurchasedNumber
from tidings.domain.partners import Partner


class NumberRepo(Protocol):
    def add(self, number: PurchasedNumber) -> None: ...

    def get(self, number: str) -> PurchasedNumber | None: ...

    def page(
        self, skip: int, top: int, partner: str | None = None, search: str | None = None
    ) -> list[PurchasedNumber]: ...

    def all_numbers(self) -> set[str]: ...

    def delete(self, number: str) -> bool: ...

    def update_capabilities(self, number: str, capabilities: Capabilities) -> None: ...

    def keyword_replies(self, number: str) -> dict[str, str]: ...

    def set_keyword_replies(self, number: str, replies: dict[str, str]) -> None: ...


class PartnerRepo(Protocol):
    """Messaging Connect partners (see ``domain/partners.py``)."""

    def get(self, name: str) -> Partner | None: ...

    def put(self, name: str, key_digests: tuple[str, ...], now: datetime) -> bool: ...

    def all(self) -> list[Partner]: ...

    def delete(self, name: str) -> bool: ...

    def number_count(self, name: str) -> int: ...


class SearchRepo(Protocol):
    def add(self, search: NumberSearch) -> None: ...

    def get(self, search_id: str) -> NumberSearch | None: ...

    def set_result(self, search_id: str, numbers: list[str], error_code: str | None) -> None: ...

    def mark_purchased(self, search_id: str) -> None: ...

    def reserved_numbers(self, now: datetime) -> set[str]: ...

    def prune(self, expired_before: datetime) -> int: ...


class OperationRepo(Protocol):
    def add(self, operation: Operation) -> None: ...

    def get(self, operation_id: str) -> Operation | None: ...

    def finish(
        self,
        operation_id: str,
        *,
        status: str,
        at: datetime,
        resource_location: str | None = None,
        error_code: str | None = None,
        error_message: str | None = None,
    ) -> None: ...

    def delete(self, operation_id: str) -> bool: ...

    def prune(self, finished_before: datetime) -> int: ...


class WithNumbers(Protocol):
    @property
    def numbers(self) -> NumberRepo: ...


class WithPartners(Protocol):
    @property
    def partners(self) -> PartnerRepo: ...


class WithSearches(Protocol):
    @property
    def searches(self) -> SearchRepo: ...


class WithOperations(Protocol):
    @property
    def operations(self) -> OperationRepo: ...
