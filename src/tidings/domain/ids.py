"""Identifier formats that clients see, matching ACS."""

from __future__ import annotations

import os
import threading
import uuid
from datetime import datetime
from typing import NewType

MessageId = NewType("MessageId", str)
OperationId = NewType("OperationId", str)


#: Random bytes are drawn for this many GUIDs at once: ``uuid.uuid4()`` makes a system call
#: per GUID, and on the accept path each one gave the GIL away (docs/performance.md).
_POOL_GUIDS = 256
_pool: list[bytes] = []
_pool_lock = threading.Lock()


def _guid() -> uuid.UUID:
    """A random (version 4) UUID, as ``uuid.uuid4()`` but from a pool of OS randomness."""
    with _pool_lock:
        if not _pool:
            raw = os.urandom(16 * _POOL_GUIDS)
            _pool.extend(raw[i : i + 16] for i in range(0, len(raw), 16))
        random = _pool.pop()
    return uuid.UUID(bytes=random, version=4)


def outgoing_message_id(now: datetime) -> MessageId:
    """``Outgoing_<yyyyMMddHHmmss><guid>``, as ACS names outbound messages."""
    return MessageId(f"Outgoing_{now:%Y%m%d%H%M%S}{_guid()}")


def incoming_message_id(now: datetime) -> MessageId:
    """``Incoming_<yyyyMMddHHmmss><guid>``, as ACS names inbound messages."""
    return MessageId(f"Incoming_{now:%Y%m%d%H%M%S}{uuid.uuid4()}")


def new_guid() -> str:
    return str(uuid.uuid4())
