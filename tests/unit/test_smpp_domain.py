"""SMPP domain: options, addressing, status classes, encoding, receipts, flow control."""

from __future__ import annotations

import random
import re
from unittest import mock

import pytest

from tidings.domain import smpp_encoding
from tidings.domain.encoding import split_segments
from tidings.domain.smpp import (
    SubmitVerdict,
    address,
    bind_plan,
    classify_submit_status,
    inbound_number,
    parse_smpp_options,
    submit_failure_details,
)
from tidings.domain.smpp_encoding import (
    _SAME_AS_ASCII,
    GSM,
    SubmitPart,
    decode_text,
    encode_message,
    gsm_septets,
    pack_septets,
    split_udh,
    unpack_septets,
)
from tidings.domain.smpp_flow import Throttle, TokenBucket, backoff
from tidings.domain.smpp_receipts import (
    _general_fields,
    id_candidates,
    normalize_id,
    parse_fields,
    parse_receipt,
)

BASE = {"host": "smsc", "port": 2775, "system_id": "ACME1", "password": "pw"}


def test_options_defaults_and_errors_name_the_field() -> None:
    o = parse_smpp_options(BASE)
    assert (o.bind, o.window, o.encoding, o.long_messages) == ("transceiver", 10, "gsm7", "udh8")
    cases: list[tuple[dict[str, object], str]] = [
        ({"port": 0}, "port"),
        ({"window": "10"}, "window"),
        ({"bind": "both"}, "bind"),
        ({"tls": 1}, "tls"),
        ({"password": "123456789"}, "password"),
        ({"colour": "red"}, "colour"),
        ({"throughput": True}, "throughput"),
    ]
    for bad, field in cases:
        with pytest.raises(ValueError, match=f"^{field}:"):
            parse_smpp_options({**BASE, **bad})
    with pytest.raises(ValueError, match=r"^host: required"):
        parse_smpp_options({**BASE, "host": ""})


def test_bind_plan_names() -> None:
    plan = bind_plan(parse_smpp_options({**BASE, "bind": "pair", "binds": 2}))
    assert [s.name for s in plan] == ["0:tx", "0:rx", "1:tx", "1:rx"]


def test_addresses_by_kind() -> None:
    assert address("+14255550100") == address("14255550100")
    assert (address("+14255550100").ton, address("+14255550100").npi) == (1, 1)
    assert (address("12345").ton, address("12345").npi) == (3, 0)
    assert (address("ACME").ton, address("ACME").npi) == (5, 0)
    assert inbound_number("14255550100", 1) == "+14255550100"
    assert inbound_number("12345", 3) == "12345"


def test_submit_status_classes() -> None:
    assert classify_submit_status(0x58) is SubmitVerdict.THROTTLED
    assert classify_submit_status(0x14) is SubmitVerdict.THROTTLED
    assert classify_submit_status(0x08) is SubmitVerdict.RETRY
    assert classify_submit_status(0x0B) is SubmitVerdict.FAIL
    assert submit_failure_details(0x0A).startswith(
        "4001: Invalid From number (SMPP ESME_RINVSRCADR"
    )


@pytest.mark.parametrize(
    "text",
    ["a" * 160, "a" * 161, "€" * 80, "€" * 77 + "a", "☕" * 70, "😀" * 40, "x" * 1000],
)
def test_udh8_parts_match_acs_segment_counts(text: str) -> None:
    parts = encode_message(text, "gsm7", "udh8", 9)
    assert len(parts) == len(split_segments(text))


def test_gsm7_packed_with_udh_round_trips() -> None:
    septets = "hello world".encode("gsm03.38")
    assert unpack_septets(pack_septets(septets)) == septets
    parts = encode_message("z" * 200, "gsm7-packed", "udh8", 5)
    concat, rest = split_udh(parts[0].short_message)
    assert concat is not None and (concat.ref, concat.total, concat.seq) == (5, 2, 1)
    assert unpack_septets(rest, 1)[:153] == b"z" * 153  # one fill bit after a 6-octet UDH


def test_latin1_and_fallback_to_ucs2() -> None:
    (part,) = encode_message("café", "latin1", "udh8", 0)
    assert (part.data_coding, part.short_message) == (3, "café".encode("latin-1"))
    (part,) = encode_message("€uro ☕", "latin1", "udh8", 0)
    assert part.data_coding == 8 and decode_text(part.short_message, 8) == "€uro ☕"


def test_udh_other_elements_are_skipped() -> None:
    # A port-addressing element (IEI 0x05) before the 16-bit concatenation element.
    data = bytes([0x0C, 0x05, 0x04, 0, 1, 0, 2, 0x08, 0x04, 0x01, 0x02, 3, 2]) + b"hi"
    concat, rest = split_udh(data)
    assert concat is not None and (concat.ref, concat.total, concat.seq) == (0x102, 3, 2)
    assert rest == b"hi"


def test_receipt_text_and_tlvs() -> None:
    r = parse_receipt(
        "id:0A1B sub:001 dlvrd:000 submit date:2601010000 done date:2601010000 "
        "stat:UNDELIV err:034 Text:hello"
    )
    assert r is not None and (r.smsc_id, r.state, r.error, r.final, r.delivered) == (
        "0A1B",
        "UNDELIV",
        "034",
        True,
        False,
    )
    assert "err 034" in r.details()
    t = parse_receipt("", receipted_message_id="abc\0", message_state=2)
    assert t is not None and t.delivered and t.code == 2000
    e = parse_receipt("id:9 stat:ENROUTE err:000 text:")
    assert e is not None and not e.final
    assert parse_receipt("hello world") is None


def test_id_normalisation() -> None:
    assert normalize_id(" 00AB\0") == "ab"
    assert id_candidates("1A2B") == ("1a2b", "6699")
    assert id_candidates("6699") == ("6699", "26265", "1a2b")


def test_token_bucket_and_throttle() -> None:
    bucket = TokenBucket(10, burst=2, now=0.0)
    assert bucket.take(0.0, 5)[0] == 2
    granted, wait = bucket.take(0.0, 1)
    assert granted == 0 and 0 < wait <= 0.1
    assert bucket.take(0.1, 1)[0] == 1
    assert TokenBucket(0).take(0, 1000) == (1000, 0.0)
    throttle = Throttle(base=1, cap=4)
    assert [throttle.hit(0) for _ in range(4)] == [1, 2, 4, 4]
    throttle.ok()
    assert throttle.hit(10) == 1
    rng = random.Random(1)
    assert all(0.5 <= backoff(0, 1, 60, rng) <= 1 for _ in range(20))
    assert all(30 <= backoff(10, 1, 60, rng) <= 60 for _ in range(20))


USUAL = (
    "id:{id} sub:001 dlvrd:{d} submit date:2612041200 done date:2612041200 stat:{stat} err:{err}"
)


@pytest.mark.parametrize(
    "text",
    [
        USUAL.format(id="1000001", d="001", stat="DELIVRD", err="000") + " text:hello",
        USUAL.format(id="AB12", d="000", stat="UNDELIV", err="001") + " Text:a: b\nc",
        USUAL.format(id="7", d="001", stat="DELIVRD", err="000"),
        USUAL.format(id="7", d="001", stat="DELIVRD", err="000") + " text:",
        USUAL.format(id="", d="", stat="", err=""),
        USUAL.format(id="7", d="001", stat="DELIVRD", err="000").upper() + " TEXT:x",  # keys
        "id:7  sub:001 dlvrd:001 submit date:1 done date:2 stat:DELIVRD err:0",  # 2 spaces
        "stat:DELIVRD id:7 err:000",  # another order
        "id:7 sub:001 dlvrd:001 submit date:1 done date:2 stat:DELIVRD err:0 extra text:x",
    ],
)
def test_the_usual_receipt_spelling_reads_as_the_general_reading(text: str) -> None:
    assert parse_fields(text) == _general_fields(text)


def test_the_ascii_fast_path_encodes_as_the_gsm_codec() -> None:
    """Text the fast path takes encodes to exactly the codec's septets; every other ASCII
    character (``@ $ _ [ ] { } ~ ...``, ESC) goes through the codec."""
    fast = [chr(c) for c in range(128) if _SAME_AS_ASCII.fullmatch(chr(c))]
    assert len(fast) == 85 and "@" not in fast and "$" not in fast and "\x1b" not in fast
    for c in fast:
        assert gsm_septets(c) == c.encode(GSM) == c.encode("ascii")
    for text in ["Your code is 1234.", "a@b $5 under_score [x] {y} ~z", "Line\r\nbreak", ""]:
        assert gsm_septets(text) == text.encode(GSM)
        assert decode_text(text.encode(GSM), 0) == text
        for long_messages in ("udh8", "sar", "payload"):
            parts = encode_message(text * 12, "gsm7-packed", long_messages, 7)
            assert parts == _codec_encoded(text * 12, long_messages)


def _codec_encoded(text: str, long_messages: str) -> list[SubmitPart]:
    """``encode_message`` as it was before the fast path: every character through the codec."""
    with mock.patch.object(smpp_encoding, "_SAME_AS_ASCII", re.compile(r"(?!)")):
        return encode_message(text, "gsm7-packed", long_messages, 7)
