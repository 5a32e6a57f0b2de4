"""Webhook delivery throughput and latency, against the receiver measured alone.

Run: ``.venv/bin/python bench/bench_webhooks.py [--database-url URL] [--backlog 1000000]``.

1. Baseline: the receiver (``bench/webhook_receiver.py``, its own process) driven alone by the
   same HTTP client the dispatcher uses (aiohttp), 256 requests in flight, one event each.
2. Unbatched: N events published into the outbox, one subscription, one event per request;
   events/s from the dispatcher's start until the receiver has counted all of them.
3. Batched: the same with ``maxEventsPerBatch: 100``.
4. Latency: events published at a steady rate; publish-to-receipt p50/p90/p99 (the receiver
   compares its clock with the publish time carried in the event).
5. Backlog: a second subscription whose endpoint refuses connections gets ``--backlog``
   pending deliveries (written straight into the tables); then the unbatched run again,
   to show the backlog does not slow new deliveries down.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import anyio
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from tests.server import free_port  # noqa: E402

from tidings.container import Application, build  # noqa: E402
from tidings.domain.events import SMS_RECEIVED, Event  # noqa: E402
from tidings.settings import Settings  # noqa: E402
from tidings.storage.schema import deliveries, delivery_events, events  # noqa: E402

KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="


class Receiver:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "bench" / "webhook_receiver.py"), str(self.port)]
        )
        for _ in range(200):
            try:
                httpx.get(f"{self.url}/stats", timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError("receiver did not start")

    def stats(self) -> dict[str, Any]:
        return dict(httpx.get(f"{self.url}/stats", timeout=30).json())

    def reset(self) -> None:
        httpx.post(f"{self.url}/reset", timeout=10)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


async def baseline(receiver: Receiver, seconds: float) -> float:
    """The receiver alone, driven by the client library the dispatcher uses (aiohttp)."""
    body = json.dumps([{"id": "x", "data": {}}]).encode()
    done = 0
    connector = aiohttp.TCPConnector(limit=256)
    async with aiohttp.ClientSession(connector=connector) as session:
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                async with session.post(
                    f"{receiver.url}/count/baseline",
                    data=body,
                    headers={"Content-Type": "application/json"},
                ) as response:
                    await response.read()
                done += 1

        started = time.perf_counter()
        async with anyio.create_task_group() as tg:
            for _ in range(256):
                tg.start_soon(worker)
        elapsed = time.perf_counter() - started
    receiver.reset()
    return done / elapsed


def publish(app: Application, count: int, *, stamp: bool = False) -> None:
    topic = app.services.topic
    now = datetime.now(UTC)
    for start in range(0, count, 5000):
        batch = [
            Event(
                id=str(uuid.uuid4()),
                event_type=SMS_RECEIVED,
                subject="/phonenumber/18005550100",
                topic=topic,
                data={
                    "MessageId": f"m{start + i}",
                    "Message": "benchmark",
                    "t": time.time() if stamp else 0,
                },
                event_time=now,
            )
            for i in range(min(5000, count - start))
        ]
        app.database.write(lambda tx, b=batch: tx.events.append_many(b))  # type: ignore[misc]


async def subscribe(app: Application, name: str, url: str, batch: int = 1) -> None:
    body = {
        "properties": {
            "destination": {
                "endpointType": "WebHook",
                "properties": {"endpointUrl": url, "maxEventsPerBatch": batch},
            }
        }
    }
    await app.services.subscriptions.put(name, body, base_url="http://127.0.0.1")


async def drain(app: Application, receiver: Receiver, expected: int, timeout: float = 600) -> float:
    """Run the dispatcher until the receiver has ``expected`` events; returns seconds taken."""
    stop = anyio.Event()
    started = time.perf_counter()
    async with anyio.create_task_group() as tg:
        tg.start_soon(app.dispatcher.run, stop)
        while time.perf_counter() - started < timeout:
            await anyio.sleep(0.05)
            if receiver.stats()["events"] >= expected:
                break
        elapsed = time.perf_counter() - started
        stop.set()
    return elapsed


def add_backlog(app: Application, subscription: str, count: int) -> None:
    now = datetime.now(UTC)
    topic = app.services.topic
    engine = app.database.engine
    with engine.begin() as c:
        first = c.execute(events.select().order_by(events.c.seq.desc()).limit(1)).first()
        seq = (first.seq if first else 0) + 1
    for start in range(0, count, 20000):
        size = min(20000, count - start)
        with engine.begin() as c:
            c.execute(
                events.insert(),
                [
                    {
                        "seq": seq + start + i,
                        "id": f"backlog-{start + i}",
                        "event_type": SMS_RECEIVED,
                        "subject": "/phonenumber/18005550100",
                        "topic": topic,
                        "data": {"Message": "stuck"},
                        "event_time": now,
                        "data_version": "1.0",
                        "metadata_version": "1",
                        "routed": True,
                    }
                    for i in range(size)
                ],
            )
            ids = [f"msg_backlog{start + i:012d}" for i in range(size)]
            c.execute(
                deliveries.insert(),
                [
                    {
                        "id": d,
                        "subscription": subscription,
                        "status": "pending",
                        "event_count": 1,
                        "attempts": 0,
                        "next_attempt_at": now,
                        "created_at": now,
                    }
                    for d in ids
                ],
            )
            c.execute(
                delivery_events.insert(),
                [
                    {"delivery_id": d, "position": 0, "event_seq": seq + start + i}
                    for i, d in enumerate(ids)
                ],
            )
        print(
            f"  backlog: {start + size:,}/{count:,} pending deliveries written",
            file=sys.stderr,
            flush=True,
        )


def percentiles(values: list[float]) -> str:
    if not values:
        return "n/a"
    ordered = sorted(values)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return (
        f"p50 {pick(0.5):.1f} ms, p90 {pick(0.9):.1f} ms, p99 {pick(0.99):.1f} ms "
        f"(n={len(ordered)})"
    )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--batched-events", type=int, default=200000)
    parser.add_argument("--rate", type=int, default=500, help="events/s for the latency run")
    parser.add_argument("--latency-seconds", type=float, default=10)
    parser.add_argument("--backlog", type=int, default=1_000_000)
    args = parser.parse_args()

    receiver = Receiver()
    data = Path(tempfile.mkdtemp(prefix="tidings-bench-"))
    settings = Settings(
        data_dir=data, database_url=args.database_url, access_key=KEY, seed_number=None
    )
    app = build(settings)
    app.migrate()
    app.bootstrap()
    try:
        base = await baseline(receiver, 5)
        print(f"baseline: receiver alone, 256 in flight: {base:,.0f} requests/s")

        await subscribe(app, "unbatched", f"{receiver.url}/count/u")
        publish(app, args.events)
        seconds = await drain(app, receiver, args.events)
        unbatched = args.events / seconds
        print(
            f"unbatched: {args.events:,} events in {seconds:.2f} s = {unbatched:,.0f} events/s "
            f"({unbatched / base:.0%} of the baseline's requests/s)"
        )
        app.services.subscriptions.set_enabled("unbatched", False)
        receiver.reset()

        await subscribe(app, "batched", f"{receiver.url}/count/b", batch=100)
        publish(app, args.batched_events)
        seconds = await drain(app, receiver, args.batched_events)
        stats = receiver.stats()
        print(
            f"batched (100/request): {args.batched_events:,} events in {seconds:.2f} s = "
            f"{args.batched_events / seconds:,.0f} events/s in {stats['requests']:,} requests"
        )
        app.services.subscriptions.set_enabled("batched", False)
        receiver.reset()

        app.services.subscriptions.set_enabled("unbatched", True)
        total = int(args.rate * args.latency_seconds)
        stop = anyio.Event()
        async with anyio.create_task_group() as tg:
            tg.start_soon(app.dispatcher.run, stop)
            interval = 0.05
            per_tick = max(1, int(args.rate * interval))
            sent = 0
            while sent < total:
                tick = time.perf_counter()
                await anyio.to_thread.run_sync(lambda: publish(app, per_tick, stamp=True))
                sent += per_tick
                await anyio.sleep(max(0.0, interval - (time.perf_counter() - tick)))
            deadline = time.perf_counter() + 60
            while receiver.stats()["events"] < sent and time.perf_counter() < deadline:
                await anyio.sleep(0.1)
            stop.set()
        stats = receiver.stats()
        print(f"latency at {args.rate}/s unbatched: {percentiles(stats['latencies'])}")
        receiver.reset()

        if args.backlog:
            dead = f"http://127.0.0.1:{free_port()}/refused"
            await subscribe(app, "backlogged", f"{receiver.url}/count/validate-only")
            app.database.write(lambda tx: None)
            # Point it at a port nobody listens on, as if the endpoint went down after creation.
            sub = app.services.subscriptions.get("backlogged")
            from dataclasses import replace

            app.database.write(
                lambda tx: tx.subscriptions.save(
                    replace(sub, config=replace(sub.config, endpoint_url=dead))
                )
            )
            started = time.perf_counter()
            add_backlog(app, "backlogged", args.backlog)
            print(
                f"backlog: {args.backlog:,} pending deliveries to a dead endpoint "
                f"written in {time.perf_counter() - started:.0f} s"
            )
            publish(app, args.events)
            seconds = await drain(app, receiver, args.events)
            with_backlog = args.events / seconds
            print(
                f"unbatched with the backlog: {with_backlog:,.0f} events/s "
                f"({with_backlog / unbatched:.0%} of the run without it)"
            )
            counts = app.services.subscriptions.stats("backlogged")
            print(f"  the backlog meanwhile: {counts}")
    finally:
        await app.sender.aclose()
        app.close()
        receiver.stop()


if __name__ == "__main__":
    asyncio.run(main())
