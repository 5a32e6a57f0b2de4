"""The pure routing decision and the validation of carriers and routes."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from tidings.domain.carriers import (
    MASK,
    CarrierConfig,
    Route,
    RouteSpec,
    RouteTable,
    Strategy,
    candidates,
    carrier_name,
    parse_simulator_options,
    route_prefix,
    route_spec,
    unusable,
)
from tidings.domain.messages import DeliveryCode
from tidings.domain.numbers import NumberType

T0 = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def _route(route_id: int, *carriers: str, **criteria: object) -> Route:
    return Route(route_id, route_spec(list(carriers), **criteria), T0)  # type: ignore[arg-type]


def _pick(
    table: RouteTable, to: str, sender: str = "+18005550100", kind: NumberType | None = None
) -> int | None:
    route = table.pick(to, sender, kind)
    return None if route is None else route.id


def test_the_longest_matching_prefix_wins() -> None:
    table = RouteTable(
        [_route(1, "simulator"), _route(2, "italy", prefix="+39"), _route(3, "tim", prefix="+393")]
    )
    assert _pick(table, "+393471234567") == 3
    assert _pick(table, "+390612345678") == 2
    assert _pick(table, "+14255550123") == 1  # the default route


def test_sender_beats_number_type_beats_prefix_and_priority_beats_all() -> None:
    routes = [
        _route(1, "a", prefix="+1425"),
        _route(2, "b", number_type="tollFree"),
        _route(3, "c", sender="+18005550100"),
    ]
    table = RouteTable(routes)
    assert _pick(table, "+14255550123", kind=NumberType.TOLL_FREE) == 3
    assert _pick(table, "+14255550123", "+18005550199", NumberType.TOLL_FREE) == 2
    assert _pick(table, "+14255550123", "+18005550199", NumberType.GEOGRAPHIC) == 1
    assert _pick(table, "+4420", "+18005550199", NumberType.GEOGRAPHIC) is None
    boosted = RouteTable([*routes, _route(4, "d", prefix="+1", priority=5)])
    assert _pick(boosted, "+14255550123", kind=NumberType.TOLL_FREE) == 4


def test_all_criteria_of_a_route_must_match_and_ties_go_to_the_older_route() -> None:
    table = RouteTable(
        [_route(1, "a", prefix="+44", number_type="shortCode"), _route(2, "b", prefix="+44")]
    )
    assert _pick(table, "+447700900123", "12345", NumberType.SHORT_CODE) == 1
    assert _pick(table, "+447700900123", "+447700900000", NumberType.MOBILE) == 2
    tie = RouteTable([_route(7, "a", prefix="+44"), _route(3, "b", prefix="+44")])
    assert _pick(tie, "+447700900123") == 3


def test_failover_keeps_the_order_and_round_robin_rotates_by_turn() -> None:
    failover = _route(1, "a", "b", "c")
    assert candidates(failover, 5) == ("a", "b", "c")
    rr = _route(2, "a", "b", "c", strategy="round-robin")
    assert [candidates(rr, turn)[0] for turn in range(6)] == ["a", "b", "c", "a", "b", "c"]
    assert candidates(rr, 1) == ("b", "c", "a")  # the rest follow: skip-down still works


def test_unusable_names_the_reason_and_the_code_it_fails_with() -> None:
    assert unusable(None).code == DeliveryCode.UNSUPPORTED_DESTINATION
    down = unusable(_route(4, "a", "b"))
    assert down.code == DeliveryCode.TEMPORARILY_UNAVAILABLE
    assert "route 4 (a, b)" in down.reason


@pytest.mark.parametrize(
    ("raw", "stored"), [("+39", "+39"), ("39", "+39"), (" +1 425 ", "+1425"), ("", ""), (None, "")]
)
def test_prefixes_are_normalised(raw: str | None, stored: str) -> None:
    assert route_prefix(raw) == stored


@pytest.mark.parametrize("raw", ["+", "+3a", "++39", "+1234567890123456", "abc"])
def test_bad_prefixes_are_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="prefix"):
        route_prefix(raw)


@pytest.mark.parametrize(
    ("carriers", "criteria", "field"),
    [
        ([], {}, "carriers"),
        (["a", "a"], {}, "carriers"),
        (["a"] * 17, {}, "carriers"),
        (["Bad Name"], {}, "carrier name"),
        (["a"], {"strategy": "random"}, "strategy"),
        (["a"], {"number_type": "landline"}, "numberType"),
        (["a"], {"sender": " "}, "sender"),
        (["a"], {"priority": 5000}, "priority"),
    ],
)
def test_route_specs_name_the_bad_field(
    carriers: list[object], criteria: dict[str, object], field: str
) -> None:
    with pytest.raises(ValueError, match=field):
        route_spec(carriers, **criteria)  # type: ignore[arg-type]


def test_route_spec_defaults_and_normalisation() -> None:
    spec = route_spec(["ACME", "backup"], prefix="39", sender=" 12345 ", number_type="shortCode")
    assert spec == RouteSpec(
        ("acme", "backup"), Strategy.FAILOVER, "+39", "12345", NumberType.SHORT_CODE, 0
    )


@pytest.mark.parametrize("raw", ["", "-x", "a" * 33, "a b", "ä", 5, None])
def test_carrier_names(raw: object) -> None:
    with pytest.raises(ValueError, match="carrier name"):
        carrier_name(raw)


def test_carrier_names_are_lower_cased() -> None:
    assert carrier_name(" Acme_2 ") == "acme_2"


def test_secrets_are_masked_and_empty_ones_stay_visible() -> None:
    config = CarrierConfig(
        "acme", "smpp", {"password": "s3cret", "host": "h", "secret": ""}, True, 1, T0, T0
    )
    assert config.masked_options() == {"password": MASK, "host": "h", "secret": ""}


def test_simulator_options() -> None:
    assert parse_simulator_options({}).delay_seconds == 0.2
    assert parse_simulator_options({"delay_seconds": 3}).delay_seconds == 3.0
    with pytest.raises(ValueError, match="delay_seconds"):
        parse_simulator_options({"delay_seconds": "soon"})
    with pytest.raises(ValueError, match="delay_seconds"):
        parse_simulator_options({"delay_seconds": True})
    with pytest.raises(ValueError, match="host: not an option"):
        parse_simulator_options({"host": "x"})


def test_the_prefix_index_picks_what_ranking_every_matching_route_picks() -> None:
    rng = random.Random(14)
    types = [None, *NumberType]
    senders = [None, "+18005550100", "12345", "CONTOSO"]
    routes = [
        Route(
            i,
            RouteSpec(
                ("a",),
                prefix=rng.choice(["", "+1", "+14", "+1425", "+39", "+393", "+44"]),
                sender=rng.choice(senders),
                number_type=rng.choice(types),
                priority=rng.choice([0, 0, 0, 1, -1]),
            ),
            T0,
        )
        for i in range(1, 200)
    ]
    table = RouteTable(routes)
    for _ in range(2000):
        to = rng.choice(["+14255550100", "+1206", "+393471234567", "+447700900123", "+49"])
        sender = rng.choice(["+18005550100", "12345", "CONTOSO", "+18005550199"])
        kind = rng.choice(types)
        matching = [r for r in routes if r.matches(to, sender, kind)]
        expected = max(matching, key=lambda r: r.rank) if matching else None
        assert table.pick(to, sender, kind) == expected
