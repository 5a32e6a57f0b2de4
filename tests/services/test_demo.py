"""``tidings demo seed``: realistic data in bulk, that the analytics then see."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa

from tidings.cli import main
from tidings.container import Application
from tidings.storage.schema import conversations, messages, opt_changes, optouts


def test_seed_makes_realistic_traffic(application: Application) -> None:
    written: list[int] = []
    summary = application.services.demo.seed(
        messages=3000, days=3, numbers=4, progress=written.append
    )
    assert summary.messages == 3000 and sum(written) == 3000
    assert summary.numbers == ["+18005550100", "+18005550101", "+18005550102", "+18005550103"]
    with application.database.engine.connect() as c:
        rows = c.execute(
            sa.select(messages.c.direction, messages.c.status, sa.func.count()).group_by(
                messages.c.direction, messages.c.status
            )
        ).all()
        kinds = Counter({(r[0], r[1]): r[2] for r in rows})
        tags = set(c.execute(sa.select(messages.c.tag).distinct()).scalars())
        bodies = set(
            c.execute(
                sa.select(messages.c.body).where(messages.c.direction == "inbound").distinct()
            ).scalars()
        )
        threads = c.execute(sa.select(sa.func.count()).select_from(conversations)).scalar_one()
        changes = c.execute(sa.select(sa.func.count()).select_from(opt_changes)).scalar_one()
        listed = c.execute(sa.select(sa.func.count()).select_from(optouts)).scalar_one()
    assert sum(kinds.values()) == 3000
    assert kinds[("outbound", "delivered")] > 2000
    assert 50 < kinds[("outbound", "failed")] < 400
    assert 200 < kinds[("inbound", "received")] < 800
    assert {"STOP", "START", "HELP", "YES"} <= bodies
    assert {"welcome", "otp", "reminder", "promo", None} == tags
    assert threads == summary.conversations > 100
    assert changes == summary.opt_changes > 0
    assert 0 < listed <= changes
    # The analytics over the seeded days count every message once.
    service = application.services.analytics
    totals = service.report(service.query(start="2026-11-19T00:00:00Z"))["totals"]
    assert totals["sent"] + totals["received"] == 3000
    assert totals["optOuts"] + totals["optIns"] == changes
    assert 0.85 < totals["deliveryRate"] < 0.99


def test_demo_seed_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = ["--data-dir", str(tmp_path / "data")]
    assert main(["demo", "seed", "--messages", "500", "--days", "2", "--numbers", "2", *data]) == 0
    assert "Seeded 500 messages" in capsys.readouterr().out
    assert main(["demo", "seed", "--messages", "0", *data]) == 2
    assert "--messages" in capsys.readouterr().err
