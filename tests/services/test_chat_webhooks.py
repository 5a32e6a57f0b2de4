"""Chat events reach event subscriptions; with none, they are written already routed."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.services.chat_helpers import new_caller
from tests.services.test_webhooks import Hooks, hooks  # noqa: F401 - the fixture
from tidings.domain import chat_events as ev
from tidings.services.chat import NewParticipant
from tidings.storage.schema import events

pytestmark = pytest.mark.anyio


def _routed(h: Hooks) -> list[tuple[str, bool]]:
    with h.app.database.engine.connect() as c:
        rows = c.execute(sa.select(events.c.event_type, events.c.routed).order_by(events.c.seq))
        return [(r.event_type, bool(r.routed)) for r in rows]


async def test_chat_events_are_delivered_to_subscriptions(hooks: Hooks) -> None:  # noqa: F811
    app = hooks.app
    alice, bob = new_caller(app), new_caller(app)
    thread, _ = app.services.chat.create_thread(alice, "t", [NewParticipant(bob.user_id)], None)
    # No subscription yet: written routed, and never delivered to one created later.
    assert _routed(hooks) and all(routed for _, routed in _routed(hooks))

    await hooks.subscribe(filter={"includedEventTypes": [ev.MESSAGE_RECEIVED]})
    before = len(_routed(hooks))
    message = await app.services.chat.send_message(alice, thread.id, "hi", None, "A", None)
    after = _routed(hooks)[before:]
    assert [t for t, _ in after] == [ev.MESSAGE_RECEIVED, ev.MESSAGE_RECEIVED_IN_THREAD]
    assert not any(routed for _, routed in after)

    await hooks.step()
    delivered = [e for r in hooks.sender.notifications() for e in r.json()]
    assert [e["eventType"] for e in delivered] == [ev.MESSAGE_RECEIVED]
    assert delivered[0]["data"]["messageId"] == message.id
    assert delivered[0]["data"]["recipientId"] == bob.user_id
    assert delivered[0]["subject"].startswith(f"thread/{thread.id}/sender/{alice.user_id}")
