"""Event Grid filter semantics, table-driven: every operator, arrays, missing keys, case rules."""

from __future__ import annotations

from typing import Any

import pytest

from tidings.domain.filters import AdvancedFilter, EventFilter
from tidings.domain.subscription_validation import parse_filter
from tidings.errors import InvalidInput

EVENT: dict[str, Any] = {
    "id": "Outgoing_1",
    "topic": "/subscriptions/x/resourceGroups/rg/providers/microsoft.communication/"
    "communicationservices/acs",
    "subject": "/phonenumber/15555555555",
    "eventType": "Microsoft.Communication.SMSReceived",
    "dataVersion": "1.0",
    "metadataVersion": "1",
    "eventTime": "2020-09-18T00:27:47Z",
    "data": {
        "MessageId": "Incoming_20200918002745d29ebbea",
        "From": "15555555555",
        "To": "15555555555",
        "Message": "Great to connect with ACS events",
        "Segments": 2,
        "Ratio": 0.5,
        "Urgent": True,
        "Nothing": None,
        "Tags": ["Alpha", "beta", 7],
        "Codes": [1, 5, "x"],
        "Flags": [True],
        "Nested": {"Deep": {"Value": "Found"}},
    },
}


def matches(
    operator: str, key: str, *, value: Any = None, values: Any = (), arrays: bool = False
) -> bool:
    f = AdvancedFilter(operator, key, value=value, values=tuple(values))
    return EventFilter(advanced_filters=(f,), enable_advanced_filtering_on_arrays=arrays).matches(
        EVENT
    )


@pytest.mark.parametrize(
    ("operator", "key", "kwargs", "expected"),
    [
        # numbers
        ("NumberIn", "data.Segments", {"values": [1, 2]}, True),
        ("NumberIn", "data.Segments", {"values": [3]}, False),
        ("NumberNotIn", "data.Segments", {"values": [3]}, True),
        ("NumberNotIn", "data.Segments", {"values": [2]}, False),
        ("NumberLessThan", "data.Segments", {"value": 3}, True),
        ("NumberLessThan", "data.Segments", {"value": 2}, False),
        ("NumberGreaterThan", "data.Segments", {"value": 1}, True),
        ("NumberGreaterThan", "data.Segments", {"value": 2}, False),
        ("NumberLessThanOrEquals", "data.Segments", {"value": 2}, True),
        ("NumberLessThanOrEquals", "data.Ratio", {"value": 0.4}, False),
        ("NumberGreaterThanOrEquals", "data.Segments", {"value": 2}, True),
        ("NumberGreaterThanOrEquals", "data.Segments", {"value": 2.5}, False),
        ("NumberInRange", "data.Segments", {"values": [[0, 1], [2, 2]]}, True),
        ("NumberInRange", "data.Segments", {"values": [[3, 9]]}, False),
        ("NumberNotInRange", "data.Segments", {"values": [[3, 9]]}, True),
        ("NumberNotInRange", "data.Ratio", {"values": [[0, 1]]}, False),
        # a string is not a number
        ("NumberIn", "data.From", {"values": [15555555555]}, False),
        ("NumberNotIn", "data.From", {"values": [15555555555]}, True),
        # booleans
        ("BoolEquals", "data.Urgent", {"value": True}, True),
        ("BoolEquals", "data.Urgent", {"value": False}, False),
        ("BoolEquals", "data.Segments", {"value": True}, False),
        # strings: case-insensitive
        ("StringContains", "data.Message", {"values": ["ACS EVENTS"]}, True),
        ("StringContains", "data.Message", {"values": ["nope", "connect"]}, True),
        ("StringContains", "data.Message", {"values": ["nope"]}, False),
        ("StringNotContains", "data.Message", {"values": ["nope"]}, True),
        ("StringNotContains", "data.Message", {"values": ["GREAT"]}, False),
        ("StringBeginsWith", "data.Message", {"values": ["great to"]}, True),
        ("StringBeginsWith", "data.Message", {"values": ["to"]}, False),
        ("StringNotBeginsWith", "data.Message", {"values": ["to"]}, True),
        ("StringNotBeginsWith", "data.Message", {"values": ["GREAT"]}, False),
        ("StringEndsWith", "data.Message", {"values": ["Events"]}, True),
        ("StringEndsWith", "data.Message", {"values": ["great"]}, False),
        ("StringNotEndsWith", "data.Message", {"values": ["great"]}, True),
        ("StringNotEndsWith", "data.Message", {"values": ["EVENTS"]}, False),
        ("StringIn", "data.From", {"values": ["15555555555", "x"]}, True),
        ("StringIn", "data.From", {"values": ["1555"]}, False),
        ("StringNotIn", "data.From", {"values": ["1555"]}, True),
        ("StringNotIn", "data.From", {"values": ["15555555555"]}, False),
        # null checks
        ("IsNullOrUndefined", "data.Nothing", {}, True),
        ("IsNullOrUndefined", "data.Missing", {}, True),
        ("IsNullOrUndefined", "data.From", {}, False),
        ("IsNotNull", "data.From", {}, True),
        ("IsNotNull", "data.Nothing", {}, False),
        ("IsNotNull", "data.Missing", {}, False),
        # nested keys and envelope keys (any case, both schemas' names)
        ("StringIn", "data.Nested.Deep.Value", {"values": ["found"]}, True),
        ("StringIn", "data.nested.Deep.Value", {"values": ["found"]}, False),
        ("StringBeginsWith", "Subject", {"values": ["/phonenumber/1555"]}, True),
        ("StringIn", "eventtype", {"values": ["microsoft.communication.smsreceived"]}, True),
        ("StringIn", "type", {"values": ["Microsoft.Communication.SMSReceived"]}, True),
        ("StringIn", "DataVersion", {"values": ["1.0"]}, True),
        ("StringContains", "source", {"values": ["communicationservices/acs"]}, True),
        ("StringIn", "id", {"values": ["outgoing_1"]}, True),
    ],
)
def test_operator(operator: str, key: str, kwargs: dict[str, Any], expected: bool) -> None:
    assert matches(operator, key, **kwargs) is expected


MISSING_PASSES = {"NumberNotIn", "NumberNotInRange", "StringNotIn", "IsNullOrUndefined"}


@pytest.mark.parametrize(
    ("operator", "kwargs"),
    [
        ("NumberIn", {"values": [1]}),
        ("NumberNotIn", {"values": [1]}),
        ("NumberLessThan", {"value": 1}),
        ("NumberGreaterThan", {"value": 1}),
        ("NumberLessThanOrEquals", {"value": 1}),
        ("NumberGreaterThanOrEquals", {"value": 1}),
        ("NumberInRange", {"values": [[0, 1]]}),
        ("NumberNotInRange", {"values": [[0, 1]]}),
        ("BoolEquals", {"value": True}),
        ("StringContains", {"values": ["a"]}),
        ("StringNotContains", {"values": ["a"]}),
        ("StringBeginsWith", {"values": ["a"]}),
        ("StringNotBeginsWith", {"values": ["a"]}),
        ("StringEndsWith", {"values": ["a"]}),
        ("StringNotEndsWith", {"values": ["a"]}),
        ("StringIn", {"values": ["a"]}),
        ("StringNotIn", {"values": ["a"]}),
        ("IsNullOrUndefined", {}),
        ("IsNotNull", {}),
    ],
)
def test_missing_key(operator: str, kwargs: dict[str, Any]) -> None:
    assert matches(operator, "data.NoSuchKey", **kwargs) is (operator in MISSING_PASSES)


@pytest.mark.parametrize(
    ("operator", "key", "kwargs", "expected"),
    [
        # positive operators: any element matching any value
        ("StringIn", "data.Tags", {"values": ["ALPHA"]}, True),
        ("StringIn", "data.Tags", {"values": ["gamma"]}, False),
        ("StringContains", "data.Tags", {"values": ["et"]}, True),
        ("NumberIn", "data.Codes", {"values": [5]}, True),
        ("NumberGreaterThan", "data.Codes", {"value": 4}, True),
        ("NumberGreaterThan", "data.Codes", {"value": 9}, False),
        ("BoolEquals", "data.Flags", {"value": True}, True),
        # negative operators fail when any element matches
        ("StringNotIn", "data.Tags", {"values": ["beta"]}, False),
        ("StringNotIn", "data.Tags", {"values": ["gamma"]}, True),
        ("NumberNotIn", "data.Codes", {"values": [1]}, False),
        ("NumberNotIn", "data.Codes", {"values": [2]}, True),
        ("StringNotContains", "data.Tags", {"values": ["alp"]}, False),
        ("NumberNotInRange", "data.Codes", {"values": [[4, 6]]}, False),
        ("NumberNotInRange", "data.Codes", {"values": [[7, 9]]}, True),
    ],
)
def test_arrays_when_enabled(
    operator: str, key: str, kwargs: dict[str, Any], expected: bool
) -> None:
    assert matches(operator, key, arrays=True, **kwargs) is expected


def test_arrays_ignored_unless_enabled() -> None:
    assert matches("StringIn", "data.Tags", values=["alpha"]) is False
    assert matches("NumberIn", "data.Codes", values=[5]) is False


def test_filters_and_values() -> None:
    both = EventFilter(
        advanced_filters=(
            AdvancedFilter("StringIn", "data.From", values=("15555555555",)),
            AdvancedFilter("NumberGreaterThan", "data.Segments", value=5),
        )
    )
    assert both.matches(EVENT) is False  # filters AND
    same_key = EventFilter(
        advanced_filters=(
            AdvancedFilter("NumberGreaterThan", "data.Segments", value=1),
            AdvancedFilter("NumberLessThan", "data.Segments", value=3),
        )
    )
    assert same_key.matches(EVENT) is True


@pytest.mark.parametrize(
    ("prefix", "suffix", "sensitive", "expected"),
    [
        ("phonenumber/1555", "", False, True),  # the seed's filter, on the seed's subject
        ("/phonenumber/1555", "", False, True),
        ("PHONENUMBER/1555", "", False, True),
        ("PHONENUMBER/1555", "", True, False),
        ("phonenumber/1666", "", False, False),
        ("thread/", "", False, False),
        ("", "5555", False, True),
        ("", "5554", False, False),
        ("phonenumber/", "55", True, True),
    ],
)
def test_subject_filters(prefix: str, suffix: str, sensitive: bool, expected: bool) -> None:
    f = EventFilter(
        subject_begins_with=prefix, subject_ends_with=suffix, is_subject_case_sensitive=sensitive
    )
    assert f.matches(EVENT) is expected


def test_subject_without_slash_matches_prefix_with_slash() -> None:
    chat = {**EVENT, "subject": "thread/19:abc/sender/8:acs:1/recipient/8:acs:2"}
    assert EventFilter(subject_begins_with="/thread/19:abc").matches(chat)
    assert EventFilter(subject_begins_with="thread/19:abc").matches(chat)


@pytest.mark.parametrize(
    ("types", "expected"),
    [
        ((), True),
        (("All",), True),
        (("Microsoft.Communication.SMSReceived",), True),
        (("microsoft.communication.smsreceived",), True),
        (("Microsoft.Communication.SMSDeliveryReportReceived",), False),
    ],
)
def test_included_event_types(types: tuple[str, ...], expected: bool) -> None:
    assert EventFilter(included_event_types=types).matches(EVENT) is expected


def test_parse_round_trip() -> None:
    raw = {
        "includedEventTypes": ["Microsoft.Communication.SMSReceived"],
        "subjectBeginsWith": "phonenumber/1555",
        "advancedFilters": [
            {"operatorType": "NumberInRange", "key": "data.Segments", "values": [[1, 3]]},
            {"operatorType": "BoolEquals", "key": "data.Urgent", "value": True},
            {"operatorType": "IsNotNull", "key": "data.From"},
        ],
    }
    parsed = parse_filter(raw)
    assert parsed.matches(EVENT)
    again = parse_filter(parsed.to_json())
    assert again == parsed


@pytest.mark.parametrize(
    ("raw", "target"),
    [
        (
            {"advancedFilters": [{"operatorType": "Bogus", "key": "a"}]},
            "advancedFilters[0].operatorType",
        ),
        (
            {"advancedFilters": [{"operatorType": "NumberIn", "values": [1]}]},
            "advancedFilters[0].key",
        ),
        (
            {"advancedFilters": [{"operatorType": "NumberIn", "key": "k", "values": ["x"]}]},
            "advancedFilters[0].values",
        ),
        (
            {"advancedFilters": [{"operatorType": "NumberLessThan", "key": "k", "value": "1"}]},
            "advancedFilters[0].value",
        ),
        (
            {"advancedFilters": [{"operatorType": "BoolEquals", "key": "k", "value": 1}]},
            "advancedFilters[0].value",
        ),
        (
            {"advancedFilters": [{"operatorType": "StringIn", "key": "k", "values": [1]}]},
            "advancedFilters[0].values",
        ),
        (
            {"advancedFilters": [{"operatorType": "StringIn", "key": "k", "values": ["x" * 513]}]},
            "advancedFilters[0].values",
        ),
        (
            {
                "advancedFilters": [
                    {"operatorType": "NumberInRange", "key": "k", "values": [[3, 1]]}
                ]
            },
            "advancedFilters[0].values",
        ),
        (
            {"advancedFilters": [{"operatorType": "NumberInRange", "key": "k", "values": [1, 2]}]},
            "advancedFilters[0].values",
        ),
        (
            {"advancedFilters": [{"operatorType": "StringIn", "key": "k", "values": []}]},
            "advancedFilters[0].values",
        ),
        (
            {"advancedFilters": [{"operatorType": "IsNotNull", "key": f"k{i}"} for i in range(26)]},
            "advancedFilters",
        ),
        (
            {
                "advancedFilters": [
                    {"operatorType": "StringIn", "key": "k", "values": [str(i) for i in range(26)]}
                ]
            },
            "advancedFilters",
        ),
        ({"includedEventTypes": "Microsoft.Communication.SMSReceived"}, "includedEventTypes"),
        ({"isSubjectCaseSensitive": "yes"}, "isSubjectCaseSensitive"),
        ({"subjectBeginsWith": 5}, "subjectBeginsWith"),
    ],
)
def test_invalid_filters_name_the_field(raw: dict[str, Any], target: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_filter(raw)
    assert caught.value.target == f"properties.filter.{target}"


def test_limits_allow_exactly_25() -> None:
    raw = {
        "advancedFilters": [
            {"operatorType": "StringIn", "key": "k", "values": [str(i) for i in range(25)]}
        ]
    }
    assert len(parse_filter(raw).advanced_filters[0].values) == 25
    nulls = {"advancedFilters": [{"operatorType": "IsNotNull", "key": f"k{i}"} for i in range(25)]}
    assert len(parse_filter(nulls).advanced_filters) == 25
