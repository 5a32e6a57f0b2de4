"""Console sessions: signed, expiring tokens derived from the access keys.

A token is ``v1.<expires unix seconds>.<nonce>.<signature>``, the signature being
``HMAC-SHA256(base64decode(access key), "tidings-console|v1|<expires>|<nonce>")`` in
URL-safe base64. Nothing is stored: a token is valid while it has not expired and one of the
current access keys signs it, so regenerating a key ends every session opened with it, on
every node, as it ends that key's HMAC requests.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

VERSION = "v1"


class SessionState(StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    INVALID = "invalid"


@dataclass(frozen=True)
class SessionCheck:
    state: SessionState
    expires_at: datetime | None = None
    #: The access key that signs the token (when valid).
    key: str | None = None


def _sign(access_key: str, expires: int, nonce: str) -> str:
    raw_key = base64.b64decode(access_key)
    text = f"tidings-console|{VERSION}|{expires}|{nonce}".encode()
    digest = hmac.new(raw_key, text, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def issue(access_key: str, expires_at: datetime) -> str:
    """A new token signed with ``access_key``, valid until ``expires_at``."""
    expires = int(expires_at.timestamp())
    nonce = secrets.token_urlsafe(12)
    return f"{VERSION}.{expires}.{nonce}.{_sign(access_key, expires, nonce)}"


def check(token: str, keys: Iterable[str], now: datetime) -> SessionCheck:
    """Whether ``token`` is signed by one of ``keys`` and not expired at ``now``."""
    parts = token.split(".")
    if len(parts) != 4 or parts[0] != VERSION or not parts[1].isdigit():
        return SessionCheck(SessionState.INVALID)
    expires = int(parts[1])
    nonce, signature = parts[2], parts[3]
    for key in keys:
        expected = _sign(key, expires, nonce).encode("ascii")
        if hmac.compare_digest(expected, signature.encode("ascii", "replace")):
            expires_at = datetime.fromtimestamp(expires, UTC)
            if now.astimezone(UTC) >= expires_at:
                return SessionCheck(SessionState.EXPIRED, expires_at)
            return SessionCheck(SessionState.VALID, expires_at, key)
    return SessionCheck(SessionState.INVALID)


def matching_key(candidate: str, keys: Iterable[str]) -> str | None:
    """The access key ``candidate`` names (a key, or a connection string holding one)."""
    text = candidate.strip()
    for part in text.split(";"):
        name, sep, value = part.partition("=")
        if sep and name.strip().lower() == "accesskey":
            text = value.strip()
    found = None
    for key in keys:
        if hmac.compare_digest(key.encode("ascii", "replace"), text.encode("ascii", "replace")):
            found = key
    return found
