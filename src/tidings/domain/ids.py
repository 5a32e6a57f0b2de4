"""Identifier formats that clients see, matching ACS."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from typing import NewType

MessageId = NewType("MessageId", str)
OperationId = NewType("OperationId", str)


#: Random bytes are drawn for this many GUIDs at once: ``uuid.uuid4()`` makes a system call
#: per GUID, and on the accept path each one gave the GIL away (docs/performance.md).
_POOL_GUIDS = 256
_pool: list[str] = []  # 32 random hex digits each
# A forked child must not hand out the parent's remaining GUIDs again.
os.register_at_fork(after_in_child=_pool.clear)
#: The RFC 4122 variant digit (binary 10xx) for each random hex digit.
_VARIANT = {d: "89ab"[int(d, 16) & 3] for d in "0123456789abcdef"}


def _random_hex() -> str:
    """32 random hex digits from the pool (refilled from the OS when empty)."""
    try:
        return _pool.pop()  # atomic: threads never get the same digits
    except IndexError:
        raw = os.urandom(16 * _POOL_GUIDS).hex()
        _pool.extend(raw[i : i + 32] for i in range(0, len(raw), 32))
        return _pool.pop()


def _guid() -> str:
    """A random (version 4) UUID in its text form, as ``str(uuid.uuid4())`` but from a pool
    of OS randomness, without building a ``UUID`` object (the accept path makes two per
    message: the message id and the request id)."""
    h = _random_hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"


def _time_ordered_guid(now: datetime) -> str:
    """A version 7 UUID (RFC 9562): ``now`` in Unix milliseconds, then 74 random bits.

    Message ids sort by time through their GUID too, not only by their second: a message
    is then written next to the ones accepted just before it in the id index, rather than
    on a random page of that second's (at thousands of messages a second, a random page
    per message was most of what each group commit wrote to the WAL: docs/performance.md).
    """
    global _millisecond
    ms = int(now.timestamp() * 1000) & 0xFFFF_FFFF_FFFF
    cached = _millisecond
    if cached[0] != ms:  # spelled once a millisecond
        t = f"{ms:012x}"
        cached = _millisecond = (ms, f"{t[:8]}-{t[8:]}-7")
    h = _random_hex()
    return f"{cached[1]}{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"


_millisecond: tuple[int, str] = (-1, "")  # (Unix ms, the GUID's text up to its version digit)


_stamp: tuple[int, str] = (-1, "")
_ZERO = timedelta(0)


def _second(now: datetime) -> str:
    """``yyyyMMddHHmmss`` of ``now`` (formatted once per second: ``strftime`` is slow)."""
    global _stamp
    if now.utcoffset() != _ZERO:  # the cache holds UTC times only
        return f"{now:%Y%m%d%H%M%S}"
    key = int(now.timestamp())
    cached = _stamp
    if cached[0] != key:
        cached = _stamp = (key, f"{now:%Y%m%d%H%M%S}")
    return cached[1]


def outgoing_message_id(now: datetime) -> MessageId:
    """``Outgoing_<yyyyMMddHHmmss><guid>``, as ACS names outbound messages (the GUID
    time-ordered: ``_time_ordered_guid``)."""
    return MessageId(f"Outgoing_{_second(now)}{_time_ordered_guid(now)}")


def incoming_message_id(now: datetime) -> MessageId:
    """``Incoming_<yyyyMMddHHmmss><guid>``, as ACS names inbound messages (the GUID
    time-ordered: ``_time_ordered_guid``)."""
    return MessageId(f"Incoming_{_second(now)}{_time_ordered_guid(now)}")


def new_guid() -> str:
    return _guid()
