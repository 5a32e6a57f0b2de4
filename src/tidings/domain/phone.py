"""Phone numbers and sender ids: parsing, E.164 normalisation and classification."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from enum import StrEnum

import phonenumbers

_SHORT_CODE = re.compile(r"^\d{5,6}$")
_ALPHANUMERIC = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$")
_PHONE_LIKE = re.compile(r"^\+?(?=.*\d)[\d ().-]+$")


class SenderKind(StrEnum):
    E164 = "e164"
    SHORT_CODE = "shortCode"
    ALPHANUMERIC = "alphanumeric"


@dataclass(frozen=True)
class Sender:
    value: str
    kind: SenderKind


@functools.lru_cache(maxsize=65536)
def parse_e164(text: str) -> str | None:
    """Return ``text`` in E.164 form if it is a possible ``+``-prefixed number, else ``None``."""
    if not text.startswith("+") or len(text) > 16:
        return None
    try:
        parsed = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return None
    # Possible (right length for the country), not "valid": the 555 ranges that handsets and
    # tests use everywhere are fictional, and ACS itself accepts them.
    if not phonenumbers.is_possible_number(parsed):
        return None
    formatted = str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))
    # E.164 exactly: no spaces or punctuation, and no digit the parser had to drop (in
    # "+112345678901" it reads the second 1 as a national prefix, which E.164 has not).
    return formatted if formatted == text else None


def is_phone_like(text: str) -> bool:
    """Whether ``text`` is written as a phone number at all (digits, an optional leading
    ``+``, spaces and ``().-``), valid or not: ``Ad155500000000000`` is not."""
    return _PHONE_LIKE.match(text) is not None


@functools.lru_cache(maxsize=4096)
def parse_sender(text: str) -> Sender | None:
    """Classify a ``from`` value: E.164 number, 5-6 digit short code or alphanumeric id."""
    if _SHORT_CODE.match(text):
        return Sender(text, SenderKind.SHORT_CODE)
    e164 = parse_e164(text)
    if e164 is not None:
        return Sender(e164, SenderKind.E164)
    if _ALPHANUMERIC.match(text):
        return Sender(text, SenderKind.ALPHANUMERIC)
    return None


def region_of(e164: str) -> str:
    """ISO 3166 region code of an E.164 number (``US``), or ``ZZ`` when unknown."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return "ZZ"
    return str(phonenumbers.region_code_for_number(parsed) or "ZZ")


def digits(number: str) -> str:
    """The number without ``+``: the spelling of event subjects and ``from`` fields."""
    return number.lstrip("+")
