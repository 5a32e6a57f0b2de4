"""SMS encoding detection and segmentation (GSM 03.38 / 3GPP TS 23.038).

A message is sent in GSM-7 when every character is in the GSM basic table or its extension
table (extension characters take two septets: ESC + code); otherwise the whole message is
UCS-2, counted in UTF-16 code units (a character outside the BMP, such as most emoji, takes
two). One segment holds 160 septets or 70 UCS-2 units; a concatenated message spends 6 octets
per segment on the user data header, leaving 153 septets or 67 units. A segment boundary never
splits an ESC pair or a surrogate pair.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

#: The 127 printable characters of the basic table (the 128th code, 0x1B, is ESC).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
#: Extension table characters, each sent as ESC + code (two septets).
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")


class SmsEncoding(StrEnum):
    GSM7 = "GSM-7"
    UCS2 = "UCS-2"


@dataclass(frozen=True)
class SegmentInfo:
    encoding: SmsEncoding
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segment_count: int
    units_per_segment: int


#: Capacity of a lone segment, and of each part of a concatenated message (whose 6-octet user
#: data header costs 7 septets or 3 UCS-2 units).
SINGLE_SEGMENT = {SmsEncoding.GSM7: 160, SmsEncoding.UCS2: 70}
CONCATENATED_SEGMENT = {SmsEncoding.GSM7: 153, SmsEncoding.UCS2: 67}


_GSM7_ALL = GSM7_BASIC | GSM7_EXTENSION


def is_gsm7(text: str) -> bool:
    """Whether ``text`` can be sent in GSM-7 (basic table plus escaped extension table)."""
    return _GSM7_ALL.issuperset(text)


def _units(text: str, encoding: SmsEncoding) -> int:
    """``sum(_widths(text, encoding))``, counted without a list per character."""
    if encoding is SmsEncoding.GSM7:
        if GSM7_BASIC.issuperset(text):
            return len(text)
        return len(text) + sum(text.count(ch) for ch in GSM7_EXTENSION)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _encoding(text: str) -> SmsEncoding:
    return SmsEncoding.GSM7 if is_gsm7(text) else SmsEncoding.UCS2


def _widths(text: str, encoding: SmsEncoding) -> list[int]:
    """Units per character: 2 for an ESC pair (GSM-7) or a surrogate pair (UCS-2), else 1."""
    if encoding is SmsEncoding.GSM7:
        return [2 if ch in GSM7_EXTENSION else 1 for ch in text]
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def _split(text: str, widths: list[int], capacity: int) -> list[str]:
    segments: list[str] = []
    start = used = 0
    for index, width in enumerate(widths):
        # A character is never split: an ESC pair or a surrogate pair that would straddle the
        # boundary moves whole into the next segment (leaving one unit unused).
        if used + width > capacity:
            segments.append(text[start:index])
            start, used = index, 0
        used += width
    segments.append(text[start:])
    return segments


def analyze(text: str) -> SegmentInfo:
    """Encoding, size and segment count of ``text``."""
    encoding = _encoding(text)
    units = _units(text, encoding)
    if units <= SINGLE_SEGMENT[encoding]:
        return SegmentInfo(encoding, units, 1, SINGLE_SEGMENT[encoding])
    widths = _widths(text, encoding)
    capacity = CONCATENATED_SEGMENT[encoding]
    # Not ceil(units / capacity): pairs pushed past a boundary can cost an extra segment.
    return SegmentInfo(encoding, units, len(_split(text, widths, capacity)), capacity)


def split_segments(text: str) -> list[str]:
    """The text of each segment; ``"".join(split_segments(t)) == t``."""
    encoding = _encoding(text)
    widths = _widths(text, encoding)
    if sum(widths) <= SINGLE_SEGMENT[encoding]:
        return [text]
    return _split(text, widths, CONCATENATED_SEGMENT[encoding])


def split_to_capacity(text: str, encoding: SmsEncoding, single: int, capacity: int) -> list[str]:
    """``split_segments`` for other segment sizes (a 16-bit reference header, SMPP's 8-bit
    codings): one part if the text fits ``single`` units, else parts of ``capacity``."""
    widths = _widths(text, encoding)
    if sum(widths) <= single:
        return [text]
    return _split(text, widths, capacity)
