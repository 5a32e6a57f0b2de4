"""The simulated carrier network's values and rules: handsets, inbox lines, delivery rules.

A rule matches a recipient by E.164 prefix (``+1555000``) or glob (``+1555000019?``, ``*``);
the first matching rule decides the outcome and how long the carrier takes to report it.
The rules a new installation starts with are seeded by migration 0001 (docs/simulator.md).
Rule patterns are at most 64 characters of ``RULE_CHARACTERS`` and are matched against E.164
numbers (at most 16 characters), so a match is bounded work whatever the pattern.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from tidings.domain import patterns
from tidings.domain.messages import DeliveryCode


class Outcome(StrEnum):
    DELIVER = "deliver"  # delivered after delay_seconds
    LATE = "late"  # a first attempt fails, a retry delivers after delay_seconds
    FAIL = "fail"  # failed, with ``code`` (default 5000)
    UNREACHABLE = "unreachable"  # three attempts fail, code 4006
    NOT_EXIST = "notExist"  # 4004
    BLOCKED = "blocked"  # 4005, blocked by carrier
    NO_REPORT = "noReport"  # the carrier never reports


@dataclass(frozen=True)
class HandsetMessage:
    id: int
    handset: str
    direction: str  # received | sent
    peer: str
    body: str
    message_id: str | None
    at: datetime


@dataclass(frozen=True)
class Handset:
    number: str
    created_at: datetime
    script: list[dict[str, Any]]


#: What a carrier rule's pattern may hold: digits, ``+`` and the glob characters.
RULE_CHARACTERS = frozenset("0123456789+*?[]!-")


@dataclass(frozen=True)
class CarrierRule:
    pattern: str
    outcome: str
    delay_seconds: float
    code: int | None

    def matches(self, recipient: str) -> bool:
        if any(ch in self.pattern for ch in "*?["):
            return fnmatch.fnmatchcase(recipient, self.pattern)
        return recipient.startswith(self.pattern)


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    delay_seconds: float
    code: int


_CODES = {
    Outcome.DELIVER: DeliveryCode.DELIVERED,
    Outcome.LATE: DeliveryCode.DELIVERED,
    Outcome.FAIL: DeliveryCode.FAILED,
    Outcome.UNREACHABLE: DeliveryCode.UNREACHABLE,
    Outcome.NOT_EXIST: DeliveryCode.NOT_EXIST,
    Outcome.BLOCKED: DeliveryCode.BLOCKED_BY_CARRIER,
    Outcome.NO_REPORT: DeliveryCode.NO_CARRIER_REPORT,
}


def decide(rules: list[CarrierRule], recipient: str, default_delay: float) -> Decision:
    """The fate of a message to ``recipient``: the first matching rule, else delivery."""
    for rule in rules:
        if rule.matches(recipient):
            outcome = Outcome(rule.outcome)
            return Decision(outcome, rule.delay_seconds, rule.code or _CODES[outcome])
    return Decision(Outcome.DELIVER, default_delay, DeliveryCode.DELIVERED)


def script_reply(script: list[dict[str, Any]], received: str) -> tuple[str, float] | None:
    """The scripted answer of a handset to a message it received, if any rule matches.

    A script is a list of ``{"match": <regex, case-insensitive>, "reply": <text>,
    "delaySeconds": <float>}``; the first rule whose regex is found in the text answers.
    Patterns run in RE2 (``domain/patterns.py``): linear time, whatever the pattern.
    """
    for rule in script:
        pattern = str(rule.get("match", ".*"))
        if patterns.search(pattern, received, ignore_case=True):
            return str(rule.get("reply", "")), float(rule.get("delaySeconds", 0.0))
    return None
