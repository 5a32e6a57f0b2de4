"""Event Grid event filters: event types, subject prefix/suffix and the 19 advanced operators.

Semantics follow Event Grid's documentation (event-filtering):

* ``includedEventTypes`` omitted, empty or ``["All"]`` lets every type through; types compare
  case-insensitively.
* Subjects compare case-insensitively unless ``isSubjectCaseSensitive``. ACS SMS events carry
  subjects with a leading slash (``/phonenumber/15555555555``) while the ACS documentation
  filters on ``phonenumber/1555``: a leading ``/`` on either side is ignored, so both spellings
  of a prefix select the same events (see docs/compatibility.md).
* Advanced filters: the values of one filter are OR-ed, the filters are AND-ed. String
  comparisons are case-insensitive. A missing key (or a value of the wrong type) fails every
  positive operator and StringNotContains/NotBeginsWith/NotEndsWith, and passes NumberNotIn,
  NumberNotInRange and StringNotIn. Array values are only looked into when
  ``enableAdvancedFilteringOnArrays`` is on: positive operators then match when any element
  matches, negative ones fail when any element matches; elements of another type are ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

NUMBER_OPERATORS_SCALAR = (
    "NumberLessThan",
    "NumberGreaterThan",
    "NumberLessThanOrEquals",
    "NumberGreaterThanOrEquals",
)
NUMBER_OPERATORS_LIST = ("NumberIn", "NumberNotIn")
RANGE_OPERATORS = ("NumberInRange", "NumberNotInRange")
STRING_OPERATORS = (
    "StringContains",
    "StringNotContains",
    "StringBeginsWith",
    "StringNotBeginsWith",
    "StringEndsWith",
    "StringNotEndsWith",
    "StringIn",
    "StringNotIn",
)
NULL_OPERATORS = ("IsNullOrUndefined", "IsNotNull")
OPERATORS = (
    *NUMBER_OPERATORS_LIST,
    *NUMBER_OPERATORS_SCALAR,
    *RANGE_OPERATORS,
    "BoolEquals",
    *STRING_OPERATORS,
    *NULL_OPERATORS,
)
#: Operators that pass when the key is missing (Event Grid's documented behaviour).
PASS_WHEN_MISSING = frozenset({"NumberNotIn", "NumberNotInRange", "StringNotIn"})
NEGATIVE = frozenset(
    {
        "NumberNotIn",
        "NumberNotInRange",
        "StringNotContains",
        "StringNotBeginsWith",
        "StringNotEndsWith",
        "StringNotIn",
    }
)

_MISSING = object()


@dataclass(frozen=True)
class AdvancedFilter:
    operator_type: str
    key: str
    #: ``value`` for scalar operators, ``values`` for list ones (ranges: ``[[lo, hi], ...]``).
    value: Any = None
    values: tuple[Any, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"operatorType": self.operator_type, "key": self.key}
        if self.operator_type in NUMBER_OPERATORS_SCALAR or self.operator_type == "BoolEquals":
            out["value"] = self.value
        elif self.operator_type not in NULL_OPERATORS:
            out["values"] = [list(v) if isinstance(v, tuple) else v for v in self.values]
        return out


@dataclass(frozen=True)
class EventFilter:
    included_event_types: tuple[str, ...] = ()
    subject_begins_with: str = ""
    subject_ends_with: str = ""
    is_subject_case_sensitive: bool = False
    advanced_filters: tuple[AdvancedFilter, ...] = ()
    enable_advanced_filtering_on_arrays: bool = False
    _types: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        types = {t.lower() for t in self.included_event_types}
        object.__setattr__(self, "_types", frozenset() if "all" in types else frozenset(types))

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "subjectBeginsWith": self.subject_begins_with,
            "subjectEndsWith": self.subject_ends_with,
            "isSubjectCaseSensitive": self.is_subject_case_sensitive,
            "enableAdvancedFilteringOnArrays": self.enable_advanced_filtering_on_arrays,
        }
        if self.included_event_types:
            out["includedEventTypes"] = list(self.included_event_types)
        if self.advanced_filters:
            out["advancedFilters"] = [f.to_json() for f in self.advanced_filters]
        return out

    def matches(self, envelope: Mapping[str, Any]) -> bool:
        """``envelope``: the event in the Event Grid schema (``eventType``, ``subject``, ...)."""
        if self._types and str(envelope.get("eventType", "")).lower() not in self._types:
            return False
        if not self._subject_matches(str(envelope.get("subject", ""))):
            return False
        arrays = self.enable_advanced_filtering_on_arrays
        return all(_evaluate(f, lookup(envelope, f.key), arrays) for f in self.advanced_filters)

    def _subject_matches(self, subject: str) -> bool:
        prefix, suffix = self.subject_begins_with, self.subject_ends_with
        if not self.is_subject_case_sensitive:
            subject, prefix, suffix = subject.lower(), prefix.lower(), suffix.lower()
        if prefix and not subject.lstrip("/").startswith(prefix.lstrip("/")):
            return False
        return not suffix or subject.endswith(suffix)


#: Envelope attributes by lower-cased key, in both schemas' spellings.
_ENVELOPE_ALIASES = {
    "id": "id",
    "eventid": "id",
    "topic": "topic",
    "source": "topic",
    "subject": "subject",
    "eventtype": "eventType",
    "type": "eventType",
    "dataversion": "dataVersion",
    "eventtypeversion": "dataVersion",
    "metadataversion": "metadataVersion",
    "eventtime": "eventTime",
    "time": "eventTime",
}


def lookup(envelope: Mapping[str, Any], key: str) -> Any:
    """The value ``key`` names in the event, or ``_MISSING``. ``data.a.b`` walks into data."""
    head, _, rest = key.partition(".")
    if head.lower() == "data" and rest:
        node: Any = envelope.get("data")
        for part in rest.split("."):
            if not isinstance(node, Mapping) or part not in node:
                return _MISSING
            node = node[part]
        return node
    name = _ENVELOPE_ALIASES.get(key.lower())
    if name is None or name not in envelope:
        return _MISSING
    return envelope[name]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _as_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, bool):
        return "true" if value else "false"
    if _is_number(value):
        return str(value).lower()
    return None


def _number_test(f: AdvancedFilter) -> Callable[[float], bool]:
    op = f.operator_type
    if op in ("NumberIn", "NumberNotIn"):
        allowed = {float(v) for v in f.values}
        return lambda x: x in allowed
    if op in RANGE_OPERATORS:
        ranges = [(float(lo), float(hi)) for lo, hi in f.values]
        return lambda x: any(lo <= x <= hi for lo, hi in ranges)
    bound = float(f.value)
    return {
        "NumberLessThan": lambda x: x < bound,
        "NumberGreaterThan": lambda x: x > bound,
        "NumberLessThanOrEquals": lambda x: x <= bound,
        "NumberGreaterThanOrEquals": lambda x: x >= bound,
    }[op]


def _string_test(f: AdvancedFilter) -> Callable[[str], bool]:
    values = [str(v).lower() for v in f.values]
    op = f.operator_type.replace("Not", "")
    if op == "StringContains":
        return lambda s: any(v in s for v in values)
    if op == "StringBeginsWith":
        return lambda s: any(s.startswith(v) for v in values)
    if op == "StringEndsWith":
        return lambda s: any(s.endswith(v) for v in values)
    allowed = set(values)
    return lambda s: s in allowed


def _element_test(f: AdvancedFilter) -> Callable[[Any], bool | None]:
    """The positive test for one element; None when the element is of another type."""
    op = f.operator_type
    if op == "BoolEquals":
        want = bool(f.value)
        return lambda x: (x is want) if isinstance(x, bool) else None
    if op.startswith("Number"):
        number_test = _number_test(f)
        return lambda x: number_test(float(x)) if _is_number(x) else None
    string_test = _string_test(f)

    def text(x: Any) -> bool | None:
        s = _as_text(x)
        return None if s is None else string_test(s)

    return text


def _evaluate(f: AdvancedFilter, value: Any, arrays: bool) -> bool:
    op = f.operator_type
    if op == "IsNullOrUndefined":
        return value is _MISSING or value is None
    if op == "IsNotNull":
        return value is not _MISSING and value is not None
    negative = op in NEGATIVE
    test = _element_test(f)
    if isinstance(value, list):
        if not arrays:
            return op in PASS_WHEN_MISSING
        results = [r for r in (test(x) for x in value) if r is not None]
        if not results:
            return op in PASS_WHEN_MISSING
        return not any(results) if negative else any(results)
    if value is _MISSING or value is None:
        return op in PASS_WHEN_MISSING
    result = test(value)
    if result is None:
        return op in PASS_WHEN_MISSING
    return not result if negative else result


def value_count(filters: Sequence[AdvancedFilter]) -> int:
    """Filter values as Event Grid counts them against its limit of 25 (a range counts once)."""
    count = 0
    for f in filters:
        if f.operator_type in NULL_OPERATORS:
            continue
        if f.operator_type in NUMBER_OPERATORS_SCALAR or f.operator_type == "BoolEquals":
            count += 1
        else:
            count += len(f.values)
    return count
