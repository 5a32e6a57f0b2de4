"""The console's Carriers page against a real server, and the carrier in the timeline."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import shot
from tests.browser.test_console import api, signed_in
from tests.server import ServerProcess

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def test_carriers_page_adds_carriers_and_routes(page: Page, server: ServerProcess) -> None:
    signed_in(page, server)
    page.goto(server.http_endpoint + "/#/carriers")
    carriers = page.get_by_role("table", name="Carriers")
    expect(carriers.locator("tr[data-carrier=simulator]")).to_contain_text("enabled")

    form = page.get_by_role("form", name="Add a carrier")
    form.get_by_label("Name").fill("sim2")
    form.get_by_label("Options (JSON)").fill('{"delay_seconds": 0.5}')
    form.get_by_role("button", name="Add carrier").click()
    expect(carriers.locator("tr[data-carrier=sim2]")).to_contain_text("delay_seconds=0.5")

    form.get_by_label("Name").fill("sim3")
    form.get_by_label("Options (JSON)").fill('{"colour": "red"}')
    form.get_by_role("button", name="Add carrier").click()
    expect(page.get_by_role("alert")).to_contain_text("options: colour")

    routes = page.get_by_role("form", name="Add a route")
    routes.get_by_label("Destination prefix").fill("+39")
    routes.get_by_label("Carriers").fill("sim2, simulator")
    routes.get_by_label("Strategy").select_option("round-robin")
    routes.get_by_role("button", name="Add route").click()
    table = page.get_by_role("table", name="Routes")
    row = table.locator("tr", has_text="to +39")
    expect(row).to_contain_text("sim2 → simulator")
    expect(row).to_contain_text("round-robin")
    expect(table.locator("tbody tr").last).to_contain_text("any destination")
    shot(page, "carriers")

    carriers.locator("tr[data-carrier=sim2]").get_by_role("button", name="Disable").click()
    expect(carriers.locator("tr[data-carrier=sim2]")).to_contain_text("disabled")
    with api(server) as client:
        assert client.get("/tidings/carriers/sim2").json()["enabled"] is False
        route_id = client.get("/tidings/routes").json()["value"][0]["id"]
    page.once("dialog", lambda dialog: dialog.accept())
    table.locator(f"tr[data-route='{route_id}']").get_by_role("button", name="Remove").click()
    expect(table.locator("tr", has_text="to +39")).to_have_count(0)
    page.once("dialog", lambda dialog: dialog.accept())
    carriers.locator("tr[data-carrier=sim2]").get_by_role("button", name="Remove").click()
    expect(carriers.locator("tr[data-carrier=sim2]")).to_have_count(0)


def test_the_timeline_names_the_carrier(page: Page, server: ServerProcess) -> None:
    with api(server) as client:
        body = {"from": "+18005550100", "smsRecipients": [{"to": "+15555550177"}], "message": "c"}
        sent = client.post("/sms?api-version=2021-03-07", json=body)
        message_id = sent.json()["value"][0]["messageId"]
    signed_in(page, server)
    page.goto(f"{server.http_endpoint}/#/messages/{message_id}")
    expect(page.locator(".timeline")).to_contain_text("Sent to carrier simulator")
