"""A small client for Tidings' own endpoints (``/tidings/...``), and ACS HMAC signing for httpx.

The ACS APIs are meant to be used with the official ``azure-communication-*`` SDKs; this
package covers what they do not: the simulated handsets, the events outbox, message logs.
It needs only ``httpx`` and installs alone into an application's environment
(``pip install ./clients/python`` from a clone of Tidings); inside Tidings it is also
importable as ``tidings.client``.

    >>> client = TidingsClient("http://127.0.0.1:8080", access_key)      # doctest: +SKIP
    >>> sent = client.text_from_handset("+15555550111", to="+18005550100", message="STOP")
    >>> client.wait_for_handset_message("+15555550111", message_id=sent["autoReplyMessageId"])
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tidings_client.client import HmacAuth, TidingsClient

__all__ = ["HmacAuth", "TidingsClient"]


def __getattr__(name: str) -> Any:
    """The client on first use: the server imports ``tidings_client.signing`` alone, without
    httpx."""
    if name in __all__:
        from tidings_client import client

        return getattr(client, name)
    raise AttributeError(f"module 'tidings_client' has no attribute {name!r}")
