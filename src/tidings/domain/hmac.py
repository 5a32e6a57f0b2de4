"""ACS HMAC-SHA256 request signing, exactly as the ``azure-communication-*`` SDKs sign.

``string_to_sign = VERB + "\\n" + path_and_query + "\\n" + x-ms-date + ";" + host + ";" +
content_hash``, signed with the base64-decoded access key; the ``Authorization`` header is
``HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=<base64>``.
"""

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


#: The header as the SDKs write it, up to the signature (parsed without splitting it up).
_CANONICAL = f"{SCHEME} SignedHeaders={SIGNED_HEADERS}&Signature="


def parse_authorization(value: str) -> tuple[str, str] | None:
    """Return ``(signed_headers, signature)`` from an HMAC ``Authorization`` header."""
    if value.startswith(_CANONICAL):
        signature_ = value[len(_CANONICAL) :].strip()
        if "&" not in signature_ and "=" not in signature_.rstrip("="):
            return SIGNED_HEADERS, signature_
    return _parse_parts(value)


def _parse_parts(value: str) -> tuple[str, str] | None:
    """``parse_authorization`` for any spelling: ``name=value`` pairs joined by ``&``."""
    scheme, _, rest = value.partition(" ")
    if scheme != SCHEME:
        return None
    parts: dict[str, str] = {}
    for item in rest.strip().split("&"):
        name, sep, val = item.partition("=")
        if not sep:
            return None
        parts[name.strip()] = val.strip()
    if "SignedHeaders" not in parts or "Signature" not in parts:
        return None
    return parts["SignedHeaders"], parts["Signature"]


def constant_time_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("ascii", "replace"), b.encode("ascii", "replace"))
