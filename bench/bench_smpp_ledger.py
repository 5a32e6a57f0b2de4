"""The SMPP connector's database work per message, in one process, without the network.

Run: ``.venv/bin/python bench/bench_smpp_ledger.py [--messages 20000] [--batch 50]``.

``bench_smpp.py`` measures the whole path, but on a 2-core machine its figures move with
whatever else runs (the SMSC, the load generator, the scheduler). This one times only the
transactions a bind runs for each message, the way the bind runs them, in batches of
``--batch``: claim the queued parts, record their ``submit_sm_resp`` outcomes (the SMSC's
ids), then their DELIVRD receipts with the message's final state and its
SMSDeliveryReportReceived event. It prints CPU microseconds per message for each step
(``time.process_time``: this process's CPU, SQLite's included), the same in a second
variant where the reports go through the ``smpp_reports`` outbox and a transaction of
their own (how reports went before they were applied in the receipts' transaction), and
the ratio of the two. SQLite by default; ``--database-url`` for PostgreSQL.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
# ``--src DIR`` times another checkout's code (its src directory) with this script.
sys.path.insert(
    0, sys.argv[sys.argv.index("--src") + 1] if "--src" in sys.argv else str(ROOT / "src")
)

from tidings.carriers.smpp import ledger  # noqa: E402
from tidings.carriers.smpp.completion import outbox  # noqa: E402
from tidings.carriers.smpp.relay import SinkRelay  # noqa: E402
from tidings.container import Application, build  # noqa: E402
from tidings.domain.messages import (  # noqa: E402
    CarrierReport,
    DeliveryAttempt,
    Direction,
    Message,
    MessageOrigin,
    MessageStatus,
    OutboundSms,
)
from tidings.domain.smpp import SubmitVerdict, parse_smpp_options  # noqa: E402
from tidings.domain.smpp_receipts import Receipt  # noqa: E402
from tidings.ports import Tx  # noqa: E402
from tidings.ports.smpp import PendingReport, Segment  # noqa: E402
from tidings.settings import Settings  # noqa: E402
from tidings.storage.schema import events, messages  # noqa: E402

CARRIER = "bench"
OPTIONS = parse_smpp_options(
    {"host": "127.0.0.1", "port": 2775, "system_id": "bench", "password": "bench"}
)
SENDER = "+18005550100"
STEPS = ("claim", "outcomes", "receipts", "reports")


def seed(app: Application, count: int, offset: int) -> None:
    now = datetime.now(UTC)
    messages = [
        Message(
            id=f"bench-{offset + i:09d}",
            direction=Direction.OUTBOUND,
            status=MessageStatus.QUEUED,
            sender=SENDER,
            recipient=f"+1555{(offset + i) % 10_000_000:07d}",
            body="Benchmark message over SMPP",
            segments=1,
            encoding="GSM-7",
            tag="bench",
            enable_delivery_report=True,
            origin=MessageOrigin.API,
            created_at=now,
        )
        for i in range(count)
    ]
    outbound = [OutboundSms(m.id, m.sender, m.recipient, m.body, 1) for m in messages]
    rows = ledger.new_segments(CARRIER, OPTIONS, outbound, now, random.Random(1))

    def write(tx: Tx) -> None:
        tx.messages.add_many([(m, None) for m in messages])
        tx.smpp.add_segments(rows)

    app.database.write(write)


def run(app: Application, count: int, batch: int, separate: bool) -> dict[str, float]:
    """CPU seconds per step for ``count`` messages in batches of ``batch``."""
    relay = SinkRelay(app.database)
    relay.sink = app.sink
    spent = dict.fromkeys(STEPS, 0.0)
    next_id = 0
    done = 0

    def timed(step: str, fn: Callable[[Tx], Any]) -> Any:
        started = time.process_time()
        result = app.database.write(fn)
        spent[step] += time.process_time() - started
        return result

    while done < count:
        now = datetime.now(UTC)
        parts = timed("claim", partial(_claim, limit=batch, now=now))
        if not parts:
            raise SystemExit(f"only {done} of {count} messages were queued")
        outcomes = []
        for part in parts:
            next_id += 1
            outcomes.append(ledger.Outcome(part, SubmitVerdict.OK, 0, str(next_id)))
        first = next_id - len(parts) + 1
        timed(
            "outcomes",
            partial(
                ledger.apply_outcomes,
                options=OPTIONS,
                outcomes=outcomes,
                now=now,
                deliver=relay.deliver,
            ),
        )
        receipts = [Receipt(str(i), "DELIVRD", "000", None) for i in range(first, next_id + 1)]
        applied = timed(
            "receipts",
            partial(
                ledger.apply_receipts,
                carrier=CARRIER,
                receipts=receipts,
                now=now,
                bind="0:trx",
                deliver=outbox if separate else relay.deliver,
            ),
        )
        if separate:
            reports = [_report(r) for r in applied.reports]
            timed("reports", partial(app.sink.apply_reports, reports=reports))
            timed("reports", partial(_delete, ids=[r.message_id for r in applied.reports]))
        elif applied.reports:
            raise SystemExit("the reports went to the outbox, not to the sink")
        done += len(parts)
    return spent


def _claim(tx: Tx, *, limit: int, now: datetime) -> list[Segment]:
    return tx.smpp.claim(CARRIER, "0:trx", limit=limit, now=now)


def _delete(tx: Tx, *, ids: list[str]) -> None:
    tx.smpp.delete_reports(ids)


def _report(r: PendingReport) -> CarrierReport:
    attempts = tuple(DeliveryAttempt(at, ok, bad) for at, ok, bad in r.attempts)
    return CarrierReport(r.message_id, r.delivered, r.code, r.at, attempts, details=r.details)


def check(app: Application, count: int) -> None:
    """Every message got its final state and its report event."""
    with app.database.engine.connect() as c:
        delivered = c.execute(
            sa.select(sa.func.count())
            .select_from(messages)
            .where(messages.c.status == MessageStatus.DELIVERED.value)
        ).scalar_one()
        reports = c.execute(
            sa.select(sa.func.count())
            .select_from(events)
            .where(events.c.event_type == "Microsoft.Communication.SMSDeliveryReportReceived")
        ).scalar_one()
    if delivered != count or reports != count:
        raise SystemExit(f"{delivered} delivered and {reports} report events of {count}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp dir")
    parser.add_argument("--src", default=None, help="another checkout's src directory")
    parser.add_argument("--only", choices=["one", "outbox"], help="one variant only")
    args = parser.parse_args()
    variants = [("in one transaction", False), ("outbox", True)]
    if args.only:
        variants = [v for v in variants if v[1] == (args.only == "outbox")]
    results: dict[str, list[dict[str, float]]] = {label: [] for label, _ in variants}
    for round_ in range(args.rounds):
        for label, separate in variants:
            data_dir = Path(tempfile.mkdtemp(prefix="bench-ledger-"))
            app = build(Settings(data_dir=data_dir, database_url=args.database_url))
            try:
                app.migrate()
                app.bootstrap()
                seed(app, args.messages, round_ * args.messages)
                results[label].append(run(app, args.messages, args.batch, separate))
                check(app, args.messages)
            finally:
                app.close()
    print(
        f"SMPP ledger per message ({args.messages:,} messages in batches of {args.batch}, "
        f"{'SQLite' if args.database_url is None else 'PostgreSQL'}, "
        f"median of {args.rounds} rounds), CPU us"
    )
    totals: dict[str, float] = {}
    for label, runs in results.items():
        per = {
            step: statistics.median(r[step] for r in runs) / args.messages * 1e6 for step in STEPS
        }
        totals[label] = statistics.median(sum(r.values()) for r in runs) / args.messages * 1e6
        steps = "  ".join(f"{step} {per[step]:6.1f}" for step in STEPS)
        print(f"  {label:20s} {steps}   total {totals[label]:6.1f}")
    if len(totals) == 2:
        ratio = totals["in one transaction"] / totals["outbox"]
        print(f"  in one transaction / outbox: {ratio:.2f}")


if __name__ == "__main__":
    main()
