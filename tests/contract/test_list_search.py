"""Searching and paging the console's long lists (conversations, opt-outs), on both
databases: by number digits, by message text, with the last message as a preview."""

from __future__ import annotations

from tests.conftest import FakeClock
from tidings.container import Application
from tidings.domain.conversations import OptOutEntry
from tidings.ports import Tx

OUR = "+18005550100"


def test_conversations_by_number_or_text_with_a_preview(
    application: Application, clock: FakeClock
) -> None:
    sim = application.services.simulator
    for i in range(12):
        sim.text(f"+1555555{i:04d}", OUR, f"order {i} 100%_done")
        clock.advance(1)
    sim.text("+15555550003", OUR, "Where is my parcel?")
    queries = application.services.queries
    page = queries.conversations(None, 5, 0)
    assert [c.peer_number for c in page][:2] == ["+15555550003", "+15555550011"]
    assert page[0].preview == "Where is my parcel?" and page[1].preview == "order 11 100%_done"
    rest = queries.conversations(None, 100, 5)
    assert len(page) + len(rest) == 12 and not {c.id for c in page} & {c.id for c in rest}
    by_number = queries.conversations(None, 100, 0, "555-0007")
    assert [c.peer_number for c in by_number] == ["+15555550007"]
    assert len(queries.conversations(None, 100, 0, "+1 800 555")) == 12  # our side matches
    by_text = queries.conversations(None, 100, 0, "PARCEL")
    assert [c.peer_number for c in by_text] == ["+15555550003"]
    # LIKE wildcards are taken literally: "%_" matches only where it is written.
    assert len(queries.conversations(None, 100, 0, "0%_d")) == 12
    assert queries.conversations(None, 100, 0, "x%_y") == []


def test_opt_outs_by_number(application: Application, clock: FakeClock) -> None:
    def write(tx: Tx) -> None:
        for i in range(3):
            tx.optouts.add(OptOutEntry(OUR, f"+1555555010{i}", "US", clock.now(), "api"))

    application.services.store.write(write)
    optouts = application.services.optouts
    assert [e.recipient for e in optouts.entries(None, 100, 0, "5550101")] == ["+15555550101"]
    assert len(optouts.entries(None, 100, 0, "+1 555")) == 3
    assert optouts.entries(None, 100, 0, "999") == []


def test_chat_threads_by_topic(application: Application) -> None:
    from datetime import UTC, datetime

    from tidings.domain.chat import Thread

    t0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

    def write(tx: Tx) -> None:
        for i, topic in enumerate(["Lunch plans", "Order 100%_late", "lunch, again"]):
            tx.chat.add_thread(Thread(f"19:t{i}", topic, "8:acs:u1", t0), None)

    application.services.store.write(write)
    queries = application.services.queries
    found = queries.chat_threads(before=None, limit=10, topic="LUNCH")
    assert sorted(t.topic for t in found) == ["Lunch plans", "lunch, again"]
    assert [t.topic for t in queries.chat_threads(before=None, limit=10, topic="0%_")] == [
        "Order 100%_late"
    ]
    assert queries.chat_threads(before=None, limit=10, topic="x%") == []


def test_purchased_numbers_by_digits_or_sender_id(application: Application) -> None:
    from tidings.domain.numbers import Capability, NumberType

    numbers = application.services.numbers
    for i in range(4):
        numbers.provision(f"+1844555{i:04d}", NumberType.TOLL_FREE)
    numbers.provision("CONTOSO", NumberType.ALPHANUMERIC, sms=Capability.OUTBOUND)
    numbers.provision("100%_OFF", NumberType.ALPHANUMERIC, sms=Capability.OUTBOUND)
    found = numbers.list_numbers(0, 2, "844-555")
    assert [n.number for n in found] == ["+18445550000", "+18445550001"]
    assert [n.number for n in numbers.list_numbers(2, 10, "844-555")] == [
        "+18445550002",
        "+18445550003",
    ]
    assert [n.number for n in numbers.list_numbers(0, 10, "conTOSO")] == ["CONTOSO"]
    assert [n.number for n in numbers.list_numbers(0, 10, "%_")] == ["100%_OFF"]  # literally
    assert numbers.list_numbers(0, 10, "x%") == []
    assert len(numbers.list_numbers(0, 10)) == 7  # and the seeded number


def test_handsets_by_digits(application: Application, clock: FakeClock) -> None:
    sim = application.services.simulator
    for i in range(5):
        sim.create(f"+1555555{i:04d}")
        clock.advance(1)
    sim.create("+14255550199")
    first = sim.handsets(3, 0, "(555) 555")
    assert [h.number for h in first] == ["+15555550004", "+15555550003", "+15555550002"]
    assert [h.number for h in sim.handsets(3, 3, "555 555")] == ["+15555550001", "+15555550000"]
    assert [h.number for h in sim.handsets(10, 0, "425")] == ["+14255550199"]
    assert sim.handsets(10, 0, "777") == []
    assert len(sim.handsets(10, 0)) == 6
