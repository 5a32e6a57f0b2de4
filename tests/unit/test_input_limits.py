"""The shared input guards: JSON depth, host spellings, linear-time patterns."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tidings.domain import json_input, patterns
from tidings.domain.addresses import canonical_host
from tidings.domain.simulator import script_reply
from tidings.errors import InvalidInput

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\ab', max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=60,
)


def _depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    return 0


@settings(max_examples=300, deadline=None)
@given(_JSON, st.integers(min_value=0, max_value=8))
def test_depth_check_agrees_with_the_structure(value: Any, limit: int) -> None:
    raw = json.dumps(value).encode()
    assert json_input.depth_exceeds(raw, limit) is (_depth(value) > limit)


def test_depth_limit_and_the_decoder() -> None:
    limit = json_input.MAX_DEPTH
    assert json_input.decode(b"[" * limit + b"]" * limit) is not None
    for deep in (
        b"[" * (limit + 1) + b"]" * (limit + 1),
        b'{"a":' + b"[" * 990 + b"]" * 990 + b"}",
    ):
        with pytest.raises(InvalidInput, match="nested more than"):
            json_input.decode(deep)
    unbalanced = b"[" * 5000
    with pytest.raises(InvalidInput):
        json_input.decode(unbalanced)
    assert json_input.decode(json.dumps({"s": "[" * 5000 + '\\"{'}).encode())["s"].startswith("[[")


def test_decode_errors_are_invalid_input() -> None:
    with pytest.raises(InvalidInput, match="not valid JSON"):
        json_input.decode(b"{nope")
    with pytest.raises(InvalidInput, match=r"got `str`"):
        json_input.decode(b'{"n": "x"}', dict[str, int])
    assert json_input.decode(b"  ", empty=b"{}") == {}


@pytest.mark.parametrize(
    ("host", "canonical"),
    [
        ("example.com", "example.com"),
        ("ＥＸＡＭＰＬＥ.com", "example.com"),
        ("bücher.de", "xn--bcher-kva.de"),
        ("93.184.216.34", "93.184.216.34"),
        ("::ffff:127.0.0.1", "::ffff:7f00:1"),
        ("[::1]", "::1"),
    ],
)
def test_canonical_hosts(host: str, canonical: str) -> None:
    assert canonical_host(host) == canonical


@pytest.mark.parametrize(
    "host",
    [
        "１２７.０.０.１",
        "127。0。0。1",
        "2130706433",
        "0x7f000001",
        "0x7f.1",
        "017700000001",
        "127.1",
        "a..b",
        "-" * 64 + ".com",
    ],
)
def test_ambiguous_hosts_are_refused(host: str) -> None:
    with pytest.raises(InvalidInput):
        canonical_host(host)


@pytest.mark.parametrize("pattern", ["(a+)+$", "(a|aa)+$", "(a*)*b", "(x+x+)+y"])
def test_patterns_run_in_linear_time(pattern: str) -> None:
    started = time.perf_counter()
    for n in (30, 3000, 30000):
        assert not patterns.search(pattern, "a" * n + "!")
    assert time.perf_counter() - started < 1.0


def test_patterns_keep_their_meaning() -> None:
    assert patterns.search("appoint(ment)?", "Your APPOINTMENT", ignore_case=True)
    assert not patterns.search("appoint(ment)?", "Your APPOINTMENT")
    assert patterns.search(r"^\d{4}$", "1234") and not patterns.search(r"^\d{4}$", "12345")


def test_a_stored_pattern_re2_refuses_matches_nothing() -> None:
    script = [{"match": "(a)\\1", "reply": "x"}, {"match": "a", "reply": "y"}]
    assert script_reply(script, "aa") == ("y", 0.0)


def test_every_json_decoder_is_the_shared_one() -> None:
    """JSON from outside is decoded only by ``domain/json_input.py`` (depth limit, errors as
    400s); only the storage adapters and the record of running servers (``installations.py``)
    decode JSON directly, and that is Tidings' own."""
    root = Path(__file__).resolve().parents[2] / "src" / "tidings"
    decoders = re.compile(r"msgspec\.json\.decode|json\.loads?\(|msgspec\.json\.Decoder")
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if decoders.search(path.read_text())
        and path.relative_to(root).parts[0] != "storage"
        and path.name not in ("json_input.py", "installations.py")
    ]
    assert offenders == []
