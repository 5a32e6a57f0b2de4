"""Carriers: the route to handsets, where they hand what they receive, and the simulated
network's handsets and delivery rules."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from tidings.domain.messages import (
    CarrierInbound,
    CarrierReport,
    OutboundSms,
)
from tidings.domain.simulator import CarrierRule, Handset, HandsetMessage
from tidings.errors import CarrierError


@dataclass(frozen=True)
class SubmitResult:
    """A carrier's answer to a submission: its own id for the message, and which carrier
    took it (set by the router; None means the carrier that was asked)."""

    carrier_message_id: str
    carrier: str | None = None


class CarrierSink(Protocol):
    """Where a carrier hands what it receives: delivery reports and inbound messages.

    Both are called from the carrier's own task; implementations persist durably before
    returning, so a carrier may acknowledge upstream once the call returns.
    """

    async def delivery_reports(self, reports: Sequence[CarrierReport]) -> None: ...

    async def inbound(self, message: CarrierInbound) -> None: ...


class Carrier(Protocol):
    """A route to handsets.

    ``submit`` hands the carrier a batch and returns, for each message in order, the
    carrier's receipt or the ``CarrierError`` it refused that message with.
    """

    name: str

    async def submit(
        self, messages: Sequence[OutboundSms]
    ) -> list[SubmitResult | CarrierError]: ...

    async def start(self, sink: CarrierSink) -> None: ...

    async def run_due(self) -> int:
        """Do the carrier's own due background work; return how much was done."""
        ...

    async def aclose(self) -> None: ...


class HandsetRepo(Protocol):
    def ensure(self, number: str, now: datetime) -> None: ...

    def get(self, number: str) -> Handset | None: ...

    def ensure_many(self, numbers: set[str], now: datetime) -> None: ...

    def scripts(self, numbers: set[str]) -> dict[str, list[dict[str, Any]]]: ...

    def record_many(self, rows: list[HandsetMessage]) -> None: ...

    def page(self, limit: int, offset: int, search: str | None = None) -> list[Handset]: ...

    def set_script(self, number: str, script: list[dict[str, Any]]) -> None: ...

    def record(
        self,
        handset: str,
        direction: str,
        peer: str,
        body: str,
        message_id: str | None,
        at: datetime,
    ) -> None: ...

    def messages(self, handset: str, after_id: int, limit: int) -> list[HandsetMessage]: ...


class CarrierRuleRepo(Protocol):
    def all(self) -> list[CarrierRule]: ...

    def replace(self, rules: list[CarrierRule]) -> None: ...


class WithHandsets(Protocol):
    @property
    def handsets(self) -> HandsetRepo: ...


class WithCarrierRules(Protocol):
    @property
    def carrier_rules(self) -> CarrierRuleRepo: ...
