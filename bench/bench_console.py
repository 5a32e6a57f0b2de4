"""How long the console's dashboard takes to become interactive in Chromium, on seeded data.

Run: ``.venv/bin/python bench/bench_console.py [--messages 1000000] [--database-url URL]``.

1. Seeds a fresh database: with ``tidings demo seed --messages N --days 30 --numbers 50`` when
   this Tidings has it, else through the HTTP API (``POST /sms``, 100 recipients a request,
   from 50 provisioned numbers, throughput limits off; slower, so use a smaller ``--messages``).
2. Starts ``tidings serve`` on it and opens ``/`` in Debian's Chromium (``/usr/bin/chromium``)
   with a fresh profile, signs in, then loads the dashboard ``--runs`` times, cold (a new tab
   on a reload) each time.
3. Reports, per run, the time from navigation start until the dashboard is interactive: the
   charts are drawn (``.dashboard[data-ready]``) and every request the page made has
   answered; and the server-side time of the dashboard's analytics request.

The aim (issue 6): under 1 s for the full page.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, DESKTOP  # noqa: E402
from tests.server import ACCESS_KEY, ServerProcess  # noqa: E402

from tidings.client import HmacAuth  # noqa: E402

INTERACTIVE = """() => {
  const ready = document.querySelector('.dashboard[data-ready=true]');
  const net = window.tidingsNetwork;
  return Boolean(ready && net && net.started >= 3 && net.pending === 0);
}"""


def has_demo_seed() -> bool:
    result = subprocess.run(
        [sys.executable, "-m", "tidings", "demo", "--help"], capture_output=True, check=False
    )
    return result.returncode == 0


def seed_with_demo(data_dir: Path, database_url: str | None, messages: int) -> str:
    command = [sys.executable, "-m", "tidings", "demo", "seed", "--data-dir", str(data_dir)]
    command += ["--messages", str(messages), "--days", "30", "--numbers", "50"]
    env = {"TIDINGS_ACCESS_KEY": ACCESS_KEY}
    if database_url:
        env["TIDINGS_DATABASE_URL"] = database_url
    subprocess.run(command, check=True, env={**os.environ, **env})
    return "tidings demo seed"


def seed_with_api(server: ServerProcess, messages: int) -> str:
    numbers = [f"+1800555{n:04d}" for n in range(1000, 1050)]
    with httpx.Client(
        base_url=server.http_endpoint, auth=HmacAuth(ACCESS_KEY), timeout=60
    ) as client:
        for number in numbers:
            response = client.post(
                "/tidings/numbers", json={"phoneNumber": number, "phoneNumberType": "tollFree"}
            )
            if response.status_code not in (201, 409):
                response.raise_for_status()
        sent = 0
        while sent < messages:
            batch = min(100, messages - sent)
            body = {
                "from": numbers[(sent // 100) % len(numbers)],
                "smsRecipients": [
                    {"to": f"+1555{(sent + i) % 10_000_000:07d}"} for i in range(batch)
                ],
                "message": "Benchmark traffic",
                "smsSendOptions": {"enableDeliveryReport": True, "tag": f"tag{sent % 7}"},
            }
            client.post("/sms", params={"api-version": "2021-03-07"}, json=body).raise_for_status()
            sent += batch
        # Wait for the backlog to drain so the dashboard reads a settled database.
        deadline = time.monotonic() + 1800
        while time.monotonic() < deadline:
            queued = client.get("/tidings/messages", params={"status": "queued", "limit": 1})
            if not queued.json()["value"]:
                break
            time.sleep(1)
    return "the HTTP API"


def api_timing(server: ServerProcess, runs: int) -> list[float]:
    """The dashboard's analytics request (default range) timed from Python, in ms."""
    timings = []
    with httpx.Client(
        base_url=server.http_endpoint, auth=HmacAuth(ACCESS_KEY), timeout=300
    ) as client:
        for _ in range(runs):
            started = time.perf_counter()
            client.get("/tidings/analytics").raise_for_status()
            timings.append((time.perf_counter() - started) * 1000)
    return timings


def measure(server: ServerProcess, runs: int) -> list[tuple[float, float]]:
    """``(page ms, analytics request ms)`` per run."""
    results: list[tuple[float, float]] = []
    with (
        tempfile.TemporaryDirectory() as profile,
        sync_playwright() as playwright,
    ):
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, viewport=DESKTOP
        )
        page = context.new_page()
        page.goto(server.http_endpoint + "/")
        page.get_by_label("Access key").fill(ACCESS_KEY)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_function(INTERACTIVE, timeout=120_000)  # warms the server's caches once
        for _ in range(runs):
            tab = context.new_page()
            tab.goto(server.http_endpoint + "/#/dashboard", wait_until="commit")
            tab.wait_for_function(INTERACTIVE, timeout=120_000, polling=10)
            page_ms = tab.evaluate("() => performance.now()")
            analytics_ms = tab.evaluate(
                """() => {
                  const e = performance.getEntriesByType('resource')
                    .filter(r => r.name.includes('/tidings/analytics'));
                  return e.length ? e[e.length - 1].duration : -1;
                }"""
            )
            results.append((float(page_ms), float(analytics_ms)))
            tab.close()
        context.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--database-url", help="PostgreSQL (SQLAlchemy URL); default SQLite")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--seed", choices=["auto", "demo", "api"], default="auto")
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="keep the data directory here; when it already holds a database, reuse it",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data_dir or Path(tmp) / "data"
        reuse = (data_dir / "tidings.db").exists() if not args.database_url else False
        env = {"TIDINGS_RATE_LIMITS": "off", "TIDINGS_LOG_LEVEL": "warning"}
        server = ServerProcess(data_dir, database_url=args.database_url, env=env)
        use_demo = args.seed == "demo" or (args.seed == "auto" and has_demo_seed())
        started = time.monotonic()
        if reuse:
            server.start(timeout=300)
            source = f"an earlier run (reused {data_dir})"
        elif use_demo:
            source = seed_with_demo(data_dir, args.database_url, args.messages)
            server.start(timeout=300)
        else:
            server.start(timeout=300)
            source = seed_with_api(server, args.messages)
        seeded = time.monotonic() - started
        try:
            direct = api_timing(server, 3)
            print(f"GET /tidings/analytics from Python: {', '.join(f'{t:.0f}' for t in direct)} ms")
            results = measure(server, args.runs)
        finally:
            server.stop()
    pages = [p for p, _ in results]
    queries = [q for _, q in results]
    database = "PostgreSQL" if args.database_url else "SQLite"
    print(f"{args.messages:,} messages seeded with {source} in {seeded:.0f} s ({database})")
    print(
        f"dashboard interactive  median {statistics.median(pages):6.0f} ms   "
        f"max {max(pages):6.0f} ms"
    )
    print(
        f"analytics request      median {statistics.median(queries):6.0f} ms   "
        f"max {max(queries):6.0f} ms"
    )
    print("runs (page ms / analytics ms): " + ", ".join(f"{p:.0f}/{q:.0f}" for p, q in results))


if __name__ == "__main__":
    main()
