"""GrowthBook's targeting language: MongoDB-style conditions on a creator's attributes.

`eval_condition({"country": "BR", "app": {"version": "34.1.0"}},
{"country": {"$in": ["BR", "PT"]}, "app.version": {"$vgte": "34.0.0"}})` is True.

Semantics follow the GrowthBook SDKs, including their treatment of bad input: a malformed
condition or an invalid regular expression makes the condition fail, it never raises. An
operator this module does not know makes the condition fail as well, even under `$not`
(evaluation is three-valued internally: True, False or "unknown", and only True passes).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from academy.experiments.assignment.hashing import js_number_to_string

__all__ = [
    "eval_condition",
    "get_path",
    "get_type",
    "padded_version_string",
]

# True, False, or None when the answer depends on something this evaluator does not support.
Verdict = bool | None

# Keys that combine conditions; used on a value instead of a condition they never match.
_CONDITION_KEYS = frozenset({"$or", "$nor", "$and", "$savedGroup"})
# What a malformed condition raises while being evaluated: it fails as a whole.
_EVALUATION_ERRORS = (TypeError, ValueError, AttributeError, IndexError, RecursionError)
_ARRAY_INDEX_LIMIT = 2**32 - 1


def eval_condition(
    attributes: Mapping[str, Any],
    condition: Mapping[str, Any],
    saved_groups: Mapping[str, Any] | None = None,
) -> bool:
    """Whether `attributes` satisfy `condition` (an empty condition matches everyone).

    `saved_groups` maps a group id to its members (a list, or `{"type": "list", "attributeKey":
    ..., "values": [...]}`) or to a shared condition (`{"type": "condition", "condition": {...}}`),
    for the `$inGroup`, `$notInGroup` and `$savedGroup` operators.
    """
    try:
        return _condition(attributes, condition, saved_groups, frozenset()) is True
    except _EVALUATION_ERRORS:
        # Failing the whole condition keeps `$not` from turning an error into a match.
        return False


def _negate(verdict: Verdict) -> Verdict:
    return None if verdict is None else not verdict


def _condition(
    attributes: Any, condition: Any, groups: Mapping[str, Any] | None, visited: frozenset[str]
) -> Verdict:
    verdict: Verdict = True
    for key, value in condition.items():
        result: Verdict
        if key == "$or":
            result = _any(attributes, value, groups, visited)
        elif key == "$nor":
            result = _negate(_any(attributes, value, groups, visited))
        elif key == "$and":
            result = _all(attributes, value, groups, visited)
        elif key == "$not":
            result = _negate(_condition(attributes, value, groups, visited))
        elif key == "$savedGroup":
            result = _saved_group(attributes, value, groups, visited)
        elif key == "$savedGroups":
            result = False
        else:
            result = _value_matches(value, get_path(attributes, key), groups, visited)
        if result is False:
            return False
        if result is None:
            verdict = None
    return verdict


def _any(
    attributes: Any, conditions: Any, groups: Mapping[str, Any] | None, visited: frozenset[str]
) -> Verdict:
    if len(conditions) == 0:
        return True
    verdict: Verdict = False
    for condition in conditions:
        result = _condition(attributes, condition, groups, visited)
        if result is True:
            return True
        if result is None:
            verdict = None
    return verdict


def _all(
    attributes: Any, conditions: Any, groups: Mapping[str, Any] | None, visited: frozenset[str]
) -> Verdict:
    verdict: Verdict = True
    for condition in conditions:
        result = _condition(attributes, condition, groups, visited)
        if result is False:
            return False
        if result is None:
            verdict = None
    return verdict


def _saved_group(
    attributes: Any, reference: Any, groups: Mapping[str, Any] | None, visited: frozenset[str]
) -> Verdict:
    if not isinstance(reference, dict):
        return False
    group_id = reference.get("id")
    if not isinstance(group_id, str) or group_id in visited:
        return False
    if "attributeKey" in reference and not isinstance(reference["attributeKey"], str):
        return False
    entry = groups.get(group_id) if groups is not None else None
    if not isinstance(entry, dict):
        return False
    kind = entry.get("type")
    if kind == "list":
        key = reference.get("attributeKey", entry.get("attributeKey"))
        values = entry.get("values")
        if not isinstance(key, str) or not isinstance(values, list):
            return False
        return _is_in(values, get_path(attributes, key))
    if kind == "condition":
        condition = entry.get("condition")
        if not isinstance(condition, dict):
            return False
        return _condition(attributes, condition, groups, visited | {group_id})
    return None  # a group type added after this evaluator was written


def _group_members(groups: Mapping[str, Any] | None, group_id: Any) -> list[Any] | None:
    """The members of a list group; [] for an absent group, None for a malformed one."""
    if groups is None or group_id not in groups:
        return []
    entry = groups[group_id]
    if isinstance(entry, list):
        return entry
    if isinstance(entry, dict) and entry.get("type") == "list":
        values = entry.get("values")
        if isinstance(values, list):
            return values
    return None


def get_path(attributes: Any, path: str) -> Any:
    """The value at a dotted path (`"app.version"`, `"tags.0"`, `"tags.length"`), or None.

    As in JavaScript, only own keys count: a list exposes its indices and `length`.
    """
    if type(attributes) is dict and "." not in path:
        return attributes.get(path)
    current = attributes
    for segment in path.split("."):
        if isinstance(current, dict) and segment in current:
            current = current[segment]
        elif isinstance(current, list) and segment == "length":
            current = len(current)
        elif isinstance(current, list) and _is_array_index(segment, len(current)):
            current = current[int(segment)]
        else:
            return None
    return current


def _is_array_index(key: str, length: int) -> bool:
    # Canonical indices only ("0", "12"; not "01" or "-0"); checked before int() on long input.
    return (
        len(key) <= 10
        and key.isascii()
        and key.isdigit()
        and (key == "0" or key[0] != "0")
        and int(key) < length
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_TYPE_NAMES: dict[type, str] = {
    type(None): "null",
    bool: "boolean",
    int: "number",
    float: "number",
    str: "string",
    list: "array",
    set: "array",
    dict: "object",
}


def get_type(value: Any) -> str:
    """The JSON type name `$type` compares with: null, boolean, number, string, array, object."""
    name = _TYPE_NAMES.get(type(value))
    if name is not None:
        return name
    if isinstance(value, bool):
        return "boolean"
    if _is_number(value):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, set)):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "unknown"


def _is_operator_object(value: Any) -> bool:
    if type(value) is not dict:
        return isinstance(value, dict) and all(key.startswith("$") for key in value)
    return all(key.startswith("$") for key in value)


def _value_matches(
    expected: Any,
    actual: Any,
    groups: Mapping[str, Any] | None,
    visited: frozenset[str],
    insensitive: bool = False,
) -> Verdict:
    if _is_operator_object(expected):
        verdict: Verdict = True
        for operator, operand in expected.items():
            result = _operator(operator, actual, operand, groups, visited)
            if result is False:
                return False
            if result is None:
                verdict = None
        return verdict
    if insensitive and isinstance(expected, str) and isinstance(actual, str):
        return expected.lower() == actual.lower()
    return _json_equal(expected, actual)


def _json_equal(a: Any, b: Any) -> bool:
    """Literal equality as JavaScript compares `JSON.stringify` output: same JSON types all the
    way down (True is not 1), object keys in the same order, NaN and Infinity as null."""
    kind = get_type(a)
    if kind != get_type(b):
        return False
    if kind == "array":
        return len(a) == len(b) and all(
            _json_equal(_as_json(x), _as_json(y)) for x, y in zip(a, b, strict=True)
        )
    if kind == "object":
        return _js_key_order(a) == _js_key_order(b) and all(
            _json_equal(_as_json(a[key]), _as_json(b[key])) for key in a
        )
    return bool(a == b)


def _js_key_order(value: dict[Any, Any]) -> list[Any]:
    # JavaScript lists integer-like keys first, ascending, then the rest in insertion order.
    def is_index(key: Any) -> bool:
        return isinstance(key, str) and _is_array_index(key, _ARRAY_INDEX_LIMIT)

    keys = list(value)
    return sorted((key for key in keys if is_index(key)), key=int) + [
        key for key in keys if not is_index(key)
    ]


def _as_json(value: Any) -> Any:
    return None if isinstance(value, float) and not math.isfinite(value) else value


_PRIMITIVES = frozenset({str, int, float, bool, type(None)})


def _strict_equal(a: Any, b: Any) -> bool:
    """JavaScript `===` between two separately parsed JSON values: arrays and objects never are."""
    if type(a) is type(b) and type(a) in _PRIMITIVES:
        return bool(a == b)
    kind = get_type(a)
    if kind != get_type(b) or kind in ("array", "object"):
        return False
    return bool(a == b)


def _is_in(expected: list[Any], actual: Any, insensitive: bool = False) -> bool:
    """`$in`: the value, or any element of an array value, strictly equals one of `expected`."""
    if insensitive:
        expected = [item.lower() if isinstance(item, str) else item for item in expected]
    candidates = actual if isinstance(actual, list) else [actual]
    for candidate in candidates:
        if insensitive and isinstance(candidate, str):
            candidate = candidate.lower()
        if any(_strict_equal(candidate, item) for item in expected):
            return True
    return False


def _is_in_all(
    expected: list[Any],
    actual: Any,
    groups: Mapping[str, Any] | None,
    visited: frozenset[str],
    insensitive: bool,
) -> Verdict:
    if not isinstance(actual, list):
        return False
    verdict: Verdict = True
    for wanted in expected:
        found: Verdict = False
        for item in actual:
            result = _value_matches(wanted, item, groups, visited, insensitive)
            if result is True:
                found = True
                break
            if result is None:
                found = None
        if found is False:
            return False
        if found is None:
            verdict = None
    return verdict


def _elem_match(
    condition: Any, actual: Any, groups: Mapping[str, Any] | None, visited: frozenset[str]
) -> Verdict:
    if not isinstance(actual, list):
        return False
    # Operators test each element itself; anything else tests each element's fields.
    on_value = _is_operator_object(condition) and not any(
        key in _CONDITION_KEYS for key in condition
    )
    verdict: Verdict = False
    for item in actual:
        if item is None:
            continue
        if on_value:
            result = _value_matches(condition, item, groups, visited)
        else:
            result = _condition(item, condition, groups, visited)
        if result is True:
            return True
        if result is None:
            verdict = None
    return verdict


def _is_orderable(a: Any, b: Any) -> bool:
    return (_is_number(a) and _is_number(b)) or (isinstance(a, str) and isinstance(b, str))


def _compare(a: Any, b: Any) -> int | None:
    """-1, 0 or 1; None when NaN makes the pair unordered. Strings compare by UTF-16 code unit."""
    if (isinstance(a, float) and math.isnan(a)) or (isinstance(b, float) and math.isnan(b)):
        return None
    if isinstance(a, str) and not (a.isascii() and b.isascii()):
        a, b = a.encode("utf-16-be", "surrogatepass"), b.encode("utf-16-be", "surrogatepass")
    return int(a > b) - int(a < b)


def padded_version_string(version: Any) -> str:
    """A version string that compares correctly as text (`v1.10.0` sorts after `v1.9.2`).

    Numeric parts are left-padded to five characters; a release without a pre-release tag gets
    `~` appended so that it sorts after its pre-releases. Numbers are read as JavaScript writes
    them; anything else that is empty or not a string counts as "0".
    """
    if _is_number(version):
        version = js_number_to_string(version)
    if not version or not isinstance(version, str):
        version = "0"
    return _padded(version)


_VERSION_STRIP = re.compile(r"(^v|\+.*$)")
_VERSION_SPLIT = re.compile(r"[-.]")


@lru_cache(maxsize=4096)
def _padded(version: str) -> str:
    parts = _VERSION_SPLIT.split(_VERSION_STRIP.sub("", version))
    if len(parts) == 3:
        parts.append("~")
    return "-".join(part.rjust(5, " ") if part.isdigit() else part for part in parts)


@lru_cache(maxsize=4096)
def _regex(pattern: str, ignore_case: bool) -> re.Pattern[str] | None:
    """A compiled pattern, cached (targeting rules reuse a handful), or None when invalid."""
    try:
        return re.compile(pattern, re.IGNORECASE if ignore_case else 0)
    except (re.error, RecursionError, OverflowError, ValueError):
        return None


def _regex_matches(pattern: Any, actual: Any, ignore_case: bool) -> bool | None:
    """Whether a string matches; None when the pattern is invalid or the value not a string."""
    if not isinstance(pattern, str) or not isinstance(actual, str):
        return None
    compiled = _regex(pattern, ignore_case)
    if compiled is None:
        return None
    return compiled.search(actual) is not None


def _operator(
    operator: str,
    actual: Any,
    operand: Any,
    groups: Mapping[str, Any] | None,
    visited: frozenset[str],
) -> Verdict:
    if operator == "$eq":
        return _strict_equal(actual, operand)
    if operator == "$ne":
        return not _strict_equal(actual, operand)
    if operator in ("$lt", "$lte", "$gt", "$gte"):
        if not _is_orderable(actual, operand):
            return False
        order = _compare(actual, operand)
        if order is None:
            return False
        if operator == "$lt":
            return order < 0
        if operator == "$lte":
            return order <= 0
        if operator == "$gt":
            return order > 0
        return order >= 0
    if operator in ("$veq", "$vne", "$vlt", "$vlte", "$vgt", "$vgte"):
        if not _is_orderable(actual, operand):
            return operator == "$vne"
        have, want = padded_version_string(actual), padded_version_string(operand)
        if operator == "$veq":
            return have == want
        if operator == "$vne":
            return have != want
        if operator == "$vlt":
            return have < want
        if operator == "$vlte":
            return have <= want
        if operator == "$vgt":
            return have > want
        return have >= want
    if operator in ("$regex", "$regexi"):
        return _regex_matches(operand, actual, operator == "$regexi") is True
    if operator in ("$notRegex", "$notRegexi"):
        # A missing value or a bad pattern "does not match", so the negation passes.
        return _regex_matches(operand, actual, operator == "$notRegexi") is not True
    if operator in ("$in", "$nin", "$ini", "$nini"):
        if not isinstance(operand, list):
            return False
        found = _is_in(operand, actual, insensitive=operator in ("$ini", "$nini"))
        return found if operator in ("$in", "$ini") else not found
    if operator in ("$all", "$alli"):
        if not isinstance(operand, list):
            return False
        return _is_in_all(operand, actual, groups, visited, operator == "$alli")
    if operator == "$elemMatch":
        return _elem_match(operand, actual, groups, visited)
    if operator == "$size":
        if not isinstance(actual, list):
            return False
        return _value_matches(operand, len(actual), groups, visited)
    if operator == "$exists":
        return actual is not None if operand else actual is None
    if operator == "$type":
        return bool(get_type(actual) == operand)
    if operator == "$not":
        return _negate(_value_matches(operand, actual, groups, visited))
    if operator in ("$inGroup", "$notInGroup"):
        if not isinstance(operand, str):
            return False
        entry = groups.get(operand) if groups is not None else None
        if isinstance(entry, dict) and entry.get("type") not in ("list", "condition"):
            return None
        members = _group_members(groups, operand)
        if members is None:
            return False
        found = _is_in(members, actual)
        return found if operator == "$inGroup" else not found
    if operator in _CONDITION_KEYS:
        return False
    return None
