# The SDK's models type every member Optional; these tests read members always sent.
# mypy: disable-error-code="union-attr"
"""Reservation expiry through the official SDK (sync and async), on SQLite and PostgreSQL:
the real app and worker in process, on a clock the test moves."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from azure.communication.phonenumbers import PhoneNumbersClient
from azure.communication.phonenumbers.aio import PhoneNumbersClient as AsyncPhoneNumbersClient
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import HttpResponseError

from tests.conftest import ACCESS_KEY, FakeClock, make_settings
from tests.live_server import LiveServer, live_server
from tidings.container import build

pytestmark = pytest.mark.e2e
MINUTE = 60.0


@pytest.fixture
def clock() -> FakeClock:
    # Starts at the real time: the SDK signs with it; the server then allows any skew.
    return FakeClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def live(tmp_path: Path, database_url: str, clock: FakeClock) -> Iterator[LiveServer]:
    settings = make_settings(tmp_path, database_url, auth_clock_skew_seconds=10**7)
    app = build(settings, clock=clock)
    app.migrate()
    app.bootstrap()
    try:
        with live_server(app) as server:
            yield server
    finally:
        app.close()


@pytest.fixture
def client(live: LiveServer) -> PhoneNumbersClient:
    return PhoneNumbersClient(live.endpoint, AzureKeyCredential(ACCESS_KEY), retry_total=0)


def _browse(client: PhoneNumbersClient, prefix: str | None = None) -> list[Any]:
    return list(
        client.browse_available_phone_numbers(
            country_code="US",
            phone_number_type="tollFree",
            phone_number_prefixes=[prefix] if prefix else None,
        ).phone_numbers
    )


def test_expiry_through_the_sdk(client: PhoneNumbersClient, clock: FakeClock) -> None:
    first, second = _browse(client)[:2]
    rid = str(uuid.uuid4())
    created = client.create_or_update_reservation(
        reservation_id=rid, numbers_to_add=[first, second]
    )
    assert created.expires_at == clock.now() + timedelta(minutes=15)
    clock.advance(14 * MINUTE)
    kept = client.create_or_update_reservation(reservation_id=rid, numbers_to_remove=[second.id])
    assert kept.expires_at == clock.now() + timedelta(minutes=15)
    assert _browse(client, second.phone_number) != []  # removed: offered again
    assert _browse(client, first.phone_number) == []  # still held

    clock.advance(15 * MINUTE)
    expired = client.get_reservation(rid)
    assert expired.status == "expired"
    assert {n.status for n in expired.phone_numbers.values()} == {"expired"}
    assert [r.status for r in client.list_reservations() if r.id == rid] == ["expired"]
    for attempt in (
        lambda: client.create_or_update_reservation(reservation_id=rid, numbers_to_add=[first]),
        lambda: client.begin_purchase_reservation(rid, polling_interval=0),
        lambda: client.delete_reservation(rid),
    ):
        with pytest.raises(HttpResponseError) as excinfo:
            attempt()
        assert excinfo.value.status_code == 400
        assert excinfo.value.error.code == "ReservationExpired"
    # Its number is free again: browse offers it and another reservation buys it.
    assert [n.phone_number for n in _browse(client, first.phone_number)] == [first.phone_number]
    again = str(uuid.uuid4())
    client.create_or_update_reservation(reservation_id=again, numbers_to_add=[first])
    client.begin_purchase_reservation(again, polling_interval=0).result()
    assert client.get_reservation(again).status == "completed"
    assert client.get_purchased_phone_number(first.phone_number).phone_number == first.phone_number


def test_two_hours_at_most(client: PhoneNumbersClient, clock: FakeClock) -> None:
    rid = str(uuid.uuid4())
    start = clock.now()
    client.create_or_update_reservation(reservation_id=rid)
    for _ in range(8):
        clock.advance(14 * MINUTE)
        latest = client.create_or_update_reservation(reservation_id=rid)
    assert latest.expires_at == start + timedelta(hours=2)
    clock.advance(8 * MINUTE - 1)
    assert client.get_reservation(rid).status == "active"
    clock.advance(1)
    assert client.get_reservation(rid).status == "expired"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_expiry_through_the_async_sdk(live: LiveServer, clock: FakeClock) -> None:
    async with AsyncPhoneNumbersClient(
        live.endpoint, AzureKeyCredential(ACCESS_KEY), retry_total=0
    ) as client:
        browsed = await client.browse_available_phone_numbers(
            country_code="GB", phone_number_type="mobile"
        )
        rid = str(uuid.uuid4())
        await client.create_or_update_reservation(
            reservation_id=rid, numbers_to_add=browsed.phone_numbers[:1]
        )
        clock.advance(15 * MINUTE)
        assert (await client.get_reservation(rid)).status == "expired"
        with pytest.raises(HttpResponseError) as excinfo:
            await client.begin_purchase_reservation(rid, polling_interval=0)
        assert excinfo.value.error.code == "ReservationExpired"
