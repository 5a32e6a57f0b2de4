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

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
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


_SINGLE = {SmsEncoding.GSM7: 160, SmsEncoding.UCS2: 70}
_CONCATENATED = {SmsEncoding.GSM7: 153, SmsEncoding.UCS2: 67}


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def _width(ch: str, encoding: SmsEncoding) -> int:
    if encoding is SmsEncoding.GSM7:
        return 2 if ch in GSM7_EXTENSION else 1
    return 2 if ord(ch) > 0xFFFF else 1


def analyze(text: str) -> SegmentInfo:
    """Encoding, size and segment count of ``text``."""
    encoding = SmsEncoding.GSM7 if is_gsm7(text) else SmsEncoding.UCS2
    units = sum(_width(ch, encoding) for ch in text)
    if units <= _SINGLE[encoding]:
        return SegmentInfo(encoding, units, 1, _SINGLE[encoding])
    return SegmentInfo(encoding, units, len(split_segments(text)), _CONCATENATED[encoding])


def split_segments(text: str) -> list[str]:
    """The text of each segment; ``"".join(split_segments(t)) == t``."""
    encoding = SmsEncoding.GSM7 if is_gsm7(text) else SmsEncoding.UCS2
    widths = [_width(ch, encoding) for ch in text]
    if sum(widths) <= _SINGLE[encoding]:
        return [text]
    capacity = _CONCATENATED[encoding]
    segments: list[str] = []
    start = used = 0
    for index, width in enumerate(widths):
        # A character is never split: an ESC pair or a surrogate pair that would straddle the
        # boundary moves whole into the next segment.
        if used + width > capacity:
            segments.append(text[start:index])
            start, used = index, 0
        used += width
    segments.append(text[start:])
    return segments
