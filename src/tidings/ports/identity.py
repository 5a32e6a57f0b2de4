"""Who may call: the access keys (HMAC) and the communication identities (users, their
tokens' generations, the token signing keys)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from tidings.domain.identity import SigningKey


class KeyRepo(Protocol):
    def all(self) -> dict[str, str]: ...

    def set(self, name: str, key: str, now: datetime) -> None: ...


class IdentityRepo(Protocol):
    def add(self, user_id: str, now: datetime) -> None: ...

    def generations(self, user_ids: Sequence[str]) -> dict[str, int]: ...

    def generation(self, user_id: str) -> int | None:
        """The user's token generation, or None if there is no such user."""
        ...

    def revoke(self, user_id: str) -> bool: ...

    def delete(self, user_id: str) -> bool: ...

    def existing(self, user_ids: Sequence[str]) -> set[str]: ...

    def signing_keys(self) -> list[SigningKey]:
        """Every signing key, newest first."""
        ...

    def add_signing_key(self, key: SigningKey) -> None: ...

    def delete_signing_keys(self, kids: Sequence[str]) -> None: ...


class WithKeys(Protocol):
    @property
    def keys(self) -> KeyRepo: ...


class WithIdentities(Protocol):
    @property
    def identities(self) -> IdentityRepo: ...
