import pytest

from tidings.domain.encoding import SmsEncoding, analyze, is_gsm7, split_segments


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("", SmsEncoding.GSM7, 0, 1),
        ("a" * 160, SmsEncoding.GSM7, 160, 1),
        ("a" * 161, SmsEncoding.GSM7, 161, 2),
        ("a" * 306, SmsEncoding.GSM7, 306, 2),
        ("a" * 307, SmsEncoding.GSM7, 307, 3),
        ("€" * 80, SmsEncoding.GSM7, 160, 1),  # extension characters take two septets
        ("€" * 81, SmsEncoding.GSM7, 162, 2),
        ("Ciao è già ora? £5 @ 10€", SmsEncoding.GSM7, 25, 1),
        ("ж" * 70, SmsEncoding.UCS2, 70, 1),
        ("ж" * 71, SmsEncoding.UCS2, 71, 2),
        ("ж" * 134, SmsEncoding.UCS2, 134, 2),
        ("ж" * 135, SmsEncoding.UCS2, 135, 3),
        ("😀" * 35, SmsEncoding.UCS2, 70, 1),  # surrogate pairs count two
        ("😀" * 36, SmsEncoding.UCS2, 72, 2),
        ("a" * 159 + "😀", SmsEncoding.UCS2, 161, 3),  # one emoji forces UCS-2
    ],
)
def test_analyze(text: str, encoding: SmsEncoding, units: int, segments: int) -> None:
    info = analyze(text)
    assert (info.encoding, info.units, info.segment_count) == (encoding, units, segments)
    assert len(split_segments(text)) == segments


def test_escape_pair_is_not_split_across_segments() -> None:
    text = "a" * 152 + "€" + "b" * 10  # the € would straddle septets 153/154
    parts = split_segments(text)
    assert parts[0] == "a" * 152
    assert parts[1].startswith("€")
    assert "".join(parts) == text


def test_surrogate_pair_is_not_split_across_segments() -> None:
    text = "ж" * 66 + "😀" + "ж" * 10  # the emoji would straddle units 67/68
    parts = split_segments(text)
    assert parts[0] == "ж" * 66
    assert parts[1].startswith("😀")
    assert "".join(parts) == text


@pytest.mark.parametrize("text", ["a" * 1000, "€x" * 300, "жж😀" * 200, "hello"])
def test_segments_fit_and_round_trip(text: str) -> None:
    info = analyze(text)
    parts = split_segments(text)
    assert "".join(parts) == text
    for part in parts:
        assert analyze(part).units <= (info.units_per_segment if len(parts) > 1 else 160)


def test_is_gsm7() -> None:
    assert is_gsm7("Hello {world} [x] ~ | ^ \\ €")
    assert not is_gsm7("naïve")  # ï is not in the GSM table
    assert not is_gsm7("`")
