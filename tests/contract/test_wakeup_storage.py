"""What the storage adapter signals, and when, and the due times loops sleep until."""

from __future__ import annotations

import time
from collections.abc import Collection
from datetime import UTC, datetime, timedelta

import anyio
import pytest

from tidings.domain.deliveries import NewDelivery
from tidings.domain.events import SMS_RECEIVED, Event
from tidings.storage import migrations
from tidings.storage.broadcast_postgres import PgBroadcast
from tidings.storage.database import Database
from tidings.wakeups import CARRIERS, DELIVERIES, EVENTS, JOBS

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


class Recorder:
    def __init__(self) -> None:
        self.signals: list[set[str]] = []

    def notify(self, topics: Collection[str], *, broadcast: bool = True) -> None:
        self.signals.append(set(topics))


@pytest.fixture
def recorder(db: Database, monkeypatch: pytest.MonkeyPatch) -> Recorder:
    recorder = Recorder()
    monkeypatch.setattr(db.wakeups, "notify", recorder.notify)
    return recorder


def test_a_queued_job_is_signalled_after_its_commit_only(db: Database, recorder: Recorder) -> None:
    def enqueue(tx: object) -> None:
        tx.jobs.enqueue("k", {}, NOW, now=NOW)  # type: ignore[attr-defined]
        assert recorder.signals == []  # not before the commit

    db.write(enqueue)
    assert recorder.signals == [{JOBS}]

    def fails(tx: object) -> None:
        tx.jobs.enqueue("k", {}, NOW, now=NOW)  # type: ignore[attr-defined]
        raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        db.write(fails)
    db.write(lambda tx: tx.jobs.stats(NOW))  # a transaction that writes no work
    assert recorder.signals == [{JOBS}]  # nothing for the rolled back one, or the reader


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_group_commits_signal_once_committed(db: Database, recorder: Recorder) -> None:
    await db.write_async(lambda tx: tx.jobs.enqueue("k", {}, NOW, now=NOW))
    assert recorder.signals == [{JOBS}]


def test_outbox_events_and_deliveries_are_signalled(db: Database, recorder: Recorder) -> None:
    seq = _event(db, "e1")
    db.write(lambda tx: tx.deliveries.add([NewDelivery("d1", "sub", (seq,), NOW)]))
    assert recorder.signals == [{EVENTS}, {DELIVERIES}]


def test_a_registry_change_is_signalled(db: Database, recorder: Recorder) -> None:
    """Routers reload the carrier registry when its revision moves: the bump signals."""
    db.write(lambda tx: tx.carriers.bump(NOW))
    db.write(lambda tx: tx.carriers.revision())  # reading it does not
    assert recorder.signals == [{CARRIERS}]


def _event(db: Database, event_id: str) -> int:
    event = Event(event_id, SMS_RECEIVED, "s", "t", {}, NOW)
    db.write(lambda tx: tx.events.append(event))
    return int(db.read(lambda tx: tx.events.last_seq()))


def test_next_due_job_is_the_earliest_future_run_or_lease_end(db: Database) -> None:
    assert db.read(lambda tx: tx.jobs.next_due(NOW)) is None
    later = NOW + timedelta(seconds=30)
    db.write(lambda tx: tx.jobs.enqueue("k", {"n": 1}, later, now=NOW))
    assert db.read(lambda tx: tx.jobs.next_due(NOW)) == later
    db.write(lambda tx: tx.jobs.enqueue("k", {"n": 2}, NOW, now=NOW))  # due now: claimable
    claimed = db.write(
        lambda tx: tx.jobs.claim(["k"], limit=1, now=NOW, lease=timedelta(seconds=10), worker="w")
    )
    assert [j.payload for j in claimed] == [{"n": 2}]
    # Leased until NOW + 10 s, when it is claimable again if its worker died.
    assert db.read(lambda tx: tx.jobs.next_due(NOW)) == NOW + timedelta(seconds=10)
    db.write(lambda tx: tx.jobs.ack([claimed[0].id]))
    assert db.read(lambda tx: tx.jobs.next_due(NOW)) == later
    assert db.read(lambda tx: tx.jobs.next_due(later)) is None


def test_next_attempt_of_a_subscription(db: Database) -> None:
    assert db.read(lambda tx: tx.deliveries.next_attempt_at("sub")) is None
    first, second = _event(db, "e1"), _event(db, "e2")
    db.write(lambda tx: tx.deliveries.add([NewDelivery("d1", "sub", (first,), NOW)]))
    earlier = NOW - timedelta(seconds=5)
    db.write(lambda tx: tx.deliveries.add([NewDelivery("d2", "sub", (second,), earlier)]))
    assert db.read(lambda tx: tx.deliveries.next_attempt_at("sub")) == NOW - timedelta(seconds=5)
    assert db.read(lambda tx: tx.deliveries.next_attempt_at("other")) is None


@pytest.mark.anyio
async def test_a_postgres_commit_carries_its_wakeup_to_the_other_processes(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ``NOTIFY`` is the transaction's own last statement: the server delivers it with
    the commit, and no round trip after the commit (the sender thread) is needed; a second
    transaction within ``INLINE_GAP`` hands its topics to the sender thread instead."""
    if not database_url.startswith("postgresql"):
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's")
    committer, worker = Database(database_url), Database(database_url)  # two nodes
    try:
        migrations.upgrade(committer.engine)
        broadcast = committer.wakeups._broadcast
        assert isinstance(broadcast, PgBroadcast)
        with worker.wakeups.subscribe(JOBS) as waiter:
            assert await waiter.wait(10)  # listening (it wakes everything once connected)
            waiter.clear()

            def enqueue() -> None:
                committer.write(lambda tx: tx.jobs.enqueue("k", {}, NOW, now=NOW))

            await anyio.to_thread.run_sync(enqueue)
            assert await waiter.wait(5)
            assert (broadcast.sent_inline, broadcast.sent) == (1, 0)

            waiter.clear()
            monkeypatch.setattr(broadcast, "_inline_after", time.monotonic() + 60)
            await anyio.to_thread.run_sync(enqueue)
            assert await waiter.wait(5)
            with anyio.fail_after(5):  # counted once its round trip is back
                while broadcast.sent == 0:
                    await anyio.sleep(0.01)
            assert (broadcast.sent_inline, broadcast.sent) == (1, 1)
    finally:
        committer.close()
        worker.close()
