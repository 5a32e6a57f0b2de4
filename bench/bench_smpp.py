"""End to end over SMPP on one node (SQLite): accept -> submit_sm -> receipt -> event.

Run: ``.venv/bin/python bench/bench_smpp.py [--messages 20000] [--window 20] [--binds 1]``.

It starts two processes on this machine: the test SMSC (``tests/smsc/smpp34_smsc.py``, on
smpp34's Rust ``Server``; it accepts each submit_sm at once and sends its DELIVRD receipt
straight after), and ``tidings serve`` (SQLite, plain HTTP, throughput limits off) with
a carrier pointing at it (added, with a route to it, through the REST API). Then it POSTs
``/sms`` (HMAC-signed, 50 recipients a request, delivery reports on) from ``--clients``
concurrent clients until ``--messages`` are accepted, waits for every
SMSDeliveryReportReceived event in the outbox, and prints:
the accept rate, the end-to-end rate (first accept to last report event), accept-to-report
latency percentiles (from the database: messages.created_at -> events.event_time), and the
SMSC's own count of submit_sm next to Tidings' count of messages and reports.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from datetime import datetime
from email.utils import formatdate
from pathlib import Path

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from bench_idle import cpu_seconds, tree  # noqa: E402
from tests.server import ServerProcess, route_everything_to  # noqa: E402
from tests.smsc.harness import SmscProcess  # noqa: E402

from tidings.domain import hmac  # noqa: E402

REPORT = "Microsoft.Communication.SMSDeliveryReportReceived"
PER_REQUEST = 50


def body(batch: int) -> bytes:
    recipients = [{"to": f"+1555{batch % 1000:03d}{1000 + i:04d}"} for i in range(PER_REQUEST)]
    return json.dumps(
        {
            "from": "+18005550100",
            "smsRecipients": recipients,
            "message": "Benchmark message over SMPP",
            "smsSendOptions": {"enableDeliveryReport": True, "tag": "bench"},
        }
    ).encode()


def headers(key: str, host: str, target: str, content: bytes) -> dict[str, str]:
    date = formatdate(usegmt=True)
    digest = hmac.content_hash(content)
    signature = hmac.signature(key, hmac.string_to_sign("POST", target, date, host, digest))
    return {
        "Content-Type": "application/json",
        "x-ms-date": date,
        "x-ms-content-sha256": digest,
        "Authorization": hmac.authorization_header(signature),
    }


async def drive(
    server: ServerProcess, total: int, clients: int, rate: float | None
) -> tuple[int, float]:
    """POST ``total`` messages from ``clients`` concurrent clients: as fast as they are
    accepted, or (``rate``) batch i not before ``i * PER_REQUEST / rate`` seconds in, an
    open-loop offered load."""
    target = "/sms?api-version=2021-03-07"
    host = f"127.0.0.1:{server.http_port}"
    accepted = 0
    batches = iter(range(total // PER_REQUEST))
    started = time.monotonic()

    async def client(http: httpx.AsyncClient) -> None:
        nonlocal accepted
        for batch in batches:
            if rate:
                due = started + batch * PER_REQUEST / rate
                await asyncio.sleep(max(0.0, due - time.monotonic()))
            content = body(batch)
            reply = await http.post(
                f"http://{host}{target}",
                content=content,
                headers=headers(server.access_key, host, target, content),
            )
            if reply.status_code == 202:
                accepted += sum(1 for r in reply.json()["value"] if r["successful"])

    async with httpx.AsyncClient(timeout=60) as http:
        await asyncio.gather(*(client(http) for _ in range(clients)))
    return accepted, time.monotonic() - started


def wait_for_reports(engine: sa.Engine, accepted: int, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    count = 0
    query = sa.text("select count(*) from events where event_type = :t")
    while time.monotonic() < deadline:
        with engine.connect() as c:
            count = int(c.execute(query, {"t": REPORT}).scalar_one())
        if count >= accepted:
            break
        time.sleep(0.25)
    return count


def _ts(value: object) -> float:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.timestamp()


def latencies(engine: sa.Engine) -> tuple[list[float], float]:
    with engine.connect() as c:
        accepted = {
            row[0]: _ts(row[1]) for row in c.execute(sa.text("select id, created_at from messages"))
        }
        reports = [
            (json.loads(row[0]) if isinstance(row[0], str) else row[0], _ts(row[1]))
            for row in c.execute(
                sa.text("select data, event_time from events where event_type = :t"),
                {"t": REPORT},
            )
        ]
    lat = []
    for data, at in reports:
        message_id = data.get("MessageId") or data.get("messageId")
        if message_id in accepted:
            lat.append(at - accepted[message_id])
    span = max(at for _, at in reports) - min(accepted.values()) if reports else 0.0
    return sorted(lat), span


def pct(values: list[float], p: float) -> float:
    return values[min(len(values) - 1, int(len(values) * p))] * 1000 if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--window", type=int, default=20)
    parser.add_argument("--binds", type=int, default=1)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument(
        "--rate",
        type=float,
        default=None,
        help="offer this many messages/s (open loop) instead of as fast as accepted",
    )
    parser.add_argument(
        "--smsc",
        choices=["smpp34", "node"],
        default="smpp34",
        help="the SMSC: smpp34's Python server (default) or node-smpp's (tests/smsc/node)",
    )
    parser.add_argument(
        "--api-processes",
        type=int,
        default=None,
        help="TIDINGS_API_PROCESSES (default: serve's own default, one per core)",
    )
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-smpp-"))
    if args.smsc == "node":
        smsc = SmscProcess.node("--quiet", "--password", "bench").start()
    else:
        smsc = SmscProcess.smpp34("--quiet").start()
    options = {
        "host": "127.0.0.1",
        "port": smsc.port,
        "system_id": "bench",
        "password": "bench",
        "window": args.window,
        "binds": args.binds,
    }
    server = ServerProcess(
        tmp / "data",
        env={
            "TIDINGS_RATE_LIMITS": "off",
            "TIDINGS_TLS": "false",
            "TIDINGS_LOG_LEVEL": "warning",
        },
        processes=args.api_processes,
    ).start()
    route_everything_to(server, "bench", "smpp", options)
    try:
        smsc.wait_sync(lambda e: e["event"] == "bound", count=args.binds, timeout=30)
        assert server.process is not None and smsc.process is not None
        worker = server.process.pid  # serve's own process runs the worker and the binds
        roles = {
            "worker (serve)": [worker],
            "API processes": [p for p in tree(worker) if p != worker],
            "SMSC": [smsc.process.pid],
        }
        cpu_before = {role: cpu_seconds(pids) for role, pids in roles.items()}
        accepted, accept_seconds = asyncio.run(
            drive(server, args.messages, args.clients, args.rate)
        )
        engine = sa.create_engine(f"sqlite:///{tmp / 'data' / 'tidings.db'}")
        reports = wait_for_reports(engine, accepted, timeout=120)
        cpu = {role: cpu_seconds(pids) - cpu_before[role] for role, pids in roles.items()}
        lat, span = latencies(engine)
        smsc.send(cmd="count")
        (count,) = smsc.wait_sync(lambda e: e["event"] == "count", timeout=10)
    finally:
        server.stop()
        smsc.stop()
    offered = f"offered at {args.rate:,.0f}/s" if args.rate else "as fast as accepted"
    print(
        f"SMPP end to end, SQLite, {args.smsc}'s SMSC, window {args.window}, {args.binds} bind(s), "
        f"{args.clients} HTTP clients x {PER_REQUEST} recipients a request, {offered}"
    )
    print(
        f"  accepted            {accepted:>8} messages in {accept_seconds:.1f} s "
        f"({accepted / accept_seconds:,.0f}/s)"
    )
    print(f"  delivery reports    {reports:>8} (events in the outbox)")
    submits, taken = count["submits"], count["accepted"]
    print(f"  SMSC submit_sm      {submits:>8} (its own count; accepted {taken})")
    if span:
        print(
            f"  end to end          {len(lat) / span:,.0f} messages/s "
            "(first accept to last report event)"
        )
    per = ", ".join(
        f"{role} {seconds / max(1, reports) * 1e6:,.0f}" for role, seconds in cpu.items()
    )
    print(f"  CPU per message     {per} us (the limit: 2 cores in all)")
    mean = statistics.fmean(lat) * 1000 if lat else 0.0
    print(
        f"  accept -> report    p50 {pct(lat, 0.5):,.0f} ms   p90 {pct(lat, 0.9):,.0f} ms   "
        f"p99 {pct(lat, 0.99):,.0f} ms   mean {mean:,.0f} ms"
    )


if __name__ == "__main__":
    main()
