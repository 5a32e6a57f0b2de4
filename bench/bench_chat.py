"""Chat send rate and send-to-outbox latency through the real, token-authenticated endpoint.

Run: ``.venv/bin/python bench/bench_chat.py [--seconds 10] [--connections 64]
[--database-url URL]``. Needs ``wrk`` (``apt-get install wrk``). It starts ``tidings serve``
(SQLite unless a URL is given), creates users through the Identity API and two threads
through the Chat API, then drives ``POST /chat/threads/{id}/messages`` with a user's bearer
token, first on a 2-member thread, then on a 100-member thread (each message writes 99
per-user ``ChatMessageReceived`` events and one ``ChatMessageReceivedInThread`` to the outbox
in the message's transaction). It prints messages/s and latency percentiles under load, the
latency of one sender alone (the time from send to its events being committed in the outbox),
and checks that every accepted message and all its events are stored.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_sms import lua, wrk  # noqa: E402
from tests.server import ServerProcess  # noqa: E402

from tidings.client import HmacAuth  # noqa: E402

V = "api-version=2024-03-07"
BODY = '{"content": "Benchmark message", "senderDisplayName": "Bench", "type": "text"}'


def users(server: ServerProcess, count: int) -> list[tuple[str, str]]:
    out = []
    with httpx.Client(base_url=server.http_endpoint, auth=HmacAuth(server.access_key)) as api:
        for _ in range(count):
            body = api.post(
                "/identities?api-version=2023-10-01", json={"createTokenWithScopes": ["chat"]}
            ).json()
            out.append((body["identity"]["id"], body["accessToken"]["token"]))
    return out


def thread(server: ServerProcess, token: str, members: list[str]) -> str:
    participants = [
        {"communicationIdentifier": {"rawId": m, "communicationUser": {"id": m}}} for m in members
    ]
    response = httpx.post(
        f"{server.http_endpoint}/chat/threads?{V}",
        json={"topic": "bench", "participants": participants},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["chatThread"]["id"])


def counts(engine: sa.Engine, thread_id: str) -> tuple[int, int]:
    with engine.connect() as c:
        messages = c.execute(
            sa.text("select count(*) from chat_messages where thread_id = :t and type = 'text'"),
            {"t": thread_id},
        ).scalar_one()
        events = c.execute(
            sa.text(
                "select count(*) from events where event_type in "
                "('Microsoft.Communication.ChatMessageReceived', "
                "'Microsoft.Communication.ChatMessageReceivedInThread') "
                "and subject like :s"
            ),
            {"s": f"thread/{thread_id}/%"},
        ).scalar_one()
    return int(messages), int(events)


def alone(url: str, token: str, count: int = 200) -> dict[str, float]:
    """One sender, one request at a time: send to events committed, in ms."""
    times = []
    with httpx.Client(headers={"Authorization": f"Bearer {token}"}) as client:
        for _ in range(count):
            started = time.perf_counter()
            response = client.post(url, content=BODY, headers={"Content-Type": "application/json"})
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 201, response.text
    times.sort()
    return {"p50": statistics.median(times), "p99": times[int(len(times) * 0.99) - 1]}


def run(
    server: ServerProcess,
    engine: sa.Engine,
    tmp: Path,
    size: int,
    seconds: int,
    connections: int,
) -> dict[str, Any]:
    people = users(server, size)
    sender_token = people[0][1]
    thread_id = thread(server, sender_token, [u for u, _ in people[1:]])
    url = f"{server.http_endpoint}/chat/threads/{quote(thread_id, safe='')}/messages?{V}"
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {sender_token}"}
    script = lua(headers, BODY, tmp / f"chat{size}.lua")
    result: dict[str, Any] = wrk(url, script, seconds, connections)
    time.sleep(0.5)  # requests in flight when wrk stopped
    messages, events = counts(engine, thread_id)
    result["accepted"] = result["requests"] - result["non2xx"]
    result["stored"] = messages
    result["events"] = events
    result["fanout"] = size  # (size - 1) per-user events + 1 in-thread event
    result["alone"] = alone(url, sender_token)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp dir")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install wrk", file=sys.stderr)
        return 2
    ok = True
    with tempfile.TemporaryDirectory() as raw:
        tmp = Path(raw)
        server = ServerProcess(
            tmp / "data", database_url=args.database_url, env={"TIDINGS_TLS": "false"}
        ).start()
        engine = sa.create_engine(args.database_url or f"sqlite:///{tmp / 'data' / 'tidings.db'}")
        try:
            print(
                f"machine: {os.cpu_count()} cores; wrk -t2 -c{args.connections} "
                f"-d{args.seconds}s; database: {engine.dialect.name}"
            )
            for size in (2, 100):
                r = run(server, engine, tmp, size, args.seconds, args.connections)
                expected = r["stored"] * r["fanout"]
                ok = ok and r["stored"] >= r["accepted"] and r["events"] == expected
                print(
                    f"{size:>3}-member thread  {r['rps']:>7.0f} msg/s  p50 {r['p50_ms']:.1f} ms  "
                    f"p99 {r['p99_ms']:.1f} ms  non-2xx {r['non2xx']:.0f}"
                )
                print(
                    f"    one sender alone: send to events committed p50 "
                    f"{r['alone']['p50']:.1f} ms  p99 {r['alone']['p99']:.1f} ms"
                )
                print(
                    f"    accepted {r['accepted']:.0f}  stored {r['stored']}  events "
                    f"{r['events']} (= {r['fanout']} per message: {r['events'] == expected})"
                )
        finally:
            engine.dispose()
            server.stop()
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
