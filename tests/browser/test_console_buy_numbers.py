"""The phone numbers page buys numbers: browse, reserve, purchase (and the do-not-resell
agreement France requires), in Chromium against a real ``tidings serve``."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import shot
from tests.browser.test_console import api, signed_in
from tests.server import ServerProcess

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def _browse(page: Page, country: str, offering: str, prefix: str = "") -> None:
    form = page.get_by_role("form", name="Browse numbers")
    form.get_by_label("Country").select_option(country)
    expect(form.get_by_label("Offering")).to_contain_text(offering.split("|")[0])
    form.get_by_label("Offering").select_option(offering)
    form.get_by_label("Prefixes").fill(prefix)
    form.get_by_role("button", name="Browse").click()
    expect(page.get_by_role("table", name="Available numbers")).to_be_visible()


def test_browse_reserve_and_purchase(page: Page, server: ServerProcess) -> None:
    signed_in(page, server)
    page.goto(server.http_endpoint + "/#/numbers")
    _browse(page, "US", "geographic|application", "1425")
    boxes = page.get_by_role("table", name="Available numbers").get_by_role("checkbox")
    first = boxes.nth(0).get_attribute("aria-label") or ""
    second = boxes.nth(1).get_attribute("aria-label") or ""
    numbers = [first.removeprefix("Choose "), second.removeprefix("Choose ")]
    assert all(re.fullmatch(r"\+1425\d{7}", n) for n in numbers), numbers
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.get_by_role("button", name="Reserve selected").click()
    held = page.get_by_role("region", name="Reservation")
    for number in numbers:
        expect(held).to_contain_text(number)
    expect(held).to_contain_text("reserved")
    held.locator("li", has_text=numbers[1]).get_by_role("button", name="Remove").click()
    expect(held).not_to_contain_text(numbers[1])
    shot(page, "numbers-reservation")
    held.get_by_role("button", name="Purchase").click()
    expect(page.locator("table tr", has_text=numbers[0])).to_contain_text("geographic")
    expect(page.get_by_role("region", name="Reservation")).to_have_count(0)
    with api(server) as client:
        owned = client.get("/phoneNumbers", params={"api-version": "2025-06-01"}).json()
    assert numbers[0] in {n["phoneNumber"] for n in owned["phoneNumbers"]}
    assert numbers[1] not in {n["phoneNumber"] for n in owned["phoneNumbers"]}


def test_france_needs_the_agreement(page: Page, server: ServerProcess) -> None:
    signed_in(page, server)
    page.goto(server.http_endpoint + "/#/numbers")
    _browse(page, "FR", "tollFree|application")
    box = page.get_by_role("table", name="Available numbers").get_by_role("checkbox").first
    number = (box.get_attribute("aria-label") or "").removeprefix("Choose ")
    box.check()
    page.get_by_role("button", name="Reserve selected").click()
    held = page.get_by_role("region", name="Reservation")
    expect(held).to_contain_text(number)
    held.get_by_role("button", name="Purchase").click()
    expect(page.locator(".buy-numbers").get_by_role("alert")).to_contain_text(
        "Consent not provided to not resell the phone numbers"
    )
    held.get_by_label(re.compile("I agree not to resell")).check()
    held.get_by_role("button", name="Purchase").click()
    expect(page.locator("table tr", has_text=number)).to_contain_text("tollFree")
    held_after = page.get_by_role("region", name="Reservation")
    expect(held_after).to_have_count(0)

    _browse(page, "US", "tollFree|application")
    page.get_by_role("table", name="Available numbers").get_by_role("checkbox").first.check()
    page.get_by_role("button", name="Reserve selected").click()
    page.get_by_role("region", name="Reservation").get_by_role(
        "button", name="Cancel reservation"
    ).click()
    expect(page.get_by_role("region", name="Reservation")).to_have_count(0)
