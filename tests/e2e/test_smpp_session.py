"""The stream session (the default) against real SMSC processes: ``deliver_sm_resp`` only
after commit (and redelivery of what was not stored), the SMSC's status for a refused bind,
enquire_link keepalive and a silent network, TLS through a terminating proxy."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

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
from tests.smsc.harness import node_missing
from tests.smsc.proxy import SmscProxy
from tidings.storage.database import Database
from tidings.tls import ensure_dev_tls

pytestmark = [pytest.mark.anyio, pytest.mark.e2e]
T = TypeVar("T")
MO = {"cmd": "mo", "from": "+15555550123", "to": "+14255550100"}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    yield from database(tmp_path)


@pytest.fixture
def smsc() -> Iterator[SmscProcess]:
    process = SmscProcess.smpp34().start()
    yield process
    process.stop()


class InboundGate:
    """The carrier's store, with the receiver's transactions (receipts and MO) held back or
    failed on demand; everything else (leases, submits) goes straight through."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self.open = asyncio.Event()
        self.open.set()
        self.fail = 0
        self.held = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)

    async def write_async(self, fn: Callable[[Any], T]) -> T:
        if "Receiver.store" in getattr(fn, "__qualname__", ""):
            if self.fail:
                self.fail -= 1
                raise RuntimeError("the database went away")
            self.held += 1
            await self.open.wait()
        return await self._db.write_async(fn)


def mo_answers(smsc: SmscProcess) -> list[dict[str, Any]]:
    return [e for e in smsc.of("deliver_sm_resp") if e["kind"] == "mo"]


async def test_deliver_sm_is_answered_only_after_its_commit(
    db: Database, smsc: SmscProcess
) -> None:
    gate = InboundGate(db)
    gate.open.clear()
    sink = RecordingSink()
    async with running(gate, options(smsc.port), sink) as carrier:  # type: ignore[arg-type]
        await bound(carrier)
        smsc.send(**MO, text="held back")
        with anyio.fail_after(10):
            while not gate.held:
                await anyio.sleep(0.02)
        await anyio.sleep(0.5)
        assert mo_answers(smsc) == []  # read, not yet stored: not answered
        assert sink.inbound_messages == []
        gate.open.set()
        await smsc.wait(lambda e: e["event"] == "deliver_sm_resp" and e["kind"] == "mo")
        await sink.until(lambda: len(sink.inbound_messages) == 1)
    assert [e["status"] for e in mo_answers(smsc)] == [0]
    assert sink.inbound_messages[0].body == "held back"


async def test_what_was_not_stored_is_not_answered_and_comes_again(
    db: Database, smsc: SmscProcess
) -> None:
    gate = InboundGate(db)
    gate.fail = 1
    sink = RecordingSink()
    opts = options(smsc.port, reconnect_min_seconds=0.1)
    async with running(gate, opts, sink) as carrier:  # type: ignore[arg-type]
        await bound(carrier)
        smsc.send(**MO, text="second time lucky", parts=2, mode="udh")
        await sink.until(lambda: len(sink.inbound_messages) == 1, timeout=20)
        await anyio.sleep(0.5)  # nothing more comes
    assert [m.body for m in sink.inbound_messages] == ["second time lucky"]
    # The failed transaction ended the session unanswered; the SMSC delivered it again.
    assert smsc.of("deliver_sm_error")
    assert len(smsc.of("bound")) >= 2
    assert {e["seq"] for e in mo_answers(smsc) if e["status"] == 0} == {1, 2}


@pytest.fixture
def node_smsc() -> Iterator[SmscProcess]:
    if reason := node_missing():
        pytest.skip(reason)
    process = SmscProcess.node().start()
    yield process
    process.stop()


async def test_refused_bind_shows_the_smscs_status(db: Database, node_smsc: SmscProcess) -> None:
    sink = RecordingSink()
    async with running(db, options(node_smsc.port, password="wrong"), sink) as carrier:
        with anyio.fail_after(10):
            while not carrier.status() or carrier.status()[0].state != "failed":
                await anyio.sleep(0.05)
        (status,) = carrier.status()
    assert status.last_status == 0x0E
    assert status.last_error is not None and "ESME_RINVPASWD 0x0000000E" in status.last_error
    assert len(node_smsc.of("bind_refused")) == 1


async def test_enquire_link_keeps_an_idle_session_checked(
    db: Database, node_smsc: SmscProcess
) -> None:
    sink = RecordingSink()
    async with running(db, options(node_smsc.port, enquire_link_seconds=1), sink) as carrier:
        await bound(carrier)
        await node_smsc.wait(lambda e: e["event"] == "enquire_link", count=2, timeout=5)
        assert carrier.status()[0].state == "bound"


async def test_a_silent_network_ends_the_session_and_it_comes_back(
    db: Database, smsc: SmscProcess
) -> None:
    sink = RecordingSink()
    async with SmscProxy(smsc.port) as proxy:
        opts = options(proxy.port, enquire_link_seconds=1, response_timeout_seconds=1)
        async with running(db, opts, sink) as carrier:
            await bound(carrier)
            proxy.freeze()  # enquire_link goes unanswered
            with anyio.fail_after(10):
                while carrier.status()[0].state == "bound":
                    await anyio.sleep(0.05)
            assert "enquire_link unanswered" in (carrier.status()[0].last_error or "")
            proxy.thaw()
            await bound(carrier)
            message = sms("+14255553333")
            await carrier.submit([message])
            await sink.until(lambda: len(sink.reports) == 1)
    assert proxy.connections >= 2
    assert sink.reports[0].delivered


@pytest.fixture
def tls_files(tmp_path: Path) -> Any:
    return ensure_dev_tls(tmp_path / "tls")


def _server_context(files: Any) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(files.server_cert, files.server_key)
    return context


async def _send_one(db: Database, opts: Any) -> RecordingSink:
    sink = RecordingSink()
    async with running(db, opts, sink) as carrier:
        await bound(carrier)
        await carrier.submit([sms("+14255554444")])
        await sink.until(lambda: len(sink.reports) == 1)
    return sink


async def test_tls_with_the_operators_ca(db: Database, smsc: SmscProcess, tls_files: Any) -> None:
    async with SmscProxy(smsc.port, tls=_server_context(tls_files)) as proxy:
        opts = options(proxy.port, tls=True, tls_ca_file=str(tls_files.ca_cert))
        sink = await _send_one(db, opts)
    assert sink.reports[0].delivered
    assert len(smsc.of("submit")) == 1


async def test_tls_without_verification(db: Database, smsc: SmscProcess, tls_files: Any) -> None:
    async with SmscProxy(smsc.port, tls=_server_context(tls_files)) as proxy:
        sink = await _send_one(db, options(proxy.port, tls=True, tls_verify=False))
    assert sink.reports[0].delivered


async def test_tls_with_an_untrusted_certificate_fails_the_bind(
    db: Database, smsc: SmscProcess, tls_files: Any
) -> None:
    sink = RecordingSink()
    async with (
        SmscProxy(smsc.port, tls=_server_context(tls_files)) as proxy,
        running(db, options(proxy.port, tls=True), sink) as carrier,
    ):
        await _until(lambda: _state(carrier) == "failed")
        (status,) = carrier.status()
    assert status.last_error is not None and "certificate verification failed" in status.last_error
    assert smsc.of("bound") == []


def _state(carrier: Any) -> str | None:
    statuses = carrier.status()
    return statuses[0].state if statuses else None


async def _until(pred: Callable[[], bool], timeout: float = 10) -> None:
    with anyio.fail_after(timeout):
        while not pred():
            await anyio.sleep(0.05)
