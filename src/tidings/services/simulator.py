"""Virtual handsets of the simulated carrier network, as users and tests drive them.

A handset texts one of our numbers (``text``): the message is recorded in the handset's
history and handed to ``InboundService`` in the same transaction, exactly as a carrier's
inbound message would be. What our numbers send to a handset shows up in its inbox when the
simulated carrier delivers it (see ``carriers/simulator.py``).
"""

from __future__ import annotations

from typing import Any

from tidings.domain.messages import CarrierInbound
from tidings.domain.patterns import compile_pattern
from tidings.domain.phone import parse_e164
from tidings.domain.simulator import (
    RULE_CHARACTERS,
    CarrierRule,
    Handset,
    HandsetMessage,
    Outcome,
)
from tidings.errors import InvalidInput, NotFound
from tidings.ports import SimulatorTx
from tidings.services.context import ServiceContext
from tidings.services.inbound import InboundResult, InboundService

MAX_BODY = 2048
MAX_SCRIPT_RULES = 100
MAX_CARRIER_RULES = 500
MAX_CODE = 9999  # deliveryStatusDetails codes are four digits (2000, 4004, 5000, ...)


def _handset_number(number: str) -> str:
    e164 = parse_e164(number)
    if e164 is None:
        raise InvalidInput(f"{number!r} is not an E.164 phone number.", target="number")
    return e164


def validate_script(script: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if len(script) > MAX_SCRIPT_RULES:
        raise InvalidInput(f"A script has at most {MAX_SCRIPT_RULES} rules.", target="script")
    cleaned: list[dict[str, Any]] = []
    for index, rule in enumerate(script):
        if not isinstance(rule, dict) or not isinstance(rule.get("reply"), str):
            raise InvalidInput(f"script[{index}] needs a string 'reply'.", target="script")
        pattern = rule.get("match", ".*")
        if not isinstance(pattern, str):
            raise InvalidInput(f"script[{index}].match must be a string.", target="script")
        compile_pattern(pattern, ignore_case=True, target=f"script[{index}].match")
        if len(rule["reply"]) > MAX_BODY:
            raise InvalidInput(
                f"script[{index}].reply is longer than {MAX_BODY} characters.", target="script"
            )
        delay = rule.get("delaySeconds", 0)
        if isinstance(delay, bool) or not isinstance(delay, int | float) or not 0 <= delay <= 86400:
            raise InvalidInput(f"script[{index}].delaySeconds must be 0..86400.")
        cleaned.append({"match": str(pattern), "reply": rule["reply"], "delaySeconds": delay})
    return cleaned


class SimulatorService:
    def __init__(self, ctx: ServiceContext[SimulatorTx], inbound: InboundService) -> None:
        self._ctx = ctx
        self._inbound = inbound

    def text(self, handset: str, to: str, body: str) -> InboundResult:
        """The handset ``handset`` sends ``body`` to our number ``to``."""
        number = _handset_number(handset)
        recipient = parse_e164(to) or to
        if not body:
            raise InvalidInput("message must not be empty.", target="message")
        if len(body) > MAX_BODY:
            raise InvalidInput(f"message is longer than {MAX_BODY} characters.", target="message")
        now = self._ctx.clock.now()

        def write(tx: SimulatorTx) -> InboundResult:
            if tx.numbers.get(recipient) is None:
                raise NotFound(f"{to} is not a number of this resource.", target="to")
            tx.handsets.ensure(number, now)
            tx.handsets.record(number, "sent", recipient, body, None, now)
            return self._inbound.receive_in(tx, CarrierInbound(number, recipient, body, now))

        return self._ctx.store.write(write)

    def create(self, handset: str, script: list[dict[str, Any]] | None = None) -> Handset:
        number = _handset_number(handset)
        cleaned = validate_script(script or [])
        now = self._ctx.clock.now()

        def write(tx: SimulatorTx) -> Handset:
            tx.handsets.ensure(number, now)
            if script is not None:
                tx.handsets.set_script(number, cleaned)
            found = tx.handsets.get(number)
            assert found is not None
            return found

        return self._ctx.store.write(write)

    def get(self, handset: str) -> Handset:
        number = _handset_number(handset)
        found = self._ctx.store.read(lambda tx: tx.handsets.get(number))
        if found is None:
            raise NotFound(f"No handset {number}.")
        return found

    def handsets(self, limit: int, offset: int, search: str | None = None) -> list[Handset]:
        return self._ctx.store.read(lambda tx: tx.handsets.page(limit, offset, search))

    def messages(self, handset: str, after_id: int = 0, limit: int = 100) -> list[HandsetMessage]:
        number = _handset_number(handset)
        return self._ctx.store.read(lambda tx: tx.handsets.messages(number, after_id, limit))

    def rules(self) -> list[CarrierRule]:
        return self._ctx.store.read(lambda tx: tx.carrier_rules.all())

    def set_rules(self, rules: list[CarrierRule]) -> list[CarrierRule]:
        if len(rules) > MAX_CARRIER_RULES:
            raise InvalidInput(f"At most {MAX_CARRIER_RULES} carrier rules.", target="rules")
        for index, rule in enumerate(rules):
            if rule.outcome not in {o.value for o in Outcome}:
                raise InvalidInput(
                    f"rules[{index}].outcome must be one of {', '.join(o.value for o in Outcome)}.",
                    target="rules",
                )
            if not rule.pattern or len(rule.pattern) > 64:
                raise InvalidInput(f"rules[{index}].pattern must be 1..64 characters.")
            if not set(rule.pattern) <= RULE_CHARACTERS:
                raise InvalidInput(
                    f"rules[{index}].pattern may hold only digits, '+' and the glob characters "
                    "* ? [ ] ! -.",
                    target="rules",
                )
            if not 0 <= rule.delay_seconds <= 86400:
                raise InvalidInput(f"rules[{index}].delaySeconds must be 0..86400.")
            if rule.code is not None and not 1 <= rule.code <= MAX_CODE:
                raise InvalidInput(f"rules[{index}].code must be 1..{MAX_CODE}.", target="rules")
        self._ctx.store.write(lambda tx: tx.carrier_rules.replace(rules))
        return rules
