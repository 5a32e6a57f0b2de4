"""What goes into ``submit_sm``: data_coding, the octets of each part, UDH or SAR TLVs (pure).

The carrier's ``encoding`` option picks the coding of text that fits it (``gsm7`` unpacked
septets, one per octet, the SMPP default; ``gsm7-packed``; ``latin1``; ``ucs2``); text the
coding cannot carry goes as UCS-2. A long message is split as ACS counts it (153 GSM-7
septets or 67 UCS-2 units per part with an 8-bit reference header, 152/66 with a 16-bit one)
and each part carries a user data header (``udh8``/``udh16``, esm_class 0x40) or the SAR
TLVs (``sar``); with ``payload`` the whole text goes in one ``message_payload`` TLV and the
SMSC splits it. Inbound: ``decode_text`` and ``split_udh`` undo the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import gsm0338  # noqa: F401 - registers the "gsm03.38" codec

from tidings.domain.encoding import SmsEncoding, is_gsm7, split_to_capacity

DC_DEFAULT, DC_IA5, DC_BINARY, DC_LATIN1, DC_BINARY2, DC_UCS2 = 0x00, 0x01, 0x02, 0x03, 0x04, 0x08
ESM_UDHI = 0x40
TLV_SAR_MSG_REF_NUM = 0x020C
TLV_SAR_TOTAL_SEGMENTS = 0x020E
TLV_SAR_SEGMENT_SEQNUM = 0x020F
TLV_MESSAGE_PAYLOAD = 0x0424
GSM = "gsm03.38"

#: (single part, each part of a long one) per coding and long-message method.
_CAPACITY = {
    ("gsm7", "udh8"): (160, 153),
    ("gsm7", "sar"): (160, 153),
    ("gsm7", "udh16"): (160, 152),
    ("ucs2", "udh8"): (70, 67),
    ("ucs2", "sar"): (70, 67),
    ("ucs2", "udh16"): (70, 66),
    ("latin1", "udh8"): (140, 134),
    ("latin1", "sar"): (140, 134),
    ("latin1", "udh16"): (140, 133),
}


@dataclass(frozen=True)
class SubmitPart:
    """One ``submit_sm``'s message fields."""

    short_message: bytes
    data_coding: int
    esm_class: int
    tlvs: tuple[tuple[int, bytes], ...] = ()


#: Text made only of the characters GSM 03.38 codes as ASCII does (letters, digits, space,
#: CR, LF and ``!"#%&'()*+,-./:;<=>?``): its GSM-7 septets are its ASCII bytes, one each
#: (most messages; the codec's per-character Python costs tens of microseconds a message).
_SAME_AS_ASCII = re.compile(r"[ -#%-?A-Za-z\n\r]*")
_SAME_AS_ASCII_OCTETS = re.compile(rb"[ -#%-?A-Za-z\n\r]*")


def coding_for(text: str, encoding: str) -> str:
    """``gsm7`` / ``gsm7-packed`` / ``latin1`` / ``ucs2``: what ``text`` is sent in."""
    if encoding in ("gsm7", "gsm7-packed"):
        return encoding if _SAME_AS_ASCII.fullmatch(text) or is_gsm7(text) else "ucs2"
    if encoding == "latin1":
        try:
            text.encode("latin-1")
        except UnicodeEncodeError:
            return "ucs2"
        return "latin1"
    return "ucs2"


def encode_text(text: str, coding: str, *, fill_bits: int = 0) -> bytes:
    if coding == "gsm7":
        return gsm_septets(text)
    if coding == "gsm7-packed":
        return pack_septets(gsm_septets(text), fill_bits)
    if coding == "latin1":
        return text.encode("latin-1")
    return text.encode("utf-16-be", "surrogatepass")


def gsm_septets(text: str) -> bytes:
    """GSM 03.38 septets, one an octet (escapes for the extension table included)."""
    if _SAME_AS_ASCII.fullmatch(text):
        return text.encode("ascii")
    return text.encode(GSM)


def data_coding(coding: str) -> int:
    return {"gsm7": DC_DEFAULT, "gsm7-packed": DC_DEFAULT, "latin1": DC_LATIN1}.get(coding, DC_UCS2)


def split_text(text: str, coding: str, long_messages: str) -> list[str]:
    """The text of each part (one for ``payload``)."""
    if long_messages == "payload":
        return [text]
    base = "gsm7" if coding == "gsm7-packed" else coding
    single, each = _CAPACITY[(base, long_messages)]
    if base == "gsm7" and len(text) <= single and _SAME_AS_ASCII.fullmatch(text):
        return [text]  # one septet a character, and they fit
    kind = SmsEncoding.GSM7 if base == "gsm7" else SmsEncoding.UCS2
    if base == "latin1":
        # One octet a character: widths of 1, which GSM-7 counting gives for basic characters.
        return (
            [text[i : i + each] for i in range(0, len(text), each)]
            if len(text) > single
            else [text]
        )
    return split_to_capacity(text, kind, single, each)


def encode_message(text: str, encoding: str, long_messages: str, ref: int) -> list[SubmitPart]:
    """The ``submit_sm`` parts of ``text``; ``ref`` (0..65535) identifies a long message."""
    coding = coding_for(text, encoding)
    dc = data_coding(coding)
    if long_messages == "payload":
        return [SubmitPart(b"", dc, 0, ((TLV_MESSAGE_PAYLOAD, encode_text(text, coding)),))]
    parts = split_text(text, coding, long_messages)
    if len(parts) == 1:
        return [SubmitPart(encode_text(text, coding), dc, 0)]
    total = len(parts)
    out: list[SubmitPart] = []
    for seq, part in enumerate(parts, start=1):
        if long_messages == "sar":
            tlvs = (
                (TLV_SAR_MSG_REF_NUM, (ref & 0xFFFF).to_bytes(2, "big")),
                (TLV_SAR_TOTAL_SEGMENTS, bytes([total])),
                (TLV_SAR_SEGMENT_SEQNUM, bytes([seq])),
            )
            out.append(SubmitPart(encode_text(part, coding), dc, 0, tlvs))
            continue
        if long_messages == "udh16":
            udh = bytes([6, 0x08, 4, (ref >> 8) & 0xFF, ref & 0xFF, total, seq])
        else:
            udh = bytes([5, 0x00, 3, ref & 0xFF, total, seq])
        fill = (7 - (len(udh) * 8) % 7) % 7
        out.append(SubmitPart(udh + encode_text(part, coding, fill_bits=fill), dc, ESM_UDHI))
    return out


def pack_septets(septets: bytes, fill_bits: int = 0) -> bytes:
    """GSM 03.38 packing: 8 septets in 7 octets, after ``fill_bits`` zero bits (UDH padding)."""
    acc = 0
    bits = fill_bits
    out = bytearray()
    for s in septets:
        acc |= (s & 0x7F) << bits
        bits += 7
        while bits >= 8:
            out.append(acc & 0xFF)
            acc >>= 8
            bits -= 8
    if bits:
        out.append(acc & 0xFF)
    return bytes(out)


def unpack_septets(data: bytes, fill_bits: int = 0) -> bytes:
    count = (len(data) * 8 - fill_bits) // 7
    value = int.from_bytes(data, "little") >> fill_bits
    return bytes((value >> (7 * i)) & 0x7F for i in range(count))


def decode_text(data: bytes, dc: int) -> str:
    """Text of an inbound message (``deliver_sm``) in data_coding ``dc``."""
    coding = dc & 0x0F if dc & 0xF0 in (0xF0,) else dc
    if coding == DC_UCS2:
        return data.decode("utf-16-be", "replace")
    if coding in (DC_LATIN1, DC_BINARY, DC_BINARY2):
        return data.decode("latin-1")
    if coding == DC_IA5:
        return data.decode("ascii", "replace")
    if _SAME_AS_ASCII_OCTETS.fullmatch(data):
        return data.decode("ascii")
    try:
        return data.decode(GSM)
    except UnicodeDecodeError:
        return data.decode("latin-1")


@dataclass(frozen=True)
class Concatenation:
    ref: int
    total: int
    seq: int


def split_udh(data: bytes) -> tuple[Concatenation | None, bytes]:
    """A user data header's concatenation element (IEI 0x00 or 0x08) and the text octets.

    Other elements (port addressing, ...) are skipped, whatever their order."""
    if not data:
        return None, data
    length = data[0]
    header, rest = data[1 : 1 + length], data[1 + length :]
    found: Concatenation | None = None
    i = 0
    while i + 1 < len(header):
        iei, ielen = header[i], header[i + 1]
        value = header[i + 2 : i + 2 + ielen]
        if iei == 0x00 and ielen == 3 and len(value) == 3:
            found = Concatenation(value[0], value[1], value[2])
        elif iei == 0x08 and ielen == 4 and len(value) == 4:
            found = Concatenation((value[0] << 8) | value[1], value[2], value[3])
        i += 2 + ielen
    return found, rest
