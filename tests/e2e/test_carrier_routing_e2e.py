"""Carriers and routes against a real server: CLI and REST changes reach the running worker."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from azure.communication.sms import SmsClient
from azure.core.credentials import AzureKeyCredential

from tests.e2e.test_sdk_sms import _wait_for
from tests.server import ServerProcess
from tidings.cli import main
from tidings.client import TidingsClient

SENDER = "+18005550100"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    process = ServerProcess(
        tmp_path / "data", env={"TIDINGS_CARRIER_REFRESH_SECONDS": "0.2"}
    ).start()
    yield process
    process.stop()
    assert "Traceback" not in process.log(), process.log()


def _send(client: SmsClient, to: str) -> str:
    [result] = client.send(from_=SENDER, to=[to], message="routed", enable_delivery_report=True)
    assert result.successful
    return str(result.message_id)


def _settled(tidings: TidingsClient, message_id: str) -> dict[str, Any] | None:
    message = tidings.message(message_id)
    return message if message["deliveryStatus"] else None


def test_routes_added_through_cli_and_rest_take_effect_without_a_restart(
    server: ServerProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    data = ["--data-dir", str(server.data_dir)]
    assert main(["carriers", "add", "sim2", "--kind", "simulator", *data]) == 0
    assert main(["routes", "add", "--prefix", "+1425", "--carriers", "sim2,simulator", *data]) == 0
    assert "-> sim2,simulator (failover)" in capsys.readouterr().out
    client = SmsClient(server.http_endpoint, AzureKeyCredential(server.access_key), retry_total=0)
    with TidingsClient(server.http_endpoint, server.access_key) as tidings:

        def goes_to(to: str, carrier: str) -> Callable[[], dict[str, Any] | None]:
            """A new message to ``to``, settled, if it went to ``carrier`` (a worker notices a
            change within its refresh interval: until then messages take the old way)."""

            def probe() -> dict[str, Any] | None:
                message_id = _send(client, to)
                message = _wait_for(lambda: _settled(tidings, message_id))
                return message if message["carrier"] == carrier else None

            return probe

        first = _wait_for(goes_to("+14255550111", "sim2"))
        assert first["deliveryStatus"] == "Delivered"
        default = _send(client, "+15555550111")
        assert _wait_for(lambda: _settled(tidings, default))["carrier"] == "simulator"
        events = tidings.events(event_types=["Microsoft.Communication.SMSDeliveryReportReceived"])
        assert first["id"] in {e["id"] for e in events["value"]}

        # REST: a new route on the running server.
        added = tidings.http.post("/tidings/routes", json={"carriers": ["sim2"], "prefix": "+1555"})
        assert added.status_code == 201, added.text
        _wait_for(goes_to("+15555550112", "sim2"))

        # REST: disable sim2; the +1425 group fails over to the simulator.
        disabled = tidings.http.patch("/tidings/carriers/sim2", json={"enabled": False})
        assert disabled.status_code == 200 and disabled.json()["version"] == 2
        _wait_for(goes_to("+14255550112", "simulator"))
        after = _send(client, "+14255550113")
        assert _wait_for(lambda: _settled(tidings, after))["carrier"] == "simulator"

        # Its only route's carrier disabled, a +1555 message waits queued, then leaves
        # once sim2 is enabled again.
        waiting = _send(client, "+15555550113")
        probe = _send(client, "+14255550114")  # sent after it: tried no earlier than it
        assert _wait_for(lambda: _settled(tidings, probe))["carrier"] == "simulator"
        assert tidings.message(waiting)["status"] == "queued"
        enabled = tidings.http.patch("/tidings/carriers/sim2", json={"enabled": True})
        assert enabled.status_code == 200
        back = _wait_for(lambda: _settled(tidings, waiting), timeout=40.0)
        assert (back["carrier"], back["deliveryStatus"]) == ("sim2", "Delivered")
