"""The console's Phone numbers and Virtual phone lists are searched by digits and paged in
fifties, with the search and the page kept in the address."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_console import api, settle, signed_in
from tests.server import ServerProcess

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


@pytest.fixture(scope="module")
def lists(server: ServerProcess) -> None:
    """55 more purchased numbers and 55 handsets: more than one page of each."""
    with api(server) as client:
        for i in range(55):
            client.post(
                "/tidings/numbers",
                json={"phoneNumber": f"+1844555{i:04d}", "phoneNumberType": "tollFree"},
            ).raise_for_status()
            client.put(f"/tidings/simulator/handsets/+1425555{i:04d}", json={}).raise_for_status()


def test_phone_numbers_are_searched_and_paged(
    page: Page, server: ServerProcess, lists: None
) -> None:
    signed_in(page, server)
    settle(page, server.http_endpoint + "/#/numbers")
    rows = page.get_by_role("table", name="Our numbers").locator("tbody tr")
    expect(rows).to_have_count(50)
    page.get_by_role("button", name="Next →").click()
    expect(page).to_have_url(re.compile(r"offset=50"))
    expect(rows.first).to_be_visible()
    assert 5 <= rows.count() < 50  # the 55 and the numbers the server starts with
    page.get_by_role("button", name="← Previous").click()
    expect(rows).to_have_count(50)
    page.get_by_label("Search").fill("844-555-005")
    expect(page).to_have_url(re.compile(r"q=844-555-005"))
    expect(rows).to_have_count(5)
    expect(rows.first).to_contain_text("+18445550050")
    expect(page.get_by_role("button", name="Next →")).to_have_count(0)  # one page: no pager
    page.reload()  # the address keeps the search
    expect(page.get_by_label("Search")).to_have_value("844-555-005")
    expect(rows).to_have_count(5)
    page.get_by_label("Search").fill("999999")
    expect(page.get_by_text("No number matches.")).to_be_visible()


def test_handsets_are_searched_and_paged(page: Page, server: ServerProcess, lists: None) -> None:
    signed_in(page, server)
    settle(page, server.http_endpoint + "/#/phone")
    handsets = page.locator("aside.handsets ul li")
    expect(handsets).to_have_count(50)
    expect(handsets.first).to_contain_text("+14255550054")  # newest first
    page.get_by_role("button", name="Next →").click()
    expect(page).to_have_url(re.compile(r"offset=50"))
    expect(handsets).to_have_count(5)
    expect(handsets.last).to_contain_text("+14255550000")
    page.get_by_label("Search").fill("(425) 555-001")
    expect(page).to_have_url(re.compile(r"q=%28425%29"))
    expect(handsets).to_have_count(10)
    handsets.get_by_role("link", name="+14255550013").click()
    # The chosen handset opens and the list keeps its search, in the address too.
    expect(page.locator(".phone-head")).to_contain_text("+14255550013")
    expect(page).to_have_url(re.compile(r"#/phone/\+14255550013\?q="))
    expect(handsets).to_have_count(10)
    expect(page.get_by_label("Search")).to_have_value("(425) 555-001")
    page.get_by_label("Search").fill("777")
    expect(page.get_by_text("No handset matches.")).to_be_visible()
