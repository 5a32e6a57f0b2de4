"""The router's own cost per message, by the size of the route table.

Run: ``.venv/bin/python bench/bench_routing.py [--messages 4000]``. It submits batches of
messages through ``CarrierRouter`` to an in-memory carrier that answers at once, and the same
batches to that carrier directly, and prints the difference per message: the time routing
adds to the worker's send step (route choice, failover order, answers), for a table of just
the default route and for tables of 100 and 1,000 destination prefixes (plus round-robin,
whose shared turn counter costs one write per batch, here an in-memory one).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from tests.carrier_fakes import FakeFactory, FakeRegistryStore  # noqa: E402

from tidings.carriers.router import CarrierRouter  # noqa: E402
from tidings.domain.carriers import CarrierConfig, route_spec  # noqa: E402
from tidings.domain.messages import CarrierInbound, CarrierReport, OutboundSms  # noqa: E402

T0 = datetime(2026, 12, 4, tzinfo=UTC)


class _Sink:
    async def delivery_reports(self, reports: Sequence[CarrierReport]) -> None:
        pass

    async def inbound(self, message: CarrierInbound) -> None:
        pass


async def _measure(prefixes: int, strategy: str, messages: int, rounds: int) -> float:
    store = FakeRegistryStore()
    factory = FakeFactory()
    for name in ("simulator", "backup"):
        store.put_carrier(CarrierConfig(name, "fake", {}, True, 1, T0, T0))
    store.put_route(route_spec(["simulator", "backup"], strategy=strategy), T0)
    for i in range(prefixes):
        store.put_route(route_spec(["backup"], prefix=f"+4{i:04d}"), T0)
    router = CarrierRouter(store, {"fake": factory})  # type: ignore[arg-type]
    await router.start(_Sink())
    carrier = factory.current("simulator")
    batch = [
        OutboundSms(f"m{i}", "+18005550100", f"+1555{i:07d}", "x", 1, "tollFree")
        for i in range(messages)
    ]
    overheads = []
    for _ in range(rounds):
        start = time.perf_counter()
        await carrier.submit(batch)
        direct = time.perf_counter() - start
        start = time.perf_counter()
        await router.submit(batch)
        routed = time.perf_counter() - start
        overheads.append((routed - direct) / messages * 1e6)
        carrier.submitted.clear()
    return statistics.median(overheads)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=4000, help="per batch")
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    print(f"router overhead per message (median of {args.rounds} batches of {args.messages})")
    for prefixes, strategy in ((0, "failover"), (0, "round-robin"), (100, "failover"),
                               (1000, "failover")):  # fmt: skip
        cost = asyncio.run(_measure(prefixes, strategy, args.messages, args.rounds))
        print(f"  {prefixes + 1:>5} route(s), default route {strategy:<11} {cost:6.2f} us")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
