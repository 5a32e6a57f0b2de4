"""Conversation figures from pieces, against a direct reading of their definition."""

from __future__ import annotations

import random
import uuid

import numpy as np
import pytest

from tidings.domain.conversation_stats import (
    ConversationStats,
    Int64s,
    arrays,
    conversation_key,
    conversation_stats,
    decode,
    encode,
)

Msg = tuple[int, str, int]  # (conversation key, "out" | "in", epoch ms)


def reference(messages: list[Msg], outbound_only: bool) -> tuple[int, int, list[int]]:
    """The definition, one conversation at a time: (active, started, sorted waits)."""
    keys = {k for k, _, _ in messages}
    waits: list[int] = []
    active = started = 0
    for key in keys:
        mine = [(d, t) for k, d, t in messages if k == key]
        outs = [t for d, t in mine if d == "out"]
        if outs or not outbound_only:
            active += 1
        if not outs:
            continue
        started += 1
        first = min(outs)
        replies = [t for d, t in mine if d == "in" and t > first]
        if replies:
            waits.append(min(replies) - first)
    return active, started, sorted(waits)


def flat(stats: ConversationStats) -> tuple[int, int, list[int]]:
    return stats.active, stats.started, stats.waits.tolist()


Pieces = list[tuple[Int64s, Int64s]]


def split(messages: list[Msg], rng: random.Random, pieces: int) -> tuple[Pieces, Pieces]:
    """Messages as randomly cut pieces, outbound ones sometimes repeated in two pieces (the
    same conversation's first outbound per tag and per day)."""
    out: list[list[tuple[int, int]]] = [[] for _ in range(pieces)]
    inb: list[list[tuple[int, int]]] = [[] for _ in range(pieces)]
    for key, direction, ms in messages:
        target = out if direction == "out" else inb
        target[rng.randrange(pieces)].append((key, ms))
        if direction == "out" and rng.random() < 0.2:
            out[rng.randrange(pieces)].append((key, ms + rng.randrange(0, 5000)))

    def packed(groups: list[list[tuple[int, int]]]) -> Pieces:
        return [arrays([k for k, _ in g], [t for _, t in g]) for g in groups if g]

    return packed(out), packed(inb)


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("outbound_only", [False, True])
def test_matches_the_definition_on_random_traffic(seed: int, outbound_only: bool) -> None:
    rng = random.Random(seed)
    conversations = [rng.randrange(-(2**63), 2**63) for _ in range(rng.randrange(1, 60))]
    messages: list[Msg] = []
    for _ in range(rng.randrange(1, 400)):
        messages.append(
            (
                rng.choice(conversations),
                rng.choice(["out", "out", "in"]),
                1_700_000_000_000 + rng.randrange(0, 86_400_000 * 3, rng.choice([1, 1000])),
            )
        )
    # Replies at the very millisecond of an outbound message (not "after" it).
    messages += [(k, "in", t) for k, d, t in messages if d == "out" and rng.random() < 0.2]
    outbound, inbound = split(messages, rng, rng.randrange(1, 8))
    # Repeated outbound times never come before a conversation's true first: they are
    # later copies, so the reference sees the same first outbound.
    extra = [(int(k), "out", int(t)) for ks, ts in outbound for k, t in zip(ks, ts, strict=True)]
    got = flat(conversation_stats(outbound, inbound, outbound_only=outbound_only))
    assert got == reference(
        [m for m in messages if m[1] == "in"] + extra, outbound_only=outbound_only
    )


def test_edges_of_a_reply() -> None:
    a, b, c, d = 1, 2, 3, 4
    outbound = [arrays([a, b, c, a], [1000, 1000, 1000, 500])]
    inbound = [
        arrays(
            [a, a, b, b, d],
            [400, 900, 1000, 1001, 50],  # a: 400 before its first (500), 900 is 400 ms later
        )
    ]
    stats = conversation_stats(outbound, inbound)
    assert stats.active == 4  # a b c d (d inbound only)
    # a: 400 ms; b: the inbound at the same millisecond is not after, 1001 is (1 ms);
    # c: no reply.
    assert (stats.started, stats.replied, stats.waits.tolist()) == (3, 2, [1, 400])
    assert conversation_stats(outbound, inbound, outbound_only=True).active == 3


def test_nothing_and_inbound_only() -> None:
    assert flat(conversation_stats([], [])) == (0, 0, [])
    assert flat(conversation_stats([], [arrays([7, 7, 8], [1, 2, 3])])) == (2, 0, [])
    assert flat(conversation_stats([], [arrays([7], [1])], outbound_only=True)) == (0, 0, [])


def test_conversation_key_is_the_uuids_first_64_bits_signed() -> None:
    for _ in range(100):
        value = uuid.uuid4()
        key = conversation_key(str(value))
        assert -(2**63) <= key < 2**63
        assert key % 2**64 == value.int >> 64
    assert conversation_key("00000000-0000-0000-ffff-ffffffffffff") == 0
    assert conversation_key("ffffffff-ffff-ffff-0000-000000000000") == -1


def test_encode_and_decode() -> None:
    keys, millis = [-(2**63), 0, 2**63 - 1], [1, 2**40, 3]
    got_keys, got_ms = decode(encode(keys, millis))
    assert got_keys.tolist() == keys and got_ms.tolist() == millis
    assert got_keys.dtype == np.int64
    assert [a.size for a in decode(encode([], []))] == [0, 0]
    with pytest.raises(ValueError, match="differ in length"):
        encode([1], [])
