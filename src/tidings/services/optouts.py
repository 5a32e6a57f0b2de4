"""The Opt-Out management API: add, remove and check (sender, recipient) pairs."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from tidings.domain.conversations import OptOutEntry
from tidings.domain.phone import parse_e164, parse_sender, region_of
from tidings.errors import InvalidInput, Unauthenticated
from tidings.ports import OptOutsTx
from tidings.services.context import ServiceContext

MAX_RECIPIENTS = 100
INVALID_RECIPIENT = "Invalid recipient phone number format"


class OptOutAction(StrEnum):
    ADD = "add"
    REMOVE = "remove"
    CHECK = "check"


@dataclass(frozen=True)
class OptOutResult:
    to: str
    http_status_code: int
    is_opted_out: bool | None = None
    error_message: str | None = None


class OptOutService:
    def __init__(self, ctx: ServiceContext[OptOutsTx]) -> None:
        self._ctx = ctx

    def apply(self, action: OptOutAction, sender: str, recipients: list[str]) -> list[OptOutResult]:
        """Run ``action`` for each recipient; per-recipient errors do not fail the request.

        Raises:
            InvalidInput: ``from`` is malformed or the recipient count is out of range.
            Unauthenticated: the resource does not own ``from``.
        """
        parsed_sender = parse_sender(sender)
        if parsed_sender is None:
            raise InvalidInput("from is not a valid number", target="from")
        if not 1 <= len(recipients) <= MAX_RECIPIENTS:
            raise InvalidInput(
                f"Between 1 and {MAX_RECIPIENTS} recipients are required.", target="recipients"
            )
        now = self._ctx.clock.now()

        def run(tx: OptOutsTx) -> list[OptOutResult]:
            if tx.numbers.get(parsed_sender.value) is None:
                raise Unauthenticated(
                    f"The number {parsed_sender.value} is not provisioned for this resource.",
                    code="Unauthorized",
                )
            results: list[OptOutResult] = []
            for to in recipients:
                e164 = parse_e164(to)
                if e164 is None:
                    results.append(OptOutResult(to, 400, error_message=INVALID_RECIPIENT))
                    continue
                if action is OptOutAction.ADD:
                    tx.optouts.add(
                        OptOutEntry(parsed_sender.value, e164, region_of(e164), now, "api")
                    )
                    results.append(OptOutResult(to, 200))
                elif action is OptOutAction.REMOVE:
                    tx.optouts.remove(parsed_sender.value, e164, at=now, source="api")
                    results.append(OptOutResult(to, 200))
                else:
                    blocked = tx.optouts.opted_out(parsed_sender.value, [e164])
                    results.append(OptOutResult(to, 200, is_opted_out=e164 in blocked))
            return results

        if action is OptOutAction.CHECK:
            return self._ctx.store.read(run)
        return self._ctx.store.write(run)

    def entries(
        self, sender: str | None, limit: int, offset: int, search: str | None = None
    ) -> list[OptOutEntry]:
        return self._ctx.store.read(lambda tx: tx.optouts.page(sender, limit, offset, search))
