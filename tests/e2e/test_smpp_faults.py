"""Faults: the SMSC killed mid-window and restarted, slow responses past the timeout, the
bind lease taken over by another node. Every accepted message reaches the SMSC at least
once and gets exactly one delivery report."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

from tests.e2e.smpp_fixtures import (
    RecordingSink,
    SmscProcess,
    bound,
    database,
    options,
    running,
    sms,
)
from tidings.carriers.smpp.carrier import SmppCarrier
from tidings.carriers.smpp.stream_session import StreamSession
from tidings.storage import migrations
from tidings.storage.database import Database

pytestmark = [pytest.mark.anyio, pytest.mark.e2e]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    yield from database(tmp_path)


def exactly_once(sink: RecordingSink, ids: set[str]) -> None:
    counts = Counter(r.message_id for r in sink.reports)
    assert set(counts) == ids
    assert max(counts.values()) == 1


async def test_smsc_killed_mid_window_and_restarted(db: Database) -> None:
    smsc = SmscProcess.smpp34().start()
    sink = RecordingSink()
    messages = [sms(f"+1425556{i:04d}") for i in range(6000, 6200)]
    try:
        # What the killed SMSC accepted but never receipted fails after receipt_timeout.
        opts = options(smsc.port, window=20, receipt_timeout_seconds=3)
        async with running(db, opts, sink) as carrier:
            await bound(carrier)
            await carrier.submit(messages)
            await smsc.wait(lambda e: e["event"] == "submit", count=30)
            smsc.kill()
            # The restarted SMSC issues ids of its own: one that counted from the start again
            # would make a receipt ambiguous (docs/carriers.md, "Guarantees").
            second = SmscProcess.smpp34("--first-id", "5000000", port=smsc.port).start()
            try:
                await sink.until(
                    lambda: len({r.message_id for r in sink.reports}) == 200, timeout=60
                )
                reached = {e["dest"] for e in smsc.of("submit")} | {
                    e["dest"] for e in second.of("submit")
                }
            finally:
                second.stop()
    finally:
        smsc.stop()
    exactly_once(sink, {m.message_id for m in messages})
    ids = {m.message_id: m.recipient.lstrip("+") for m in messages}
    assert reached == {m.recipient.lstrip("+") for m in messages}
    # Only what the killed SMSC had taken can miss its receipt: those fail with 5002 after
    # receipt_timeout. (Usually exactly the ones it accepted but never receipted; smpp34
    # acknowledges a receipt before we store it, so one in flight at the kill can be lost
    # too: docs/carriers.md, "Guarantees".)
    lost = [r for r in sink.reports if not r.delivered]
    assert all(r.code == 5002 for r in lost)
    first = {e["dest"] for e in smsc.of("submit")}
    assert {ids[r.message_id] for r in lost} <= first


async def test_slow_response_past_the_timeout_is_resent(db: Database) -> None:
    smsc = SmscProcess.smpp34().start()
    sink = RecordingSink()
    try:
        opts = options(smsc.port, response_timeout_seconds=1)
        async with running(db, opts, sink) as carrier:
            await bound(carrier)
            slow = sms("+14255550005")
            fast = [sms(f"+1425557{i:04d}") for i in range(10, 20)]
            await carrier.submit([slow, *fast])
            await sink.until(lambda: len({r.message_id for r in sink.reports}) >= 10, timeout=30)
            # The slow one is resent after each timeout (the documented duplicate window).
            await smsc.wait(
                lambda e: e["event"] == "submit" and e["dest"] == "14255550005", count=2, timeout=20
            )
            statuses = carrier.status()
    finally:
        smsc.stop()
    assert {r.message_id for r in sink.reports} >= {m.message_id for m in fast}
    assert max(Counter(r.message_id for r in sink.reports).values()) == 1
    assert statuses and statuses[0].last_error is not None


async def test_lease_one_owner_and_takeover(db: Database) -> None:
    smsc = SmscProcess.smpp34().start()
    sink_a, sink_b = RecordingSink(), RecordingSink()
    try:
        opts = options(smsc.port, lease_seconds=1.5)
        async with running(db, opts, sink_a, node="node-a") as a:
            await bound(a)
            async with running(db, opts, sink_b, node="node-b") as b:
                await anyio.sleep(2)  # b polls the lease and must not get it
                (status,) = a.status()
                assert status.owner == "node-a" and status.state == "bound"
                assert len(smsc.of("bound")) == 1
                await a.aclose()  # node-a goes away (clean unbind releases the lease)
                await smsc.wait(lambda e: e["event"] == "unbound")
                # (available() is true at once: it counts node-a's bind as of b's last
                # housekeeping; wait for b's own.)
                with anyio.fail_after(10):
                    while (b.status()[0].owner, b.status()[0].state) != ("node-b", "bound"):
                        await anyio.sleep(0.05)
                message = sms("+14255558888")
                await b.submit([message])
                await sink_b.until(lambda: len(sink_b.reports) == 1)
    finally:
        smsc.stop()


def crash(carrier: SmppCarrier) -> None:
    """What a process death does to a carrier: its tasks stop with no unbind and no lease
    release, and the kernel closes its connections."""
    sessions = [r._live.session for r in carrier._runners if r._live is not None]
    for task in carrier._tasks:
        task.cancel()
    carrier._relay.sink = None
    for session in sessions:
        assert isinstance(session, StreamSession)
        session._writer.transport.abort()


@pytest.fixture(params=["sqlite", "postgres"])
def shared_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        yield from database(tmp_path)
        return
    url = request.getfixturevalue("postgres_url")
    db = Database(url)
    migrations.upgrade(db.engine)
    yield db
    db.close()


async def test_a_dead_holder_loses_the_bind_to_another_worker(shared_db: Database) -> None:
    """Two workers, one bind: the holder dies without unbinding or releasing its lease (its
    tasks are gone, as in a crash); the other takes the bind within the lease and sends what
    the dead one had queued or in flight."""
    smsc = SmscProcess.smpp34().start()
    sink_a, sink_b = RecordingSink(), RecordingSink()
    opts = options(smsc.port, lease_seconds=2)
    try:
        async with running(shared_db, opts, sink_a, node="node-a") as a:
            await bound(a)
            messages = [sms(f"+1425559{i:04d}") for i in range(6000, 6100)]
            async with running(shared_db, opts, sink_b, node="node-b") as b:
                await anyio.sleep(1)
                assert b.status()[0].owner == "node-a"
                await a.submit(messages)
                crash(a)
                with anyio.fail_after(15):
                    while b.status()[0].owner != "node-b" or b.status()[0].state != "bound":
                        await anyio.sleep(0.05)
                await sink_b.until(
                    lambda: len({r.message_id for r in [*sink_a.reports, *sink_b.reports]}) == 100,
                    timeout=30,
                )
    finally:
        smsc.stop()
    reports = Counter(r.message_id for r in [*sink_a.reports, *sink_b.reports])
    assert set(reports) == {m.message_id for m in messages}
    assert max(reports.values()) == 1
