"""Targeting conditions: our evaluator against the official GrowthBook SDK, and examples."""

from __future__ import annotations

from typing import Any

from growthbook import core as growthbook
from hypothesis import HealthCheck, given, settings

from academy.experiments.assignment import eval_condition, get_path
from academy.experiments.tests.strategies import SAVED_GROUPS, conditions, creators


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(attributes=creators(), condition=conditions())
def test_conditions_match_growthbook(attributes: dict[str, Any], condition: dict[str, Any]) -> None:
    expected = growthbook.evalCondition(attributes, condition, SAVED_GROUPS)
    assert eval_condition(attributes, condition, SAVED_GROUPS) == expected


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
