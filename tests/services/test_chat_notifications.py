"""The notifier behind the real-time stream, on both databases."""

from __future__ import annotations

from typing import Any

import pytest

from tests.services.chat_helpers import new_caller
from tests.services.conftest import Driver
from tidings.domain import chat_events as ev
from tidings.services.chat import NewParticipant

pytestmark = pytest.mark.anyio


async def test_pushes_recipients_events_survives_db_errors_and_replays(
    driver: Driver, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = driver.app
    chat, notifier = app.services.chat, app.services.notifications
    alice, bob, carol = new_caller(app), new_caller(app), new_caller(app)
    thread, _ = chat.create_thread(alice, "t", [NewParticipant(bob.user_id)], None)
    real_read = notifier._read
    failures = [RuntimeError("database away")]

    def flaky(after: int) -> Any:
        if failures:
            raise failures.pop()
        return real_read(after)

    monkeypatch.setattr(notifier, "_read", flaky)
    first = await notifier.open(bob)  # the poller's first read fails
    other = await notifier.open(carol)
    message = await chat.send_message(alice, thread.id, "hi", None, None, None)
    got = await first.next(timeout=10)
    assert got is not None
    assert got.event.event_type == ev.MESSAGE_RECEIVED
    assert got.event.data["messageId"] == message.id
    assert not failures  # the failed read was retried
    chat.typing(alice, thread.id, "Alice")
    typing = await first.next(timeout=10)
    assert typing is not None and typing.event.event_type == ev.TYPING_IN_THREAD
    assert await other.next(timeout=0.3) is None  # carol is in no thread with them
    first.close()
    other.close()

    replay = await notifier.open(bob, last_event_id=0)
    seen = []
    while (n := await replay.next(timeout=0.3)) is not None:
        seen.append(n.event.event_type)
    replay.close()
    # Typing indicators are not replayed; the per-user events are, in order.
    assert seen == [ev.THREAD_CREATED_WITH_USER, ev.MESSAGE_RECEIVED]
