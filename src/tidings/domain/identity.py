"""Communication users and their access tokens, as ACS Identity spells them.

User ids have the ACS form ``8:acs:<resource guid>_<guid>``. Access tokens are HS256 JWTs
signed with a rotating key named by the ``kid`` header; the server verifies signature,
expiry, scopes and the user's token generation (bumped by a revocation). The SDK reads the
payload with *standard* base64, so a token whose payload segment holds ``-`` or ``_`` (the
URL-safe letters) would not parse client-side: ``encode_token`` varies a nonce until the
segment is free of them.
"""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

from tidings.errors import Forbidden, InvalidInput, Unauthenticated

SCOPES = frozenset({"chat", "voip", "chat.join", "chat.join.limited", "voip.join"})
CHAT_SCOPES = frozenset({"chat", "chat.join", "chat.join.limited"})
MIN_LIFETIME = timedelta(minutes=60)
MAX_LIFETIME = timedelta(minutes=1440)
ALGORITHM = "HS256"
_USER_ID = re.compile(r"^8:acs:[0-9a-fA-F-]{36}_[0-9a-fA-F-]{36}$")


def resource_guid(topic: str) -> str:
    """The resource's GUID, stable for a given resource id (the ``topic``)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, topic))


def new_user_id(resource: str) -> str:
    return f"8:acs:{resource}_{uuid.uuid4()}"


def is_user_id(raw: str) -> bool:
    return bool(_USER_ID.match(raw))


def check_user_id(raw: str, target: str | None = None) -> str:
    if not is_user_id(raw):
        raise InvalidInput(
            f"Identifier {raw!r} is not a valid communication user id.",
            code="InvalidIdentifier",
            target=target,
        )
    return raw


def check_scopes(scopes: list[str]) -> tuple[str, ...]:
    if not scopes:
        raise InvalidInput("At least one scope is required.", target="scopes")
    unknown = sorted(set(scopes) - SCOPES)
    if unknown:
        raise InvalidInput(
            f"Scope(s) {', '.join(unknown)} are not valid. Valid scopes: "
            f"{', '.join(sorted(SCOPES))}.",
            code="InvalidScope",
            target="scopes",
        )
    return tuple(dict.fromkeys(scopes))


def lifetime(minutes: int | None) -> timedelta:
    """A token's lifetime: ``expiresInMinutes`` within ACS's bounds (60 to 1440, default 1440)."""
    if minutes is None:
        return MAX_LIFETIME
    if not MIN_LIFETIME.total_seconds() <= minutes * 60 <= MAX_LIFETIME.total_seconds():
        raise InvalidInput(
            "The expiresInMinutes must be between 60 and 1440 minutes.",
            code="InvalidExpiresInMinutes",
            target="expiresInMinutes",
        )
    return timedelta(minutes=minutes)


@dataclass(frozen=True)
class SigningKey:
    kid: str
    secret: str
    created_at: datetime


@dataclass(frozen=True)
class Caller:
    """A verified token: who calls, with which scopes, of which token generation."""

    user_id: str
    scopes: frozenset[str]
    generation: int
    expires_at: int

    def require(self, allowed: frozenset[str]) -> None:
        if not self.scopes & allowed:
            raise Forbidden("User is not allowed to perform specified action.")


def encode_token(
    *,
    user_id: str,
    scopes: tuple[str, ...],
    generation: int,
    issued_at: datetime,
    expires_at: datetime,
    key: SigningKey,
    resource: str,
) -> str:
    """A signed token whose payload segment decodes with standard base64."""
    claims = {
        "sub": user_id,
        "skypeid": user_id.removeprefix("8:"),
        "acsScope": ",".join(scopes),
        "resourceId": resource,
        "gen": generation,
        "iat": int(issued_at.timestamp()),
        "exp": int(expires_at.timestamp()),
    }
    while True:
        claims["nonce"] = secrets.token_hex(4)
        token = jwt.encode(claims, key.secret, algorithm=ALGORITHM, headers={"kid": key.kid})
        payload = token.split(".")[1]
        if "-" not in payload and "_" not in payload:
            return token


def token_kid(token: str) -> str:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise Unauthenticated("Invalid token", code="Unauthorized") from None
    kid = header.get("kid")
    if not isinstance(kid, str):
        raise Unauthenticated("Invalid token", code="Unauthorized")
    return kid


def decode_token(token: str, key: SigningKey, now: datetime) -> Caller:
    """Verify signature and expiry; the generation is checked against the store later."""
    try:
        claims = jwt.decode(
            token,
            key.secret,
            algorithms=[ALGORITHM],
            options={
                "require": ["exp", "sub", "iat"],
                "verify_exp": False,
                "verify_iat": False,
            },
        )
    except jwt.PyJWTError:
        raise Unauthenticated("Invalid token", code="Unauthorized") from None
    if int(claims["exp"]) <= now.timestamp():
        raise Unauthenticated("Token expired", code="Unauthorized")
    return Caller(
        user_id=str(claims["sub"]),
        scopes=frozenset(str(claims.get("acsScope", "")).split(",")) - {""},
        generation=int(claims.get("gen", 0)),
        expires_at=int(claims["exp"]),
    )
