"""Read queries the web console adds, on both dialects: message text search, timelines."""

from __future__ import annotations

import pytest

from tests.services.conftest import Driver
from tidings.services.sms import Recipient, SendRequest

pytestmark = pytest.mark.anyio
SENDER = "+18005550100"


def _send(driver: Driver, to: str, message: str) -> str:
    request = SendRequest(sender=SENDER, recipients=[Recipient(to)], message=message)
    found = driver.app.services.sms.send(request)[0].message_id
    assert found is not None
    return found


async def test_text_search_is_a_case_insensitive_substring(driver: Driver) -> None:
    parcel = _send(driver, "+15555550111", "Your PARCEL has shipped")
    _send(driver, "+15555550112", "Your order is ready")
    percent = _send(driver, "+15555550113", "Save 100% today")
    queries = driver.app.services.queries
    assert [m.id for m in queries.messages(text="parcel")] == [parcel]
    assert [m.id for m in queries.messages(text="%")] == [percent]  # a literal, not a wildcard
    assert len(queries.messages(text="your")) == 2
    assert queries.messages(text="your", number="+15555550112")[0].body == "Your order is ready"
    assert queries.messages(text="nothing like this") == []


async def test_timeline_links_message_event_and_deliveries(driver: Driver) -> None:
    request = SendRequest(
        sender=SENDER,
        recipients=[Recipient("+15555550111")],
        message="hi",
        enable_delivery_report=True,
    )
    message_id = driver.app.services.sms.send(request)[0].message_id
    assert message_id is not None
    queries = driver.app.services.queries
    before = queries.timeline(message_id)
    assert before.event is None and before.deliveries == []
    await driver.settle()
    await driver.settle(advance=1.0)
    after = queries.timeline(message_id)
    assert after.message.delivery_status is not None
    assert after.event is not None and after.event.id == message_id
