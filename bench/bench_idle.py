"""What an idle Tidings costs, and how fast one message goes through it.

Run: ``.venv/bin/python bench/bench_idle.py [--database-url URL] [--split] [--seconds 60]``.

1. **Idle CPU**: starts ``tidings serve`` with its defaults (or, with ``--split``, ``tidings
   api`` beside ``tidings worker``), lets it settle, then reads the CPU time (user + system,
   ``/proc/<pid>/stat``) of every process it started, over ``--seconds`` with no traffic at
   all. CPU time is what the processes used, whatever else runs on the machine.
2. **Single-message latency at idle**: a carrier rule delivers at once (``delaySeconds`` 0)
   and a webhook subscription sends delivery reports to a receiver; then ``--samples``
   messages, one at a time with the server idle in between. From the database's own
   timestamps (one clock): accept -> sent to the carrier (``sent_at - created_at``), accept
   -> delivery-report event (the event's time), event -> webhook 2xx (the attempt's start
   plus its duration).

``--python`` runs another checkout's code (its ``src`` on ``PYTHONPATH``), for a baseline
measured in the same session.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from tests.server import ACCESS_KEY, ReceiverProcess, ServerProcess  # noqa: E402

from tidings.client import HmacAuth  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")
SENDER = "+18005550100"


def tree(root: int) -> list[int]:
    """``root`` and every process below it."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry)] = int(fields[1])
    found, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier]
        found += frontier
    return found


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def measure_idle(roots: list[int], seconds: float) -> tuple[float, int]:
    pids = [pid for root in roots for pid in tree(root)]
    before, started = cpu_seconds(pids), time.monotonic()
    time.sleep(seconds)
    used, elapsed = cpu_seconds(pids) - before, time.monotonic() - started
    return used / elapsed, len(pids)


def vacuum(url: str) -> None:
    """``VACUUM ANALYZE`` a PostgreSQL database before a run: earlier runs' deleted jobs and
    updated messages are dead rows that a server without autovacuum (this project's test
    server runs with it off) keeps, and the job claim's index scan walks them, so each run
    would be slower than the one before it. A server with autovacuum keeps them few."""
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("VACUUM ANALYZE"))
    finally:
        engine.dispose()


def latencies(endpoint: str, engine: sa.Engine, receiver: ReceiverProcess, samples: int) -> None:
    auth = HmacAuth(ACCESS_KEY)
    with httpx.Client(base_url=endpoint, auth=auth, timeout=30) as client:
        rules = {"rules": [{"pattern": "+1555", "outcome": "deliver", "delaySeconds": 0}]}
        reply = client.put("/tidings/simulator/rules", json=rules)
        assert reply.status_code == 200, reply.text
        created = client.put(
            "/eventSubscriptions/idle",
            params={"api-version": "2022-06-15"},
            json={
                "properties": {
                    "destination": {"properties": {"endpointUrl": receiver.url + "/ok/idle"}},
                    "filter": {
                        "includedEventTypes": ["Microsoft.Communication.SMSDeliveryReportReceived"]
                    },
                }
            },
        )
        assert created.status_code in {200, 201}, created.text
        time.sleep(2.0)  # the subscription's validation handshake
        ids = []
        for i in range(samples):
            answer = client.post(
                "/sms",
                params={"api-version": "2021-03-07"},
                json={
                    "from": SENDER,
                    "smsRecipients": [{"to": f"+1555000{i:04d}"}],
                    "message": "idle latency",
                    "smsSendOptions": {"enableDeliveryReport": True},
                },
            )
            assert answer.status_code == 202, answer.text
            ids.append(answer.json()["value"][0]["messageId"])
            time.sleep(0.5)  # idle again
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with engine.connect() as c:
            done = c.execute(
                sa.text("select count(*) from delivery_attempts where status_code = 200")
            ).scalar_one()
        if done >= samples:
            break
        time.sleep(0.2)
    sent, reported, hooked = [], [], []
    with engine.connect() as c:
        for message_id in ids:
            row = c.execute(
                sa.text("select created_at, sent_at from messages where id = :id"),
                {"id": message_id},
            ).one()
            accepted, sent_at = _time(row[0]), _time(row[1])
            sent.append((sent_at - accepted).total_seconds() * 1000)
            event = c.execute(
                sa.text(
                    "select seq, event_time, data from events where event_type = "
                    "'Microsoft.Communication.SMSDeliveryReportReceived'"
                )
            ).all()
            match = [e for e in event if message_id in json.dumps(_json(e[2]))]
            assert match, message_id
            seq, event_time = match[0][0], _time(match[0][1])
            reported.append((event_time - accepted).total_seconds() * 1000)
            attempt = c.execute(
                sa.text(
                    "select a.attempted_at, a.duration_ms from delivery_attempts a "
                    "join delivery_events e on e.delivery_id = a.delivery_id "
                    "where e.event_seq = :seq and a.status_code = 200"
                ),
                {"seq": seq},
            ).first()
            assert attempt is not None, message_id
            answered = (_time(attempt[0]) - event_time).total_seconds() * 1000 + attempt[1]
            hooked.append(answered)
    for name, values in (
        ("accept -> sent to carrier", sent),
        ("accept -> delivery-report event", reported),
        ("event -> webhook 2xx", hooked),
    ):
        print(
            f"  {name:<32} p50 {statistics.median(values):7.2f} ms  "
            f"max {max(values):7.2f} ms  (n={len(values)})"
        )


def _time(value: object) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None) if value.tzinfo is None else value
    return datetime.fromisoformat(str(value))


def _json(value: object) -> object:
    return json.loads(value) if isinstance(value, str) else value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp dir")
    parser.add_argument("--split", action="store_true", help="tidings api + tidings worker")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--settle", type=float, default=5.0)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--python-path", default=None, help="another checkout's src directory")
    parser.add_argument("--label", default="this checkout")
    args = parser.parse_args()
    env = {"TIDINGS_TLS": "false"}
    if args.python_path:
        env["PYTHONPATH"] = args.python_path
    if args.database_url and args.database_url.startswith("postgresql"):
        vacuum(args.database_url)
    with tempfile.TemporaryDirectory() as raw:
        tmp = Path(raw)
        data = tmp / "data"
        url = args.database_url or f"sqlite:///{data / 'tidings.db'}"
        worker: subprocess.Popen[bytes] | None = None
        receiver = ReceiverProcess().start()
        if args.split:
            full_env = {
                **os.environ,
                **env,
                "TIDINGS_DATA_DIR": str(data),
                "TIDINGS_ACCESS_KEY": ACCESS_KEY,
                "TIDINGS_DATABASE_URL": url,
                "TIDINGS_LOG_LEVEL": "warning",
            }
            data.mkdir(parents=True)
            subprocess.run([sys.executable, "-m", "tidings", "migrate"], env=full_env, check=True)
            server = ServerProcess(
                data, database_url=url, env=env, command="api", processes=None
            ).start()
            worker = subprocess.Popen([sys.executable, "-m", "tidings", "worker"], env=full_env)
        else:
            server = ServerProcess(
                data, database_url=args.database_url, env=env, processes=None
            ).start()
        engine = sa.create_engine(url)
        try:
            assert server.process is not None
            roots = [server.process.pid] + ([worker.pid] if worker else [])
            time.sleep(args.settle)  # --api-processes children start meanwhile
            share, count = measure_idle(roots, args.seconds)
            mode = "tidings api + tidings worker" if args.split else "tidings serve (defaults)"
            kind = "postgresql" if url.startswith("postgresql") else "sqlite"
            print(f"{args.label}: {mode}, {kind}")
            print(
                f"  idle CPU over {args.seconds:.0f} s: {share:.2%} of a core ({count} processes)"
            )
            if args.samples:
                latencies(server.http_endpoint, engine, receiver, args.samples)
        finally:
            engine.dispose()
            server.stop()
            if worker is not None:
                worker.terminate()
                worker.wait(15)
            receiver.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
