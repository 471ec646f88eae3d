"""Feature evaluation: our results against the official GrowthBook SDK on generated payloads,
and the behaviours a product manager relies on (rollouts, experiments, holdouts, stickiness)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from academy.experiments.assignment import (
    ExperimentRule,
    Feature,
    FeatureResult,
    Flags,
    ForceRule,
    PayloadError,
    eval_feature,
    eval_features,
    sticky_bucket_key,
)
from academy.experiments.tests.growthbook_reference import growthbook_eval
from academy.experiments.tests.strategies import STICKY_ASSIGNMENTS, creators, payloads


def assert_same_as_growthbook(ours: FeatureResult, theirs: Any) -> None:
    assert (ours.value, ours.source) == (theirs.value, theirs.source)
    assert ours.rule_id == theirs.ruleId
    if theirs.experimentResult is None:
        assert ours.experiment is None
        return
    experiment, result = ours.experiment, theirs.experimentResult
    assert experiment is not None
    assert experiment.experiment_key == theirs.experiment.key
    assert (experiment.variation_id, experiment.variation_key) == (result.variationId, result.key)
    assert (experiment.in_experiment, experiment.hash_used) == (
        result.inExperiment,
        result.hashUsed,
    )
    assert experiment.bucket == result.bucket
    assert experiment.hash_attribute == result.hashAttribute
    assert experiment.hash_value == str(result.hashValue)
    assert experiment.sticky_bucket_used == result.stickyBucketUsed


SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(payload=payloads(), attributes=creators())
def test_features_evaluate_as_growthbook_does(
    payload: dict[str, Any], attributes: dict[str, Any]
) -> None:
    flags = Flags.from_payload(payload)
    theirs = growthbook_eval(payload, attributes)
    ours = eval_features(flags, attributes).results
    assert list(ours) == list(theirs)
    for key, result in ours.items():
        assert_same_as_growthbook(result, theirs[key])


@SETTINGS
@given(payload=payloads(sticky_safe=True), attributes=creators(), stored=STICKY_ASSIGNMENTS)
def test_sticky_assignments_work_as_growthbook_sticky_bucketing(
    payload: dict[str, Any], attributes: dict[str, Any], stored: dict[str, str]
) -> None:
    attributes.setdefault("id", "creator-1")
    flags = Flags.from_payload(payload)
    theirs = growthbook_eval(payload, attributes, sticky_assignments=stored)
    evaluation = eval_features(flags, attributes, sticky_assignments=stored)
    for key, result in evaluation.results.items():
        assert_same_as_growthbook(result, theirs[key])


@SETTINGS
@given(payload=payloads(), attributes=creators())
def test_the_payload_we_serve_evaluates_the_same_in_growthbook(
    payload: dict[str, Any], attributes: dict[str, Any]
) -> None:
    served = Flags.from_payload(payload).to_payload()
    assert Flags.from_payload(served) == Flags.from_payload(payload)
    theirs = growthbook_eval(served, attributes)
    for key, result in eval_features(Flags.from_payload(served), attributes).results.items():
        assert_same_as_growthbook(result, theirs[key])


@SETTINGS
@given(payload=payloads(), attributes=creators())
def test_one_flag_at_a_time_evaluates_as_growthbook_does(
    payload: dict[str, Any], attributes: dict[str, Any]
) -> None:
    # One flag (or a few, by key) hashes seed by seed instead of all seeds at once.
    flags = Flags.from_payload(payload)
    theirs = growthbook_eval(payload, attributes)
    for key in payload["features"]:
        assert_same_as_growthbook(eval_feature(key, flags, attributes), theirs[key])
    first = next(iter(payload["features"]))
    chosen = eval_features(flags, attributes, keys=[first]).results
    assert list(chosen) == [first]
    assert_same_as_growthbook(chosen[first], theirs[first])


# ---------------------------------------------------------------------------------------------
# By example

CREATORS = [{"id": f"creator-{number}", "country": "BR"} for number in range(3_000)]


def flags(**features: dict[str, Any]) -> Flags:
    return Flags.from_payload(
        {"features": {key.replace("_", "-"): f for key, f in features.items()}}
    )


def test_unknown_feature_and_default_value() -> None:
    served = flags(dark_mode={"defaultValue": False})
    assert eval_feature("dark-mode", served, {"id": "c"}).source == "defaultValue"
    unknown = eval_feature("no-such-flag", served, {"id": "c"})
    assert (unknown.value, unknown.source, unknown.on) == (None, "unknownFeature", False)


def test_typed_values_and_targeting() -> None:
    served = flags(
        quiz_timer={
            "defaultValue": 30,
            "rules": [
                {"condition": {"country": {"$in": ["BR", "PT"]}}, "force": 45},
                {"condition": {"app.version": {"$vlt": "30.0.0"}}, "force": {"legacy": True}},
            ],
        }
    )
    assert eval_feature("quiz-timer", served, {"id": "a", "country": "PT"}).value == 45
    legacy = eval_feature("quiz-timer", served, {"id": "b", "app": {"version": "29.4.1"}})
    assert (legacy.value, legacy.source) == ({"legacy": True}, "force")
    assert eval_feature("quiz-timer", served, {"id": "c", "country": "US"}).value == 30


def test_percentage_rollout_reaches_its_share_and_grows_without_reshuffling() -> None:
    def reached(coverage: float) -> set[str]:
        served = flags(
            new_feed={"defaultValue": False, "rules": [{"force": True, "coverage": coverage}]}
        )
        return {c["id"] for c in CREATORS if eval_feature("new-feed", served, c).value is True}

    ten, fifty = reached(0.1), reached(0.5)
    assert 240 < len(ten) < 360
    assert 1_400 < len(fifty) < 1_600
    assert ten <= fifty  # widening a rollout keeps everyone who already had it
    assert reached(0) == set()


def test_experiment_assigns_by_weight_and_reports_the_assignment() -> None:
    served = flags(
        card_design={
            "defaultValue": "classic",
            "rules": [
                {
                    "key": "card-2026",
                    "variations": ["classic", "big-thumbnail"],
                    "weights": [0.2, 0.8],
                    "meta": [{"key": "control"}, {"key": "treatment"}],
                    "hashVersion": 2,
                }
            ],
        }
    )
    counts = Counter(eval_feature("card-design", served, c).value for c in CREATORS)
    assert 500 < counts["classic"] < 700
    one = eval_feature("card-design", served, CREATORS[0])
    assert one.source == "experiment"
    assert one.experiment is not None
    assert one.experiment.experiment_key == "card-2026"
    assert one.experiment.in_experiment
    assert one.experiment.hash_used
    assert one.experiment.variation_key in ("control", "treatment")
    assert one.experiment.bucket is not None
    assert 0 <= one.experiment.bucket < 1


def test_coverage_leaves_the_rest_on_the_default() -> None:
    served = flags(
        card_design={
            "defaultValue": "classic",
            "rules": [{"variations": ["a", "b"], "coverage": 0.4}],
        }
    )
    sources = Counter(eval_feature("card-design", served, c).source for c in CREATORS)
    assert 1_050 < sources["experiment"] < 1_350
    assert sources["defaultValue"] == len(CREATORS) - sources["experiment"]


def test_namespaces_keep_experiments_apart() -> None:
    def experiment(start: float, end: float) -> dict[str, Any]:
        return {
            "defaultValue": None,
            "rules": [{"variations": [0, 1], "namespace": ["feed", start, end]}],
        }

    served = flags(first=experiment(0, 0.5), second=experiment(0.5, 1))
    for creator in CREATORS[:500]:
        results = eval_features(served, creator).results
        assert [results["first"].source, results["second"].source].count("experiment") == 1


def test_a_holdout_filter_keeps_its_creators_out() -> None:
    holdout = {"seed": "holdout-2026", "ranges": [[0.05, 1]], "hashVersion": 2}
    served = flags(
        card_design={
            "defaultValue": "classic",
            "rules": [{"variations": ["a", "b"], "filters": [holdout]}],
        }
    )
    held_out = [
        c for c in CREATORS if eval_feature("card-design", served, c).source != "experiment"
    ]
    assert 100 < len(held_out) < 200  # about 5 %


def test_sticky_assignment_survives_a_change_of_weights() -> None:
    def served(weights: list[float]) -> Flags:
        rule = {
            "key": "feed-ranker",
            "variations": ["v1", "v2"],
            "weights": weights,
            "meta": [{"key": "old"}, {"key": "new"}],
        }
        return flags(feed_ranker={"defaultValue": "v1", "rules": [rule]})

    stored: dict[str, dict[str, str]] = {}
    for creator in CREATORS[:300]:
        result = eval_feature("feed-ranker", served([0.5, 0.5]), creator, sticky_assignments={})
        stored[creator["id"]] = dict(result.new_sticky_assignments)
        assert result.new_sticky_assignments == {"feed-ranker__0": result.experiment.variation_key}  # type: ignore[union-attr]
    moved = 0
    for creator in CREATORS[:300]:
        before = stored[creator["id"]]["feed-ranker__0"]
        sticky = eval_feature(
            "feed-ranker", served([0.05, 0.95]), creator, sticky_assignments=stored[creator["id"]]
        )
        assert sticky.experiment is not None
        assert sticky.experiment.variation_key == before
        assert sticky.experiment.sticky_bucket_used
        assert not sticky.new_sticky_assignments
        plain = eval_feature("feed-ranker", served([0.05, 0.95]), creator)
        moved += plain.experiment is not None and plain.experiment.variation_key != before
    assert moved > 50  # without stickiness, many creators would have switched


def test_a_new_bucket_version_reassigns_and_min_version_excludes_old_assignments() -> None:
    rule = {
        "key": "exp",
        "variations": [0, 1],
        "meta": [{"key": "a"}, {"key": "b"}],
        "bucketVersion": 1,
    }
    old = {sticky_bucket_key("exp", 0): "b"}
    fresh = eval_feature(
        "f", flags(f={"rules": [rule]}), {"id": "creator-1"}, sticky_assignments=old
    )
    assert fresh.experiment is not None
    assert not fresh.experiment.sticky_bucket_used
    assert sticky_bucket_key("exp", 1) in fresh.new_sticky_assignments
    blocked = eval_feature(
        "f",
        flags(f={"rules": [{**rule, "minBucketVersion": 1}]}),
        {"id": "creator-1"},
        sticky_assignments=old,
    )
    assert blocked.source == "defaultValue"


def test_passthrough_variation_falls_through_to_the_next_rule() -> None:
    served = flags(
        f={
            "defaultValue": "default",
            "rules": [
                {"variations": ["x", "y"], "meta": [{"passthrough": True}, {"passthrough": True}]},
                {"force": "next-rule"},
            ],
        }
    )
    assert eval_feature("f", served, {"id": "creator-1"}).value == "next-rule"


def test_typed_rules_build_the_payload_growthbook_sdks_read() -> None:
    built = Flags(
        features={
            "card-design": Feature(
                default_value="classic",
                rules=(
                    ForceRule(value="classic", condition={"country": "US"}),
                    ExperimentRule(variations=("classic", "big"), key="card-2026", coverage=0.5),
                ),
            )
        }
    )
    payload = built.to_payload()
    assert payload["features"]["card-design"]["rules"][1]["variations"] == ["classic", "big"]
    assert Flags.from_payload(payload) == built


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"features": []}, "features: must be an object"),
        (
            {"features": {"f": {"rules": [{"force": 1, "coverage": "half"}]}}},
            "features.f.rules[0].coverage",
        ),
        (
            {"features": {"f": {"rules": [{"variations": [1, 2], "namespace": ["x", 0]}]}}},
            "namespace",
        ),
        (
            {"features": {"f": {"rules": [{"force": 1, "parentConditions": [{"id": "g"}]}]}}},
            "not supported",
        ),
        (
            {"features": {"f": {"rules": [{"variations": [1, 2], "weights": ["a", "b"]}]}}},
            "weights",
        ),
    ],
)
def test_a_bad_payload_is_refused_with_the_field_named(
    payload: dict[str, Any], message: str
) -> None:
    with pytest.raises(PayloadError, match=message.replace("[", r"\[").replace("]", r"\]")):
        Flags.from_payload(payload)
