"""Identity on both databases: tokens, revocation, deletion and signing-key rotation."""

from __future__ import annotations

import pytest

from tests.conftest import FakeClock
from tidings.container import Application
from tidings.errors import InvalidInput, NotFound, Unauthenticated
from tidings.services.identity import check_caller


def _verify(app: Application, token: str) -> None:
    identity = app.services.identity
    caller = identity.decode(token, identity.key_for(token))
    app.services.store.read(lambda tx: check_caller(tx, caller))


def test_tokens_revocation_and_deletion(application: Application) -> None:
    identity = application.services.identity
    user = identity.create_user(["chat"], 60)
    assert user.token is not None
    _verify(application, user.token.token)
    identity.revoke(user.user_id)
    with pytest.raises(Unauthenticated):
        _verify(application, user.token.token)
    fresh = identity.issue_token(user.user_id, ["chat", "voip"], None)
    _verify(application, fresh.token)
    identity.delete(user.user_id)
    with pytest.raises(Unauthenticated):
        _verify(application, fresh.token)
    with pytest.raises(NotFound):
        identity.issue_token(user.user_id, ["chat"], None)
    with pytest.raises(InvalidInput):
        identity.issue_token("8:acs:nope", ["chat"], None)


def test_expired_tokens_fail(application: Application, clock: FakeClock) -> None:
    identity = application.services.identity
    user = identity.create_user(["chat"], 60)
    assert user.token is not None
    clock.advance(59 * 60)
    _verify(application, user.token.token)
    clock.advance(61)
    with pytest.raises(Unauthenticated):
        _verify(application, user.token.token)


def test_rotation_keeps_keys_while_their_tokens_live(
    application: Application, clock: FakeClock
) -> None:
    identity = application.services.identity
    user = identity.create_user(["chat"], None)
    assert user.token is not None
    first = identity.signing_keys()[0]
    second = identity.rotate_key()
    assert identity.signing_keys()[0].kid == second.kid
    _verify(application, user.token.token)  # signed by the first key, still valid
    clock.advance(23 * 3600)
    identity.rotate_key()
    assert first.kid in {k.kid for k in identity.signing_keys()}
    clock.advance(2 * 3600)  # the first key was superseded 25 hours ago
    third = identity.rotate_key()
    kids = [k.kid for k in identity.signing_keys()]
    assert first.kid not in kids
    assert kids[0] == third.kid and second.kid in kids
    identity._loaded_at = -1e9  # what another node sees after its cache runs out
    with pytest.raises(Unauthenticated):
        identity.key_for(user.token.token)  # its key is gone (the token expired anyway)
