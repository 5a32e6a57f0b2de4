"""The dashboard's conversation figures, from per-conversation timestamps.

For a range of time:

- **active conversations**: conversations with any message in range (with a tag: with a
  tagged outbound message in range);
- per conversation with an outbound message in range, the wait from its **first** such
  outbound message to the first inbound message strictly after it and still in range
  (if any), which gives the reply rate and the time to first reply.

Neither adds up across days, so storage keeps, per day, the conversation and time of each
message (outbound by number and tag, inbound by number), and this module combines any
number of such pieces exactly: a conversation is a 64-bit key (``conversation_key``),
times are epoch milliseconds, and the work is a few NumPy sorts (tens of milliseconds for a
month of a million messages) rather than sorting the messages by conversation in SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Int64s = NDArray[np.int64]
_EMPTY: Int64s = np.zeros(0, dtype=np.int64)


def conversation_key(conversation_id: str) -> int:
    """The first 64 bits of a conversation id (a UUID) as a signed 64-bit integer.

    Conversation ids are name-based UUIDs (SHA-1), so two conversations share a key with
    probability about n²/2⁶⁵: for ten million conversations, one in 300 billion.
    """
    value = int(conversation_id.replace("-", "")[:16], 16)
    return value - (1 << 64) if value >= 1 << 63 else value


def arrays(keys: Sequence[int], millis: Sequence[int]) -> tuple[Int64s, Int64s]:
    """Pairs of (conversation key, epoch ms) as two arrays."""
    if len(keys) != len(millis):
        raise ValueError("keys and times differ in length")
    return np.asarray(keys, dtype=np.int64), np.asarray(millis, dtype=np.int64)


def encode(keys: Sequence[int], millis: Sequence[int]) -> bytes:
    """Pairs of (conversation key, epoch ms) as bytes: all keys, then all times, in key
    order (pieces of sorted runs sort faster when combined)."""
    k, m = arrays(keys, millis)
    order = np.argsort(k, kind="stable")
    return k[order].astype("<i8").tobytes() + m[order].astype("<i8").tobytes()


def decode(data: bytes) -> tuple[Int64s, Int64s]:
    """``encode``'s pairs back as two arrays (no copy)."""
    both = np.frombuffer(data, dtype="<i8")
    half = both.size // 2
    return both[:half].astype(np.int64, copy=False), both[half:].astype(np.int64, copy=False)


def _concat(parts: Sequence[Int64s]) -> Int64s:
    return np.concatenate(parts).astype(np.int64, copy=False) if parts else _EMPTY


@dataclass(frozen=True)
class ConversationStats:
    #: Conversations with any message in range (with a tag filter: with tagged outbound).
    active: int
    #: Conversations with an outbound message in range.
    started: int
    #: Of those that got a reply, the wait from first outbound to first reply, in
    #: milliseconds, ascending (so ``waits.size`` is the number answered).
    waits: Int64s

    @property
    def replied(self) -> int:
        return int(self.waits.size)


def conversation_stats(
    outbound: Sequence[tuple[Int64s, Int64s]],
    inbound: Sequence[tuple[Int64s, Int64s]],
    *,
    outbound_only: bool = False,
) -> ConversationStats:
    """The conversation figures from pieces of (keys, epoch ms).

    ``outbound`` pieces hold outbound times (any of a conversation's; only the earliest
    counts), ``inbound`` pieces every inbound time, all inside the range asked about.
    ``outbound_only``: only conversations with outbound count as active (a tag filter).
    """
    out_keys = _concat([k for k, _ in outbound])
    out_ms = _concat([m for _, m in outbound])
    in_keys = _concat([k for k, _ in inbound])
    in_ms = _concat([m for _, m in inbound])

    # Each conversation's first outbound time: group by key (one sort), least time per group.
    order = np.argsort(out_keys)
    out_keys, out_ms = out_keys[order], out_ms[order]
    starts = _group_starts(out_keys)
    starters = out_keys[starts]
    started_at = np.minimum.reduceat(out_ms, starts) if starts.size else _EMPTY

    # Inbound grouped by key; which starter (if any) each inbound belongs to.
    order = np.argsort(in_keys)
    in_keys, in_ms = in_keys[order], in_ms[order]
    at = np.searchsorted(starters, in_keys)
    at[at == starters.size] = 0
    theirs = (starters[at] == in_keys) if starters.size else np.zeros(in_keys.size, dtype=bool)

    if outbound_only:
        active = int(starters.size)
    else:
        inbound_only = in_keys[~theirs]
        active = int(starters.size) + int(_group_starts(inbound_only).size)
    if starters.size == 0:
        return ConversationStats(active, 0, _EMPTY)

    # A starter's reply is the least of its inbound times strictly after its first outbound.
    later = np.flatnonzero(theirs)
    later = later[in_ms[later] > started_at[at[later]]]
    groups = _group_starts(in_keys[later])
    replies = np.minimum.reduceat(in_ms[later], groups) if groups.size else _EMPTY
    waits = replies - started_at[at[later[groups]]]
    return ConversationStats(active, int(starters.size), np.sort(waits))


def _group_starts(sorted_keys: Int64s) -> NDArray[np.intp]:
    """Where each run of equal keys starts in a sorted array."""
    if sorted_keys.size == 0:
        return np.zeros(0, dtype=np.intp)
    change = np.flatnonzero(sorted_keys[1:] != sorted_keys[:-1]) + 1
    return np.concatenate((np.zeros(1, dtype=np.intp), change))
