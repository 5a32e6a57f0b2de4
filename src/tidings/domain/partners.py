"""Messaging Connect: SMS sent through a partner that leases the sender number.

In ACS (api-version 2026-01-23) a send request may carry
``smsSendOptions.messagingConnect = {"partner": "<name>", "partnerParams": {"apiKey": ...}}``:
the ``from`` number is then one the customer leases from that partner rather than one bought
from ACS, and the partner delivers the message. Delivery reports carry the partner's own
message id (``messagingConnectPartnerMessageId``).

Tidings keeps a registry of partners (a name and the API keys it accepts, stored as SHA-256
digests) and marks each number leased through one with the partner's name. The simulated
carrier network then stands in for the partner's network.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from tidings.errors import InvalidInput

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MAX_API_KEYS = 10
MAX_KEY_LENGTH = 512


@dataclass(frozen=True)
class Partner:
    """A Messaging Connect partner: its name (lower case) and the digests of its API keys."""

    name: str
    key_digests: tuple[str, ...]
    created_at: datetime

    def accepts(self, api_key: str) -> bool:
        digest = key_digest(api_key)
        # Compare against every digest so the time taken does not tell which one matched.
        matches = [hmac.compare_digest(digest, known) for known in self.key_digests]
        return any(matches)


@dataclass(frozen=True)
class PartnerRoute:
    """A send request's ``messagingConnect`` options, validated."""

    partner: str
    api_key: str


def partner_name(raw: str) -> str:
    """The registry's form of a partner name; partner names compare case-insensitively."""
    if not isinstance(raw, str) or not _NAME.match(raw):
        raise InvalidInput(
            f"{raw!r} is not a partner name: use 1-64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit.",
            target="partner",
        )
    return raw.lower()


def key_digest(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


def validate_keys(keys: object) -> tuple[str, ...]:
    """The digests of a list of new API keys (1..10 non-empty strings)."""
    if not isinstance(keys, list) or not keys:
        raise InvalidInput("apiKeys must be a list of 1 to 10 keys.", target="apiKeys")
    if len(keys) > MAX_API_KEYS:
        raise InvalidInput(f"At most {MAX_API_KEYS} apiKeys are allowed.", target="apiKeys")
    digests: list[str] = []
    for key in keys:
        if not isinstance(key, str) or not key.strip() or len(key) > MAX_KEY_LENGTH:
            raise InvalidInput(
                f"Each API key must be a non-empty string of at most {MAX_KEY_LENGTH} characters.",
                target="apiKeys",
            )
        digests.append(key_digest(key))
    return tuple(dict.fromkeys(digests))


def route_from_options(partner: str | None, params: Mapping[str, object] | None) -> PartnerRoute:
    """Validate ``messagingConnect``: a partner and ``partnerParams`` holding an ``apiKey``.

    ``partnerParams`` is free-form in the API; every partner Tidings simulates authenticates
    with ``apiKey`` (matched case-insensitively, as the SDKs' samples spell it both ways).
    """
    target = "smsSendOptions.messagingConnect"
    if not partner or not params:
        raise InvalidInput(
            "messagingConnect needs a partner and at least one partnerParams entry.",
            target=target,
        )
    keys = {k.lower(): v for k, v in params.items()}
    api_key = keys.get("apikey")
    if not isinstance(api_key, str) or not api_key:
        raise InvalidInput(
            "messagingConnect.partnerParams must hold the partner's apiKey (a string).",
            target=f"{target}.partnerParams.apiKey",
        )
    if not _NAME.match(partner):
        raise InvalidInput(
            f"Messaging Connect partner {partner!r} is not configured on this resource.",
            code="InvalidMessagingConnectPartner",
            target=f"{target}.partner",
        )
    return PartnerRoute(partner.lower(), api_key)
