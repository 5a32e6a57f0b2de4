# The SDK's models type every member Optional (the service may leave any out); these tests
# read members the server always sends, so the Optional checks are switched off here.
# mypy: disable-error-code="arg-type,index,union-attr,type-var,list-item"
"""The whole Phone Numbers 2025-06-01 surface through the official SDK (sync and ``.aio``),
against a real server process on SQLite and on PostgreSQL: inventory listings and their
paging, operator information, browse, reservations, the do-not-resell agreement, errors."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from azure.communication.phonenumbers import (
    AvailablePhoneNumber,
    OperatorInformationOptions,
    PhoneNumberAssignmentType,
    PhoneNumberCapabilities,
    PhoneNumberCapabilityType,
    PhoneNumbersClient,
    PhoneNumberType,
)
from azure.communication.phonenumbers.aio import PhoneNumbersClient as AsyncPhoneNumbersClient
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from tests.conftest import postgres_schema
from tests.server import ServerProcess

pytestmark = pytest.mark.e2e
CAPS = PhoneNumberCapabilities(
    calling=PhoneNumberCapabilityType.INBOUND, sms=PhoneNumberCapabilityType.INBOUND_OUTBOUND
)
APP = PhoneNumberAssignmentType.APPLICATION


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def numbers_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    import os

    schema: Iterator[str] | None = None
    url = None
    if request.param == "postgres":
        base = os.environ.get("TIDINGS_TEST_DATABASE_URL")
        if not base:
            pytest.skip("no PostgreSQL (set TIDINGS_TEST_DATABASE_URL)")
        schema = postgres_schema(base)
        url = next(schema)
    process = ServerProcess(
        Path(tmp_path_factory.mktemp("numbers")) / "data", database_url=url
    ).start()
    yield process
    process.stop()
    if schema is not None:
        next(schema, None)
    assert "Traceback" not in process.log(), process.log()


@pytest.fixture
def client(numbers_server: ServerProcess) -> PhoneNumbersClient:
    return PhoneNumbersClient(
        numbers_server.http_endpoint, AzureKeyCredential(numbers_server.access_key), retry_total=0
    )


def _error(excinfo: pytest.ExceptionInfo[HttpResponseError]) -> tuple[int | None, Any]:
    error = excinfo.value
    return error.status_code, error.error


def _upsert(client: PhoneNumbersClient, **kwargs: Any) -> tuple[int, Any]:
    """``create_or_update_reservation`` and the HTTP status it got (201, 200 or 207)."""

    def status(pipeline_response: Any, deserialized: Any, _headers: Any) -> tuple[int, Any]:
        return pipeline_response.http_response.status_code, deserialized

    return cast(tuple[int, Any], client.create_or_update_reservation(cls=status, **kwargs))


# -- listings -------------------------------------------------------------------------------


def test_countries_page_as_the_sdk_pages(client: PhoneNumbersClient) -> None:
    everything = [c.country_code for c in client.list_available_countries()]
    assert everything == sorted(everything) and {"US", "FR", "GB", "IE"} <= set(everything)
    pages = [
        [c.country_code for c in page]
        for page in client.list_available_countries(max_page_size=2).by_page()
    ]
    assert all(len(p) == 2 for p in pages[:-1]) and [c for p in pages for c in p] == everything
    assert [c.country_code for c in client.list_available_countries(skip=7)] == everything[7:]
    assert next(iter(client.list_available_countries())).localized_name == "Canada"


def test_localities_and_area_codes(client: PhoneNumbersClient) -> None:
    washington = client.list_available_localities("US", administrative_division="WA")
    assert sorted(loc.localized_name for loc in washington) == ["Redmond", "Seattle"]
    seattle = next(
        loc for loc in client.list_available_localities("us") if loc.localized_name == "Seattle"
    )
    assert seattle.administrative_division.abbreviated_name == "WA"
    assert seattle.administrative_division.localized_name == "Washington"
    mobile = list(client.list_available_localities("IE", phone_number_type=PhoneNumberType.MOBILE))
    assert [(m.localized_name, m.administrative_division) for m in mobile] == [
        ("Cork", None),
        ("Dublin", None),
    ]
    sizes = [
        len(list(p)) for p in client.list_available_localities("US", max_page_size=3).by_page()
    ]
    assert sizes == [3, 3, 1]

    toll_free = [a.area_code for a in client.list_available_area_codes("US", "tollFree")]
    assert toll_free == ["800", "833", "844", "855", "866", "877", "888"]
    pages = list(client.list_available_area_codes("US", "tollFree", max_page_size=3).by_page())
    assert [[a.area_code for a in p] for p in pages] == [
        ["800", "833", "844"],
        ["855", "866", "877"],
        ["888"],
    ]
    seattle_codes = client.list_available_area_codes(
        "US", PhoneNumberType.GEOGRAPHIC, locality="Seattle", assignment_type="person"
    )
    assert [a.area_code for a in seattle_codes] == ["206"]
    new_york = client.list_available_area_codes(
        "US", "geographic", locality="New York", administrative_division="NY"
    )
    assert [a.area_code for a in new_york] == ["212", "646"]
    dublin = client.list_available_area_codes(
        "IE", PhoneNumberType.MOBILE, assignment_type=APP, locality="Dublin"
    )
    assert [a.area_code for a in dublin] == ["87"]
    assert list(client.list_available_area_codes("US", "tollFree", assignment_type="person")) == []
    with pytest.raises(HttpResponseError) as excinfo:
        list(client.list_available_area_codes("US", "geographic"))
    assert _error(excinfo)[0] == 400 and excinfo.value.error.target == "locality"


def test_offerings(client: PhoneNumbersClient) -> None:
    us = {
        (o.phone_number_type, o.assignment_type): (o.cost.amount, o.cost.currency_code)
        for o in client.list_available_offerings("US")
    }
    assert us == {
        ("tollFree", "application"): (2.0, "USD"),
        ("geographic", "person"): (1.0, "USD"),
        ("geographic", "application"): (1.0, "USD"),
    }
    mobile = list(client.list_available_offerings("GB", phone_number_type="mobile"))
    assert [(o.phone_number_type, o.cost.billing_frequency) for o in mobile] == [
        ("mobile", "monthly")
    ]
    assert mobile[0].available_capabilities.sms == "inbound+outbound"
    person = client.list_available_offerings("US", assignment_type="person")
    assert [o.phone_number_type for o in person] == ["geographic"]
    pages = list(client.list_available_offerings("US", max_page_size=1).by_page())
    assert len(pages) == 3


def test_inventory_is_consistent(client: PhoneNumbersClient) -> None:
    """Every area code the listings name (with its locality when geographic) is one that
    browse and search then hand numbers out from."""
    for country in client.list_available_countries():
        code = country.country_code
        for offering in client.list_available_offerings(code):
            number_type = offering.phone_number_type
            localities: list[str | None] = [None]
            if number_type == "geographic":
                found = client.list_available_localities(code, phone_number_type=number_type)
                localities = [loc.localized_name for loc in found]
                assert localities, (code, number_type)
            areas = {
                a.area_code
                for locality in localities
                for a in client.list_available_area_codes(
                    code, number_type, locality=locality, assignment_type=offering.assignment_type
                )
            }
            assert areas, (code, number_type)
            browsed = client.browse_available_phone_numbers(
                country_code=code,
                phone_number_type=number_type,
                assignment_type=offering.assignment_type,
            ).phone_numbers
            assert browsed and {n.country_code for n in browsed} == {code}
            calling = browsed[0].phone_number[: len(browsed[0].phone_number) - len(browsed[0].id)]
            assert calling == "+"
            for number in browsed:
                assert any(_national(number.phone_number, code).startswith(a) for a in areas)
                assert number.cost.amount == offering.cost.amount
                assert number.status == "available"
                assert number.is_agreement_to_not_resell_required is (code == "FR")
            area = sorted(areas)[0]
            narrowed = client.browse_available_phone_numbers(
                country_code=code, phone_number_type=number_type, phone_number_prefixes=[area]
            ).phone_numbers
            assert narrowed and all(
                _national(n.phone_number, code).startswith(area) for n in narrowed
            )


def _national(number: str, country: str) -> str:
    import phonenumbers

    return number[1 + len(str(phonenumbers.country_code_for_region(country))) :]


# -- operator information -------------------------------------------------------------------


def test_operator_information(client: PhoneNumbersClient) -> None:
    plain = client.search_operator_information("+18881231875").values[0]
    assert (plain.national_format, plain.international_format) == (
        "(888) 123-1875",
        "+1 888-123-1875",
    )
    assert (plain.iso_country_code, plain.number_type, plain.operator_details) == (None, None, None)
    detailed = client.search_operator_information(
        ["+447700123456"],
        options=OperatorInformationOptions(include_additional_operator_details=True),
    ).values[0]
    assert (detailed.iso_country_code, detailed.number_type) == ("GB", "mobile")
    assert detailed.operator_details.mobile_country_code == "234"
    assert detailed.operator_details.name == "Gamma Telecom"
    assert detailed.operator_details.mobile_network_code.isdigit()
    assert detailed.international_format == "+44 7700 123456"
    drama = client.search_operator_information(
        "+447700900123",
        options=OperatorInformationOptions(include_additional_operator_details=True),
    ).values[0]
    assert (drama.iso_country_code, drama.number_type) == ("GB", "unknown")
    geographic = client.search_operator_information(
        "+33142685300",
        options=OperatorInformationOptions(include_additional_operator_details=True),
    ).values[0]
    assert (geographic.iso_country_code, geographic.number_type) == ("FR", "geographic")
    assert geographic.national_format == "01 42 68 53 00"
    with pytest.raises(HttpResponseError) as excinfo:
        client.search_operator_information(["+18881231875", "+18881231876"])
    status, error = _error(excinfo)
    assert (status, error.code, error.message) == (
        400,
        "BadRequest",
        "Can only accept one phoneNumber",
    )
    with pytest.raises(HttpResponseError) as excinfo:
        client.search_operator_information("not a number")
    assert _error(excinfo)[0] == 400


# -- browse ---------------------------------------------------------------------------------


def test_browse(client: PhoneNumbersClient) -> None:
    result = client.browse_available_phone_numbers(
        country_code="US",
        phone_number_type=PhoneNumberType.GEOGRAPHIC,
        assignment_type=PhoneNumberAssignmentType.PERSON,
        sms_capability=PhoneNumberCapabilityType.OUTBOUND,
        calling_capability=PhoneNumberCapabilityType.NONE,
        phone_number_prefixes=["1425", "+1206"],
    )
    numbers = result.phone_numbers
    assert 0 < len(numbers) <= 20 and len({n.phone_number for n in numbers}) == len(numbers)
    for number in numbers:
        assert number.phone_number[:5] in {"+1425", "+1206"}
        assert number.id == number.phone_number[1:]
        assert (number.capabilities.sms, number.capabilities.calling) == ("outbound", "none")
        assert (number.assignment_type, number.phone_number_type) == ("person", "geographic")
    narrow = client.browse_available_phone_numbers(
        country_code="US", phone_number_type="geographic", phone_number_prefixes=["1425555"]
    ).phone_numbers
    assert narrow and all(n.phone_number.startswith("+1425555") for n in narrow)
    default = client.browse_available_phone_numbers(country_code="US", phone_number_type="tollFree")
    assert {n.assignment_type for n in default.phone_numbers} == {"application"}
    assert (
        client.browse_available_phone_numbers(
            country_code="US", phone_number_type="tollFree", assignment_type="person"
        ).phone_numbers
        == []
    )
    assert (
        client.browse_available_phone_numbers(
            country_code="JP", phone_number_type="geographic"
        ).phone_numbers
        == []
    )
    with pytest.raises(HttpResponseError) as excinfo:
        client.browse_available_phone_numbers(country_code="US", phone_number_type="satellite")
    assert _error(excinfo)[0] == 400


# -- reservations ---------------------------------------------------------------------------


def _browse(
    client: PhoneNumbersClient, country: str = "US", kind: str = "tollFree"
) -> list[AvailablePhoneNumber]:
    return list(
        client.browse_available_phone_numbers(
            country_code=country, phone_number_type=kind
        ).phone_numbers
    )


def test_reservation_lifecycle(client: PhoneNumbersClient) -> None:
    first, second, third = _browse(client)[:3]
    rid = str(uuid.uuid4())
    status, created = _upsert(client, reservation_id=rid)
    assert (status, created.id, created.status, created.phone_numbers) == (201, rid, "active", {})
    status, added = _upsert(client, reservation_id=rid, numbers_to_add=[first, second])
    assert status == 200
    assert set(added.phone_numbers) == {first.id, second.id}
    assert {n.status for n in added.phone_numbers.values()} == {"reserved"}
    assert added.expires_at > created.expires_at or added.expires_at == created.expires_at
    fetched = client.get_reservation(rid)
    held = fetched.phone_numbers[first.id]
    assert (held.phone_number, held.cost.amount, held.capabilities.sms) == (
        first.phone_number,
        2.0,
        first.capabilities.sms,
    )
    listed = {r.id: r for r in client.list_reservations()}
    assert rid in listed and listed[rid].phone_numbers is None
    assert listed[rid].status == "active"

    # Held numbers are offered to nobody else: not by browse, not to another reservation.
    assert _browse_exact(client, first.phone_number) == []
    other = str(uuid.uuid4())
    status, partial = _upsert(client, reservation_id=other, numbers_to_add=[first, third])
    assert status == 207
    assert partial.phone_numbers[first.id].status == "error"
    assert partial.phone_numbers[first.id].error.code == "FailedToReserveNumber"
    assert partial.phone_numbers[third.id].status == "reserved"
    assert set(client.get_reservation(other).phone_numbers) == {third.id}

    removed = client.create_or_update_reservation(reservation_id=rid, numbers_to_remove=[second.id])
    assert set(removed.phone_numbers) == {first.id}
    assert _browse_exact(client, second.phone_number) != []

    client.begin_purchase_reservation(rid, polling_interval=0).result()
    done = client.get_reservation(rid)
    assert done.status == "completed"
    assert done.phone_numbers[first.id].status == "purchased"
    owned = client.get_purchased_phone_number(first.phone_number)
    assert (owned.phone_number_type, owned.assignment_type) == ("tollFree", "application")
    with pytest.raises(HttpResponseError) as excinfo:
        client.create_or_update_reservation(reservation_id=rid, numbers_to_add=[second])
    assert _error(excinfo)[0] == 400
    client.begin_release_phone_number(first.phone_number, polling_interval=0).result()

    client.delete_reservation(other)
    with pytest.raises(ResourceNotFoundError) as missing:
        client.get_reservation(other)
    assert missing.value.error.code == "ReservationNotFound"
    assert missing.value.error.message == (
        "The reservation was not found and the operation could not be completed."
    )
    for call in (
        lambda: client.delete_reservation(other),
        lambda: client.begin_purchase_reservation(other, polling_interval=0),
    ):
        with pytest.raises(ResourceNotFoundError):
            call()
    with pytest.raises(ValueError):
        client.create_or_update_reservation(reservation_id="not-a-uuid")
    with pytest.raises(HttpResponseError) as excinfo:
        client.get_reservation("not-a-uuid")
    assert _error(excinfo)[0] == 400


def _browse_exact(client: PhoneNumbersClient, number: str) -> list[AvailablePhoneNumber]:
    country = "US" if number.startswith("+1") else "FR"
    kind = "tollFree"
    return list(
        client.browse_available_phone_numbers(
            country_code=country, phone_number_type=kind, phone_number_prefixes=[number]
        ).phone_numbers
    )


def test_purchase_needs_something_to_buy(client: PhoneNumbersClient) -> None:
    rid = str(uuid.uuid4())
    client.create_or_update_reservation(reservation_id=rid)
    with pytest.raises(HttpResponseError) as excinfo:
        client.begin_purchase_reservation(rid, polling_interval=0)
    assert _error(excinfo)[0] == 400
    client.delete_reservation(rid)


# -- do not resell ----------------------------------------------------------------------------


def test_do_not_resell_agreement(client: PhoneNumbersClient) -> None:
    search = client.begin_search_available_phone_numbers(
        "FR", PhoneNumberType.TOLL_FREE, APP, CAPS, polling_interval=0
    ).result()
    assert search.is_agreement_to_not_resell_required is True and search.error == "NoError"
    with pytest.raises(HttpResponseError) as excinfo:
        client.begin_purchase_phone_numbers(search.search_id, polling_interval=0)
    status, error = _error(excinfo)
    assert (status, error.code, error.message) == (
        400,
        "BadRequest",
        "Do not resell agreement was not provided and it is required for this purchase.",
    )
    owned = {n.phone_number for n in client.list_purchased_phone_numbers()}
    assert not set(search.phone_numbers) & owned
    client.begin_purchase_phone_numbers(
        search.search_id, agree_to_not_resell=True, polling_interval=0
    ).result()
    for number in search.phone_numbers:
        client.begin_release_phone_number(number, polling_interval=0).result()

    french = _browse(client, "FR", "geographic")[:1]
    assert french[0].is_agreement_to_not_resell_required is True
    rid = str(uuid.uuid4())
    client.create_or_update_reservation(reservation_id=rid, numbers_to_add=french)
    with pytest.raises(HttpResponseError) as excinfo:
        client.begin_purchase_reservation(rid, agree_to_not_resell=False, polling_interval=0)
    status, error = _error(excinfo)
    assert (status, error.code, error.message) == (
        400,
        "BadRequest",
        "Consent not provided to not resell the phone numbers",
    )
    assert client.get_reservation(rid).status == "active"
    with pytest.raises(ResourceNotFoundError):
        client.get_purchased_phone_number(french[0].phone_number)
    client.begin_purchase_reservation(rid, agree_to_not_resell=True, polling_interval=0).result()
    assert client.get_reservation(rid).status == "completed"
    client.begin_release_phone_number(french[0].phone_number, polling_interval=0).result()

    us = client.begin_search_available_phone_numbers(
        "US", "tollFree", APP, CAPS, polling_interval=0
    ).result()
    assert us.is_agreement_to_not_resell_required is False
    client.begin_purchase_phone_numbers(us.search_id, polling_interval=0).result()
    client.begin_release_phone_number(us.phone_numbers[0], polling_interval=0).result()


# -- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize("country", ["XX", "U", "123"])
def test_bad_country_codes(client: PhoneNumbersClient, country: str) -> None:
    calls: list[Callable[[], object]] = [
        lambda: list(client.list_available_localities(country)),
        lambda: list(client.list_available_area_codes(country, "tollFree")),
        lambda: list(client.list_available_offerings(country)),
        lambda: client.browse_available_phone_numbers(
            country_code=country, phone_number_type="tollFree"
        ),
        lambda: client.begin_search_available_phone_numbers(
            country, "tollFree", APP, CAPS, polling_interval=0
        ),
        lambda: client.create_or_update_reservation(
            reservation_id=str(uuid.uuid4()),
            numbers_to_add=[_available(country)],
        ),
    ]
    for call in calls:
        with pytest.raises(HttpResponseError) as excinfo:
            call()
        status, error = _error(excinfo)
        assert (status, error.code, error.message, error.target) == (
            400,
            "InvalidInput",
            "Unable to parse country code.",
            "countrycode",
        )


def _available(country: str) -> AvailablePhoneNumber:
    number = AvailablePhoneNumber(
        country_code=country,
        capabilities=CAPS,
        phone_number_type="tollFree",
        assignment_type="application",
    )
    number.id = "18005550100"
    return number


def test_unknown_numbers_and_headers(client: PhoneNumbersClient) -> None:
    seen: list[dict[str, str]] = []

    def hook(response: Any) -> None:
        seen.append(dict(response.http_response.headers))

    with pytest.raises(ResourceNotFoundError) as excinfo:
        client.get_purchased_phone_number("+18005550999", raw_response_hook=hook)
    assert excinfo.value.error.code == "PhoneNumberNotFound"
    with pytest.raises(ResourceNotFoundError):
        client.begin_release_phone_number("+18005550999", polling_interval=0)
    list(client.list_available_countries(raw_response_hook=hook))
    assert all("2025-06-01" in h["api-supported-versions"] for h in seen) and len(seen) == 2


def test_every_offering_round_trips(client: PhoneNumbersClient) -> None:
    """Search, purchase and release work for every type and country of the inventory."""
    for country in client.list_available_countries():
        for offering in client.list_available_offerings(country.country_code):
            search = client.begin_search_available_phone_numbers(
                country.country_code,
                offering.phone_number_type,
                offering.assignment_type,
                CAPS,
                quantity=1,
                polling_interval=0,
            ).result()
            (number,) = search.phone_numbers
            client.begin_purchase_phone_numbers(
                search.search_id, agree_to_not_resell=True, polling_interval=0
            ).result()
            owned = client.get_purchased_phone_number(number)
            assert (owned.country_code, owned.phone_number_type, owned.assignment_type) == (
                country.country_code,
                offering.phone_number_type,
                offering.assignment_type,
            )
            client.begin_release_phone_number(number, polling_interval=0).result()
            with pytest.raises(ResourceNotFoundError):
                client.get_purchased_phone_number(number)


# -- async ----------------------------------------------------------------------------------


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_async_surface(numbers_server: ServerProcess) -> None:
    async with AsyncPhoneNumbersClient(
        numbers_server.http_endpoint,
        AzureKeyCredential(numbers_server.access_key),
        retry_total=0,
    ) as client:
        countries = [c.country_code async for c in client.list_available_countries(max_page_size=2)]
        assert "US" in countries and len(countries) == len(set(countries))
        localities = [
            loc.localized_name
            async for loc in client.list_available_localities("CA", max_page_size=1)
        ]
        assert localities == ["Montréal", "Toronto", "Vancouver"]
        codes = [
            a.area_code
            async for a in client.list_available_area_codes("CA", "geographic", locality="Toronto")
        ]
        assert codes == ["416"]
        offerings = [o.phone_number_type async for o in client.list_available_offerings("IE")]
        assert sorted(offerings) == ["geographic", "mobile"]
        info = await client.search_operator_information("+353861234567")
        assert info.values[0].international_format == "+353 86 123 4567"

        browsed = await client.browse_available_phone_numbers(
            country_code="IE", phone_number_type="mobile", phone_number_prefixes=["35387"]
        )
        picked = browsed.phone_numbers[:2]
        assert picked and all(n.phone_number.startswith("+35387") for n in picked)
        rid = str(uuid.uuid4())
        reservation = await client.create_or_update_reservation(
            reservation_id=rid, numbers_to_add=picked
        )
        assert set(reservation.phone_numbers) == {n.id for n in picked}
        assert rid in [r.id async for r in client.list_reservations(max_page_size=1)]
        poller = await client.begin_purchase_reservation(rid, polling_interval=0)
        await poller.result()
        assert (await client.get_reservation(rid)).status == "completed"
        for number in picked:
            owned = await client.get_purchased_phone_number(number.phone_number)
            assert owned.phone_number_type == "mobile"
            release = await client.begin_release_phone_number(
                number.phone_number, polling_interval=0
            )
            await release.result()

        doomed = str(uuid.uuid4())
        await client.create_or_update_reservation(reservation_id=doomed)
        await client.delete_reservation(doomed)
        with pytest.raises(ResourceNotFoundError):
            await client.get_reservation(doomed)
        with pytest.raises(HttpResponseError) as excinfo:
            await client.browse_available_phone_numbers(
                country_code="XX", phone_number_type="tollFree"
            )
        assert excinfo.value.error.target == "countrycode"
        with pytest.raises(HttpResponseError) as excinfo:
            await client.search_operator_information(["+18881231875", "+18881231876"])
        assert excinfo.value.status_code == 400


@pytest.mark.anyio
async def test_async_partial_reservations_and_the_agreement(numbers_server: ServerProcess) -> None:
    async with AsyncPhoneNumbersClient(
        numbers_server.http_endpoint,
        AzureKeyCredential(numbers_server.access_key),
        retry_total=0,
    ) as client:
        french = (
            await client.browse_available_phone_numbers(
                country_code="FR", phone_number_type="geographic", phone_number_prefixes=["331"]
            )
        ).phone_numbers[:2]
        assert all(n.phone_number.startswith("+331") for n in french)
        rid, other = str(uuid.uuid4()), str(uuid.uuid4())
        await client.create_or_update_reservation(reservation_id=rid, numbers_to_add=french[:1])
        partial = await client.create_or_update_reservation(
            reservation_id=other, numbers_to_add=french
        )
        assert partial.phone_numbers[french[0].id].error.code == "FailedToReserveNumber"
        assert partial.phone_numbers[french[1].id].status == "reserved"
        with pytest.raises(HttpResponseError) as excinfo:
            await client.begin_purchase_reservation(other, polling_interval=0)
        assert excinfo.value.error.message == "Consent not provided to not resell the phone numbers"
        with pytest.raises(ResourceNotFoundError):
            await client.get_purchased_phone_number(french[1].phone_number)
        pages = [
            [r.id async for r in page]
            async for page in client.list_reservations(max_page_size=1).by_page()
        ]
        assert all(len(p) == 1 for p in pages) and {rid, other} <= {i for p in pages for i in p}
        for reservation_id in (rid, other):
            await client.delete_reservation(reservation_id)
