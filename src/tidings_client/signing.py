"""ACS HMAC-SHA256 request signing, as the ``azure-communication-*`` SDKs sign (standard
library only: the server verifies with these same functions, ``tidings.domain.hmac``)."""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac

SIGNED_HEADERS = "x-ms-date;host;x-ms-content-sha256"
SCHEME = "HMAC-SHA256"


def content_hash(body: bytes) -> str:
    return _b64(hashlib.sha256(body).digest())


def _b64(raw: bytes) -> str:
    """``base64.b64encode(raw).decode()``, without the module's Python wrapper."""
    return binascii.b2a_base64(raw, newline=False).decode("ascii")


def string_to_sign(method: str, path_and_query: str, date: str, host: str, body_hash: str) -> str:
    return f"{method.upper()}\n{path_and_query}\n{date};{host};{body_hash}"


def signature(access_key: str, text: str) -> str:
    """``base64(HMAC_SHA256(base64decode(access_key), text))``."""
    return _b64(hmac.digest(_key_bytes(access_key), text.encode("utf-8"), "sha256"))


@functools.lru_cache(maxsize=64)
def _key_bytes(access_key: str) -> bytes:
    return base64.b64decode(access_key)


def authorization_header(sig: str) -> str:
    return f"{SCHEME} SignedHeaders={SIGNED_HEADERS}&Signature={sig}"
