"""The bind runner over a fake session (``carriers/smpp/session.py``): the window is never
exceeded, throttling pauses the bind, a lost lease drops the session, a refused bind waits."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from pathlib import Path

import anyio
import pytest

from tests.e2e.smpp_fixtures import RecordingSink, database, options, sms
from tidings.carriers.smpp.carrier import SmppCarrier
from tidings.carriers.smpp.pipeline import within
from tidings.carriers.smpp.session import (
    BindError,
    BindRequest,
    InboundPdu,
    SmppSession,
    SubmitPdu,
    SubmitResponse,
)
from tidings.ports import SystemClock
from tidings.storage.database import Database

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    yield from database(tmp_path)


class FakeSession:
    """Answers each submit when the test releases it; counts what is outstanding."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.outstanding = 0
        self.most = 0
        self.submitted: list[SubmitPdu] = []
        self.release = asyncio.Semaphore(0)
        self.statuses = statuses or []
        self.closed = asyncio.Event()
        self.unbound = False

    def send(self, pdu: SubmitPdu, timeout: float) -> asyncio.Future[SubmitResponse]:
        return asyncio.ensure_future(within(self.submit(pdu), timeout))

    async def submit(self, pdu: SubmitPdu) -> SubmitResponse:
        self.outstanding += 1
        self.most = max(self.most, self.outstanding)
        self.submitted.append(pdu)
        try:
            await self.release.acquire()
        finally:
            self.outstanding -= 1
        status = self.statuses.pop(0) if self.statuses else 0
        return SubmitResponse(status, f"id{len(self.submitted)}" if status == 0 else None)

    async def receive(self) -> InboundPdu | None:
        await self.closed.wait()
        return None

    @property
    def ended(self) -> str | None:
        return "closed" if self.closed.is_set() else None

    async def acknowledge(self, pdus: Sequence[InboundPdu], status: int = 0) -> None:
        raise AssertionError("nothing is received in these tests")

    async def unbind(self) -> None:
        self.unbound = True
        self.closed.set()

    async def close(self) -> None:
        self.closed.set()


class FakeConnector:
    def __init__(self, *sessions: FakeSession | BindError) -> None:
        self.sessions = list(sessions)
        self.requests: list[BindRequest] = []

    async def __call__(self, request: BindRequest) -> SmppSession:
        self.requests.append(request)
        item = self.sessions.pop(0) if len(self.sessions) > 1 else self.sessions[0]
        if isinstance(item, BindError):
            raise item
        return item


async def until(pred, timeout: float = 10) -> None:
    with anyio.fail_after(timeout):
        while not pred():
            await anyio.sleep(0.01)


async def test_window_is_never_exceeded(db: Database) -> None:
    session = FakeSession()
    carrier = SmppCarrier(
        "acme",
        options(1, window=5, registered_delivery=0),
        db,
        SystemClock(),
        node_id="n",
        connector=FakeConnector(session),
    )
    sink = RecordingSink()
    await carrier.start(sink)
    try:
        await carrier.submit([sms(f"+1425555{i:04d}") for i in range(1000, 1030)])
        await until(lambda: session.outstanding == 5)
        for _ in range(30):
            session.release.release()
        await sink.until(lambda: len(sink.reports) == 30)
    finally:
        await carrier.aclose()
    assert session.most == 5 and len(session.submitted) == 30
    assert all(r.delivered for r in sink.reports)  # registered_delivery 0: taken = delivered
    assert session.unbound


async def test_throttled_submits_pause_the_bind_and_are_resent(db: Database) -> None:
    session = FakeSession(statuses=[0x58, 0x58])
    carrier = SmppCarrier(
        "acme",
        options(1, window=1, registered_delivery=0),
        db,
        SystemClock(),
        node_id="n",
        connector=FakeConnector(session),
    )
    sink = RecordingSink()
    await carrier.start(sink)
    try:
        await carrier.submit([sms("+14255551000")])
        started = anyio.current_time()
        for _ in range(3):
            await until(lambda: session.outstanding == 1)
            session.release.release()
        await sink.until(lambda: len(sink.reports) == 1)
        waited = anyio.current_time() - started
    finally:
        await carrier.aclose()
    assert len(session.submitted) == 3
    assert waited >= 1 + 2 - 0.1  # two pauses: 1 s, then 2 s


async def test_refused_bind_waits_and_records_the_failure(db: Database) -> None:
    connector = FakeConnector(BindError("ESME_RINVPASWD", refused=True, status=0x0E))
    carrier = SmppCarrier(
        "acme",
        options(1, bind_failure_seconds=30),
        db,
        SystemClock(),
        node_id="n",
        connector=connector,
    )
    await carrier.start(RecordingSink())
    try:
        await until(lambda: bool(carrier.status()) and carrier.status()[0].state == "failed")
        await anyio.sleep(0.5)
        (status,) = carrier.status()
    finally:
        await carrier.aclose()
    assert len(connector.requests) == 1
    assert (status.last_status, status.last_error) == (0x0E, "ESME_RINVPASWD")


async def test_a_lost_lease_drops_the_session(db: Database) -> None:
    session = FakeSession()
    carrier = SmppCarrier(
        "acme",
        options(1, lease_seconds=1),
        db,
        SystemClock(),
        node_id="n",
        connector=FakeConnector(session),
    )
    await carrier.start(RecordingSink())
    try:
        await until(carrier.available)
        # Another node takes the lease (as if ours had run out).
        db.write(lambda tx: tx.smpp.release("acme", "0:trx", "n", SystemClock().now()))
        db.write(
            lambda tx: tx.smpp.acquire(
                "acme",
                "0:trx",
                "transceiver",
                "other",
                SystemClock().now(),
                SystemClock().now().replace(year=2100),
            )
        )
        await until(session.closed.is_set, timeout=5)
    finally:
        await carrier.aclose()
    assert carrier.status()[0].owner == "other"
