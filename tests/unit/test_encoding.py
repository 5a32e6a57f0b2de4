import pytest

from tidings.domain.encoding import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    SegmentInfo,
    SmsEncoding,
    analyze,
    is_gsm7,
    split_segments,
)

GSM, UCS = SmsEncoding.GSM7, SmsEncoding.UCS2
EMOJI = "😀"  # outside the BMP: one surrogate pair, two UTF-16 units


def _units(text: str, encoding: SmsEncoding) -> int:
    """Independent count: septets (ESC pairs = 2) or UTF-16 code units."""
    if encoding is GSM:
        return sum(2 if ch in "^{}\\[~]|€\f" else 1 for ch in text)
    return len(text.encode("utf-16-le")) // 2


def test_tables() -> None:
    assert len(GSM7_BASIC) == 127  # + ESC = 128 codes
    assert frozenset("^{}\\[~]|€\f") == GSM7_EXTENSION
    assert not GSM7_BASIC & GSM7_EXTENSION


@pytest.mark.parametrize(
    ("text", "info"),
    [
        ("", SegmentInfo(GSM, 0, 1, 160)),
        ("a", SegmentInfo(GSM, 1, 1, 160)),
        ("a" * 160, SegmentInfo(GSM, 160, 1, 160)),
        ("a" * 161, SegmentInfo(GSM, 161, 2, 153)),
        ("a" * 306, SegmentInfo(GSM, 306, 2, 153)),
        ("a" * 307, SegmentInfo(GSM, 307, 3, 153)),
        ("a" * 459, SegmentInfo(GSM, 459, 3, 153)),
        ("a" * 460, SegmentInfo(GSM, 460, 4, 153)),
        ("€" * 80, SegmentInfo(GSM, 160, 1, 160)),  # extension characters take two septets
        ("€" * 81, SegmentInfo(GSM, 162, 2, 153)),
        ("a" * 159 + "€", SegmentInfo(GSM, 161, 2, 153)),
        ("a" * 158 + "{", SegmentInfo(GSM, 160, 1, 160)),
        ("\f" * 80, SegmentInfo(GSM, 160, 1, 160)),
        ("^{}\\[~]|€\f", SegmentInfo(GSM, 20, 1, 160)),
        ("Ciao è già ora? £5 @ 10€", SegmentInfo(GSM, 25, 1, 160)),
        ("ж" * 70, SegmentInfo(UCS, 70, 1, 70)),
        ("ж" * 71, SegmentInfo(UCS, 71, 2, 67)),
        ("ж" * 134, SegmentInfo(UCS, 134, 2, 67)),
        ("ж" * 135, SegmentInfo(UCS, 135, 3, 67)),
        (EMOJI * 35, SegmentInfo(UCS, 70, 1, 70)),  # surrogate pairs count two
        (EMOJI * 36, SegmentInfo(UCS, 72, 2, 67)),
        ("a" * 69 + EMOJI, SegmentInfo(UCS, 71, 2, 67)),  # one emoji forces UCS-2
        ("a" * 159 + EMOJI, SegmentInfo(UCS, 161, 3, 67)),
        ("€" * 10 + "ж", SegmentInfo(UCS, 11, 1, 70)),  # € is one unit in UCS-2
        ("naïve", SegmentInfo(UCS, 5, 1, 70)),
        ("ç", SegmentInfo(UCS, 1, 1, 70)),  # only capital Ç is in the GSM table
        ("`", SegmentInfo(UCS, 1, 1, 70)),
        # Pairs pushed past boundaries can cost a segment beyond ceil(units / capacity):
        ("a" * 152 + "€" * 77, SegmentInfo(GSM, 306, 3, 153)),
        ("ж" * 66 + EMOJI * 34, SegmentInfo(UCS, 134, 3, 67)),
    ],
)
def test_analyze(text: str, info: SegmentInfo) -> None:
    assert analyze(text) == info
    assert len(split_segments(text)) == info.segment_count


@pytest.mark.parametrize(
    ("text", "lengths"),
    [
        ("", [0]),
        ("a" * 160, [160]),
        ("a" * 161, [153, 8]),
        ("a" * 307, [153, 153, 1]),
        ("ж" * 71, [67, 4]),
        ("ж" * 135, [67, 67, 1]),
    ],
)
def test_split_lengths(text: str, lengths: list[int]) -> None:
    assert [len(part) for part in split_segments(text)] == lengths


def test_escape_pair_is_not_split_across_segments() -> None:
    text = "a" * 152 + "€" + "b" * 10  # the € would straddle septets 153/154
    parts = split_segments(text)
    assert parts == ["a" * 152, "€" + "b" * 10]


def test_escape_pair_exactly_filling_a_segment_stays() -> None:
    text = "a" * 151 + "€" + "b" * 10  # the € takes septets 152-153
    assert split_segments(text) == ["a" * 151 + "€", "b" * 10]


def test_escape_pair_at_a_later_boundary() -> None:
    text = "a" * 153 + "a" * 152 + "]" + "b"
    assert split_segments(text) == ["a" * 153, "a" * 152, "]b"]


def test_surrogate_pair_is_not_split_across_segments() -> None:
    text = "ж" * 66 + EMOJI + "ж" * 10  # the emoji would straddle units 67/68
    parts = split_segments(text)
    assert parts == ["ж" * 66, EMOJI + "ж" * 10]
    assert all(_units(part, UCS) <= 67 for part in parts)


def test_surrogate_pair_exactly_filling_a_segment_stays() -> None:
    text = "ж" * 65 + EMOJI + "ж" * 10
    assert split_segments(text) == ["ж" * 65 + EMOJI, "ж" * 10]


@pytest.mark.parametrize(
    "text",
    [
        "hello",
        "a" * 1000,
        "€x" * 300,
        "x€" * 300,
        "жж" + EMOJI * 200,
        "a" * 500 + EMOJI,  # mostly GSM characters, but sent (and split) as UCS-2
        EMOJI + "€" * 300,
        "Line one\nLine two\r\n" * 40,
    ],
)
def test_segments_fit_and_round_trip(text: str) -> None:
    info = analyze(text)
    parts = split_segments(text)
    assert "".join(parts) == text
    assert len(parts) == info.segment_count
    assert info.units == _units(text, info.encoding)
    assert all(part for part in parts) or text == ""
    for part in parts:  # counted in the message's encoding, not the part's own
        assert _units(part, info.encoding) <= info.units_per_segment


def test_is_gsm7() -> None:
    assert is_gsm7("")
    assert is_gsm7("".join(GSM7_BASIC) + "".join(GSM7_EXTENSION))
    assert is_gsm7("Hello {world} [x] ~ | ^ \\ €")
    assert not is_gsm7("naïve")  # ï is not in the GSM table
    assert not is_gsm7("`")
    assert not is_gsm7("hi " + EMOJI)
    assert not is_gsm7("\t")


def test_counted_units_agree_with_the_per_character_widths() -> None:
    """``analyze`` counts units without a list per character; the two must agree, on random
    texts mixing the basic table, the extension table, the BMP and beyond it."""
    import random

    from tidings.domain.encoding import _encoding, _units, _widths

    pools = [
        "".join(sorted(GSM7_BASIC)),
        "".join(sorted(GSM7_BASIC)) + "^{}\\[~]|€\f",
        "abc€ßçΩ漢字",
        "ab" + EMOJI + "\U0001f680c",
    ]
    rng = random.Random(7)
    for _ in range(2000):
        pool = rng.choice(pools)
        text = "".join(rng.choice(pool) for _ in range(rng.randint(0, 400)))
        encoding = _encoding(text)
        assert _units(text, encoding) == sum(_widths(text, encoding))
        assert analyze(text).units == sum(_widths(text, encoding))
