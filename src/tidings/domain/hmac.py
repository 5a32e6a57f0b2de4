"""ACS HMAC-SHA256 request signing, exactly as the ``azure-communication-*`` SDKs sign.

``string_to_sign = VERB + "\\n" + path_and_query + "\\n" + x-ms-date + ";" + host + ";" +
content_hash``, signed with the base64-decoded access key; the ``Authorization`` header is
``HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=<base64>``.

Signing lives in ``tidings_client.signing`` (standard library only), which the small client
distribution ships alone; the server checks signatures with the same functions.
"""

from __future__ import annotations

import hmac

from tidings_client.signing import (
    SCHEME,
    SIGNED_HEADERS,
    authorization_header,
    content_hash,
    signature,
    string_to_sign,
)

__all__ = [
    "SCHEME",
    "SIGNED_HEADERS",
    "authorization_header",
    "constant_time_equal",
    "content_hash",
    "parse_authorization",
    "signature",
    "string_to_sign",
]

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
