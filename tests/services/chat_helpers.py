"""Helpers for chat service tests: users with verified callers."""

from __future__ import annotations

from tidings.container import Application
from tidings.domain.identity import Caller


def new_caller(app: Application, scopes: list[str] | None = None) -> Caller:
    identity = app.services.identity
    user = identity.create_user(scopes or ["chat"], None)
    assert user.token is not None
    token = user.token.token
    return identity.decode(token, identity.key_for(token))
