"""Identifier formats that clients see, matching ACS."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import NewType

MessageId = NewType("MessageId", str)
OperationId = NewType("OperationId", str)


def outgoing_message_id(now: datetime) -> MessageId:
    """``Outgoing_<yyyyMMddHHmmss><guid>``, as ACS names outbound messages."""
    return MessageId(f"Outgoing_{now:%Y%m%d%H%M%S}{uuid.uuid4()}")


def incoming_message_id(now: datetime) -> MessageId:
    """``Incoming_<yyyyMMddHHmmss><guid>``, as ACS names inbound messages."""
    return MessageId(f"Incoming_{now:%Y%m%d%H%M%S}{uuid.uuid4()}")


def new_guid() -> str:
    return str(uuid.uuid4())
