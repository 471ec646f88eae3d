"""Targeting conditions: our evaluator against the official GrowthBook SDK, and examples."""

from __future__ import annotations

from typing import Any

from growthbook import core as growthbook
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from academy.experiments.assignment import compile_condition, eval_condition, get_path
from academy.experiments.tests.strategies import SAVED_GROUPS, conditions, creators

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(attributes=creators(), condition=conditions())
def test_conditions_match_growthbook(attributes: dict[str, Any], condition: dict[str, Any]) -> None:
    expected = growthbook.evalCondition(attributes, condition, SAVED_GROUPS)
    assert eval_condition(attributes, condition, SAVED_GROUPS) == expected


@SETTINGS
@given(attributes=creators(), condition=conditions(malformed=True))
def test_malformed_conditions_fail_where_growthbook_fails_them(
    attributes: dict[str, Any], condition: Any
) -> None:
    expected = growthbook.evalCondition(attributes, condition, SAVED_GROUPS)
    assert eval_condition(attributes, condition, SAVED_GROUPS) == expected


@SETTINGS
@given(
    condition=conditions(malformed=True),
    population=st.lists(creators(), min_size=2, max_size=6),
)
def test_a_condition_compiled_once_decides_for_every_creator_as_growthbook_does(
    condition: Any, population: list[dict[str, Any]]
) -> None:
    matches = compile_condition(condition, SAVED_GROUPS)
    expected = [
        growthbook.evalCondition(creator, condition, SAVED_GROUPS) for creator in population
    ]
    assert [matches(creator) for creator in population] == expected


CREATOR = {
    "id": "creator-7",
    "country": "BR",
    "followers": 12_500,
    "verified": True,
    "tags": ["dance", "comedy"],
    "app": {"version": "34.10.2", "platform": "android"},
    "languages": [{"code": "pt-BR", "level": "native"}, {"code": "en", "level": "B2"}],
}


def matches(condition: dict[str, Any]) -> bool:
    return eval_condition(CREATOR, condition)


def test_empty_condition_matches_everyone() -> None:
    assert matches({})


def test_equality_and_comparisons() -> None:
    assert matches({"country": "BR"})
    assert not matches({"country": "br"})
    assert matches({"followers": {"$gte": 10_000, "$lt": 50_000}})
    assert not matches({"followers": {"$gt": "10000"}})  # a number is never compared with text
    assert matches({"country": {"$ne": "US"}})
    assert not matches({"verified": 1})  # true is not 1


def test_membership() -> None:
    assert matches({"country": {"$in": ["BR", "PT"]}})
    assert matches({"country": {"$nin": ["US"]}})
    assert matches({"country": {"$ini": ["br"]}})
    assert matches({"tags": {"$in": ["comedy", "music"]}})  # any element of an array
    assert matches({"tags": {"$all": ["comedy", "dance"]}})
    assert not matches({"tags": {"$all": ["comedy", "music"]}})
    assert not matches({"country": {"$in": "BR"}})  # $in needs a list


def test_nested_attributes_by_dotted_path() -> None:
    assert matches({"app.platform": "android"})
    assert matches({"tags.0": "dance", "tags.length": 2})
    assert get_path(CREATOR, "app.version") == "34.10.2"
    assert get_path(CREATOR, "app.missing.deeper") is None
    assert matches({"app.missing": {"$exists": False}})
    assert not matches({"app.version": {"$exists": False}})


def test_version_comparisons_compare_numbers_not_text() -> None:
    assert matches({"app.version": {"$vgt": "34.9.9"}})  # "34.10.2" < "34.9.9" as text
    assert matches({"app.version": {"$vlt": "v34.11.0"}})
    assert matches({"app.version": {"$vgte": "34.10.2-rc.1"}})  # a release follows its rc
    assert not matches({"app.version": {"$veq": "34.10"}})


def test_array_operators() -> None:
    assert matches({"tags": {"$size": 2}})
    assert matches({"tags": {"$size": {"$gt": 1}}})
    assert matches({"tags": {"$elemMatch": {"$eq": "comedy"}}})
    assert matches({"languages": {"$elemMatch": {"code": "en", "level": {"$in": ["B2", "C1"]}}}})
    assert not matches({"languages": {"$elemMatch": {"code": "en", "level": "native"}}})


def test_types_and_existence() -> None:
    assert matches({"followers": {"$type": "number"}, "tags": {"$type": "array"}})
    assert matches({"missing": {"$exists": False}, "country": {"$exists": True}})


def test_logical_operators() -> None:
    assert matches({"$or": [{"country": "US"}, {"followers": {"$gt": 10_000}}]})
    assert not matches({"$and": [{"country": "BR"}, {"verified": False}]})
    assert matches({"$nor": [{"country": "US"}, {"country": "MX"}]})
    assert matches({"$not": {"country": "US"}})
    assert matches({"country": {"$not": {"$in": ["US", "MX"]}}})


def test_regular_expressions_and_bad_patterns_fail_safely() -> None:
    assert matches({"app.platform": {"$regex": "^andr"}})
    assert matches({"app.platform": {"$regexi": "ANDROID"}})
    assert not matches({"app.platform": {"$regex": "(unclosed"}})
    assert not matches({"followers": {"$regex": "125"}})  # not a string
    assert matches({"app.platform": {"$notRegex": "^ios"}})


def test_unknown_operators_and_malformed_conditions_never_match() -> None:
    assert not matches({"country": {"$startsWith": "B"}})
    assert not matches({"$not": {"country": {"$startsWith": "X"}}})  # unknown, even negated
    assert not matches({"$or": "not a list"})
    assert not eval_condition(CREATOR, ["not", "an", "object"])  # type: ignore[arg-type]


def test_saved_groups() -> None:
    groups = {
        "beta-creators": ["creator-7", "creator-9"],
        "lusophone": {"type": "condition", "condition": {"country": {"$in": ["BR", "PT"]}}},
    }
    assert eval_condition(CREATOR, {"id": {"$inGroup": "beta-creators"}}, groups)
    assert not eval_condition(CREATOR, {"id": {"$notInGroup": "beta-creators"}}, groups)
    assert eval_condition(CREATOR, {"$savedGroup": {"id": "lusophone"}}, groups)
    assert not eval_condition(CREATOR, {"id": {"$inGroup": "no-such-group"}}, groups)


def test_a_malformed_part_fails_the_condition_only_when_evaluation_reaches_it() -> None:
    condition: dict[str, Any] = {"$or": [{"country": "BR"}, "not a condition"]}
    assert matches(condition)  # the first alternative matched: the rest is never read
    assert not eval_condition({"country": "US"}, condition)
    # A failure is not turned into a match by negation.
    assert not eval_condition({"country": "US"}, {"$not": condition})


def test_saved_groups_that_refer_to_each_other_are_followed_once() -> None:
    groups = {
        "a": {"type": "condition", "condition": {"$savedGroup": {"id": "b"}}},
        "b": {
            "type": "condition",
            "condition": {"$or": [{"country": "BR"}, {"$savedGroup": {"id": "a"}}]},
        },
    }
    in_a = compile_condition({"$savedGroup": {"id": "a"}}, groups)
    assert in_a(CREATOR)
    assert not in_a({"country": "US"})


def test_a_condition_nested_too_deep_to_evaluate_fails_without_raising() -> None:
    condition: dict[str, Any] = {"country": "BR"}
    for _ in range(5_000):
        condition = {"$not": {"$not": condition}}
    assert not compile_condition(condition)(CREATOR)
