"""Delivery receipts: parsing, SMSC message id normalisation and the ACS mapping (pure).

A receipt comes as a ``deliver_sm`` whose text follows SMPP 3.4 Appendix B
(``id:... sub:... dlvrd:... submit date:... done date:... stat:... err:... text:...``, some
SMSCs write ``Text:``) and/or TLVs (``receipted_message_id``, ``message_state``,
``network_error_code``); the TLVs win where both are present. SMSCs disagree on hex and
decimal ids (Kannel's ``msg-id-type``, Jasmin's ``dlr_msgid``): ``id_candidates`` gives the
forms to look for, the exact one first.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from tidings.domain.messages import DeliveryCode

ESM_RECEIPT_MASK = 0x3C  # message type bits 2-5: 0x04 SMSC receipt, 0x08/0x10 acks, 0x20 notice

#: message_state TLV values (SMPP 3.4 §5.2.28) and the receipt text's stat: names.
STATE_BY_NUMBER = {
    1: "ENROUTE",
    2: "DELIVRD",
    3: "EXPIRED",
    4: "DELETED",
    5: "UNDELIV",
    6: "ACCEPTD",
    7: "UNKNOWN",
    8: "REJECTD",
}
_STATE_ALIASES = {
    "DELIVERED": "DELIVRD",
    "UNDELIVERABLE": "UNDELIV",
    "ACCEPTED": "ACCEPTD",
    "REJECTED": "REJECTD",
}

#: stat -> (final, delivered, ACS deliveryStatusDetails code)
RECEIPT_MAPPING: dict[str, tuple[bool, bool, int]] = {
    "DELIVRD": (True, True, DeliveryCode.DELIVERED),
    "EXPIRED": (True, False, DeliveryCode.UNREACHABLE),
    "DELETED": (True, False, DeliveryCode.FAILED),
    "UNDELIV": (True, False, DeliveryCode.UNREACHABLE),
    "REJECTD": (True, False, DeliveryCode.BLOCKED_BY_CARRIER),
    "UNKNOWN": (True, False, DeliveryCode.UNKNOWN),
    "ENROUTE": (False, False, DeliveryCode.DELIVERED),
    "ACCEPTD": (False, False, DeliveryCode.DELIVERED),
}

_FIELD = re.compile(
    r"(?P<key>id|sub|dlvrd|submit date|done date|stat|err|text)\s*:\s*", re.IGNORECASE
)


@dataclass(frozen=True)
class Receipt:
    smsc_id: str
    state: str  # DELIVRD, UNDELIV, ... (see RECEIPT_MAPPING)
    error: str | None  # the err: field
    network_error: str | None  # network_error_code TLV, hex of its 3 octets

    @property
    def final(self) -> bool:
        return RECEIPT_MAPPING.get(self.state, (True, False, 0))[0]

    @property
    def delivered(self) -> bool:
        return RECEIPT_MAPPING.get(self.state, (True, False, 0))[1]

    @property
    def code(self) -> int:
        return RECEIPT_MAPPING.get(self.state, (True, False, DeliveryCode.UNKNOWN))[2]

    def details(self) -> str:
        """``deliveryStatusDetails``: the ACS text, and the SMSC's stat/err when it failed."""
        base = DeliveryCode.details(self.code)
        if self.delivered:
            return base
        extra = [f"stat {self.state}"]
        if self.error and self.error.strip("0"):
            extra.append(f"err {self.error}")
        if self.network_error:
            extra.append(f"network error {self.network_error}")
        return f"{base} (SMPP receipt {', '.join(extra)})"


#: The receipt text of SMPP 3.4's Appendix B as most SMSCs write it, read in one match.
_USUAL = re.compile(
    r"id:(?P<id>\S*) sub:(?P<sub>\S*) dlvrd:(?P<dlvrd>\S*) submit date:(?P<submit>\S*) "
    r"done date:(?P<done>\S*) stat:(?P<stat>\S*) err:(?P<err>\S*)(?: [Tt]ext:(?P<text>.*))?",
    re.DOTALL,
)


def parse_fields(text: str) -> dict[str, str]:
    """The ``key:value`` fields of receipt text, keys lower-cased (``text`` keeps the rest)."""
    usual = _USUAL.fullmatch(text)
    if usual is not None:  # the common spelling, at a fraction of the general reading's cost
        id_, sub, dlvrd, submit, done, stat, err, rest = usual.groups()
        fields = {
            "id": id_, "sub": sub, "dlvrd": dlvrd, "submit date": submit, "done date": done,
            "stat": stat, "err": err,
        }  # fmt: skip
        if rest is not None:
            fields["text"] = rest
        return fields
    return _general_fields(text)


def _general_fields(text: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    matches = list(_FIELD.finditer(text))
    for index, match in enumerate(matches):
        key = match.group("key").lower()
        if key == "text":
            fields[key] = text[match.end() :]
            break
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        fields.setdefault(key, text[match.end() : end].strip())
    return fields


def parse_receipt(
    text: str,
    *,
    receipted_message_id: str | None = None,
    message_state: int | None = None,
    network_error_code: bytes | None = None,
) -> Receipt | None:
    """A receipt from its text and TLVs, or None if neither names an id and a state."""
    fields = parse_fields(text)
    smsc_id = (receipted_message_id or "").strip("\x00 ") or fields.get("id", "")
    state = STATE_BY_NUMBER.get(message_state or 0) or fields.get("stat", "").upper()
    state = _STATE_ALIASES.get(state, state)
    if not smsc_id or not state:
        return None
    if state not in RECEIPT_MAPPING:
        state = "UNKNOWN"
    net = network_error_code.hex() if network_error_code else None
    return Receipt(smsc_id, state, fields.get("err"), net)


def normalize_id(smsc_id: str) -> str:
    """An SMSC message id as stored: trimmed, lower-case, without leading zeros."""
    cleaned = smsc_id.strip().strip("\x00").lower()
    stripped = cleaned.lstrip("0")
    return stripped or ("0" if cleaned else "")


_HEX = re.compile(r"^[0-9a-f]+$")
_DEC = re.compile(r"^[0-9]+$")


@functools.lru_cache(maxsize=4096)  # a receipt's id is read several times in its batch
def id_candidates(smsc_id: str) -> tuple[str, ...]:
    """The normalised id, then its hex->decimal and decimal->hex readings (when they parse)."""
    exact = normalize_id(smsc_id)
    out = [exact]
    if _HEX.match(exact) and len(exact) <= 16:
        out.append(str(int(exact, 16)))
    if _DEC.match(exact) and len(exact) <= 20:
        out.append(format(int(exact), "x"))
    seen: list[str] = []
    for candidate in out:
        if candidate not in seen:
            seen.append(candidate)
    return tuple(seen)


@dataclass(frozen=True)
class SegmentOutcome:
    delivered: bool
    code: int
    details: str


def aggregate(outcomes: list[SegmentOutcome]) -> SegmentOutcome:
    """One delivery report for a message from its parts: delivered if every part was; else
    the first failed part's code and details."""
    for outcome in outcomes:
        if not outcome.delivered:
            return outcome
    return outcomes[0] if outcomes else SegmentOutcome(False, DeliveryCode.UNKNOWN, "")
