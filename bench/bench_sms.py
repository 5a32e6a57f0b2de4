"""SMS accept rate, latency and end-to-end throughput, against a bare ASGI baseline.

Run: ``.venv/bin/python bench/bench_sms.py [--seconds 10] [--connections 64]``. Needs ``wrk``
(``apt-get install wrk``). It starts, one after the other on this machine:

1. the baseline: ``bench/bare_app.py`` under uvicorn with the same options as Tidings;
2. ``tidings serve --api-processes N`` (SQLite, simulated carrier, throughput limits off)
   and drives ``POST /sms`` with a correctly HMAC-signed request (one recipient, delivery
   report on), then waits for every delivery report;
3. ``tidings api`` alone (the accept path), with one API process and with N;

and prints requests/s and latency percentiles of each, the ratio to the baseline, how many
accepted messages are in the database (at least the 202s), and the end-to-end rate from the
first accept to the last delivery-report event in the outbox. N (``--api-processes``)
defaults to the number of cores.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from email.utils import formatdate
from pathlib import Path

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from bench_idle import cpu_seconds, tree  # noqa: E402
from tests.server import ServerProcess, free_port  # noqa: E402

from tidings.domain import hmac  # noqa: E402
from tidings.settings import default_api_processes  # noqa: E402

BODY = json.dumps(
    {
        "from": "+18005550100",
        "smsRecipients": [{"to": "+15555550111"}],
        "message": "Benchmark message",
        "smsSendOptions": {"enableDeliveryReport": True, "tag": "bench"},
    }
)


def wrk(url: str, script: Path, seconds: int, connections: int) -> dict[str, float]:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}  # type: ignore[union-attr]
    result["requests"] = float(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    result["non2xx"] = float(bad.group(1)) if bad else 0.0
    for pct in ("50", "99"):
        match = re.search(rf"\s{pct}%\s+([\d.]+)(us|ms|s)", out)
        assert match, out
        value, unit = float(match.group(1)), match.group(2)
        result[f"p{pct}_ms"] = (
            value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
        )
    return result


def lua(headers: dict[str, str], body: str, path: Path) -> Path:
    lines = ['wrk.method = "POST"', f"wrk.body = {json.dumps(body)}"]
    lines += [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def baseline(tmp: Path, seconds: int, connections: int) -> dict[str, float]:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bare_app:app",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
            "--lifespan",
            "off",
        ],
        cwd=ROOT / "bench",
    )
    try:
        for _ in range(100):
            try:
                httpx.post(f"http://127.0.0.1:{port}/", content=b"{}")
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        script = lua({"Content-Type": "application/json"}, BODY, tmp / "bare.lua")
        return wrk(f"http://127.0.0.1:{port}/sms", script, seconds, connections)
    finally:
        proc.terminate()
        proc.wait()


def signed_headers(key: str, host: str, target: str) -> dict[str, str]:
    date = formatdate(usegmt=True)
    body_hash = hmac.content_hash(BODY.encode())
    signature = hmac.signature(key, hmac.string_to_sign("POST", target, date, host, body_hash))
    return {
        "Content-Type": "application/json",
        "x-ms-date": date,
        "x-ms-content-sha256": body_hash,
        "Authorization": hmac.authorization_header(signature),
    }


def api_only(
    tmp: Path, seconds: int, connections: int, database_url: str | None, processes: int
) -> dict[str, float]:
    """The accept path alone: ``tidings api``, no worker in the process."""
    data = Path(tempfile.mkdtemp(prefix=f"api-{processes}-", dir=tmp))
    command = [sys.executable, "-m", "tidings", "migrate", "--data-dir", str(data)]
    if database_url:
        command += ["--database-url", database_url]
    subprocess.run(command, check=True, capture_output=True)
    env = {
        "TIDINGS_RATE_LIMITS": "off",
        "TIDINGS_TLS": "false",
        "TIDINGS_API_PROCESSES": str(processes),
    }
    server = ServerProcess(data, database_url=database_url, env=env, command="api").start()
    try:
        target = "/sms?api-version=2021-03-07"
        host = f"127.0.0.1:{server.http_port}"
        script = lua(signed_headers(server.access_key, host, target), BODY, tmp / "api.lua")
        warm_up(host, target, server.access_key, processes)
        return wrk(f"http://{host}{target}", script, seconds, connections)
    finally:
        server.stop()


def warm_up(host: str, target: str, key: str, processes: int) -> None:
    """Wait until every API process answers (each on fresh connections), then send a few."""
    deadline = time.monotonic() + 60
    answered = 0
    while answered < 4 * processes and time.monotonic() < deadline:
        try:
            reply = httpx.post(
                f"http://{host}{target}",
                content=BODY,
                headers={**signed_headers(key, host, target), "Connection": "close"},
            )
            answered = answered + 1 if reply.status_code == 202 else 0
        except httpx.HTTPError:
            answered = 0
            time.sleep(0.1)
    time.sleep(1.0 if processes > 1 else 0.0)  # the children finish starting


def tidings(
    tmp: Path, seconds: int, connections: int, database_url: str | None, processes: int | None
) -> dict[str, float]:
    """``tidings serve`` with ``processes`` API processes (None: its default)."""
    data = Path(tempfile.mkdtemp(prefix="serve-", dir=tmp))
    server = ServerProcess(
        data,
        database_url=database_url,
        env={"TIDINGS_RATE_LIMITS": "off", "TIDINGS_TLS": "false"},
        processes=processes,
    )
    server.start()
    processes = processes or default_api_processes()
    engine = sa.create_engine(database_url or f"sqlite:///{data / 'tidings.db'}")
    try:
        target = "/sms?api-version=2021-03-07"
        host = f"127.0.0.1:{server.http_port}"
        script = lua(signed_headers(server.access_key, host, target), BODY, tmp / "sms.lua")
        check = httpx.post(
            f"http://{host}{target}",
            content=BODY,
            headers=signed_headers(server.access_key, host, target),
        )
        assert check.status_code == 202, check.text
        warm_up(host, target, server.access_key, processes)
        assert server.process is not None
        pids = tree(server.process.pid)
        cpu_before = cpu_seconds(pids)
        started = time.monotonic()
        result = wrk(f"http://{host}{target}", script, seconds, connections)
        cpu_accepting = cpu_seconds(pids) - cpu_before
        accepted = int(result["requests"] - result["non2xx"])
        with engine.connect() as c:
            stored = c.execute(sa.text("select count(*) from messages")).scalar_one()
        result["accepted"] = accepted
        result["stored"] = stored
        deadline = time.monotonic() + 600
        reports = 0
        while time.monotonic() < deadline:
            with engine.connect() as c:
                reports = c.execute(
                    sa.text(
                        "select count(*) from events where event_type = "
                        "'Microsoft.Communication.SMSDeliveryReportReceived'"
                    )
                ).scalar_one()
            if reports >= stored:
                break
            time.sleep(0.2)
        elapsed = time.monotonic() - started
        # CPU time of every Tidings process per message: robust to a busy machine.
        result["cpu_us_accept"] = cpu_accepting / max(1, stored) * 1e6
        result["cpu_us_e2e"] = (cpu_seconds(pids) - cpu_before) / max(1, reports) * 1e6
        result["reports"] = reports
        result["e2e_seconds"] = elapsed
        result["e2e_rate"] = reports / elapsed
        return result
    finally:
        engine.dispose()
        server.stop()


def serve_label(processes: int | None) -> str:
    return "defaults" if processes is None else f"{processes} API processes"


def serve_rounds(args: argparse.Namespace) -> int:
    """Bare, then ``tidings serve``, ``--rounds`` times: each round's accept ratio and end to
    end rate, and their medians."""
    rounds = []
    with tempfile.TemporaryDirectory() as raw:
        tmp = Path(raw)
        for _ in range(max(1, args.rounds)):
            base = baseline(tmp, args.seconds, args.connections)
            ours = tidings(
                tmp, args.seconds, args.connections, args.database_url, args.serve_processes
            )
            rounds.append((base, ours))
            label = serve_label(args.serve_processes)
            print(
                f"round {len(rounds)}: bare {base['rps']:.0f}, serve ({label}) "
                f"{ours['rps']:.0f} ({ours['rps'] / base['rps']:.1%}) p50 {ours['p50_ms']:.1f} ms "
                f"p99 {ours['p99_ms']:.1f} ms, end to end {ours['e2e_rate']:.0f} msg/s "
                f"(accepted {ours['accepted']:.0f}, stored {ours['stored']:.0f}, "
                f"reports {ours['reports']:.0f}); CPU per message: "
                f"{ours['cpu_us_accept']:.0f} us while accepting, "
                f"{ours['cpu_us_e2e']:.0f} us end to end",
                flush=True,
            )
    ratio = statistics.median(o["rps"] / b["rps"] for b, o in rounds)
    e2e = statistics.median(o["e2e_rate"] for _, o in rounds)
    print(f"median of {len(rounds)} rounds: serve {ratio:.1%} of bare, end to end {e2e:.0f} msg/s")
    return 0 if all(o["stored"] >= o["accepted"] for _, o in rounds) else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp dir")
    parser.add_argument(
        "--api-processes", type=int, default=os.cpu_count() or 2, help="default: the cores"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=0,
        help="then R rounds of bare / api x1 / api xN back to back: each round's ratios and "
        "their medians (robust to a machine whose speed drifts)",
    )
    parser.add_argument(
        "--serve-processes",
        type=int,
        default=None,
        help="tidings serve's API processes (default: its own default, no flag)",
    )
    parser.add_argument(
        "--serve-only",
        action="store_true",
        help="only bare and tidings serve, --rounds times (default once): ratios, medians",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install wrk", file=sys.stderr)
        return 2
    if args.serve_only:
        return serve_rounds(args)
    n = args.api_processes
    with tempfile.TemporaryDirectory() as raw:
        tmp = Path(raw)
        base = baseline(tmp, args.seconds, args.connections)
        ours = tidings(tmp, args.seconds, args.connections, args.database_url, args.serve_processes)
        alone = api_only(tmp, args.seconds, args.connections, args.database_url, 1)
        several = api_only(tmp, args.seconds, args.connections, args.database_url, n)
        rounds = [
            (
                baseline(tmp, args.seconds, args.connections),
                api_only(tmp, args.seconds, args.connections, args.database_url, 1),
                api_only(tmp, args.seconds, args.connections, args.database_url, n),
            )
            for _ in range(args.rounds)
        ]
    print(f"machine: {os.cpu_count()} cores; wrk -t2 -c{args.connections} -d{args.seconds}s")

    def line(name: str, r: dict[str, float]) -> None:
        ratio = "" if r is base else f"  ({r['rps'] / base['rps']:.1%} of bare)"
        print(
            f"{name:<34}{r['rps']:>7.0f} req/s  p50 {r['p50_ms']:6.2f} ms  "
            f"p99 {r['p99_ms']:6.2f} ms{ratio}"
        )

    line("bare ASGI (uvicorn, 1 process)", base)
    line(f"tidings serve, {serve_label(args.serve_processes)}", ours)
    line("tidings api, 1 process", alone)
    line(f"tidings api, {n} processes", several)
    print(
        f"  serve: accepted (202) {ours['accepted']:.0f}, stored {ours['stored']:.0f}, "
        f"non-2xx {ours['non2xx']:.0f}"
    )
    print(
        f"end to end (serve)                {ours['e2e_rate']:>7.0f} msg/s  ({ours['reports']:.0f} "
        f"delivery-report events in {ours['e2e_seconds']:.1f} s from the first accept)"
    )
    for index, (b, one, many) in enumerate(rounds, 1):
        print(
            f"round {index}: bare {b['rps']:.0f}, api x1 {one['rps']:.0f} "
            f"({one['rps'] / b['rps']:.1%}), api x{n} {many['rps']:.0f} "
            f"({many['rps'] / b['rps']:.1%})"
        )
    if rounds:
        ones = statistics.median(one["rps"] / b["rps"] for b, one, _ in rounds)
        manys = statistics.median(many["rps"] / b["rps"] for b, _, many in rounds)
        print(f"median of {len(rounds)} rounds: api x1 {ones:.1%}, api x{n} {manys:.1%} of bare")
    # Requests still in flight when wrk stops are committed but not counted by wrk.
    return 0 if ours["stored"] >= ours["accepted"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
