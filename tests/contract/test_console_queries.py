"""``ChatRepo.all_threads``: the operator's list of every live thread, on both databases."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from tidings.container import Application
from tidings.domain.chat import Thread
from tidings.domain.deliveries import DeliveryStatus, NewDelivery
from tidings.domain.events import sms_received
from tidings.storage.database import SqlTx

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_all_threads_by_activity_with_a_keyset_cursor(application: Application) -> None:
    db = application.database
    quiet = Thread("19:a", "quiet", "8:acs:u1", T0)
    busy = replace(Thread("19:b", "busy", "8:acs:u2", T0), last_message_at=T0 + timedelta(hours=1))
    gone = replace(Thread("19:c", "gone", "8:acs:u1", T0), deleted_at=T0 + timedelta(minutes=1))
    tie = Thread("19:d", "tie", "8:acs:u3", T0)

    def write(tx: SqlTx) -> None:
        for thread in (quiet, busy, gone, tie):
            tx.chat.add_thread(thread, None)

    db.write(write)
    every = db.read(lambda tx: tx.chat.all_threads(before=None, limit=10))
    assert [t.id for t in every] == ["19:b", "19:d", "19:a"]
    first = db.read(lambda tx: tx.chat.all_threads(before=None, limit=2))
    assert [t.id for t in first] == ["19:b", "19:d"]
    rest = db.read(lambda tx: tx.chat.all_threads(before=(T0, "19:d"), limit=2))
    assert [t.id for t in rest] == ["19:a"]


def test_dead_letter_records_carry_the_event_id(application: Application) -> None:
    """Not the delivery's (``msg_...``): both tables have an ``id`` column."""
    db = application.database
    event = sms_received(
        message_id="Incoming_1",
        sender="+15555550111",
        recipient="+18005550100",
        body="hi",
        received_at=T0,
        segments=1,
        topic="/t",
        pascal=True,
        now=T0,
    )

    def write(tx: SqlTx) -> None:
        tx.events.append(event)
        seq = tx.deliveries.take_unrouted(10)[0][0]
        tx.deliveries.add([NewDelivery("msg_1", "sub", (seq,), T0)])
        tx.deliveries.mark(["msg_1"], DeliveryStatus.DEAD_LETTERED)

    db.write(write)
    [dead] = db.read(lambda tx: tx.deliveries.dead_letters("sub", limit=10, offset=0))
    assert dead.delivery.id == "msg_1" and dead.event.id == "Incoming_1"
    assert dead.event.to_event_grid()["id"] == "Incoming_1"
