"""Purchased numbers, number searches and long-running operations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from tidings.domain.numbers import (
    AssignmentType,
    Capabilities,
    Capability,
    Cost,
    NumberSearch,
    NumberType,
    Operation,
    PurchasedNumber,
)
from tidings.domain.timefmt import ensure_utc
from tidings.storage.schema import number_searches, operations, phone_numbers
from tidings.storage.search import number_matches


def _number(row: sa.Row[Any]) -> PurchasedNumber:
    return PurchasedNumber(
        number=row.number,
        country_code=row.country_code,
        number_type=NumberType(row.number_type),
        assignment_type=AssignmentType(row.assignment_type),
        capabilities=Capabilities(Capability(row.calling), Capability(row.sms)),
        cost=Cost(row.cost_amount, row.currency_code, row.billing_frequency),
        purchased_at=ensure_utc(row.purchased_at),
        partner=row.partner,
    )


#: Built once (the send path reads a number per batch): no statement built per call.
_BY_NUMBER = sa.select(phone_numbers).where(phone_numbers.c.number == sa.bindparam("number"))


class SqlNumberRepo:
    def __init__(self, connection: sa.Connection) -> None:
        self._c = connection

    def add(self, number: PurchasedNumber) -> None:
        self._c.execute(
            phone_numbers.insert().values(
                number=number.number,
                country_code=number.country_code,
                number_type=number.number_type.value,
                assignment_type=number.assignment_type.value,
                calling=number.capabilities.calling.value,
                sms=number.capabilities.sms.value,
                cost_amount=number.cost.amount,
                currency_code=number.cost.currency_code,
                billing_frequency=number.cost.billing_frequency,
                purchased_at=number.purchased_at,
                partner=number.partner,
            )
        )

    def get(self, number: str) -> PurchasedNumber | None:
        row = self._c.execute(_BY_NUMBER, {"number": number}).first()
        return None if row is None else _number(row)

    def page(
        self, skip: int, top: int, partner: str | None = None, search: str | None = None
    ) -> list[PurchasedNumber]:
        """Numbers bought from ACS, or with ``partner`` those leased through that partner;
        ``search``: only numbers that contain its digits."""
        column = phone_numbers.c.partner
        query = sa.select(phone_numbers).where(
            column.is_(None) if partner is None else column == partner
        )
        if search:
            query = query.where(number_matches(phone_numbers.c.number, search))
        rows = self._c.execute(query.order_by(phone_numbers.c.number).offset(skip).limit(top))
        return [_number(r) for r in rows]

    def all_numbers(self) -> set[str]:
        return set(self._c.execute(sa.select(phone_numbers.c.number)).scalars())

    def delete(self, number: str) -> bool:
        result = self._c.execute(phone_numbers.delete().where(phone_numbers.c.number == number))
        return result.rowcount > 0

    def update_capabilities(self, number: str, capabilities: Capabilities) -> None:
        self._c.execute(
            phone_numbers.update()
            .where(phone_numbers.c.number == number)
            .values(calling=capabilities.calling.value, sms=capabilities.sms.value)
        )

    def keyword_replies(self, number: str) -> dict[str, str]:
        value = self._c.execute(
            sa.select(phone_numbers.c.keyword_replies).where(phone_numbers.c.number == number)
        ).scalar()
        return dict(value or {})

    def set_keyword_replies(self, number: str, replies: dict[str, str]) -> None:
        self._c.execute(
            phone_numbers.update()
            .where(phone_numbers.c.number == number)
            .values(keyword_replies=replies or None)
        )


def _search(row: sa.Row[Any]) -> NumberSearch:
    return NumberSearch(
        id=row.id,
        country_code=row.country_code,
        number_type=NumberType(row.number_type),
        assignment_type=AssignmentType(row.assignment_type),
        capabilities=Capabilities(Capability(row.calling), Capability(row.sms)),
        area_code=row.area_code,
        quantity=row.quantity,
        numbers=tuple(row.numbers),
        cost=Cost(row.cost_amount, row.currency_code),
        created_at=ensure_utc(row.created_at),
        expires_at=ensure_utc(row.expires_at),
        purchased=bool(row.purchased),
        error_code=row.error_code,
    )


class SqlSearchRepo:
    def __init__(self, connection: sa.Connection) -> None:
        self._c = connection

    def add(self, search: NumberSearch) -> None:
        self._c.execute(
            number_searches.insert().values(
                id=search.id,
                country_code=search.country_code,
                number_type=search.number_type.value,
                assignment_type=search.assignment_type.value,
                calling=search.capabilities.calling.value,
                sms=search.capabilities.sms.value,
                area_code=search.area_code,
                quantity=search.quantity,
                numbers=list(search.numbers),
                cost_amount=search.cost.amount,
                currency_code=search.cost.currency_code,
                created_at=search.created_at,
                expires_at=search.expires_at,
                purchased=search.purchased,
                error_code=search.error_code,
            )
        )

    def get(self, search_id: str) -> NumberSearch | None:
        row = self._c.execute(
            sa.select(number_searches).where(number_searches.c.id == search_id)
        ).first()
        return None if row is None else _search(row)

    def set_result(self, search_id: str, numbers: list[str], error_code: str | None) -> None:
        self._c.execute(
            number_searches.update()
            .where(number_searches.c.id == search_id)
            .values(numbers=numbers, error_code=error_code)
        )

    def mark_purchased(self, search_id: str) -> None:
        self._c.execute(
            number_searches.update().where(number_searches.c.id == search_id).values(purchased=True)
        )

    def prune(self, expired_before: datetime) -> int:
        """Forget searches whose results expired before ``expired_before``."""
        result = self._c.execute(
            number_searches.delete().where(number_searches.c.expires_at < expired_before)
        )
        return int(result.rowcount)

    def reserved_numbers(self, now: datetime) -> set[str]:
        reserved: set[str] = set()
        rows = self._c.execute(
            sa.select(number_searches.c.numbers).where(
                number_searches.c.expires_at > now, number_searches.c.purchased.is_(False)
            )
        )
        for (numbers,) in rows:
            reserved.update(numbers)
        return reserved


def _operation(row: sa.Row[Any]) -> Operation:
    return Operation(
        id=row.id,
        operation_type=row.operation_type,
        status=row.status,
        created_at=ensure_utc(row.created_at),
        last_action_at=None if row.last_action_at is None else ensure_utc(row.last_action_at),
        resource_location=row.resource_location,
        error_code=row.error_code,
        error_message=row.error_message,
        payload=dict(row.payload),
    )


class SqlOperationRepo:
    def __init__(self, connection: sa.Connection) -> None:
        self._c = connection

    def add(self, operation: Operation) -> None:
        self._c.execute(
            operations.insert().values(
                id=operation.id,
                operation_type=operation.operation_type,
                status=operation.status,
                resource_location=operation.resource_location,
                created_at=operation.created_at,
                last_action_at=operation.last_action_at,
                error_code=operation.error_code,
                error_message=operation.error_message,
                payload=operation.payload,
            )
        )

    def get(self, operation_id: str) -> Operation | None:
        row = self._c.execute(sa.select(operations).where(operations.c.id == operation_id)).first()
        return None if row is None else _operation(row)

    def finish(
        self,
        operation_id: str,
        *,
        status: str,
        at: datetime,
        resource_location: str | None = None,
        error_code: str | None = None,
        error_message: str | None = None,
    ) -> None:
        self._c.execute(
            operations.update()
            .where(operations.c.id == operation_id)
            .values(
                status=status,
                last_action_at=at,
                resource_location=resource_location,
                error_code=error_code,
                error_message=error_message,
            )
        )

    def prune(self, finished_before: datetime) -> int:
        """Forget finished operations last touched before ``finished_before``."""
        result = self._c.execute(
            operations.delete().where(
                operations.c.status.in_(["succeeded", "failed"]),
                operations.c.last_action_at < finished_before,
            )
        )
        return int(result.rowcount)

    def delete(self, operation_id: str) -> bool:
        return (
            self._c.execute(operations.delete().where(operations.c.id == operation_id)).rowcount > 0
        )
