"""GrowthBook's targeting language: MongoDB-style conditions on a creator's attributes.

`eval_condition({"country": "BR", "app": {"version": "34.1.0"}},
{"country": {"$in": ["BR", "PT"]}, "app.version": {"$vgte": "34.0.0"}})` is True.

Semantics follow the GrowthBook SDKs, including their treatment of bad input: a malformed
condition or an invalid regular expression makes the condition fail, it never raises. An
operator this module does not know makes the condition fail as well, even under `$not`
(evaluation is three-valued internally: True, False or "unknown", and only True passes).

Conditions are compiled once into nested closures (`compile_condition`); `Flags.from_payload`
does it for every rule, so a flag evaluation runs no interpreter. Everything that does not
depend on the creator is decided at compile time: operators are resolved, `$in` lists become
sets, regular expressions and version operands are prepared, saved groups are looked up. A
malformed part compiles into a node that fails when (and only when) evaluation reaches it, so
short-circuits (`$or` stopping at its first match) behave as in the SDKs.
"""

from __future__ import annotations

import math
import operator as op
import re
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from academy.experiments.assignment.hashing import js_number_to_string

__all__ = [
    "Predicate",
    "compile_condition",
    "eval_condition",
    "get_path",
    "get_type",
    "padded_version_string",
]

# True, False, or None when the answer depends on something this evaluator does not support.
Verdict = bool | None
# A compiled node: tests a value (an attribute, or the attributes themselves) → a verdict.
Node = Callable[[Any], Verdict]
# A compiled condition: whether a creator's attributes satisfy it.
Predicate = Callable[[Mapping[str, Any]], bool]

# Keys that combine conditions; used on a value instead of a condition they never match.
_CONDITION_KEYS = frozenset({"$or", "$nor", "$and", "$savedGroup"})
# What a malformed condition raises while being evaluated: it fails as a whole.
_EVALUATION_ERRORS = (TypeError, ValueError, AttributeError, IndexError, RecursionError)
_ARRAY_INDEX_LIMIT = 2**32 - 1
_NUMBER_TYPES = (int, float)


class _MalformedConditionError(ValueError):
    """Evaluation reached a part of the condition that cannot be evaluated."""


def eval_condition(
    attributes: Mapping[str, Any],
    condition: Mapping[str, Any],
    saved_groups: Mapping[str, Any] | None = None,
) -> bool:
    """Whether `attributes` satisfy `condition` (an empty condition matches everyone).

    `saved_groups` maps a group id to its members (a list, or `{"type": "list", "attributeKey":
    ..., "values": [...]}`) or to a shared condition (`{"type": "condition", "condition": {...}}`),
    for the `$inGroup`, `$notInGroup` and `$savedGroup` operators.

    This compiles the condition for one evaluation; to test many creators, compile it once with
    `compile_condition`.
    """
    return compile_condition(condition, saved_groups)(attributes)


def compile_condition(
    condition: Mapping[str, Any], saved_groups: Mapping[str, Any] | None = None
) -> Predicate:
    """`condition` (with the `saved_groups` it may refer to) as a function of the attributes.

    `compile_condition(c, groups)(attributes) == eval_condition(attributes, c, groups)` always;
    compiling never raises, whatever the condition holds.
    """
    try:
        node = _Compiler(saved_groups).condition(condition, frozenset())
    except RecursionError:  # nested deeper than any evaluation could go
        return _never

    def matches(attributes: Mapping[str, Any]) -> bool:
        try:
            return node(attributes) is True
        except _EVALUATION_ERRORS:
            # Failing the whole condition keeps `$not` from turning an error into a match.
            return False

    return matches


def _never(_attributes: Mapping[str, Any]) -> bool:
    return False


# ---------------------------------------------------------------------------------------------
# Constant nodes and combinators


def _true(_value: Any) -> Verdict:
    return True


def _false(_value: Any) -> Verdict:
    return False


def _unknown(_value: Any) -> Verdict:
    return None


def _malformed(_value: Any) -> Verdict:
    raise _MalformedConditionError


def _every(parts: Sequence[Node]) -> Node:
    """Three-valued AND, in order, stopping at the first False."""
    if not parts:
        return _true
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        first, second = parts

        def both(value: Any) -> Verdict:
            a = first(value)
            if a is False:
                return False
            b = second(value)
            if b is False:
                return False
            return None if a is None or b is None else True

        return both
    nodes = tuple(parts)

    def every(value: Any) -> Verdict:
        verdict: Verdict = True
        for node in nodes:
            result = node(value)
            if result is False:
                return False
            if result is None:
                verdict = None
        return verdict

    return every


def _some(parts: Sequence[Node]) -> Node:
    """Three-valued OR of at least one part, in order, stopping at the first True."""
    nodes = tuple(parts)

    def some(value: Any) -> Verdict:
        verdict: Verdict = False
        for node in nodes:
            result = node(value)
            if result is True:
                return True
            if result is None:
                verdict = None
        return verdict

    return some


def _negate(node: Node) -> Node:
    def negated(value: Any) -> Verdict:
        result = node(value)
        return None if result is None else not result

    return negated


def _field(path: str, node: Node) -> Node:
    """Test the attribute at `path` (read as `get_path` reads it) with `node`."""
    if "." not in path:

        def plain(attributes: Any) -> Verdict:
            if type(attributes) is dict:
                return node(attributes.get(path))
            return node(get_path(attributes, path))

        return plain
    segments = tuple(path.split("."))

    def nested(attributes: Any) -> Verdict:
        return node(_walk(attributes, segments))

    return nested


def _operator_object(value: Any) -> bool | None:
    """Whether every key is an operator (`$…`); None when a key is not text (malformed)."""
    if not isinstance(value, dict):
        return False
    for key in value:
        if not isinstance(key, str):
            return None
        if not key.startswith("$"):
            return False
    return True


# ---------------------------------------------------------------------------------------------
# The compiler


class _Compiler:
    """Compiles one condition against one set of saved groups."""

    def __init__(self, groups: Mapping[str, Any] | None) -> None:
        self.groups = groups
        self.saved: dict[tuple[str, frozenset[str]], Node] = {}

    def condition(self, condition: Any, visited: frozenset[str]) -> Node:
        """A condition object tested on attributes (or on an element, under `$elemMatch`)."""
        if not isinstance(condition, Mapping):
            return _malformed
        return _every([self.entry(key, value, visited) for key, value in condition.items()])

    def entry(self, key: Any, value: Any, visited: frozenset[str]) -> Node:
        if key == "$or":
            return self.any_of(value, visited)
        if key == "$nor":
            return _negate(self.any_of(value, visited))
        if key == "$and":
            return self.all_of(value, visited)
        if key == "$not":
            return _negate(self.condition(value, visited))
        if key == "$savedGroup":
            return self.saved_group(value, visited)
        if key == "$savedGroups":
            return _false
        if not isinstance(key, str):
            return _malformed
        return _field(key, self.value(value, visited))

    def any_of(self, conditions: Any, visited: frozenset[str]) -> Node:
        try:
            count = len(conditions)
            items = list(conditions)
        except TypeError:
            return _malformed
        if count == 0:
            return _true
        return _some([self.condition(item, visited) for item in items])

    def all_of(self, conditions: Any, visited: frozenset[str]) -> Node:
        try:
            items = list(conditions)
        except TypeError:
            return _malformed
        return _every([self.condition(item, visited) for item in items])

    def saved_group(self, reference: Any, visited: frozenset[str]) -> Node:
        if not isinstance(reference, dict):
            return _false
        group_id = reference.get("id")
        if not isinstance(group_id, str) or group_id in visited:
            return _false
        if "attributeKey" in reference and not isinstance(reference["attributeKey"], str):
            return _false
        entry = self.groups.get(group_id) if self.groups is not None else None
        if not isinstance(entry, dict):
            return _false
        kind = entry.get("type")
        if kind == "list":
            key = reference.get("attributeKey", entry.get("attributeKey"))
            values = entry.get("values")
            if not isinstance(key, str) or not isinstance(values, list):
                return _false
            return _field(key, _is_in_node(values, False, negated=False))
        if kind == "condition":
            condition = entry.get("condition")
            if not isinstance(condition, dict):
                return _false
            memo = (group_id, visited)
            if memo not in self.saved:
                self.saved[memo] = self.condition(condition, visited | {group_id})
            return self.saved[memo]
        return _unknown  # a group type added after this evaluator was written

    def value(self, expected: Any, visited: frozenset[str], insensitive: bool = False) -> Node:
        """What a value is compared with: an object of operators, or a literal."""
        is_operators = _operator_object(expected)
        if is_operators is None:
            return _malformed
        if is_operators:
            return _every(
                [self.operator(name, operand, visited) for name, operand in expected.items()]
            )
        if insensitive and isinstance(expected, str):
            lowered = expected.lower()

            def equal_ignoring_case(actual: Any) -> Verdict:
                return isinstance(actual, str) and actual.lower() == lowered

            return equal_ignoring_case
        return _json_equal_node(expected)

    def operator(self, name: str, operand: Any, visited: frozenset[str]) -> Node:
        if name == "$eq":
            return _strict_equal_node(operand)
        if name == "$ne":
            return _negate(_strict_equal_node(operand))
        if name in _ORDER:
            return _order_node(_ORDER[name], operand)
        if name in _VERSION_ORDER:
            return _version_node(name, operand)
        if name in ("$regex", "$regexi", "$notRegex", "$notRegexi"):
            return _regex_node(operand, ignore_case=name.endswith("i"), negated="not" in name)
        if name in ("$in", "$nin", "$ini", "$nini"):
            if not isinstance(operand, list):
                return _false
            return _is_in_node(operand, name.endswith("i"), negated=name.startswith("$n"))
        if name in ("$all", "$alli"):
            if not isinstance(operand, list):
                return _false
            return self.all_elements(operand, visited, name == "$alli")
        if name == "$elemMatch":
            return self.elem_match(operand, visited)
        if name == "$size":
            return _size_node(self.value(operand, visited))
        if name == "$exists":
            return _exists_node(operand)
        if name == "$type":

            def has_type(actual: Any) -> Verdict:
                return bool(get_type(actual) == operand)

            return has_type
        if name == "$not":
            return _negate(self.value(operand, visited))
        if name in ("$inGroup", "$notInGroup"):
            return self.in_group(operand, negated=name == "$notInGroup")
        if name in _CONDITION_KEYS:
            return _false
        return _unknown

    def all_elements(self, expected: list[Any], visited: frozenset[str], insensitive: bool) -> Node:
        """`$all`: every expected value matches some element of an array."""
        wanted = tuple(self.value(item, visited, insensitive) for item in expected)

        def all_found(actual: Any) -> Verdict:
            if not isinstance(actual, list):
                return False
            verdict: Verdict = True
            for node in wanted:
                found: Verdict = False
                for item in actual:
                    result = node(item)
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

        return all_found

    def elem_match(self, condition: Any, visited: frozenset[str]) -> Node:
        """`$elemMatch`: some element (not null) matches; operators test the element itself,
        anything else tests the element's fields."""
        is_operators = _operator_object(condition)
        if is_operators is None:

            def malformed(actual: Any) -> Verdict:
                if not isinstance(actual, list):
                    return False
                raise _MalformedConditionError

            return malformed
        on_value = is_operators and not any(key in _CONDITION_KEYS for key in condition)
        node = self.value(condition, visited) if on_value else self.condition(condition, visited)

        def some_element(actual: Any) -> Verdict:
            if not isinstance(actual, list):
                return False
            verdict: Verdict = False
            for item in actual:
                if item is None:
                    continue
                result = node(item)
                if result is True:
                    return True
                if result is None:
                    verdict = None
            return verdict

        return some_element

    def in_group(self, group_id: Any, *, negated: bool) -> Node:
        if not isinstance(group_id, str):
            return _false
        groups = self.groups
        entry = groups.get(group_id) if groups is not None else None
        if isinstance(entry, dict) and entry.get("type") not in ("list", "condition"):
            return _unknown
        members: Any = [] if groups is None or group_id not in groups else groups[group_id]
        if isinstance(members, dict):
            members = members.get("values") if members.get("type") == "list" else None
        if not isinstance(members, list):
            return _false  # a malformed group
        return _is_in_node(members, False, negated=negated)


# ---------------------------------------------------------------------------------------------
# Operator nodes


def _is_number(value: Any) -> bool:
    return isinstance(value, _NUMBER_TYPES) and type(value) is not bool


def _strict_equal_node(operand: Any) -> Node:
    """JavaScript `===` with a literal from the condition (arrays and objects never are)."""
    if isinstance(operand, str):

        def equal_text(actual: Any) -> Verdict:
            return isinstance(actual, str) and actual == operand

        return equal_text
    if operand is None or isinstance(operand, bool):

        def identical(actual: Any) -> Verdict:
            return actual is operand

        return identical
    if _is_number(operand):

        def equal_number(actual: Any) -> Verdict:
            return (
                isinstance(actual, _NUMBER_TYPES) and type(actual) is not bool and actual == operand
            )

        return equal_number

    def equal(actual: Any) -> Verdict:
        return _strict_equal(actual, operand)

    return equal


_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "$lt": op.lt,
    "$lte": op.le,
    "$gt": op.gt,
    "$gte": op.ge,
}


def _order_node(compare: Callable[[Any, Any], bool], operand: Any) -> Node:
    """`$lt $lte $gt $gte`: numbers with numbers, text with text (by UTF-16 code unit)."""
    if _is_number(operand):

        def number_order(actual: Any) -> Verdict:
            # NaN compares false every way, as the SDKs' comparisons do.
            return (
                isinstance(actual, _NUMBER_TYPES)
                and type(actual) is not bool
                and compare(actual, operand)
            )

        return number_order
    if not isinstance(operand, str):
        return _false
    operand_ascii = operand.isascii()
    encoded = _utf16(operand)

    def text_order(actual: Any) -> Verdict:
        if not isinstance(actual, str):
            return False
        if operand_ascii and actual.isascii():
            return compare(actual, operand)
        return compare(_utf16(actual), encoded)

    return text_order


def _utf16(text: str) -> bytes:
    return text.encode("utf-16-be", "surrogatepass")


_VERSION_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "$veq": op.eq,
    "$vne": op.ne,
    "$vlt": op.lt,
    "$vlte": op.le,
    "$vgt": op.gt,
    "$vgte": op.ge,
}


def _version_node(name: str, operand: Any) -> Node:
    """Version comparisons: text with text, numbers with numbers; otherwise only `$vne` holds."""
    compare = _VERSION_ORDER[name]
    mismatch = name == "$vne"
    if isinstance(operand, str):
        wanted = padded_version_string(operand)

        def text_version(actual: Any) -> Verdict:
            if not isinstance(actual, str):
                return mismatch
            return compare(_padded(actual or "0"), wanted)

        return text_version
    if _is_number(operand):
        wanted = padded_version_string(operand)

        def number_version(actual: Any) -> Verdict:
            if not _is_number(actual):
                return mismatch
            return compare(padded_version_string(actual), wanted)

        return number_version
    return _true if mismatch else _false


def _regex_node(pattern: Any, *, ignore_case: bool, negated: bool) -> Node:
    """`$regex`/`$regexi` on text; `$notRegex` passes where those would not (a bad pattern, a
    value that is not text)."""
    compiled = _regex(pattern, ignore_case) if isinstance(pattern, str) else None
    if compiled is None:
        return _true if negated else _false
    search = compiled.search
    if negated:

        def does_not_match(actual: Any) -> Verdict:
            return not isinstance(actual, str) or search(actual) is None

        return does_not_match

    def matches(actual: Any) -> Verdict:
        return isinstance(actual, str) and search(actual) is not None

    return matches


def _is_in_node(expected: list[Any], insensitive: bool, *, negated: bool) -> Node:
    """`$in` (and `$nin`, `$ini`, `$nini`, groups): the value, or any element of an array value,
    strictly equals one of `expected`. The candidates are sorted into sets by JSON type once."""
    kinds = [get_type(item) for item in expected]
    if "unknown" in kinds:  # not JSON: compare one by one

        def is_in_any(actual: Any) -> Verdict:
            return _is_in(expected, actual, insensitive) is not negated

        return is_in_any
    texts = frozenset(
        item.lower() if insensitive else item for item in expected if isinstance(item, str)
    )
    numbers = frozenset(
        item
        for item in expected
        if _is_number(item) and not (isinstance(item, float) and math.isnan(item))
    )
    flags = frozenset(item for item in expected if isinstance(item, bool))
    has_null = any(item is None for item in expected)

    def one(candidate: Any) -> bool:
        if isinstance(candidate, str):
            return (candidate.lower() if insensitive else candidate) in texts
        if candidate is None:
            return has_null
        if isinstance(candidate, bool):
            return candidate in flags
        if isinstance(candidate, _NUMBER_TYPES):
            return candidate in numbers
        return False  # arrays and objects are never strictly equal

    if texts and not (numbers or flags or has_null) and not insensitive:
        # The common case, `{"country": {"$in": ["BR", "PT"]}}`.
        def is_in_texts(actual: Any) -> Verdict:
            if isinstance(actual, str):
                return (actual in texts) is not negated
            if isinstance(actual, list):
                for candidate in actual:
                    if isinstance(candidate, str) and candidate in texts:
                        return not negated
            return negated

        return is_in_texts

    def is_in(actual: Any) -> Verdict:
        if isinstance(actual, list):
            for candidate in actual:
                if one(candidate):
                    return not negated
            return negated
        return one(actual) is not negated

    return is_in


def _size_node(node: Node) -> Node:
    def size(actual: Any) -> Verdict:
        if not isinstance(actual, list):
            return False
        return node(len(actual))

    return size


def _exists_node(operand: Any) -> Node:
    try:
        wanted = bool(operand)
    except _EVALUATION_ERRORS:
        return _malformed
    if wanted:

        def exists(actual: Any) -> Verdict:
            return actual is not None

        return exists

    def missing(actual: Any) -> Verdict:
        return actual is None

    return missing


def _json_equal_node(expected: Any) -> Node:
    """Literal equality (`{"country": "BR"}`): same JSON type and value."""
    kind = get_type(expected)
    if kind == "string":

        def equal_text(actual: Any) -> Verdict:
            return isinstance(actual, str) and actual == expected

        return equal_text
    if kind in ("boolean", "null"):

        def identical(actual: Any) -> Verdict:
            return actual is expected

        return identical

    def equal(actual: Any) -> Verdict:
        return _json_equal(expected, actual)

    return equal


# ---------------------------------------------------------------------------------------------
# Values: paths, types, equality, versions


def get_path(attributes: Any, path: str) -> Any:
    """The value at a dotted path (`"app.version"`, `"tags.0"`, `"tags.length"`), or None.

    As in JavaScript, only own keys count: a list exposes its indices and `length`.
    """
    if type(attributes) is dict and "." not in path:
        return attributes.get(path)
    return _walk(attributes, path.split("."))


def _walk(attributes: Any, segments: Sequence[str]) -> Any:
    current = attributes
    for segment in segments:
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
