"""``smpp_history`` on SQLite and PostgreSQL: what the ledger records of each part (the SMSC's
id from submit_sm_resp, every receipt with its bind and raw id, final or not) outlives the
correlation rows, and early receipts keep their bind and raw id while they wait."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from tidings.carriers.smpp import ledger
from tidings.domain.encoding import analyze
from tidings.domain.messages import OutboundSms
from tidings.domain.smpp import SubmitVerdict, parse_smpp_options
from tidings.domain.smpp_receipts import Receipt
from tidings.ports.smpp import PartEvent, Segment
from tidings.storage.database import Database

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
OPTS = parse_smpp_options({"host": "h", "port": 1, "system_id": "s", "password": "p"})


def _queue(db: Database, body: str, message_id: str = "m0") -> list[Segment]:
    sms = OutboundSms(message_id, "+14255550100", "+14255550123", body, analyze(body).segment_count)
    rows = ledger.new_segments("acme", OPTS, [sms], T0, random.Random(1))
    db.write(lambda tx: tx.smpp.add_segments(rows))
    return db.write(lambda tx: tx.smpp.claim("acme", "0:tx", limit=100, now=T0))


def _accept(db: Database, segment: Segment, smsc_id: str, at: datetime) -> ledger.Applied:
    o = ledger.Outcome(segment, SubmitVerdict.OK, 0, smsc_id)
    return db.write(lambda tx: ledger.apply_outcomes(tx, OPTS, [o], at))


def _receive(db: Database, r: Receipt, at: datetime, bind: str = "0:rx") -> ledger.Applied:
    return db.write(lambda tx: ledger.apply_receipts(tx, "acme", [r], at, bind=bind))


def _history(db: Database, message_id: str = "m0") -> list[PartEvent]:
    return db.read(lambda tx: tx.smpp_history.of_message(message_id))


def test_each_part_s_smsc_id_and_every_receipt_are_recorded(db: Database) -> None:
    first, second = _queue(db, "z" * 200)  # two parts
    t = [T0 + timedelta(seconds=i) for i in range(6)]
    _accept(db, first, "00A1", t[1])
    assert _receive(db, Receipt("a1", "ENROUTE", None, None), t[2]).matched == 1  # not final
    # The second part's receipt beats its response, on another bind, in decimal (0xA2).
    assert _receive(db, Receipt("162", "DELIVRD", "000", None), t[3], "1:rx").early == 1
    _receive(db, Receipt("A1", "UNDELIV", "001", "030001"), t[4])
    (report,) = _accept(db, second, "A2", t[5]).reports
    assert not report.delivered

    events = _history(db)
    assert [(e.kind, e.seq, e.total) for e in events] == [
        ("accepted", 1, 2),
        ("receipt", 1, 2),
        ("receipt", 1, 2),
        ("accepted", 2, 2),
        ("receipt", 2, 2),
    ]
    accepted1, enroute, undeliv, accepted2, delivrd = events
    assert (accepted1.raw_id, accepted1.smsc_id, accepted1.bind, accepted1.at) == (
        "00A1",
        "a1",
        "0:tx",
        t[1],
    )
    assert (enroute.state, enroute.final, enroute.bind, enroute.at) == (
        "ENROUTE",
        False,
        "0:rx",
        t[2],
    )
    assert (undeliv.state, undeliv.error, undeliv.network_error, undeliv.final) == (
        "UNDELIV",
        "001",
        "030001",
        True,
    )
    assert (undeliv.raw_id, undeliv.smsc_id) == ("A1", "a1")
    assert (accepted2.raw_id, accepted2.at) == ("A2", t[5])
    # The early receipt: its own arrival time, bind and id as written, the part's id.
    assert (delivrd.state, delivrd.at, delivrd.bind, delivrd.raw_id, delivrd.smsc_id) == (
        "DELIVRD",
        t[3],
        "1:rx",
        "162",
        "a2",
    )
    assert delivrd.carrier == "acme" and delivrd.message_id == "m0"


def test_history_outlives_the_correlation_rows(db: Database) -> None:
    (segment,) = _queue(db, "hi")
    _accept(db, segment, "77", T0)
    _receive(db, Receipt("77", "DELIVRD", "000", None), T0)
    assert db.write(lambda tx: tx.smpp.prune_done(T0 + timedelta(days=4))) == 1
    assert [e.kind for e in _history(db)] == ["accepted", "receipt"]
    assert _history(db, "another") == []


def test_early_receipts_keep_their_bind_raw_id_and_arrival(db: Database) -> None:
    _receive(db, Receipt("0099", "ACCEPTD", None, None), T0, "3:rx")
    (early,) = db.read(lambda tx: tx.smpp.early("acme", 10))
    assert (early.smsc_id, early.raw_id, early.bind, early.received_at) == (
        "99",
        "0099",
        "3:rx",
        T0,
    )
    assert _history(db) == []  # nothing matched, nothing recorded
