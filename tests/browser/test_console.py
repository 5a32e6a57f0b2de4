"""The web console in Chromium against a real ``tidings serve``: every page, desktop and phone."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import DESKTOP, PHONE, shot
from tests.server import ACCESS_KEY, ReceiverProcess, ServerProcess
from tidings.client import HmacAuth
from tidings.domain import sessions

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
OUR = "+18005550100"
WRONG_KEY = "b3RoZXJrZXlvdGhlcmtleW90aGVya2V5b3RoZXJrZXk="


def api(server: ServerProcess) -> httpx.Client:
    return httpx.Client(base_url=server.http_endpoint, auth=HmacAuth(ACCESS_KEY), timeout=10)


def sign_in(page: Page, server: ServerProcess, key: str = ACCESS_KEY) -> None:
    page.goto(server.http_endpoint + "/")
    page.get_by_label("Access key").fill(key)
    page.get_by_role("button", name="Sign in").click()


def signed_in(page: Page, server: ServerProcess) -> None:
    page.goto(server.http_endpoint + "/")
    page.locator(".signin, .topbar").first.wait_for()
    if page.get_by_label("Access key").is_visible():
        sign_in(page, server)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def settle(page: Page, url: str) -> None:
    """Load ``url`` afresh and wait until the requests it starts have answered.

    The session check is the first request; every page makes at least one more.
    """
    page.goto(url)
    page.reload()
    page.wait_for_function(
        "() => window.tidingsNetwork && window.tidingsNetwork.started >= 2"
        " && window.tidingsNetwork.pending === 0"
    )


def seed(server: ServerProcess) -> None:
    """A little traffic: deliveries, failures (a carrier rule), inbound texts and a STOP."""
    with api(server) as client:
        client.put(
            "/tidings/simulator/rules",
            json={"rules": [{"pattern": "+1555555099*", "outcome": "fail", "code": 4006}]},
        ).raise_for_status()
        recipients = [f"+1555555010{i}" for i in range(6)] + ["+15555550990", "+15555550991"]
        body = {
            "from": OUR,
            "smsRecipients": [{"to": to} for to in recipients],
            "message": "Your order has shipped",
            "smsSendOptions": {"enableDeliveryReport": True, "tag": "shipping"},
        }
        client.post("/sms", params={"api-version": "2021-03-07"}, json=body).raise_for_status()
        for handset, text in [("+15555550100", "Thanks!"), ("+15555550101", "STOP")]:
            client.post(
                f"/tidings/simulator/handsets/{handset}/messages", json={"to": OUR, "message": text}
            ).raise_for_status()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            pending = client.get("/tidings/messages", params={"status": "sent"}).json()["value"]
            queued = client.get("/tidings/messages", params={"status": "queued"}).json()["value"]
            if not pending and not queued:
                return
            time.sleep(0.2)


def test_sign_in_wrong_then_right_key(page: Page, server: ServerProcess) -> None:
    page.goto(server.http_endpoint + "/")
    expect(page.get_by_role("heading", name="Tidings console")).to_be_visible()
    shot(page, "signin-desktop")
    sign_in(page, server, WRONG_KEY)
    expect(page.get_by_role("alert")).to_contain_text("That access key is not valid")
    assert page.context.cookies() == [] or all(
        c["name"] != "tidings_console" for c in page.context.cookies()
    )
    page.get_by_label("Access key").fill(ACCESS_KEY)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    cookie = next(c for c in page.context.cookies() if c["name"] == "tidings_console")
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict"


def test_sign_in_over_https(server: ServerProcess, https_context: BrowserContext) -> None:
    page = https_context.new_page()
    page.goto(server.https_endpoint + "/")
    page.get_by_label("Access key").fill(ACCESS_KEY)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    [cookie] = https_context.cookies()
    assert cookie["name"] == "__Host-tidings_console"
    assert cookie["secure"] and cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    page.goto(server.https_endpoint + "/#/messages")
    expect(page.get_by_role("form", name="Send an SMS")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)


def test_dashboard_renders_charts_from_seeded_data(page: Page, server: ServerProcess) -> None:
    seed(server)
    with api(server) as client:
        analytics = client.get("/tidings/analytics")
    signed_in(page, server)
    page.goto(server.http_endpoint + "/#/dashboard")
    expected = analytics.json()["totals"]
    assert expected["sent"] >= 8
    dashboard = page.locator(".dashboard[data-ready=true]")
    expect(dashboard).to_be_visible()
    for label in ("Messages over time", "Delivery funnel", "Failure reasons"):
        canvas = page.get_by_role("img", name=label)
        expect(canvas).to_be_visible()
        box = canvas.bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 100
    sent = page.locator(".kpi", has_text="Sent").locator(".kpi-value")
    expect(sent).to_have_text(f"{expected['sent']:,}")
    expect(page.locator(".keywords")).to_contain_text("STOP")
    expect(page.locator("ul.reasons")).to_contain_text("4006")
    expect(page.locator(".card", has_text="By tag")).to_contain_text("shipping")
    shot(page, "dashboard-desktop")
    # CSV downloads go through the same session (a plain GET carrying the cookie).
    href = page.get_by_role("link", name="by tag").get_attribute("href")
    assert href is not None
    download = page.request.get(server.http_endpoint + href)
    assert download.ok and download.text().splitlines()[0].startswith("tag,sent")
    assert "shipping" in download.text()
    page.get_by_label("Tag").fill("no-such-tag")
    page.get_by_label("Tag").press("Tab")
    expect(sent).to_have_text("0")
    # A malformed range gets the API's message, not a broken page.
    page.get_by_label("Range").select_option("custom")
    page.get_by_label("From", exact=True).fill("2026-11-20T10:00")
    page.get_by_label("To", exact=True).fill("2026-11-10T10:00")
    expect(page.get_by_role("alert")).to_contain_text("from")
    expect(page.locator(".dashboard")).to_have_count(0)  # no figures of another range
    shot(page, "dashboard-bad-range-desktop")


def test_send_a_message_and_watch_it_deliver(page: Page, server: ServerProcess) -> None:
    signed_in(page, server)
    page.goto(server.http_endpoint + "/#/messages")
    form = page.get_by_role("form", name="Send an SMS")
    expect(form.get_by_label("From")).to_have_value(OUR)
    form.get_by_label("To").fill("+15555550177")
    form.get_by_label("Message").fill("Hello from the console")
    form.get_by_role("button", name="Send").click()
    form.locator(".send-result a").click()
    expect(page.get_by_text("Delivery report: Delivered")).to_be_visible(timeout=20_000)
    expect(page.get_by_text("Event SMSDeliveryReportReceived")).to_be_visible()
    expect(page.locator(".facts")).to_contain_text("Hello from the console")
    shot(page, "message-timeline-desktop")
    page.goto(server.http_endpoint + "/#/messages")
    expect(page.locator("table.messages")).to_contain_text("Hello from the console")
    search = page.get_by_role("form", name="Filter messages")
    search.get_by_label("Text").fill("from the CONSOLE")
    search.get_by_role("button", name="Filter").click()
    expect(page.locator("table.messages tbody tr")).to_have_count(1)
    expect(page.locator("table.messages")).to_contain_text("+15555550177")
    shot(page, "messages-desktop")


def test_reply_from_a_conversation(page: Page, server: ServerProcess) -> None:
    peer = "+15555550177"  # the recipient of the previous test's message
    signed_in(page, server)
    page.goto(server.http_endpoint + "/#/conversations")
    page.get_by_role("link", name=peer).click()
    reply = page.get_by_role("form", name="Reply")
    reply.get_by_role("textbox").fill("Following up from the console")
    reply.get_by_role("button", name="Send").click()
    bubble = page.locator(".bubble.ours", has_text="Following up from the console")
    expect(bubble).to_contain_text("delivered", timeout=20_000)
    with api(server) as client:
        sent = client.get("/tidings/messages", params={"number": peer}).json()["value"][0]
    assert sent["from"] == OUR and sent["message"] == "Following up from the console"
    shot(page, "conversation-reply-desktop")


def test_stop_from_the_virtual_phone(page: Page, server: ServerProcess) -> None:
    handset = "+15555550188"
    signed_in(page, server)
    page.goto(server.http_endpoint + "/#/phone")
    new = page.get_by_role("form", name="New handset")
    new.get_by_role("textbox").fill(handset)
    new.get_by_role("button", name="Add").click()
    expect(page.locator(".phone-head")).to_contain_text(handset)
    compose = page.get_by_role("form", name="Text a Tidings number")
    compose.get_by_role("textbox").fill("STOP")
    compose.get_by_role("button", name="Send").click()
    inbox = page.get_by_role("list", name="Inbox")
    expect(inbox.locator(".bubble.ours")).to_contain_text("STOP")
    # The auto-reply arrives without reloading the page.
    expect(inbox.locator(".bubble.theirs")).to_contain_text("unsubscribed", timeout=20_000)
    shot(page, "phone-desktop")
    page.goto(server.http_endpoint + "/#/optouts")
    row = page.locator("table.optouts tr", has_text=handset)
    expect(row).to_contain_text(OUR)
    shot(page, "optouts-desktop")
    row.get_by_role("button", name="Remove").click()
    expect(page.locator("table.optouts tr", has_text=handset)).to_have_count(0)
    form = page.get_by_role("form", name="Add an opt-out")
    form.get_by_label("Recipient").fill(handset)
    form.get_by_role("button", name="Add").click()
    expect(page.locator("table.optouts tr", has_text=handset)).to_have_count(1)


def create_subscription(
    page: Page, server: ServerProcess, name: str, url: str, attempts: int | None = None
) -> None:
    """Through the console's form: SMSReceived events to ``url``."""
    signed_in(page, server)
    page.goto(server.http_endpoint + "/#/subscriptions")
    page.get_by_role("button", name="New subscription").click()
    form = page.get_by_role("form", name="New subscription")
    form.get_by_label("Name").fill(name)
    form.get_by_label("Endpoint URL").fill(url)
    form.get_by_label("SMSReceived").check()
    if attempts is not None:
        form.get_by_label("Max attempts").fill(str(attempts))
    form.get_by_role("button", name="Save").click()


def test_create_a_subscription_and_see_its_deliveries(
    page: Page, server: ServerProcess, receiver: ReceiverProcess
) -> None:
    create_subscription(page, server, "console-hook", f"{receiver.url}/ok/console")
    expect(page).to_have_url(re.compile(r"#/subscriptions/console-hook$"))
    expect(page.locator("h2", has_text="console-hook")).to_contain_text("Enabled")
    expect(page.locator(".facts")).to_contain_text("Succeeded")  # the handshake
    with api(server) as client:
        client.post(
            "/tidings/simulator/handsets/+15555550199/messages",
            json={"to": OUR, "message": "hello hook"},
        ).raise_for_status()
    log = page.locator("table.deliveries")
    expect(log).to_contain_text("delivered", timeout=20_000)
    assert any(e["path"] == "/ok/console" for e in receiver.log())
    shot(page, "subscription-desktop")
    replay = page.get_by_role("form", name="Replay")
    replay.get_by_label("Replay from").fill("2026-01-01T00:00")
    replay.get_by_label("to").fill("2030-01-01T00:00")
    replay.get_by_role("button", name="Replay").click()
    expect(page.locator(".notice")).to_contain_text("Replaying events")
    page.get_by_role("button", name="Edit").click()
    edit = page.get_by_role("form", name="Edit subscription")
    edit.get_by_label("Subject begins with").fill("/phonenumber/1800")
    edit.get_by_role("button", name="Save").click()
    expect(edit).to_be_hidden()  # saved: the form closes once the PUT has answered
    with api(server) as client:
        stored = client.get(
            "/eventSubscriptions/console-hook", params={"api-version": "2022-06-15"}
        ).json()
    assert stored["properties"]["filter"]["subjectBeginsWith"] == "/phonenumber/1800"
    assert stored["properties"]["filter"]["includedEventTypes"] == [
        "Microsoft.Communication.SMSReceived"
    ]


def seed_chat(server: ServerProcess) -> str:
    """Two users, a thread and a message, through the Identity and Chat APIs."""
    with api(server) as client:
        users = []
        for _ in range(2):
            created = client.post(
                "/identities",
                params={"api-version": "2023-10-01"},
                json={"createTokenWithScopes": ["chat"]},
            ).json()
            users.append((created["identity"]["id"], created["accessToken"]["token"]))
    (ann, token), (bob, _) = users
    chat = httpx.Client(
        base_url=server.http_endpoint,
        headers={"authorization": f"Bearer {token}"},
        params={"api-version": "2024-03-07"},
        timeout=10,
    )
    with chat:
        participants = [
            {"communicationIdentifier": {"rawId": user}, "displayName": name}
            for user, name in ((ann, "Ann"), (bob, "Bob"))
        ]
        thread = chat.post(
            "/chat/threads", json={"topic": "Parcel 42", "participants": participants}
        ).json()["chatThread"]["id"]
        chat.post(
            f"/chat/threads/{thread}/messages",
            json={"content": "Where is parcel 42?", "senderDisplayName": "Ann"},
        ).raise_for_status()
    return str(thread)


def test_dead_letters_and_redelivery(
    page: Page, server: ServerProcess, receiver: ReceiverProcess
) -> None:
    create_subscription(page, server, "failing-hook", f"{receiver.url}/status/500", attempts=1)
    health = page.locator(".facts .health")
    expect(health).to_contain_text("No deliveries yet")  # the handshake passed; nothing sent
    expect(page.locator(".facts")).to_contain_text("Succeeded")
    with api(server) as client:
        client.post(
            "/tidings/simulator/handsets/+15555550166/messages",
            json={"to": OUR, "message": "into the void"},
        ).raise_for_status()
    heading = page.get_by_role("heading", name="Dead letters", exact=True)
    dead = page.locator(".card").filter(has=heading)
    expect(dead.locator("tbody tr")).to_have_count(1, timeout=20_000)
    expect(dead).to_contain_text("SMSReceived")
    # Beside an endpoint that fails every delivery, the badge says so (not "Succeeded").
    expect(health).to_contain_text("Failing")
    expect(health).to_contain_text("failed")
    shot(page, "dead-letters-desktop")
    dead.get_by_role("button", name="Redeliver").click()
    expect(page.locator(".notice")).to_contain_text("Redelivering")
    # A new delivery of the same event (which the failing endpoint dead-letters again).
    expect(page.locator("table.deliveries tbody tr")).to_have_count(2, timeout=20_000)
    expect(dead.locator("tbody tr")).to_have_count(2, timeout=20_000)
    page.get_by_role("button", name="Redeliver dead letters").click()
    expect(page.locator(".notice")).to_contain_text("Redelivering 2 dead letters")
    expect(page.locator("table.deliveries")).to_contain_text("redelivered", timeout=20_000)


def test_chat_threads_participants_and_messages(page: Page, server: ServerProcess) -> None:
    thread = seed_chat(server)
    signed_in(page, server)
    page.goto(server.http_endpoint + "/#/chat")
    page.get_by_role("link", name="Parcel 42").click()
    expect(page.get_by_role("list", name="Chat messages")).to_contain_text("Where is parcel 42?")
    expect(page.locator("ul.participants")).to_contain_text("Ann")
    expect(page.locator("ul.participants")).to_contain_text("Bob")
    # Post as Bob: the message appears in the thread, and Ann reads it through the Chat API.
    compose = page.get_by_role("form", name="Post as a participant")
    compose.get_by_label("Post as").select_option(label="Bob")
    compose.get_by_placeholder("Message").fill("It left the depot")
    compose.get_by_role("button", name="Send").click()
    messages = page.get_by_role("list", name="Chat messages")
    expect(messages).to_contain_text("It left the depot")
    expect(messages.locator("li", has_text="It left the depot")).to_contain_text("Bob")
    expect(compose.get_by_placeholder("Message")).to_have_value("")
    shot(page, "chat-thread-desktop")
    with api(server) as client:
        detail = client.get(f"/tidings/chat/threads/{thread}").json()
    posted = [m for m in detail["messages"] if m["content"].get("message") == "It left the depot"]
    assert len(posted) == 1 and posted[0]["senderDisplayName"] == "Bob"


def test_numbers_and_keys(page: Page, server: ServerProcess) -> None:
    signed_in(page, server)
    page.goto(server.http_endpoint + "/#/numbers")
    form = page.get_by_role("form", name="Add a number")
    form.get_by_label("Number or sender id").fill("+18005550199")
    form.get_by_role("button", name="Add").click()
    expect(page.locator("table tr", has_text="+18005550199")).to_contain_text("tollFree")
    form.get_by_label("Number or sender id").fill("not a number")
    form.get_by_role("button", name="Add").click()
    expect(form.get_by_role("alert")).to_be_visible()

    page.goto(server.http_endpoint + "/#/keys")
    with api(server) as client:
        before = client.get("/tidings/keys").json()["secondary"]
    secondary = page.locator(".card.key", has_text="Secondary key")
    secondary.get_by_role("button", name="Show").click()
    expect(secondary.locator("code.secret").first).to_have_text(before)
    page.once("dialog", lambda dialog: dialog.accept())
    secondary.get_by_role("button", name="Regenerate").click()
    expect(secondary.locator("code.secret").first).not_to_have_text(before)
    with api(server) as client:  # the primary key still signs; the secondary changed
        after = client.get("/tidings/keys").json()["secondary"]
    assert after != before
    expect(secondary.locator("code.secret").first).to_have_text(after)


def test_expired_session_returns_to_sign_in(page: Page, server: ServerProcess) -> None:
    signed_in(page, server)
    expired = sessions.issue(ACCESS_KEY, datetime.now(UTC) - timedelta(minutes=1))
    page.context.add_cookies(
        [{"name": "tidings_console", "value": expired, "url": server.http_endpoint + "/"}]
    )
    page.goto(server.http_endpoint + "/#/messages")
    expect(page.get_by_role("status")).to_contain_text("session has expired")
    expect(page.get_by_label("Access key")).to_be_visible()
    # A session that ends while a page is open (a key regenerated elsewhere) also lands here.
    sign_in(page, server)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.context.add_cookies(
        [{"name": "tidings_console", "value": "v1.1.x.y", "url": server.http_endpoint + "/"}]
    )
    page.evaluate("location.hash = '#/messages'")  # the next request finds the session gone
    expect(page.get_by_role("status")).to_contain_text("sign in again", timeout=10_000)


PAGES = [
    "dashboard",
    "messages",
    "conversations",
    "phone",
    "numbers",
    "optouts",
    "subscriptions",
    "chat",
    "keys",
]


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_every_page_renders(page: Page, server: ServerProcess, viewport: str) -> None:
    """Each page loads without errors at both sizes; screenshots for a human to look at."""
    page.set_viewport_size(DESKTOP if viewport == "desktop" else PHONE)
    signed_in(page, server)
    with api(server) as client:
        conversation = client.get("/tidings/conversations").json()["value"][0]["id"]
        thread = client.get("/tidings/chat/threads").json()["value"][0]["id"]
    for name in [*PAGES, f"conversations/{conversation}", f"chat/{thread}"]:
        settle(page, f"{server.http_endpoint}/#/{name}")
        expect(page.locator(".loading")).to_have_count(0)
        expect(page.get_by_role("alert")).to_have_count(0)
        shot(page, f"{name.split('/')[0]}{'-thread' if '/' in name else ''}-{viewport}")
    if viewport == "phone":
        page.get_by_role("button", name="Menu").click()
        expect(page.get_by_role("navigation", name="Pages")).to_be_visible()
        shot(page, "menu-phone")
