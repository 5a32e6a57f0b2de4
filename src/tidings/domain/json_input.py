"""JSON from outside Tidings, decoded in one place: request bodies, webhook answers, CLI input.

Every JSON document Tidings reads from a client or a remote server goes through ``decode``:

* Nesting deeper than ``MAX_DEPTH`` arrays/objects is refused before the decoder sees the
  document. A decoder recurses once per level, so a 2 KB body of 1,000 brackets would
  otherwise end in ``RecursionError`` (and every value stored from such a body could fail
  again wherever it is encoded later).
* Malformed JSON, a value of the wrong type or out of range, and a document nested too deeply
  all become ``InvalidInput`` with a message naming the place (``$.smsRecipients[0].to``).

The depth check costs two ``bytes.count`` calls for ordinary documents: a document with at
most ``MAX_DEPTH`` brackets in all cannot be nested deeper. Only larger ones are measured, by
removing strings (a split on quotes when there is no backslash, else a linear regex) and then
innermost bracket pairs level by level, each level one C-speed pass.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import msgspec

from tidings.errors import InvalidInput

#: Arrays/objects inside one another; ACS documents need 5, stored free-form JSON a few more.
MAX_DEPTH = 32

#: Integer members of request bodies: anything past 64 bits is refused while decoding, naming
#: the member (``Expected `int` <= 9223372036854775807 - at `$.expiresInMinutes```); each
#: use then checks its own documented range (docs/security.md).
Int64 = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]
#: Number members: finite and within what a double holds exactly as an integer (2^53).
Number = Annotated[float, msgspec.Meta(ge=-(2.0**53), le=2.0**53)]

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)  # unrolled: linear, no ambiguity
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_PAIR_MAP = bytes.maketrans(b"[]{}", b"()()")


def depth_exceeds(raw: bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether the JSON text ``raw`` nests arrays/objects more than ``limit`` deep.

    Brackets inside strings do not count; an unbalanced text is measured as far as it goes
    (the decoder refuses it anyway)."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    # Outside strings: without backslashes, every other piece between quotes is a string.
    outside = b"".join(raw.split(b'"')[::2]) if b"\\" not in raw else _STRING.sub(b"", raw)
    brackets = outside.translate(_PAIR_MAP, _NOT_BRACKETS)
    for _ in range(limit):
        shorter = brackets.replace(b"()", b"")
        if shorter == brackets:
            return False
        brackets = shorter
    return b"()" in brackets


def decode(
    raw: bytes | str, type_: Any = Any, *, empty: Any = None, target: str | None = None
) -> Any:
    """``raw`` decoded as ``type_``; ``InvalidInput`` for anything that is not such a document.

    ``empty``: the document an empty (or all-whitespace) body stands for (``b"{}"`` for
    request bodies); None decodes it as it is (which fails: empty is not JSON)."""
    data = raw.encode() if isinstance(raw, str) else raw
    if empty is not None and not data.strip():
        data = empty
    if depth_exceeds(data):
        raise InvalidInput(
            f"The JSON document is nested more than {MAX_DEPTH} arrays/objects deep.",
            target=target,
        )
    try:
        return msgspec.json.decode(data, type=type_)
    except msgspec.ValidationError as exc:
        raise InvalidInput(str(exc) or "The JSON document is not valid.", target=target) from exc
    except msgspec.DecodeError as exc:
        raise InvalidInput(f"The request body is not valid JSON: {exc}", target=target) from exc
    except RecursionError as exc:  # a deep document under an already deep stack
        raise InvalidInput(
            f"The JSON document is nested more than {MAX_DEPTH} arrays/objects deep.",
            target=target,
        ) from exc
