"""Hypothesis strategies for creators, targeting conditions and feature payloads.

The values stay inside what JSON can carry (no NaN, no infinities), since that is all a
payload or a creator's attributes can hold.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

SHORT_TEXT = st.text(alphabet="abAB01.-é𝒜", max_size=4)
NUMBERS = st.integers(-3, 3) | st.floats(-3, 3, allow_nan=False, width=32)
SCALARS = st.none() | st.booleans() | NUMBERS | SHORT_TEXT
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(SHORT_TEXT, inner, max_size=3),
    max_leaves=6,
)
VERSIONS = (
    st.sampled_from(
        [
            "1.2.3",
            "v1.10.0",
            "1.9.2",
            "1.2.3-rc.1",
            "1.2.3-beta",
            "1.2.3+build7",
            "2",
            "1.2",
            "",
            "v",
        ]
    )
    | st.integers(0, 12)
    | st.floats(0, 12, allow_nan=False, width=16)
)
PATTERNS = st.sampled_from(["^a", "b$", "a.*b", "(", "[a-", "\\d", "A", "^$", "é", "a|b"])
COUNTRIES = st.sampled_from(["BR", "br", "US", "PT", "MX", ""])
ATTRIBUTE_PATHS = (
    "country",
    "followers",
    "verified",
    "tags",
    "tags.0",
    "tags.length",
    "app",
    "app.version",
    "language",
    "missing",
    "nested.a.b",
)


SAVED_GROUPS: dict[str, Any] = {
    "beta": ["BR", "PT", 3, True],
    "nested-group": {"type": "condition", "condition": {"country": {"$in": ["BR", "US"]}}},
    # Groups referring to each other: evaluation must stop, not loop.
    "cycle-a": {
        "type": "condition",
        "condition": {"$or": [{"followers": {"$gt": 1}}, {"$savedGroup": {"id": "cycle-b"}}]},
    },
    "cycle-b": {"type": "condition", "condition": {"$savedGroup": {"id": "cycle-a"}}},
    "lusophone": {"type": "list", "attributeKey": "country", "values": ["BR", "PT"]},
    "future-kind": {"type": "segment", "id": "s1"},
}
GROUP_IDS = ("beta", "nested-group", "cycle-a", "cycle-b", "lusophone", "future-kind", "absent")


@st.composite
def creators(draw: st.DrawFn) -> dict[str, Any]:
    """Attributes of a creator, some of them missing, null or of an unexpected type."""
    candidates: dict[str, st.SearchStrategy[Any]] = {
        "id": st.text(alphabet="abcdef0123456789-", min_size=1, max_size=12)
        | st.integers(1, 10**6)
        | st.sampled_from(["", None, 0, 1.5, True]),
        "device": st.text(alphabet="xyz789", min_size=1, max_size=6) | st.none(),
        "country": COUNTRIES | JSON_VALUES,
        "followers": st.integers(0, 10**6) | NUMBERS | SHORT_TEXT,
        "verified": st.booleans() | st.none(),
        "tags": st.lists(SHORT_TEXT | NUMBERS | st.none(), max_size=4) | SHORT_TEXT,
        "app": st.fixed_dictionaries({"version": VERSIONS}) | st.none(),
        "language": st.sampled_from(["en", "es", "pt-BR", "EN"]) | JSON_VALUES,
        "nested": st.fixed_dictionaries({"a": st.fixed_dictionaries({"b": SCALARS})}) | SCALARS,
    }
    chosen = draw(st.sets(st.sampled_from(sorted(candidates))))
    return {name: draw(candidates[name]) for name in sorted(chosen)}


def _operand(operator: str) -> st.SearchStrategy[Any]:
    if operator in ("$in", "$nin", "$ini", "$nini", "$all", "$alli"):
        return st.lists(COUNTRIES | SCALARS, max_size=4) | SCALARS
    if operator.startswith("$v"):
        return VERSIONS | SCALARS
    if operator in ("$regex", "$regexi", "$notRegex", "$notRegexi"):
        return PATTERNS | SCALARS
    if operator == "$exists":
        return st.booleans() | SCALARS
    if operator == "$type":
        return st.sampled_from(["string", "number", "boolean", "array", "object", "null"])
    if operator == "$size":
        return st.integers(0, 4) | st.fixed_dictionaries({"$gt": st.integers(0, 3)})
    if operator in ("$gt", "$gte", "$lt", "$lte"):
        return NUMBERS | COUNTRIES | SCALARS
    if operator in ("$inGroup", "$notInGroup"):
        return st.sampled_from(GROUP_IDS)
    return SCALARS | COUNTRIES


OPERATORS = (
    "$eq",
    "$ne",
    "$gt",
    "$gte",
    "$lt",
    "$lte",
    "$in",
    "$nin",
    "$ini",
    "$nini",
    "$all",
    "$alli",
    "$exists",
    "$type",
    "$size",
    "$regex",
    "$regexi",
    "$notRegex",
    "$notRegexi",
    "$veq",
    "$vne",
    "$vgt",
    "$vgte",
    "$vlt",
    "$vlte",
    "$inGroup",
    "$notInGroup",
    "$unknownOperator",
)


# What a malformed condition holds where a condition or a list of them belongs.
JUNK: st.SearchStrategy[Any] = st.sampled_from(
    ["", "x", 0, 7, None, True, [], ["x"], {}, [{"x": 1}, 2]]
)


@st.composite
def value_conditions(draw: st.DrawFn, depth: int = 2, malformed: bool = False) -> Any:
    """What an attribute is compared with: a literal, or an object of operators.

    `malformed` mixes in junk where conditions belong (as a hand-written payload might).
    """
    if draw(st.integers(0, 4)) == 0:
        return draw(COUNTRIES | JSON_VALUES)
    operators = draw(st.lists(st.sampled_from(OPERATORS), min_size=1, max_size=2, unique=True))
    condition: dict[str, Any] = {operator: draw(_operand(operator)) for operator in operators}
    if depth > 0 and draw(st.integers(0, 5)) == 0:
        condition["$not"] = draw(value_conditions(depth - 1, malformed))
    if depth > 0 and draw(st.integers(0, 6)) == 0:
        condition["$elemMatch"] = draw(
            value_conditions(depth - 1, malformed) | conditions(depth - 1, malformed)
        )
    if malformed and draw(st.integers(0, 3)) == 0:
        name = draw(st.sampled_from(["$elemMatch", "$not", "$size", "$all", "$in"]))
        condition[name] = draw(JUNK)
    return condition


@st.composite
def conditions(draw: st.DrawFn, depth: int = 2, malformed: bool = False) -> Any:
    """A targeting condition on the attributes `creators` draws (with `malformed`, junk where a
    condition or a list of conditions belongs, at any depth)."""
    if malformed and draw(st.integers(0, 6)) == 0:
        return draw(JUNK)
    condition: dict[str, Any] = {}
    for path in draw(st.lists(st.sampled_from(ATTRIBUTE_PATHS), max_size=2, unique=True)):
        condition[path] = draw(value_conditions(depth, malformed))
    if depth > 0:
        combinator = draw(st.sampled_from([None, None, "$or", "$and", "$nor", "$not"]))
        if combinator == "$not":
            condition["$not"] = draw(conditions(depth - 1, malformed))
        elif combinator is not None:
            items = st.lists(conditions(depth - 1, malformed), max_size=3)
            condition[combinator] = draw(items | JUNK if malformed else items)
        if draw(st.integers(0, 8)) == 0:
            condition["$savedGroup"] = {"id": draw(st.sampled_from(GROUP_IDS))}
    if malformed and draw(st.booleans()):
        # Junk first or last: whether evaluation reaches it depends on what comes before.
        condition = dict(draw(st.permutations(list(condition.items()))))
    return condition


# ---------------------------------------------------------------------------------------------
# Feature payloads

FEATURE_KEYS = ("card-design", "feed-ranker", "dark-mode", "quiz-timer")
COVERAGES = st.none() | st.sampled_from([0, 0.25, 0.5, 0.999, 1, 1.5, -0.2])
BOUNDS = st.tuples(st.floats(0, 1), st.floats(0, 1)).map(lambda pair: sorted(pair))
HASH_VERSIONS = st.none() | st.sampled_from([1, 2, 3])


@st.composite
def filters(draw: st.DrawFn) -> list[dict[str, Any]]:
    return [
        {
            "seed": draw(st.sampled_from(["holdout", "exclusion-group"])),
            "ranges": draw(st.lists(BOUNDS, min_size=1, max_size=2)),
            "hashVersion": draw(st.sampled_from([1, 2])),
            "attribute": draw(st.sampled_from(["id", "device"])),
        }
        for _ in range(draw(st.integers(1, 2)))
    ]


def _weights(count: int) -> st.SearchStrategy[Any]:
    valid = st.lists(st.integers(1, 5), min_size=count, max_size=count).map(
        lambda parts: [part / sum(parts) for part in parts]
    )
    return st.none() | valid | st.lists(st.sampled_from([0.5, 0.3, -0.1]), max_size=count + 1)


@st.composite
def rules(draw: st.DrawFn, *, sticky_safe: bool = False) -> dict[str, Any]:
    """A force rule or an experiment rule with any of the fields the SDKs read."""
    rule: dict[str, Any] = {}
    if draw(st.booleans()):
        rule["condition"] = draw(conditions(depth=1))
    if draw(st.integers(0, 3)) == 0:
        rule["filters"] = draw(filters())
    if draw(st.booleans()):
        rule["seed"] = draw(st.sampled_from(["s1", "launch-2026"]))
    hash_version = draw(HASH_VERSIONS)
    if hash_version is not None:
        rule["hashVersion"] = hash_version
    coverage = draw(COVERAGES)
    if coverage is not None:
        rule["coverage"] = coverage
    if not sticky_safe:
        rule["hashAttribute"] = draw(st.sampled_from(["id", "device", "missing"]))
        if draw(st.booleans()):
            rule["fallbackAttribute"] = draw(st.sampled_from(["device", "id"]))
    if draw(st.booleans()):
        rule["force"] = draw(JSON_VALUES.filter(lambda value: value is not None))
        if draw(st.integers(0, 2)) == 0:
            rule["range"] = draw(BOUNDS)
        return rule
    count = draw(st.integers(1, 4))
    rule["variations"] = draw(st.lists(SCALARS, min_size=count, max_size=count))
    rule["weights"] = draw(_weights(count))
    if draw(st.booleans()):
        rule["key"] = draw(st.sampled_from(["exp-a", "exp-b"]))
    if draw(st.integers(0, 3)) == 0:
        rule["namespace"] = ["feed", *draw(BOUNDS)]
    if draw(st.integers(0, 4)) == 0:
        rule["ranges"] = [draw(BOUNDS) for _ in range(count)]
    if draw(st.booleans()):
        rule["meta"] = [
            {"key": f"v{index}", "passthrough": draw(st.integers(0, 5)) == 0}
            for index in range(count)
        ]
    if draw(st.integers(0, 3)) == 0:
        rule["bucketVersion"] = draw(st.integers(0, 2))
        rule["minBucketVersion"] = draw(st.integers(0, 2))
    if draw(st.integers(0, 5)) == 0:
        rule["disableStickyBucketing"] = True
    return rule


@st.composite
def payloads(draw: st.DrawFn, *, sticky_safe: bool = False) -> dict[str, Any]:
    keys = draw(st.lists(st.sampled_from(FEATURE_KEYS), min_size=1, max_size=3, unique=True))
    return {
        "features": {
            key: {
                "defaultValue": draw(JSON_VALUES),
                "rules": draw(st.lists(rules(sticky_safe=sticky_safe), max_size=4)),
            }
            for key in keys
        },
        "savedGroups": SAVED_GROUPS,
    }


STICKY_ASSIGNMENTS = st.dictionaries(
    st.sampled_from(["exp-a__0", "exp-a__1", "exp-b__0", "card-design__0", "feed-ranker__2"]),
    st.sampled_from(["v0", "v1", "v2", "0", "gone"]),
    max_size=3,
)
