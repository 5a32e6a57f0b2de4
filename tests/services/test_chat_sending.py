"""Concurrent sends share one transaction: one sender's fault fails that send alone."""

from __future__ import annotations

import anyio
import pytest

from tests.services.chat_helpers import new_caller
from tests.services.conftest import Driver
from tidings.domain import chat_events as ev
from tidings.errors import Forbidden, NotFound, TidingsError, Unauthenticated
from tidings.services.chat import NewParticipant

pytestmark = pytest.mark.anyio


async def test_batched_sends_keep_order_ids_and_faults_apart(driver: Driver) -> None:
    app = driver.app
    chat = app.services.chat
    alice, bob, mallory, revoked = (new_caller(app) for _ in range(4))
    thread, _ = chat.create_thread(
        alice,
        "t",
        [NewParticipant(bob.user_id), NewParticipant(revoked.user_id)],
        None,
    )
    app.services.identity.revoke(revoked.user_id)
    outcomes: dict[str, object] = {}

    async def send(name: str, caller: object, thread_id: str) -> None:
        try:
            outcomes[name] = await chat.send_message(
                caller,  # type: ignore[arg-type]
                thread_id,
                name,
                None,
                None,
                None,
            )
        except TidingsError as exc:
            outcomes[name] = exc

    async with anyio.create_task_group() as tg:
        for i in range(20):
            tg.start_soon(send, f"a{i}", alice, thread.id)
            tg.start_soon(send, f"b{i}", bob, thread.id)
        tg.start_soon(send, "mallory", mallory, thread.id)
        tg.start_soon(send, "revoked", revoked, thread.id)
        tg.start_soon(send, "nowhere", alice, "19:" + "0" * 32 + "@thread.v2")

    assert isinstance(outcomes.pop("mallory"), Forbidden)
    assert isinstance(outcomes.pop("revoked"), Unauthenticated)
    assert isinstance(outcomes.pop("nowhere"), NotFound)
    sent = list(outcomes.values())
    ids = sorted(int(m.id) for m in sent)  # type: ignore[attr-defined]
    assert len(set(ids)) == 40
    sequences = sorted(m.sequence_id for m in sent)  # type: ignore[attr-defined]
    assert sequences == list(range(2, 42))  # 1 is the participantAdded system message
    page = chat.messages(alice, thread.id, since=None, limit=100, cursor=None)
    assert len(page.items) == 41
    received = driver.events(ev.MESSAGE_RECEIVED)
    assert len(received) == 40 * 2  # each message to the two other participants
    assert len(driver.events(ev.MESSAGE_RECEIVED_IN_THREAD)) == 40
