"""Dashboard analytics on a million messages: every query, SQL alone and JSON end to end.

Run: ``.venv/bin/python bench/bench_analytics.py [--messages 1000000] [--sqlite PATH]
[--postgres URL] [--reuse] [--repeat 15]``.

1. Seed ``--messages`` messages over 30 days and 50 numbers with ``tidings demo seed``'s
   bulk loader (skipped with ``--reuse`` when the database already has them), then
   ``ANALYZE`` (``VACUUM ANALYZE`` on PostgreSQL, as autovacuum would after a bulk load).
2. For each dashboard question (range x bucket x filter): ``GET /tidings/analytics``
   in-process through the ASGI app with HMAC auth (JSON encoding included), ``--repeat``
   times, p50/p95; and each SQL statement of the answer (``storage/analytics.QUERIES``)
   run alone in its own read transaction, ``--repeat`` times, p50/p95.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import anyio
import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from tidings.client import HmacAuth  # noqa: E402
from tidings.container import Application, build  # noqa: E402
from tidings.domain.analytics import AnalyticsQuery  # noqa: E402
from tidings.domain.timefmt import iso_z  # noqa: E402
from tidings.ports import Tx  # noqa: E402
from tidings.settings import Settings  # noqa: E402
from tidings.storage.analytics import QUERIES  # noqa: E402
from tidings.storage.schema import messages  # noqa: E402

KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="


def questions(app: Application) -> list[tuple[str, dict[str, str]]]:
    now = app.services.clock.now()

    def ago(**delta: float) -> str:
        return iso_z(now - timedelta(**delta))

    return [
        ("7 days by day (default)", {}),
        ("24 hours by hour", {"from": ago(hours=24), "bucket": "hour"}),
        ("30 days by day", {"from": ago(days=30)}),
        ("30 days by hour", {"from": ago(days=30), "bucket": "hour"}),
        ("30 days by week", {"from": ago(days=30), "bucket": "week"}),
        ("7 days, one number", {"number": "+18005550105"}),
        ("7 days, one tag", {"tag": "promo"}),
    ]


def run_query(statement: str, query: AnalyticsQuery, now: datetime, tx: Tx) -> object:
    block = tx.analytics.rollup_block(query, now)
    return getattr(tx.analytics, statement)(query, block)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p * len(ordered)) - 1))]


def seed(app: Application, count: int, reuse: bool) -> None:
    engine = app.database.engine
    with engine.connect() as c:
        existing = c.execute(sa.select(sa.func.count()).select_from(messages)).scalar_one()
    if reuse and existing >= count:
        print(f"  reusing {existing} messages")
        return
    started = time.perf_counter()
    summary = app.services.demo.seed(messages=count, days=30, numbers=50)
    took = time.perf_counter() - started
    print(
        f"  seeded {summary.messages} messages in {took:.1f} s ({summary.messages / took:,.0f}/s)"
    )
    started = time.perf_counter()
    if app.database.dialect == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.exec_driver_sql("VACUUM ANALYZE")
    else:
        with engine.begin() as c:
            c.exec_driver_sql("ANALYZE")
    print(f"  ANALYZE in {time.perf_counter() - started:.1f} s")


async def measure(app: Application, repeat: int) -> None:
    transport = httpx.ASGITransport(app=app.asgi())
    analytics, store = app.services.analytics, app.services.store
    async with httpx.AsyncClient(
        transport=transport, base_url="http://bench", auth=HmacAuth(KEY)
    ) as http:
        for name, params in questions(app):
            await http.get("/tidings/analytics", params=params)  # warm the caches
            endpoint: list[float] = []
            for _ in range(repeat):
                started = time.perf_counter()
                response = await http.get("/tidings/analytics", params=params)
                endpoint.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, response.text
            query = analytics.query(
                start=params.get("from"),
                bucket=params.get("bucket"),
                number=params.get("number"),
                tag=params.get("tag"),
            )
            now = app.services.clock.now()
            per_query: dict[str, list[float]] = {}
            for statement in QUERIES:
                per_query[statement] = []
                for _ in range(repeat):
                    started = time.perf_counter()
                    store.read(functools.partial(run_query, statement, query, now))
                    per_query[statement].append((time.perf_counter() - started) * 1000)
            totals = response.json()["totals"]
            print(
                f"\n  {name}: JSON endpoint p50 {statistics.median(endpoint):.0f} ms, "
                f"p95 {pct(endpoint, 0.95):.0f} ms (sent {totals['sent']:,})"
            )
            for statement, values in per_query.items():
                print(
                    f"      {statement:22s} p50 {statistics.median(values):7.1f} ms"
                    f"   p95 {pct(values, 0.95):7.1f} ms"
                )


def run(url: str, count: int, reuse: bool, repeat: int, data_dir: Path) -> None:
    app = build(Settings(data_dir=data_dir, database_url=url, access_key=KEY))
    try:
        app.migrate()
        app.bootstrap()
        print(f"\n== {app.database.dialect} ==")
        seed(app, count, reuse)
        anyio.run(measure, app, repeat)
    finally:
        app.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument(
        "--sqlite", type=Path, default=Path(tempfile.gettempdir()) / "tidings-bench-analytics"
    )
    parser.add_argument("--postgres", help="SQLAlchemy URL of an (empty) PostgreSQL database")
    parser.add_argument("--reuse", action="store_true", help="keep already seeded data")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    args = parser.parse_args()
    if args.only != "postgres":
        args.sqlite.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{args.sqlite / 'tidings.db'}"
        run(url, args.messages, args.reuse, args.repeat, args.sqlite)
    if args.postgres and args.only != "sqlite":
        run(args.postgres, args.messages, args.reuse, args.repeat, args.sqlite)


if __name__ == "__main__":
    main()
