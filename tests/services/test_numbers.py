"""Phone number operations carried out by the worker."""

from __future__ import annotations

import pytest

from tests.services.conftest import Driver
from tidings.domain.numbers import AssignmentType, Capabilities, Capability, NumberType
from tidings.errors import Conflict, InvalidInput, NotFound
from tidings.services.numbers import SearchRequest

pytestmark = pytest.mark.anyio
CAPS = Capabilities(Capability.INBOUND, Capability.INBOUND_OUTBOUND)


def _search(**kwargs: object) -> SearchRequest:
    values: dict[str, object] = {
        "country_code": "US",
        "number_type": NumberType.TOLL_FREE,
        "assignment_type": AssignmentType.APPLICATION,
        "capabilities": CAPS,
        "area_code": "833",
        "quantity": 2,
    }
    values.update(kwargs)
    return SearchRequest(**values)  # type: ignore[arg-type]


async def test_search_purchase_update_release(driver: Driver) -> None:
    numbers = driver.app.services.numbers
    operation, search = numbers.begin_search(_search())
    assert operation.status == "notStarted"
    await driver.settle()
    assert numbers.get_operation(operation.id).status == "succeeded"
    found = numbers.get_search(search.id)
    assert len(found.numbers) == 2 and all(n.startswith("+1833") for n in found.numbers)

    purchase = numbers.begin_purchase(search.id, True)
    await driver.settle()
    assert numbers.get_operation(purchase.id).status == "succeeded"
    owned = {n.number for n in numbers.list_numbers(0, 100)}
    assert set(found.numbers) <= owned
    with pytest.raises(Conflict):
        numbers.begin_purchase(search.id, True)

    number = found.numbers[0]
    update = numbers.begin_update_capabilities(number, None, Capability.OUTBOUND)
    await driver.settle()
    assert numbers.get_operation(update.id).resource_location == f"/phoneNumbers/%2B{number[1:]}"
    assert numbers.get_number(number).capabilities == Capabilities(
        Capability.INBOUND, Capability.OUTBOUND
    )

    release = numbers.begin_release(number)
    await driver.settle()
    assert numbers.get_operation(release.id).status == "succeeded"
    with pytest.raises(NotFound):
        numbers.get_number(number)


async def test_search_out_of_stock_fails_the_operation(driver: Driver) -> None:
    numbers = driver.app.services.numbers
    operation, _ = numbers.begin_search(_search(area_code="999"))
    await driver.settle()
    failed = numbers.get_operation(operation.id)
    assert (failed.status, failed.error_code) == ("failed", "OutOfStock")
    operation, _ = numbers.begin_search(_search(country_code="JP"))
    await driver.settle()
    assert numbers.get_operation(operation.id).error_code == "OutOfStock"


async def test_searches_do_not_offer_taken_or_reserved_numbers(driver: Driver) -> None:
    numbers = driver.app.services.numbers
    seen: set[str] = set()
    for _ in range(5):
        _, search = numbers.begin_search(_search(quantity=10))
        await driver.settle()
        batch = set(numbers.get_search(search.id).numbers)
        assert not batch & seen
        seen |= batch
    assert "+18005550100" not in seen


async def test_expired_search_cannot_be_purchased(driver: Driver) -> None:
    numbers = driver.app.services.numbers
    _, search = numbers.begin_search(_search())
    await driver.settle()
    purchase = numbers.begin_purchase(search.id, True)
    driver.clock.advance(16 * 60)
    await driver.settle()
    assert numbers.get_operation(purchase.id).error_code == "ReservationExpired"


async def test_invalid_requests(driver: Driver) -> None:
    numbers = driver.app.services.numbers
    with pytest.raises(InvalidInput):
        numbers.begin_search(_search(quantity=0))
    with pytest.raises(NotFound):
        numbers.begin_purchase("no-such-search", True)
    with pytest.raises(NotFound):
        numbers.begin_release("+18009999999")
    with pytest.raises(NotFound):
        numbers.get_operation("nope")


async def test_housekeeping_forgets_old_searches_and_operations(driver: Driver) -> None:
    numbers = driver.app.services.numbers
    operation, search = numbers.begin_search(_search())
    await driver.settle()
    driver.clock.advance(8 * 24 * 3600)
    driver.worker._last_housekeeping = float("-inf")  # due again
    await driver.settle()
    with pytest.raises(NotFound):
        numbers.get_operation(operation.id)
    with pytest.raises(NotFound):
        numbers.get_search(search.id)


async def test_search_refuses_what_the_inventory_does_not_sell(driver: Driver) -> None:
    numbers = driver.app.services.numbers
    with pytest.raises(InvalidInput) as excinfo:
        numbers.begin_search(_search(country_code="XX"))
    assert (excinfo.value.code, excinfo.value.target) == ("InvalidInput", "countrycode")
    operation, search = numbers.begin_search(
        _search(assignment_type=AssignmentType.PERSON, area_code=None)
    )
    await driver.settle()
    failed = numbers.get_operation(operation.id)
    assert (failed.status, failed.error_code) == ("failed", "InvalidOfferModel")
    assert numbers.get_search(search.id).error_code == "InvalidOfferModel"


async def test_french_numbers_need_the_do_not_resell_agreement(driver: Driver) -> None:
    numbers = driver.app.services.numbers
    _operation, search = numbers.begin_search(
        _search(country_code="FR", number_type=NumberType.GEOGRAPHIC, area_code="1", quantity=1)
    )
    await driver.settle()
    with pytest.raises(InvalidInput) as excinfo:
        numbers.begin_purchase(search.id, False)
    assert excinfo.value.code == "BadRequest"
    assert numbers.get_search(search.id).numbers[0] not in {
        n.number for n in numbers.list_numbers(0, 100)
    }
    numbers.begin_purchase(search.id, True)
    await driver.settle()
    assert numbers.get_number(numbers.get_search(search.id).numbers[0]).country_code == "FR"
