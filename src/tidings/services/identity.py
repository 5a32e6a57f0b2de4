"""Identity: communication users, their access tokens, revocation and signing-key rotation.

Tokens are signed with the newest signing key; every key stays valid for verification until
the last token it could have signed has expired (a day after it was superseded), so
``rotate_key`` takes effect on every node without restarts and without cutting off users.
Verification keys are cached for a few seconds; a token naming an unknown key reloads them.
Revocation bumps the user's token generation, which the chat service checks in the
transaction of every request.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from tidings.domain.identity import (
    MAX_LIFETIME,
    Caller,
    SigningKey,
    check_scopes,
    check_user_id,
    decode_token,
    encode_token,
    lifetime,
    new_user_id,
    resource_guid,
    token_kid,
)
from tidings.errors import NotFound, Unauthenticated
from tidings.ports import IdentityTx
from tidings.services.context import ServiceContext

CACHE_SECONDS = 5.0
#: Tokens whose signature was checked, kept until this many (then forgotten at once).
VERIFIED_CACHE = 10_000


@dataclass(frozen=True)
class AccessToken:
    token: str
    expires_on: datetime


@dataclass(frozen=True)
class NewUser:
    user_id: str
    token: AccessToken | None


class IdentityService:
    def __init__(self, ctx: ServiceContext[IdentityTx]) -> None:
        self._ctx = ctx
        self.resource = resource_guid(ctx.topic)
        self._keys: dict[str, SigningKey] = {}
        self._loaded_at = -CACHE_SECONDS
        self._verified: dict[str, tuple[Caller, str]] = {}  # token -> (caller, kid)

    # -- users and tokens ------------------------------------------------------------------

    def create_user(self, scopes: list[str] | None, minutes: int | None) -> NewUser:
        wanted = check_scopes(scopes) if scopes else None
        span = lifetime(minutes)
        user_id = new_user_id(self.resource)
        now = self._ctx.clock.now()

        def write(tx: IdentityTx) -> SigningKey:
            tx.identities.add(user_id, now)
            return self._signing_key(tx, now)

        key = self._ctx.store.write(write)
        if wanted is None:
            return NewUser(user_id, None)
        return NewUser(user_id, self._token(user_id, wanted, 0, now, span, key))

    def issue_token(self, user_id: str, scopes: list[str], minutes: int | None) -> AccessToken:
        check_user_id(user_id)
        wanted = check_scopes(scopes)
        span = lifetime(minutes)
        now = self._ctx.clock.now()

        def write(tx: IdentityTx) -> tuple[int, SigningKey]:
            generation = tx.identities.generation(user_id)
            if generation is None:
                raise NotFound(f"Identity {user_id} was not found.", code="IdentityNotFound")
            return generation, self._signing_key(tx, now)

        generation, key = self._ctx.store.write(write)
        return self._token(user_id, wanted, generation, now, span, key)

    def acting_as(self, user_id: str) -> Caller:
        """A caller for an operator acting as ``user_id`` (the web console posting to a chat
        thread as one of its participants). Holding the access key already lets anyone mint
        that user's tokens, so this grants nothing more; the caller carries the user's
        current token generation and the ``chat`` scope, and every chat check still applies.

        Raises:
            InvalidInput: not a communication user id.
            NotFound: no such user (or deleted).
        """
        check_user_id(user_id, "senderId")
        generation = self._ctx.store.read(lambda tx: tx.identities.generation(user_id))
        if generation is None:
            raise NotFound(f"There is no communication user {user_id}.")
        expires = int(self._ctx.clock.now().timestamp()) + 300
        return Caller(user_id, frozenset({"chat"}), generation, expires)

    def revoke(self, user_id: str) -> None:
        check_user_id(user_id)
        if not self._ctx.store.write(lambda tx: tx.identities.revoke(user_id)):
            raise NotFound(f"Identity {user_id} was not found.", code="IdentityNotFound")

    def delete(self, user_id: str) -> None:
        check_user_id(user_id)
        if not self._ctx.store.write(lambda tx: tx.identities.delete(user_id)):
            raise NotFound(f"Identity {user_id} was not found.", code="IdentityNotFound")

    def _token(
        self,
        user_id: str,
        scopes: tuple[str, ...],
        generation: int,
        now: datetime,
        span: timedelta,
        key: SigningKey,
    ) -> AccessToken:
        expires = now + span
        token = encode_token(
            user_id=user_id,
            scopes=scopes,
            generation=generation,
            issued_at=now,
            expires_at=expires,
            key=key,
            resource=self.resource,
        )
        return AccessToken(token, expires.replace(microsecond=0))

    # -- signing keys ----------------------------------------------------------------------

    def _signing_key(self, tx: IdentityTx, now: datetime) -> SigningKey:
        keys = tx.identities.signing_keys()
        if keys:
            return keys[0]
        key = _new_key(now)
        tx.identities.add_signing_key(key)
        return key

    def rotate_key(self) -> SigningKey:
        """A new signing key; keys superseded more than a token lifetime ago are dropped."""
        now = self._ctx.clock.now()

        def write(tx: IdentityTx) -> SigningKey:
            keys = tx.identities.signing_keys()
            # Strictly newer than the newest key, so it signs from now on.
            created = max([now, *(k.created_at + timedelta(microseconds=1) for k in keys[:1])])
            key = _new_key(created)
            tx.identities.add_signing_key(key)
            stale = [
                older.kid
                for newer, older in zip([key, *keys], keys, strict=False)
                if newer.created_at < now - MAX_LIFETIME
            ]
            tx.identities.delete_signing_keys(stale)
            return key

        key = self._ctx.store.write(write)
        self._loaded_at = -CACHE_SECONDS
        return key

    def signing_keys(self) -> list[SigningKey]:
        return self._ctx.store.read(lambda tx: tx.identities.signing_keys())

    # -- verification ----------------------------------------------------------------------

    def cached_key(self, token: str) -> SigningKey | None:
        """The token's key if the cache is fresh and has it; None: call ``verify`` off-loop."""
        if time.monotonic() - self._loaded_at > CACHE_SECONDS:
            return None
        seen = self._verified.get(token)
        return self._keys.get(seen[1] if seen is not None else token_kid(token))

    def key_for(self, token: str) -> SigningKey:
        """The token's verification key (may read the store; call off the event loop)."""
        kid = token_kid(token)
        key = self._keys.get(kid)
        if key is None or time.monotonic() - self._loaded_at > CACHE_SECONDS:
            self._keys = {k.kid: k for k in self.signing_keys()}
            self._loaded_at = time.monotonic()
            key = self._keys.get(kid)
        if key is None:
            raise Unauthenticated("Invalid token", code="Unauthorized")
        return key

    def decode(self, token: str, key: SigningKey) -> Caller:
        """The token's caller; a token seen before skips the signature check (not expiry)."""
        now = self._ctx.clock.now()
        seen = self._verified.get(token)
        if seen is None or seen[1] != key.kid:
            caller = decode_token(token, key, now)
            if len(self._verified) >= VERIFIED_CACHE:
                self._verified.clear()
            self._verified[token] = (caller, key.kid)
            return caller
        if seen[0].expires_at <= now.timestamp():
            raise Unauthenticated("Token expired", code="Unauthorized")
        return seen[0]


def check_caller(tx: IdentityTx, caller: Caller) -> None:
    """Refuse a token of a deleted user or one issued before its user's last revocation."""
    if tx.identities.generation(caller.user_id) != caller.generation:
        raise Unauthenticated("Invalid token", code="Unauthorized")


def _new_key(now: datetime) -> SigningKey:
    return SigningKey(f"k{int(now.timestamp())}{secrets.token_hex(3)}", secrets.token_hex(32), now)
