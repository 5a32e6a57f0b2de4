"""The console for daily use (issue 17), in Chromium against a real ``tidings serve``: forms
that keep input, why a message failed, segment counts as the API counts them, filters in
the URL, search and paging, webhook debugging, the dashboard's honesty, and an automated
accessibility check (axe-core) of every page at desktop and phone size."""

from __future__ import annotations

import re
import time

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.axe import describe, violations
from tests.browser.conftest import DESKTOP, PHONE, shot
from tests.browser.test_console import OUR, PAGES, api, seed_chat, settle, signed_in
from tests.server import ReceiverProcess, ServerProcess, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def wait_settled(client: httpx.Client) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        busy = [
            m
            for s in ("queued", "sent")
            for m in client.get("/tidings/messages", params={"status": s}).json()["value"]
            if m["enableDeliveryReport"]
        ]
        if not busy:
            return
        time.sleep(0.2)
    raise AssertionError("messages did not settle")


@pytest.fixture(scope="module")
def traffic(server: ServerProcess) -> None:
    """Deliveries, a carrier failure, inbound texts (with punctuation), an opt-out, 60
    conversations."""
    with api(server) as client:
        client.put(
            "/tidings/simulator/rules",
            json={"rules": [{"pattern": "+1555555099*", "outcome": "fail", "code": 4006}]},
        ).raise_for_status()
        body = {
            "from": OUR,
            "smsRecipients": [{"to": "+15555550990"}, {"to": "+15555550101"}],
            "message": "Your order has shipped",
            "smsSendOptions": {"enableDeliveryReport": True, "tag": "shipping"},
        }
        client.post("/sms", params={"api-version": "2021-03-07"}, json=body).raise_for_status()
        for i, text in enumerate(["THANKS!", "Thanks,", "thanks", "STOP"]):
            client.post(
                f"/tidings/simulator/handsets/+1555555020{i}/messages",
                json={"to": OUR, "message": text},
            ).raise_for_status()
        for i in range(60):
            client.post(
                f"/tidings/simulator/handsets/+1555555{3000 + i}/messages",
                json={"to": OUR, "message": f"question {i}"},
            ).raise_for_status()
        wait_settled(client)


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_every_page_passes_axe(
    page: Page, server: ServerProcess, traffic: None, viewport: str
) -> None:
    page.set_viewport_size(DESKTOP if viewport == "desktop" else PHONE)
    signed_in(page, server)
    with api(server) as client:
        conversation = client.get("/tidings/conversations").json()["value"][0]["id"]
        message = client.get("/tidings/messages").json()["value"][0]["id"]
    found = {}
    for name in [*PAGES, f"conversations/{conversation}", f"messages/{message}"]:
        settle(page, f"{server.http_endpoint}/#/{name}")
        expect(page.locator(".loading")).to_have_count(0)
        problems = violations(page)
        if problems:
            found[name] = describe(problems)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("Access key")).to_be_visible()
    if problems := violations(page):
        found["sign-in"] = describe(problems)
    assert found == {}, "\n".join(f"#{k}:\n{v}" for k, v in found.items())


def test_landmarks_heading_current_page_and_skip_link(page: Page, server: ServerProcess) -> None:
    signed_in(page, server)
    settle(page, server.http_endpoint + "/#/optouts")
    expect(page.get_by_role("heading", level=1)).to_have_text("Opt-outs")
    current = page.locator("nav a[aria-current=page]")
    expect(current).to_have_count(1)
    expect(current).to_have_text("Opt-outs")
    expect(page).to_have_title(re.compile(r"^Opt-outs · Tidings"))
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    skip.press("Enter")
    expect(page.locator("main#content")).to_be_focused()
    expect(page).to_have_url(re.compile(r"#/optouts$"))  # the skip link is not a route


def test_a_failed_save_keeps_the_form_and_every_event_type_is_offered(
    page: Page, server: ServerProcess
) -> None:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if "pattern" in m.text.lower() else None)
    signed_in(page, server)
    page.goto(server.http_endpoint + "/#/subscriptions")
    page.get_by_role("button", name="New subscription").click()
    form = page.get_by_role("form", name="New subscription")
    for short in ("SMSDeliveryReportReceived", "ChatMessageReceivedInThread", "ChatThreadCreated"):
        expect(form.get_by_label(short, exact=True)).to_be_visible()
    # The browser checks the name itself: the pattern compiles in Chromium.
    form.get_by_label("Name").fill("a b")
    assert form.get_by_label("Name").evaluate("e => e.validity.patternMismatch") is True
    form.get_by_label("Name").fill("keeps-input")
    closed = f"http://127.0.0.1:{free_port()}/hook"
    form.get_by_label("Endpoint URL").fill(closed)
    form.get_by_label("ChatMessageReceivedInThread", exact=True).check()
    form.get_by_label("Max attempts").fill("7")
    form.get_by_role("button", name="Save").click()
    alert = form.get_by_role("alert")
    expect(alert).to_contain_text("nothing is listening")
    expect(alert).not_to_contain_text("Connect call failed")
    expect(form.get_by_label("Endpoint URL")).to_have_value(closed)
    expect(form.get_by_label("ChatMessageReceivedInThread", exact=True)).to_be_checked()
    expect(form.get_by_label("Max attempts")).to_have_value("7")
    expect(form.get_by_label("Name")).to_have_value("keeps-input")
    assert errors == [], errors


def test_send_test_event_and_read_request_and_response(
    page: Page, server: ServerProcess, receiver: ReceiverProcess
) -> None:
    with api(server) as client:
        client.put(
            "/eventSubscriptions/debug-hook",
            params={"api-version": "2022-06-15"},
            json={
                "properties": {
                    "destination": {
                        "endpointType": "WebHook",
                        "properties": {"endpointUrl": f"{receiver.url}/ok/debug"},
                    },
                    "filter": {"includedEventTypes": ["Microsoft.Communication.SMSReceived"]},
                }
            },
        ).raise_for_status()
    signed_in(page, server)
    page.goto(server.http_endpoint + "/#/subscriptions/debug-hook")
    test = page.get_by_role("form", name="Send a test event")
    test.get_by_role("button", name="Send test event").click()
    expect(
        page.get_by_role("status").filter(has_text="Test SMSReceived event sent")
    ).to_be_visible()
    log = page.locator("table.deliveries")
    row = log.locator("tbody tr").first
    expect(row).to_contain_text("delivered", timeout=20_000)
    expect(row).to_contain_text("SMSReceived")  # the event-type column
    with api(server) as client:
        [delivery] = client.get("/eventSubscriptions/debug-hook/deliveries").json()["value"]
    expect(row).to_contain_text(delivery["eventIds"][0])  # the whole id, not "…1234abcd"
    row.get_by_role("button", name="Details").click()
    body = page.get_by_label("Request body")
    expect(body).to_contain_text('"subject": "/tidings/test"')
    expect(body).to_contain_text("This is a test event")
    expect(page.locator("ol.attempts")).to_contain_text("HTTP 200")
    shot(page, "subscription-debug-desktop")
    # The delivery log's filter is in the URL, as every list's.
    page.get_by_role("form", name="Filter deliveries").get_by_label("Status").select_option(
        "deadlettered"
    )
    expect(page.get_by_text("No deadlettered deliveries.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"\?status=deadlettered"))


def test_why_a_message_failed_and_the_segment_counter(
    page: Page, server: ServerProcess, traffic: None
) -> None:
    signed_in(page, server)
    page.goto(server.http_endpoint + "/#/messages?status=failed")
    row = page.locator("table.messages tbody tr", has_text="+15555550990")
    expect(row.locator(".reason")).to_contain_text("4006")
    expect(row).to_contain_text("shipping")
    form = page.get_by_role("form", name="Send an SMS")
    counter = form.locator(".counter")
    texts = {
        "plain": "a" * 161,
        "extension": "{" * 80 + "x",  # 161 septets: two segments
        "unicode": "Grüße 👋 " * 10,
    }
    with api(server) as client:
        for text in texts.values():
            form.get_by_label("Message").fill(text)
            sent = client.post(
                "/sms",
                params={"api-version": "2021-03-07"},
                json={"from": OUR, "smsRecipients": [{"to": "+15555550123"}], "message": text},
            ).json()["value"][0]
            m = client.get(f"/tidings/messages/{sent['messageId']}").json()
            expect(counter).to_contain_text(f"{m['encoding']} ·")
            expect(counter).to_contain_text(f"{m['segments']} segment")
    # An opted-out recipient: accepted, then it says it failed and why.
    form.get_by_label("To").fill("+15555550203")  # texted STOP in `traffic`
    form.get_by_label("Message").fill("Are you still there?")
    form.get_by_role("button", name="Send").click()
    result = form.locator(".send-result")
    expect(result).to_contain_text("failed", timeout=20_000)
    expect(result).to_have_attribute("role", "alert")
    shot(page, "messages-failed-desktop")


def test_filters_survive_the_timeline_and_can_be_shared(
    page: Page, server: ServerProcess, traffic: None
) -> None:
    signed_in(page, server)
    page.goto(server.http_endpoint + "/#/messages")
    filters = page.get_by_role("form", name="Filter messages")
    filters.get_by_label("Status").select_option("failed")
    filters.get_by_label("Tag").fill("shipping")
    filters.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"#/messages\?.*status=failed"))
    rows = page.locator("table.messages tbody tr")
    expect(rows).to_have_count(1)
    rows.first.get_by_role("link").click()
    expect(page).to_have_title(re.compile(r"^Message "))
    expect(page.locator(".facts .reason")).to_contain_text("4006")
    page.go_back()
    expect(page.get_by_role("form", name="Filter messages").get_by_label("Status")).to_have_value(
        "failed"
    )
    expect(rows).to_have_count(1)
    # The same address in a new tab shows the same view.
    shared = page.url
    other = page.context.new_page()
    other.goto(shared)
    expect(other.locator("table.messages tbody tr")).to_have_count(1)
    expect(other.get_by_role("form", name="Filter messages").get_by_label("Tag")).to_have_value(
        "shipping"
    )
    other.close()


def test_conversations_and_opt_outs_are_searched_and_paged(
    page: Page, server: ServerProcess, traffic: None
) -> None:
    signed_in(page, server)
    settle(page, server.http_endpoint + "/#/conversations")
    table = page.locator("table.conversations tbody tr")
    expect(table).to_have_count(50)
    expect(page.locator("table.conversations")).to_contain_text("question 59")  # preview
    page.get_by_role("button", name="Next →").click()
    expect(table.first).to_be_visible()
    assert 10 <= table.count() <= 50
    expect(page).to_have_url(re.compile(r"offset=50"))
    page.get_by_label("Search").fill("question 42")
    expect(table).to_have_count(1)
    expect(table.first).to_contain_text("+15555553042")
    page.get_by_label("Search").fill("555-3007")
    expect(page).to_have_url(re.compile(r"q=555-3007"))
    expect(table).to_have_count(1)
    expect(table.first).to_contain_text("+15555553007")
    table.first.get_by_role("link").click()
    reply = page.get_by_role("form", name="Reply")
    reply.get_by_role("textbox").fill("On its way ✓")
    expect(page.locator(".counter")).to_contain_text("UCS-2")  # ✓ is not in GSM-7
    page.go_back()
    expect(page.get_by_label("Search")).to_have_value("555-3007")  # Back keeps the search
    settle(page, server.http_endpoint + "/#/optouts")
    page.get_by_label("Search").fill("5550203")
    expect(page.locator("table.optouts tbody tr")).to_have_count(1)
    page.get_by_label("Search").fill("999999")
    expect(page.get_by_text("Nobody on the list matches.")).to_be_visible()


def test_dashboard_says_what_its_filters_do(
    page: Page, server: ServerProcess, traffic: None
) -> None:
    signed_in(page, server)
    settle(page, server.http_endpoint + "/#/dashboard")
    keywords = page.locator(".keywords")
    expect(keywords).to_contain_text("THANKS")
    thanks = keywords.locator("li", has_text="THANKS")
    expect(thanks).to_have_count(1)
    expect(thanks).to_contain_text("3")
    expect(page.get_by_text("is still in progress")).to_be_visible()  # today, dashed
    page.get_by_label("Tag").fill("no-such-tag")
    page.get_by_label("Tag").press("Enter")
    expect(page.get_by_role("status").filter(has_text="no-such-tag")).to_contain_text(
        "No message in this range has the tag"
    )
    expect(page.locator(".kpi", has_text="Received")).to_contain_text("not filtered by tag")
    expect(page).to_have_url(re.compile(r"tag=no-such-tag"))
    page.get_by_label("Tag").fill("")
    page.get_by_label("Tag").press("Enter")
    page.get_by_label("Range").select_option("24h")
    expect(page).to_have_url(re.compile(r"range=24h"))
    chart = page.locator(".dashboard[data-ready=true] .chart[data-labels]").first
    # The date once, on the first hour... (the change of range re-renders asynchronously, and
    # the 7-day chart must not pass for ready meanwhile; see useLoad's generations)
    expect(chart).to_have_attribute("data-labels", re.compile(r"^\w+ \d+, \d\d:00"))
    labels = chart.get_attribute("data-labels")
    assert labels is not None
    hours = labels.split("|")
    assert all(re.fullmatch(r"(\w+ \d+, )?\d\d:00( \(so far\))?", h) for h in hours), hours
    page.get_by_label("Range").select_option("custom")
    expect(page.get_by_text("Choose both the start and the end")).to_be_visible()
    expect(page.locator(".dashboard")).to_have_count(0)  # not 7 days under a custom label


def test_keys_show_strings_that_work_as_pasted(page: Page, server: ServerProcess) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    signed_in(page, server)
    page.goto(server.http_endpoint + "/#/keys")
    primary = page.locator(".card.key", has_text="Primary key")
    primary.get_by_role("button", name="Show").click()
    expect(primary).to_contain_text(
        f"endpoint=https://127.0.0.1:{server.https_port}/;accesskey={server.access_key}"
    )
    expect(primary).to_contain_text(f"http://127.0.0.1:{server.http_port}/")
    primary.get_by_role("button", name="Copy connection string").click()
    expect(primary.get_by_role("status").filter(has_text="Copied")).to_be_visible()
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied.startswith("endpoint=https://")


def test_phone_rows_keep_their_headers(page: Page, server: ServerProcess, traffic: None) -> None:
    page.set_viewport_size(PHONE)
    signed_in(page, server)
    settle(page, server.http_endpoint + "/#/optouts")
    cell = page.locator("table.optouts tbody tr").first.locator("td").nth(1)
    before = cell.evaluate("td => getComputedStyle(td, '::before').content")
    assert before == '"Our number: "', before
    settle(page, server.http_endpoint + "/#/dashboard")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width  # nothing clips or scrolls sideways
    shot(page, "dashboard-phone-stacked")


def test_chat_threads_are_searched_and_paged(page: Page, server: ServerProcess) -> None:
    for _ in range(3):
        seed_chat(server)  # three threads named "Parcel 42"
    with api(server) as client:
        identity = client.post(
            "/identities",
            params={"api-version": "2023-10-01"},
            json={"createTokenWithScopes": ["chat"]},
        ).json()
    with httpx.Client(
        base_url=server.http_endpoint,
        headers={"authorization": f"Bearer {identity['accessToken']['token']}"},
        params={"api-version": "2024-03-07"},
        timeout=10,
    ) as chat:
        for i in range(52):
            chat.post("/chat/threads", json={"topic": f"Standup {i}"}).raise_for_status()
    signed_in(page, server)
    settle(page, server.http_endpoint + "/#/chat")
    rows = page.locator("table.threads tbody tr")
    expect(rows).to_have_count(50)
    page.get_by_role("button", name="Next →").click()
    expect(rows).to_have_count(5)
    expect(page).to_have_url(re.compile(r"before="))
    page.get_by_role("button", name="← Previous").click()
    expect(rows).to_have_count(50)
    page.get_by_label("Search").fill("parcel")
    expect(rows).to_have_count(3)
    expect(page).to_have_url(re.compile(r"q=parcel"))
