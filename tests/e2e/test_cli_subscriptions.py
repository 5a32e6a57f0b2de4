"""``tidings subscriptions`` against a real receiver process."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.server import ReceiverProcess
from tidings.cli import main


def test_subscription_commands(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], receiver: ReceiverProcess
) -> None:
    data = ["--data-dir", str(tmp_path / "data")]
    url = f"{receiver.url}/ok/cli"
    created = [
        "subscriptions",
        "create",
        "cli-sub",
        "--endpoint",
        url,
        "--event-type",
        "Microsoft.Communication.SMSReceived",
        "--subject-begins-with",
        "phonenumber/1800",
        "--max-events-per-batch",
        "10",
        "--dead-letter",
        *data,
    ]
    assert main(created) == 0
    assert "created cli-sub  Succeeded  enabled  EventGridSchema" in capsys.readouterr().out
    assert main(["subscriptions", *data]) == 0
    assert "cli-sub" in capsys.readouterr().out
    assert main(["subscriptions", "show", "cli-sub", *data]) == 0
    shown = capsys.readouterr().out
    assert '"maxEventsPerBatch": 10' in shown and "phonenumber/1800" in shown
    assert main(["subscriptions", "disable", "cli-sub", *data]) == 0
    assert "disabled" in capsys.readouterr().out
    assert main(["subscriptions", "rotate-secret", "cli-sub", "--grace-minutes", "5", *data]) == 0
    assert "whsec_" in capsys.readouterr().out
    assert (
        main(["subscriptions", "replay", "cli-sub", "--start", "2026-01-01T00:00:00Z", *data]) == 0
    )
    assert "queued" in capsys.readouterr().out
    assert main(["subscriptions", "redeliver", "cli-sub", *data]) == 0
    assert "queued 0" in capsys.readouterr().out
    assert (
        main(
            [
                "subscriptions",
                "create",
                "bad",
                "--endpoint",
                f"{receiver.url}/raw/status/500",
                *data,
            ]
        )
        == 2
    )
    assert "validation handshake failed" in capsys.readouterr().err
    assert main(["subscriptions", "show", "missing", *data]) == 2
    assert main(["subscriptions", "delete", "cli-sub", *data]) == 0
    assert "deleted" in capsys.readouterr().out
