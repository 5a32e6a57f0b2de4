"""The ``smpp`` member of ``GET /tidings/messages/{id}/timeline``: what the SMSC said about
each part of a message sent over an SMPP carrier (``smpp_history``).

```json
{"carrier": "acme",
 "parts": [{"part": 1, "parts": 2, "smscMessageId": "00A1", "bind": "0:trx",
            "acceptedAt": "...",
            "submissions": [{"smscMessageId": "00A1", "bind": "0:trx", "acceptedAt": "..."}],
            "receipts": [{"receivedAt": "...", "stat": "ENROUTE", "messageState": 1,
                          "err": null, "networkError": null, "id": "a1", "bind": "0:trx",
                          "final": false}, ...]}]}
```

Ids are as the SMSC wrote them (``submit_sm_resp`` message_id; the receipt's id, which may be
another reading of it: hex or decimal). A part sent twice (its response was lost) has two
submissions; ``smscMessageId``/``bind``/``acceptedAt`` are the last one's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tidings.domain.smpp_receipts import STATE_BY_NUMBER
from tidings.domain.timefmt import iso_z
from tidings.ports import PartEvent

#: stat -> the message_state TLV value (SMPP 3.4 §5.2.28)
_MESSAGE_STATE = {name: number for number, name in STATE_BY_NUMBER.items()}


def smpp_body(events: Sequence[PartEvent]) -> dict[str, Any] | None:
    """The message's parts with their submissions and receipts; None without SMPP history."""
    if not events:
        return None
    parts: dict[int, dict[str, Any]] = {}
    for e in events:
        part = parts.setdefault(e.seq, _part(e))
        if e.kind == "accepted":
            submission = {"smscMessageId": e.raw_id, "bind": e.bind, "acceptedAt": iso_z(e.at)}
            part.update(submission)
            part["submissions"].append(submission)
        else:
            part["receipts"].append(_receipt(e))
    return {"carrier": events[0].carrier, "parts": [parts[seq] for seq in sorted(parts)]}


def _part(e: PartEvent) -> dict[str, Any]:
    return {
        "part": e.seq,
        "parts": e.total,
        "smscMessageId": None,
        "bind": None,
        "acceptedAt": None,
        "submissions": [],
        "receipts": [],
    }


def _receipt(e: PartEvent) -> dict[str, Any]:
    return {
        "receivedAt": iso_z(e.at),
        "stat": e.state,
        "messageState": _MESSAGE_STATE.get(e.state or ""),
        "err": e.error,
        "networkError": e.network_error,
        "id": e.raw_id,
        "bind": e.bind,
        "final": e.final,
    }
