"""Each storage port against SQLite and a real PostgreSQL."""

from __future__ import annotations

import dataclasses
import functools
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from tidings.domain.conversations import OptOutEntry, conversation_id
from tidings.domain.messages import (
    SEND_JOB_MESSAGES,
    DeliveryAttempt,
    Direction,
    FinalOutcome,
    Message,
    MessageOrigin,
    MessageStatus,
    OutboundBatch,
    QueuedSms,
    ReportTarget,
    send_job_ids,
)
from tidings.domain.simulator import CarrierRule, Outcome
from tidings.domain.timefmt import ensure_utc
from tidings.errors import Conflict
from tidings.ports import Job
from tidings.storage import dialects, driver, migrations, rollups
from tidings.storage.analytics_schema import analytics_days
from tidings.storage.database import Database, SqlTx
from tidings.storage.schema import messages, metadata, rate_windows

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)


def test_migrations_create_exactly_the_schema(db: Database) -> None:
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), metadata)
    assert diff == []
    assert not migrations.pending(db.engine)
    migrations.upgrade(db.engine)  # idempotent


def _documented_rules() -> list[CarrierRule]:
    """The table after "A new installation starts with:" in docs/simulator.md."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "simulator.md").read_text()
    table = text.split("A new installation starts with:", 1)[1].split("\n\n")[1]
    rules = []
    for line in table.splitlines()[2:]:  # after the header and its rule
        pattern, outcome, delay = (cell.strip() for cell in line.strip("|").split("|"))
        rules.append(CarrierRule(pattern.strip("`"), outcome, float(delay.rstrip(" s")), None))
    return rules


def test_default_carrier_rules_are_seeded_as_documented(db: Database) -> None:
    documented = _documented_rules()
    assert len(documented) == 6
    assert {Outcome(r.outcome) for r in documented} == set(Outcome) - {Outcome.DELIVER}
    assert db.read(lambda tx: tx.carrier_rules.all()) == documented


def test_claim_takes_due_jobs_once_and_leases_them(db: Database) -> None:
    def setup(tx: SqlTx) -> None:
        tx.jobs.enqueue("a", {"n": 1}, T0, now=T0)
        tx.jobs.enqueue("a", {"n": 2}, T0 + timedelta(seconds=10), now=T0)
        tx.jobs.enqueue("b", {"n": 3}, T0, now=T0)

    db.write(setup)
    first = db.write(lambda tx: tx.jobs.claim(["a"], limit=10, now=T0, lease=LEASE, worker="w1"))
    assert [j.payload["n"] for j in first] == [1]
    assert first[0].attempts == 1
    # Leased: not claimable again until the lease runs out.
    again = db.write(lambda tx: tx.jobs.claim(["a"], limit=10, now=T0, lease=LEASE, worker="w2"))
    assert again == []
    later = T0 + timedelta(seconds=31)
    expired = db.write(
        lambda tx: tx.jobs.claim(["a"], limit=10, now=later, lease=LEASE, worker="w2")
    )
    assert sorted(j.payload["n"] for j in expired) == [1, 2]
    assert {j.payload["n"]: j.attempts for j in expired} == {1: 2, 2: 1}


def test_jobs_enqueued_claimed_are_leased_to_their_enqueuer(db: Database) -> None:
    rows = [("c", {"n": n}, T0, f"key-{n}") for n in range(3)]
    db.write(lambda tx: tx.jobs.enqueue_unique(rows[:1], now=T0))
    held = db.write(lambda tx: tx.jobs.enqueue_claimed(rows, now=T0, lease=LEASE, worker="w1"))
    assert [(j.payload["n"], j.attempts) for j in held] == [(1, 1), (2, 1)]  # key-0 existed
    taken = db.write(lambda tx: tx.jobs.claim(["c"], limit=10, now=T0, lease=LEASE, worker="w2"))
    assert [j.payload["n"] for j in taken] == [0]  # the held ones are leased
    assert db.read(lambda tx: tx.jobs.next_due(T0)) == T0 + LEASE
    later = T0 + LEASE + timedelta(seconds=1)
    expired = db.write(
        lambda tx: tx.jobs.claim(["c"], limit=10, now=later, lease=LEASE, worker="w2")
    )
    assert sorted((j.payload["n"], j.attempts) for j in expired) == [(0, 2), (1, 2), (2, 2)]


def test_ack_retry_dead_and_stats(db: Database) -> None:
    db.write(lambda tx: tx.jobs.enqueue_many([("k", {"i": i}, T0) for i in range(3)], now=T0))
    jobs = db.write(lambda tx: tx.jobs.claim(["k"], limit=10, now=T0, lease=LEASE, worker="w"))
    assert len(jobs) == 3
    db.write(lambda tx: tx.jobs.ack([jobs[0].id]))
    db.write(lambda tx: tx.jobs.retry(jobs[1].id, T0 + timedelta(minutes=5), "boom"))
    db.write(lambda tx: tx.jobs.dead(jobs[2].id, "gave up"))
    stats = db.read(lambda tx: tx.jobs.stats(T0))
    assert (stats.pending, stats.due, stats.dead) == (1, 0, 1)
    assert stats.oldest_due_at == T0 + timedelta(minutes=5)
    later = T0 + timedelta(minutes=5)
    retried = db.write(
        lambda tx: tx.jobs.claim(["k"], limit=10, now=later, lease=LEASE, worker="w")
    )
    assert [j.id for j in retried] == [jobs[1].id]


def test_a_rolled_back_claim_counts_its_attempt_unless_claimed_again(db: Database) -> None:
    """``count_failed_claim``: the worker's claim of these jobs rolled back (a failing check);
    their attempt is recorded with the retry, or they are buried, but a job another worker
    has claimed since is left to it."""
    db.write(lambda tx: tx.jobs.enqueue_many([("k", {"i": i}, T0) for i in range(3)], now=T0))

    def claim() -> list[Job]:
        return db.write(lambda tx: tx.jobs.claim(["k"], limit=10, now=T0, lease=LEASE, worker="w"))

    jobs: list[Job] = []

    def claim_and_fail(tx: SqlTx) -> None:  # as the worker's claim when a check raises
        jobs.extend(tx.jobs.claim(["k"], limit=10, now=T0, lease=LEASE, worker="w"))
        raise RuntimeError("the checks failed")

    with pytest.raises(RuntimeError):
        db.write(claim_and_fail)
    assert [j.attempts for j in jobs] == [1, 1, 1]
    retry_at = T0 + timedelta(seconds=2)
    taken = db.write(lambda tx: tx.jobs.claim(["k"], limit=1, now=T0, lease=LEASE, worker="x"))
    assert [j.payload for j in taken] == [{"i": 0}]  # another worker took the first meanwhile

    def count(tx: SqlTx) -> None:
        tx.jobs.count_failed_claim(jobs[0].id, 1, retry_at, "boom", T0)
        tx.jobs.count_failed_claim(jobs[1].id, 1, retry_at, "boom", T0)
        tx.jobs.count_failed_claim(jobs[2].id, 1, None, "gave up", T0)

    db.write(count)
    stats = db.read(lambda tx: tx.jobs.stats(T0))
    assert (stats.pending, stats.dead) == (2, 1)
    assert claim() == []  # the first is leased to "x", the second waits for its retry
    [again] = db.write(
        lambda tx: tx.jobs.claim(["k"], limit=10, now=retry_at, lease=LEASE, worker="w")
    )
    assert (again.payload, again.attempts) == ({"i": 1}, 2)  # the undone attempt counted


def test_dedupe_key_enqueues_once(db: Database) -> None:
    for _ in range(3):
        db.write(lambda tx: tx.jobs.enqueue("d", {}, T0, now=T0, dedupe_key="same"))
    assert db.read(lambda tx: tx.jobs.stats(T0)).pending == 1


def test_concurrent_workers_never_claim_the_same_job(db: Database) -> None:
    db.write(lambda tx: tx.jobs.enqueue_many([("c", {"i": i}, T0) for i in range(300)], now=T0))
    claimed: list[int] = []
    lock = threading.Lock()

    def worker(name: str) -> None:
        while True:
            jobs = db.write(
                lambda tx: tx.jobs.claim(["c"], limit=7, now=T0, lease=LEASE, worker=name)
            )
            if not jobs:
                return
            with lock:
                claimed.extend(j.id for j in jobs)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(claimed) == 300
    assert len(set(claimed)) == 300


def test_rate_windows_grant_up_to_the_limit(db: Database) -> None:
    window = T0.replace(second=0)
    key = "tollFree:+1800"
    assert db.write(lambda tx: tx.rate_windows.take(key, 200, window, 150)) == 150
    assert db.write(lambda tx: tx.rate_windows.take(key, 200, window, 150)) == 50
    assert db.write(lambda tx: tx.rate_windows.take(key, 200, window, 1)) == 0
    later = window + timedelta(minutes=1)
    assert db.write(lambda tx: tx.rate_windows.take(key, 200, later, 10)) == 10
    assert db.write(lambda tx: tx.rate_windows.take("tollFree:+1833", 200, window, 5)) == 5


def test_concurrent_takers_share_a_window_up_to_its_limit(db: Database) -> None:
    window = T0.replace(second=0)
    granted: list[int] = []

    def take() -> None:
        granted.append(db.write(lambda tx: tx.rate_windows.take("k", 50, window, 7)))

    threads = [threading.Thread(target=take) for _ in range(12)]  # 84 asked for
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(granted) == 50 and sorted(granted)[-2:] == [7, 7]


def test_defer_does_not_count_an_attempt(db: Database) -> None:
    db.write(lambda tx: tx.jobs.enqueue("k", {}, T0, now=T0))
    (job,) = db.write(lambda tx: tx.jobs.claim(["k"], limit=1, now=T0, lease=LEASE, worker="w"))
    db.write(lambda tx: tx.jobs.defer(job.id, T0 + timedelta(minutes=1)))
    assert db.write(lambda tx: tx.jobs.claim(["k"], limit=1, now=T0, lease=LEASE, worker="w")) == []
    later = T0 + timedelta(minutes=1)
    (again,) = db.write(
        lambda tx: tx.jobs.claim(["k"], limit=1, now=later, lease=LEASE, worker="w")
    )
    assert again.attempts == 1


def _message(message_id: str, rid: str | None = None) -> tuple[Message, str | None]:
    return (
        Message(
            id=message_id,
            direction=Direction.OUTBOUND,
            status=MessageStatus.QUEUED,
            sender="+18005550100",
            recipient="+15555550111",
            body="hi ✓",
            segments=1,
            encoding="UCS-2",
            tag="t",
            enable_delivery_report=True,
            origin=MessageOrigin.API,
            created_at=T0,
            scheduled_at=T0,
        ),
        rid,
    )


def test_message_lifecycle(db: Database) -> None:
    db.write(lambda tx: tx.messages.add_many([_message("m1", "r1"), _message("m2")]))
    retry = OutboundBatch(
        [_message("m3", "r1"), _message("m4", "r9")],
        [
            ("sms.report_timeout", {"messageId": "m3"}, T0),
            ("sms.report_timeout", {"messageId": "m4"}, T0),
        ],
        T0,
    )
    assert db.write(lambda tx: tx.messages.accept(retry)) == {"r1": "m1"}
    assert db.read(lambda tx: tx.messages.get("m3")) is None  # the repeat wrote nothing
    assert db.read(lambda tx: tx.messages.get("m4")) is not None
    # m4's send job (the store's) and its own timeout job; nothing for the repeat m3.
    pending = db.read(lambda tx: tx.jobs.pending_payloads("sms.send"))
    assert pending == [{"messageId": "m4"}]
    assert db.read(lambda tx: tx.jobs.pending_payloads("sms.report_timeout")) == [
        {"messageId": "m4"}
    ]
    assert db.write(lambda tx: tx.messages.mark_sent("m1", T0, "c1"))
    assert not db.write(lambda tx: tx.messages.mark_sent("m1", T0, "c1"))
    attempts = (DeliveryAttempt(T0 + timedelta(seconds=1), 1, 0),)
    done = db.write(
        lambda tx: tx.messages.finish(
            "m1", status=MessageStatus.DELIVERED, code=2000, at=T0, attempts=attempts
        )
    )
    assert done
    again = db.write(
        lambda tx: tx.messages.finish(
            "m1", status=MessageStatus.FAILED, code=5000, at=T0, attempts=()
        )
    )
    assert not again
    stored = db.read(lambda tx: tx.messages.get("m1"))
    assert stored is not None
    assert stored.status is MessageStatus.DELIVERED
    assert stored.attempts == attempts
    assert stored.body == "hi ✓"
    page = db.read(lambda tx: tx.messages.page(status=MessageStatus.QUEUED))
    assert [m.id for m in page] == ["m4", "m2"]  # newest first, then by id


def _queued(ids: list[str], lock: bool, tx: SqlTx) -> dict[str, QueuedSms]:
    return tx.messages.queued(ids, lock=lock)


def _targets(ids: list[str], lock: bool, tx: SqlTx) -> dict[str, ReportTarget]:
    return tx.messages.report_targets(ids, lock=lock)


def test_the_narrow_reads_hold_what_the_whole_message_holds(db: Database) -> None:
    """``queued`` (the send path's read) and ``report_targets`` (the report path's) give
    each field as ``get_many`` does; ``queued`` leaves out the messages no longer queued."""
    db.write(lambda tx: tx.messages.add_many([_message("m1", "r1"), _message("m2")]))
    assert db.write(lambda tx: tx.messages.mark_sent("m2", T0, "c2"))
    whole = db.read(lambda tx: tx.messages.get_many(["m1", "m2"]))
    for lock in (False, True):
        ids = ["m1", "m2", "nope"]
        queued = db.write(functools.partial(_queued, ids, lock))
        assert list(queued) == ["m1"]
        targets = db.write(functools.partial(_targets, ids, lock))
        assert set(targets) == {"m1", "m2"}
        narrows: list[QueuedSms | ReportTarget] = [*queued.values(), *targets.values()]
        for narrow in narrows:
            full = whole[narrow.id]
            fields = {f.name: getattr(full, f.name) for f in dataclasses.fields(narrow)}
            assert dataclasses.asdict(narrow) == fields


def test_repeatability_id_is_unique(db: Database) -> None:
    db.write(lambda tx: tx.messages.add_many([_message("m1", "r1")]))
    with pytest.raises(Conflict):
        db.write(lambda tx: tx.messages.add_many([_message("m2", "r1")]))
    assert db.read(lambda tx: tx.messages.get("m2")) is None


def test_optouts_and_conversations(db: Database) -> None:
    entry = OptOutEntry("+18005550100", "+15555550111", "US", T0, "keyword")
    assert db.write(lambda tx: tx.optouts.add(entry))
    assert not db.write(lambda tx: tx.optouts.add(entry))
    blocked = db.read(
        lambda tx: tx.optouts.opted_out("+18005550100", ["+15555550111", "+15555550112"])
    )
    assert blocked == {"+15555550111"}
    later = T0 + timedelta(minutes=5)
    assert db.write(
        lambda tx: tx.optouts.remove("+18005550100", "+15555550111", at=later, source="api")
    )
    assert not db.write(
        lambda tx: tx.optouts.remove("+18005550100", "+15555550111", at=later, source="api")
    )

    first = db.write(lambda tx: tx.conversations.touch("+18005550100", "+15555550111", T0))
    second = db.write(lambda tx: tx.conversations.touch("+18005550100", "+15555550111", T0 + LEASE))
    assert first == second
    conversation = db.read(lambda tx: tx.conversations.get(first))
    assert conversation is not None
    assert conversation.message_count == 2
    assert conversation.last_message_at == T0 + LEASE


def test_touch_many_counts_each_pair_and_keeps_the_latest_time(db: Database) -> None:
    ours, a, b = "+18005550100", "+15555550111", "+15555550112"
    first = db.write(lambda tx: tx.conversations.touch(ours, a, T0 + LEASE))
    db.write(lambda tx: tx.conversations.touch_many({(ours, a): 3, (ours, b): 2}, T0))
    db.write(lambda tx: tx.conversations.touch_many({}, T0))
    one = db.read(lambda tx: tx.conversations.get(first))
    assert one is not None and one.message_count == 4
    assert one.last_message_at == T0 + LEASE  # an older send does not move it back
    two = db.read(lambda tx: tx.conversations.get(conversation_id(ours, b)))
    assert two is not None and (two.message_count, two.last_message_at) == (2, T0)
    assert (two.our_number, two.peer_number) == (ours, b)


def test_release_all_frees_leases(db: Database) -> None:
    db.write(lambda tx: tx.jobs.enqueue_many([("r", {}, T0), ("r", {}, T0)], now=T0))
    db.write(lambda tx: tx.jobs.claim(["r"], limit=10, now=T0, lease=LEASE, worker="dead"))
    assert db.write(lambda tx: tx.jobs.release_all()) == 2
    again = db.write(lambda tx: tx.jobs.claim(["r"], limit=10, now=T0, lease=LEASE, worker="w"))
    assert len(again) == 2


def test_prune_drops_old_windows(db: Database) -> None:
    window = T0.replace(second=0)
    old = window - timedelta(hours=2)
    db.write(lambda tx: tx.rate_windows.take("k", 10, old, 5))
    db.write(lambda tx: tx.rate_windows.take("k", 10, window, 5))
    db.write(lambda tx: tx.rate_windows.prune(window - timedelta(hours=1)))
    assert db.write(lambda tx: tx.rate_windows.take("k", 10, old, 10)) == 10  # counted afresh
    assert db.write(lambda tx: tx.rate_windows.take("k", 10, window, 10)) == 5


def test_accept_writes_what_add_many_writes(db: Database) -> None:
    """``accept`` goes through the driver (``fast_insert``); a message must read back exactly
    as one written through SQLAlchemy, over more rows than one SQLite statement holds."""
    db.write(lambda tx: tx.messages.add_many([_message("via-sqlalchemy", "r0")]))
    rows = [_message(f"m{i:04d}", f"r{i}" if i % 2 else None) for i in range(1200)]
    assert db.write(lambda tx: tx.messages.accept(OutboundBatch(rows, [], T0))) == {}
    reference = db.read(lambda tx: tx.messages.get("via-sqlalchemy"))
    stored = db.read(lambda tx: tx.messages.get_many([m.id for m, _ in rows]))
    assert len(stored) == 1200
    assert reference is not None
    assert stored["m0001"] == dataclasses.replace(reference, id="m0001")
    # One send job per SEND_JOB_MESSAGES messages, covering each message once, in order.
    assert db.read(lambda tx: tx.jobs.stats(T0)).pending == 1200 // SEND_JOB_MESSAGES
    claimed = db.write(
        lambda tx: tx.jobs.claim(["sms.send"], limit=1000, now=T0, lease=LEASE, worker="w")
    )
    assert [i for job in claimed for i in send_job_ids(job.payload)] == [m.id for m, _ in rows]
    repeat = OutboundBatch([_message("again", "r1")], [], T0)
    assert db.write(lambda tx: tx.messages.accept(repeat)) == {"r1": "m0001"}
    # A few rows go another way on PostgreSQL (one INSERT, not COPY): they read back the same.
    few = [_message(f"few{i}", None) for i in range(driver.INSERT_ROWS)]
    assert db.write(lambda tx: tx.messages.accept(OutboundBatch(few, [], T0))) == {}
    again = db.read(lambda tx: tx.messages.get_many([m.id for m, _ in few]))
    assert again["few3"] == dataclasses.replace(reference, id="few3")


@pytest.mark.parametrize("size", [2, driver.INSERT_ROWS + 1])
def test_fast_insert_clash_is_an_integrity_error(db: Database, size: int) -> None:
    """A unique clash through the driver (PostgreSQL's one INSERT for a few rows, COPY for
    more) surfaces as SQLAlchemy's ``IntegrityError``, which group commit turns into a
    ``Conflict`` and reads again."""
    message, _ = _message("dup")
    required = {
        "id": message.id,
        "direction": "outbound",
        "status": "queued",
        "origin": "api",
        "sender": message.sender,
        "recipient": message.recipient,
        "body": message.body,
        "segments": 1,
        "encoding": "GSM-7",
        "enable_delivery_report": False,
        "created_at": T0,
    }
    columns, row = tuple(required), tuple(required.values())
    with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as connection:
        driver.fast_insert(connection, messages, columns, [row] * size)


@pytest.mark.parametrize("known", [True, False])
def test_finishing_messages_marks_their_analytics_day_stale(db: Database, known: bool) -> None:
    """A final state changes the day's counts: its rollup is recomputed, whether the caller
    read the message's creation time (the report paths) or ``finish_many`` reads it."""
    row = _message("d1")
    message = row[0]
    db.write(lambda tx: tx.messages.add_many([row]))
    day = rollups.floor_day(message.created_at)
    with db.engine.begin() as c:
        c.execute(analytics_days.insert(), [{"day": day, "valid": True, "computed_at": T0}])
        c.execute(  # another day, untouched
            analytics_days.insert(),
            [{"day": day + timedelta(days=1), "valid": True, "computed_at": T0}],
        )
    created = message.created_at if known else None
    outcome = FinalOutcome("d1", MessageStatus.DELIVERED, 0, T0, (), created)
    db.write(lambda tx: tx.messages.finish_many([outcome]))
    with db.engine.connect() as c:
        valid = dict(c.execute(sa.select(analytics_days.c.day, analytics_days.c.valid)).all())
    assert {ensure_utc(d): v for d, v in valid.items()} == {
        day: False,
        day + timedelta(days=1): True,
    }


def test_driver_executemany_writes_what_sqlalchemy_writes(db: Database) -> None:
    """``driver.executemany`` (the hot updates: final states, sent marks, SMPP parts) stores
    timestamps, JSON and the values built into the statement exactly as SQLAlchemy does,
    and a failing row surfaces as SQLAlchemy's error, the transaction left whole."""
    rows = [_message(f"x{i}") for i in range(3)]
    db.write(lambda tx: tx.messages.add_many(rows))
    attempts = (DeliveryAttempt(T0 + timedelta(seconds=1, microseconds=5), 1, 0),)
    outcome = FinalOutcome("x0", MessageStatus.DELIVERED, 0, T0 + timedelta(seconds=2), attempts)
    db.write(lambda tx: tx.messages.finish_many([outcome]))
    db.write(lambda tx: tx.messages.finish("x1", status=outcome.status, code=0, at=outcome.at,
                                           attempts=attempts))  # fmt: skip
    both = db.read(lambda tx: tx.messages.get_many(["x0", "x1"]))
    fast, slow = both["x0"], both["x1"]
    assert fast == dataclasses.replace(slow, id="x0")
    assert fast.final_at == T0 + timedelta(seconds=2) and fast.attempts == attempts
    db.write(lambda tx: tx.messages.mark_sent_many([("x2", "c-2", "acme")], T0))
    sent = db.read(lambda tx: tx.messages.get("x2"))
    assert sent is not None and (sent.status, sent.sent_at, sent.carrier) == (
        MessageStatus.SENT, T0, "acme",
    )  # fmt: skip
    statement = messages.update().where(messages.c.id == sa.bindparam("b_id"))
    statement = statement.values(segments=sa.bindparam("b_segments"))
    with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as connection:
        driver.executemany(connection, statement, [{"b_id": "x2", "b_segments": None}])
    assert db.read(lambda tx: tx.messages.get("x2")) == sent


def test_a_read_under_the_shared_lock_sees_what_the_exclusive_holder_committed(
    db: Database,
) -> None:
    """``any_row_under_shared_lock`` (the event outbox's "any subscription?") waits while
    another transaction holds the key exclusively, then sees that transaction's row: its
    read is not made before the lock came (PostgreSQL sends both in one round trip)."""
    key = "tidings.test-lock"
    with db.engine.begin() as c:
        assert not dialects.any_row_under_shared_lock(c, key, rate_windows)
    if db.engine.dialect.name == "sqlite":  # one writer at a time: nothing to wait for
        with db.engine.begin() as c:
            c.execute(rate_windows.insert(), {"key": "k", "window_start": T0, "used": 1})
        with db.engine.begin() as c:
            assert dialects.any_row_under_shared_lock(c, key, rate_windows)
        return
    seen: list[bool] = []
    with db.engine.connect() as holder:
        holder.begin()
        dialects.lock_key(holder, key)
        holder.execute(rate_windows.insert(), {"key": "k", "window_start": T0, "used": 1})

        def read() -> None:
            with db.engine.begin() as c:
                seen.append(dialects.any_row_under_shared_lock(c, key, rate_windows))

        reader = threading.Thread(target=read)
        reader.start()
        reader.join(0.5)
        assert reader.is_alive() and not seen  # waiting for the lock
        holder.commit()
    reader.join(10)
    assert seen == [True]


def test_a_transaction_reads_back_the_messages_it_marked_sent(db: Database) -> None:
    """``mark_sent_many`` with ``targets``: a locking ``report_targets`` in the same
    transaction (a carrier that reports at once) gets what a read would find, without one;
    not when some message was no longer queued, and not once ``finish_many`` changed it."""
    rows = [_message(f"s{i}") for i in range(3)]
    db.write(lambda tx: tx.messages.accept(OutboundBatch(rows, [], T0)))
    queued = db.read(lambda tx: tx.messages.queued(["s0", "s1", "s2"]))
    db.write(lambda tx: tx.messages.mark_sent("s2", T0, "earlier"))  # sent by someone else
    reads: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        reads.append(statement)

    def send(tx: SqlTx, ids: list[str]) -> tuple[dict[str, ReportTarget], dict[str, ReportTarget]]:
        targets = [queued[i].sent_target() for i in ids]
        tx.messages.mark_sent_many([(i, f"c-{i}", "sim") for i in ids], T0, targets)
        reads.clear()
        cached = tx.messages.report_targets(ids, lock=True)
        return cached, tx.messages.report_targets(ids)  # (a plain read reads)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        cached, read = db.write(lambda tx: send(tx, ["s0", "s1"]))
        assert cached == read and cached["s0"].status is MessageStatus.SENT
        assert len(reads) == 1  # the plain read only
        cached, read = db.write(lambda tx: send(tx, ["s2"]))  # s2 was no longer queued
        assert len(reads) == 2 and cached == read
        assert cached["s2"].status is MessageStatus.SENT
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)

    def finished(tx: SqlTx) -> MessageStatus:
        fresh = db_queued[0].sent_target()
        tx.messages.mark_sent_many([(fresh.id, "c", "sim")], T0, [fresh])
        tx.messages.finish_many(
            [FinalOutcome(fresh.id, MessageStatus.DELIVERED, 2000, T0, (), fresh.created_at)]
        )
        return tx.messages.report_targets([fresh.id], lock=True)[fresh.id].status

    db.write(lambda tx: tx.messages.accept(OutboundBatch([_message("s3")], [], T0)))
    db_queued = list(db.read(lambda tx: tx.messages.queued(["s3"])).values())
    assert db.write(finished) is MessageStatus.DELIVERED  # read again after finish_many
