"""The SMPP connector's storage (``SmppRepo``) and its transactions (``ledger``) on SQLite
and PostgreSQL: queue claims, requeue, correlation with early receipts and hex/decimal ids,
one report per message, MO reassembly, bind leases."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from tidings.carriers.smpp import ledger
from tidings.carriers.smpp.relay import SinkRelay
from tidings.domain.encoding import analyze
from tidings.domain.messages import CarrierInbound, CarrierReport, OutboundSms
from tidings.domain.smpp import BindStatus, SubmitVerdict, parse_smpp_options
from tidings.domain.smpp_receipts import Receipt
from tidings.ports import DeliveryTx, TransactionalSink
from tidings.ports.smpp import PendingInbound, Segment, SegmentUpdate
from tidings.storage.database import Database, SqlTx

T0 = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
OPTS = parse_smpp_options({"host": "h", "port": 1, "system_id": "s", "password": "p"})


def queue(db: Database, *bodies: str, carrier: str = "acme") -> list[str]:
    messages = [
        OutboundSms(f"m{i}", "+14255550100", f"+1425555{i:04d}", body, analyze(body).segment_count)
        for i, body in enumerate(bodies)
    ]
    rows = ledger.new_segments(carrier, OPTS, messages, T0, random.Random(1))
    db.write(lambda tx: tx.smpp.add_segments(rows))
    return [m.message_id for m in messages]


def claim(db: Database, bind: str = "0:trx", limit: int = 100) -> list[Segment]:
    return db.write(lambda tx: tx.smpp.claim("acme", bind, limit=limit, now=T0))


def test_claim_takes_each_part_once_and_requeue_returns_them(db: Database) -> None:
    queue(db, "a", "b" * 200)  # 1 + 2 parts
    first = claim(db, limit=2)
    second = claim(db, "1:trx")
    assert len(first) == 2 and len(second) == 1
    assert {s.id for s in first}.isdisjoint(s.id for s in second)
    assert claim(db) == []
    assert db.write(lambda tx: tx.smpp.requeue("acme", "0:trx", T0)) == 2
    assert len(claim(db, "2:trx")) == 2
    assert db.read(lambda tx: tx.smpp.queued_count("acme")) == 3


def _outcome(db: Database, segment: Segment, smsc_id: str) -> ledger.Applied:
    o = ledger.Outcome(segment, SubmitVerdict.OK, 0, smsc_id)
    return db.write(lambda tx: ledger.apply_outcomes(tx, OPTS, [o], T0))


def _receipts(db: Database, *receipts: Receipt) -> ledger.Applied:
    return db.write(lambda tx: ledger.apply_receipts(tx, "acme", list(receipts), T0))


def test_one_report_per_message_after_all_its_parts(db: Database) -> None:
    queue(db, "z" * 200)
    a, b = claim(db)
    assert _outcome(db, a, "00A1").reports == []
    assert _outcome(db, b, "A2").reports == []
    assert _receipts(db, Receipt("a1", "DELIVRD", "000", None)).reports == []
    repeated = _receipts(db, Receipt("A1", "DELIVRD", "000", None))
    # Kept a while in case an SMSC reuses the id (after a restart) for a part not acked yet.
    assert repeated.early == 1 and repeated.reports == []
    (report,) = _receipts(db, Receipt("162", "DELIVRD", "000", None)).reports  # 0xA2, decimal
    assert report.delivered and report.attempts == ((T0, 2, 0),)
    assert _receipts(db, Receipt("A2", "DELIVRD", "000", None)).reports == []
    assert [r.message_id for r in db.read(lambda tx: tx.smpp.pending_reports(10))] == ["m0"]


def test_receipt_before_submit_resp_waits_then_matches(db: Database) -> None:
    queue(db, "hi")
    (segment,) = claim(db)
    early = _receipts(db, Receipt("4660", "UNDELIV", "001", None))  # decimal of 0x1234
    assert early.early == 1 and early.reports == []
    (report,) = _outcome(db, segment, "1234").reports
    assert not report.delivered and report.code == 4006
    assert db.read(lambda tx: tx.smpp.early("acme", 10)) == []


def test_sweep_matches_receipts_a_concurrent_resp_missed(db: Database) -> None:
    queue(db, "hi")
    (segment,) = claim(db)
    _receipts(db, Receipt("77", "DELIVRD", "000", None))
    # The resp committed without seeing the receipt (as a concurrent transaction would).
    db.write(
        lambda tx: tx.smpp.update_segments(
            [SegmentUpdate(segment.id, "submitted", T0, smsc_id="77")]
        )
    )
    applied = db.write(lambda tx: ledger.sweep_early(tx, "acme", T0))
    assert [r.message_id for r in applied.reports] == ["m0"]


def test_permanent_failure_fails_the_message_and_drops_its_other_parts(db: Database) -> None:
    queue(db, "z" * 400)  # 3 parts
    first, *_ = claim(db, limit=1)
    o = ledger.Outcome(first, SubmitVerdict.FAIL, 0x0B)
    (report,) = db.write(lambda tx: ledger.apply_outcomes(tx, OPTS, [o], T0)).reports
    assert (report.delivered, report.code) == (False, 4002)
    assert claim(db) == []


def test_mo_parts_reassemble_once_whatever_the_order(db: Database) -> None:
    items = [
        ledger.MoItem("acme", "+1555", "+1425", text, ref=7, total=3, seq=seq)
        for seq, text in [(3, "c"), (1, "a")]
    ]
    assert db.write(lambda tx: ledger.store_mo(tx, items, T0)) == []
    again = [ledger.MoItem("acme", "+1555", "+1425", "a", ref=7, total=3, seq=1)]  # redelivery
    assert db.write(lambda tx: ledger.store_mo(tx, again, T0)) == []
    last = [ledger.MoItem("acme", "+1555", "+1425", "b", ref=7, total=3, seq=2)]
    (whole,) = db.write(lambda tx: ledger.store_mo(tx, last, T0))
    assert (whole.body, whole.segments) == ("abc", 3) and whole.id > 0
    pending: list[PendingInbound] = db.read(lambda tx: tx.smpp.pending_inbound(10))
    assert [p.id for p in pending] == [whole.id]
    assert db.write(lambda tx: ledger.assemble(tx, T0)) == []


def test_bind_lease_has_one_owner_until_it_runs_out(db: Database) -> None:
    until = T0 + timedelta(seconds=10)

    def acquire(owner: str, now: datetime) -> bool:
        return db.write(
            lambda tx: tx.smpp.acquire(
                "acme", "0:trx", "transceiver", owner, now, now + timedelta(seconds=10)
            )
        )

    assert acquire("a", T0)
    assert not acquire("b", T0 + timedelta(seconds=5))
    assert acquire("a", T0 + timedelta(seconds=5))  # renewal
    assert acquire("b", T0 + timedelta(seconds=16))  # a's lease ran out
    status = BindStatus("acme", "0:trx", "transceiver", "bound", "b", None, None, T0, 3, 9, T0)

    def publish(tx: SqlTx, owner: str) -> None:
        tx.smpp.set_status(status, owner)

    db.write(lambda tx: publish(tx, "a"))  # not the owner: ignored
    assert db.read(lambda tx: tx.smpp.statuses("acme"))[0].state == "stopped"
    db.write(lambda tx: publish(tx, "b"))
    (got,) = db.read(lambda tx: tx.smpp.live_binds("acme", until))
    assert (got.state, got.owner, got.window_used, got.submitted) == ("bound", "b", 3, 9)
    db.write(lambda tx: tx.smpp.release("acme", "0:trx", "b", until))
    assert db.read(lambda tx: tx.smpp.live_binds("acme", until)) == []


def test_bind_status_reader_reads_every_carrier(db: Database) -> None:
    from tidings.carriers.smpp.carrier import SmppBindStatusReader

    for carrier in ("acme", "beta"):
        db.write(
            lambda tx, c=carrier: tx.smpp.acquire(c, "0:tx", "transmitter", "w", T0, T0)  # type: ignore[misc]
        )
    assert [(s.carrier, s.bind) for s in SmppBindStatusReader(db).all()] == [
        ("acme", "0:tx"),
        ("beta", "0:tx"),
    ]


class InTransactionSink:
    """A ``TransactionalSink`` that writes a marker row in the carrier's transaction, so a
    test sees what it was handed commit (or roll back) with the rest."""

    def __init__(self) -> None:
        self.reports: list[CarrierReport] = []
        self.inbound_messages: list[CarrierInbound] = []

    async def delivery_reports(self, reports: Sequence[CarrierReport]) -> None:
        raise AssertionError("a transactional sink is handed reports inside the transaction")

    async def inbound(self, message: CarrierInbound) -> None:
        raise AssertionError("a transactional sink is handed MO inside the transaction")

    def apply_reports(self, tx: DeliveryTx, reports: Sequence[CarrierReport]) -> int:
        self.reports.extend(reports)
        tx.jobs.enqueue("test.report", {"ids": [r.message_id for r in reports]}, T0, now=T0)
        return len(reports)

    def receive_in(self, tx: DeliveryTx, message: CarrierInbound) -> None:
        self.inbound_messages.append(message)
        tx.jobs.enqueue("test.mo", {"body": message.body}, T0, now=T0)


def test_a_transactional_sink_takes_reports_and_mo_in_the_carriers_transaction(
    db: Database,
) -> None:
    sink = InTransactionSink()
    assert isinstance(sink, TransactionalSink)
    relay = SinkRelay(db)
    relay.sink = sink
    queue(db, "hi", "z" * 200)  # 1 part and 2 parts
    parts = claim(db)
    outcomes = [ledger.Outcome(s, SubmitVerdict.OK, 0, f"{s.id:X}") for s in parts]
    db.write(lambda tx: ledger.apply_outcomes(tx, OPTS, outcomes, T0, relay.deliver))
    receipts = [Receipt(f"{s.id:X}", "DELIVRD", "000", None) for s in parts]

    def receipts_and_mo(tx: SqlTx) -> ledger.Applied:
        applied = ledger.apply_receipts(tx, "acme", receipts, T0, deliver=relay.deliver)
        mo = [ledger.MoItem("acme", "+1555", "+1425", "STOP")]
        assert ledger.store_mo(tx, mo, T0, relay.keep) == []  # nothing left for later
        return applied

    assert db.write(receipts_and_mo).reports == []  # nothing left for ``flush``
    assert sorted(r.message_id for r in sink.reports) == ["m0", "m1"]
    assert [m.body for m in sink.inbound_messages] == ["STOP"]
    assert db.read(lambda tx: (tx.smpp.pending_reports(10), tx.smpp.pending_inbound(10))) == (
        [],
        [],
    )
    assert db.read(lambda tx: tx.jobs.stats(T0)).pending == 2  # committed with the receipts

    def fails(tx: SqlTx) -> None:
        ledger.store_mo(tx, [ledger.MoItem("acme", "+1555", "+1425", "again")], T0, relay.keep)
        raise RuntimeError("the transaction fails after the sink wrote")

    with pytest.raises(RuntimeError):
        db.write(fails)
    assert db.read(lambda tx: tx.jobs.stats(T0)).pending == 2  # rolled back with it
