"""Feature evaluation on GrowthBook's SDK payload: flags, rollouts and experiments.

The payload is the JSON GrowthBook's SDKs read, `{"features": {key: {"defaultValue": ...,
"rules": [...]}}, "savedGroups": {...}}`. `Flags.from_payload` checks and compiles it once;
`eval_feature` / `eval_features` then decide each flag's value for one creator the way the SDKs
do, rule by rule, first match wins:

- a force rule (`force`) gives its value to creators who pass its `condition`, its `filters`
  and its rollout (`coverage`, or an explicit `range`, hashed on `hashAttribute` with `seed`);
- an experiment rule (`variations`) assigns creators who pass its `condition`, `filters` or
  `namespace`, and its `coverage`, to a variation by weight; creators outside it fall through
  to the next rule; a variation whose meta says `passthrough` falls through as well;
- otherwise the feature's `defaultValue`; an unknown feature evaluates to None.

Kill switches and schedules are decided by whoever builds the payload (the experiments app):
a killed feature is served with its default value and no rules, and a scheduled change is in
the payload only once its time has come. This module never reads a clock.

Sticky assignment follows GrowthBook's sticky bucketing. Pass `sticky_assignments` (a mapping,
possibly empty, of `sticky_bucket_key(experiment_key, bucket_version)` → variation key, the
`assignments` of a GrowthBook sticky-bucket document) to turn it on: a creator found there keeps
that variation whatever the weights, coverage, namespace or targeting say now, as long as the
variation still exists (variation keys come from the rule's `meta`). Raising the rule's
`bucketVersion` re-randomizes everyone; `minBucketVersion` removes creators assigned under an
older version from the experiment. The results carry the assignments to store.

Not supported (refused by `from_payload` with a PayloadError, so nothing is silently evaluated
differently from the SDKs): prerequisites (`parentConditions`) and contextual bandits.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from academy.experiments.assignment.conditions import Predicate, compile_condition
from academy.experiments.assignment.hashing import (
    BucketRange,
    SeedLanes,
    choose_variation,
    get_bucket_ranges,
    in_namespace,
    js_number_to_string,
    seeded_hash,
)

__all__ = [
    "ExperimentResult",
    "ExperimentRule",
    "Feature",
    "FeatureResult",
    "Filter",
    "Flags",
    "FlagsEvaluation",
    "ForceRule",
    "Namespace",
    "PayloadError",
    "Rule",
    "Source",
    "VariationMeta",
    "eval_feature",
    "eval_features",
    "run_experiment",
    "sticky_bucket_key",
]

Source = Literal["unknownFeature", "defaultValue", "force", "experiment"]

_UNSUPPORTED_RULE_KEYS = {
    "parentConditions": "prerequisites (parentConditions)",
    "contextualBanditRef": "contextual bandits",
    "contextualVariations": "contextual bandits",
}


class PayloadError(ValueError):
    """The payload is not a feature payload this module can evaluate; the message says where."""


@dataclass(frozen=True, slots=True)
class VariationMeta:
    """A variation's stable key (used for sticky assignment), display name and passthrough."""

    key: str | None = None
    name: str | None = None
    passthrough: bool = False


@dataclass(frozen=True, slots=True)
class Namespace:
    """A slice [start, end) of a namespace; experiments on disjoint slices share no creator."""

    id: str
    start: float
    end: float


@dataclass(frozen=True, slots=True)
class Filter:
    """Keeps only creators whose hash (on `attribute`, with `seed`) falls in one of `ranges`.

    Holdouts and mutual exclusion groups are written as filters.
    """

    ranges: tuple[BucketRange, ...]
    seed: str = ""
    hash_version: int = 2
    attribute: str = "id"


@dataclass(frozen=True, slots=True)
class ForceRule:
    """Serve `value` to creators who pass the condition, filters and rollout."""

    value: Any
    condition: Mapping[str, Any] | None = None
    coverage: float | None = None
    range: BucketRange | None = None
    filters: tuple[Filter, ...] = ()
    hash_attribute: str = "id"
    fallback_attribute: str | None = None
    seed: str | None = None
    hash_version: int = 1
    id: str | None = None


@dataclass(frozen=True, slots=True)
class ExperimentRule:
    """Assign creators who pass the targeting to one of `variations` by weight."""

    variations: tuple[Any, ...]
    key: str | None = None
    weights: tuple[float, ...] | None = None
    coverage: float | None = None
    namespace: Namespace | None = None
    ranges: tuple[BucketRange, ...] | None = None
    meta: tuple[VariationMeta, ...] | None = None
    condition: Mapping[str, Any] | None = None
    filters: tuple[Filter, ...] = ()
    hash_attribute: str = "id"
    fallback_attribute: str | None = None
    seed: str | None = None
    hash_version: int = 1
    bucket_version: int = 0
    min_bucket_version: int = 0
    disable_sticky_bucketing: bool = False
    id: str | None = None
    name: str | None = None
    phase: str | None = None


Rule = ForceRule | ExperimentRule


@dataclass(frozen=True, slots=True)
class Feature:
    """A flag: its default value and its rules, tried in order."""

    default_value: Any = None
    rules: tuple[Rule, ...] = ()


# Results are built for every flag of every request: plain slotted classes, cheaper to create
# than frozen ones.
@dataclass(slots=True)
class ExperimentResult:
    """Where an experiment put a creator (GrowthBook's `Result`)."""

    experiment_key: str
    in_experiment: bool
    variation_id: int
    variation_key: str
    variation_name: str
    value: Any
    hash_used: bool
    hash_attribute: str
    hash_value: str
    bucket: float | None
    sticky_bucket_used: bool
    passthrough: bool
    feature_key: str | None
    # The assignment to store for sticky bucketing: (sticky bucket key, variation key).
    sticky_assignment: tuple[str, str] | None = None


@dataclass(slots=True)
class FeatureResult:
    """A flag's value for a creator and where it came from."""

    key: str
    value: Any
    source: Source
    rule_id: str | None = None
    experiment: ExperimentResult | None = None
    # Sticky assignments this evaluation made or changed, to store for the creator.
    new_sticky_assignments: Mapping[str, str] = field(default_factory=dict)

    @property
    def on(self) -> bool:
        """The value is truthy as JavaScript sees it (`[]` and `{}` are on, `0` and `""` off)."""
        return _js_truthy(self.value)

    @property
    def off(self) -> bool:
        return not self.on


@dataclass(frozen=True, slots=True)
class FlagsEvaluation:
    """Every flag evaluated for one creator, and their sticky assignments after it."""

    results: Mapping[str, FeatureResult]
    sticky_assignments: Mapping[str, str] | None
    new_sticky_assignments: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Flags:
    """A checked, compiled feature payload.

    Building one (with `from_payload`, or directly) compiles every rule: its condition into
    closures, its seeds, bucket ranges and variation keys worked out once.
    """

    features: Mapping[str, Feature]
    saved_groups: Mapping[str, Any] = field(default_factory=dict)
    _compiled: Mapping[str, _CompiledFeature] = field(init=False, repr=False, compare=False)
    _seeds: _SeedTable = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        seeds = _SeedTable()
        compiled = {
            key: _compile_feature(key, feature, self.saved_groups, seeds)
            for key, feature in self.features.items()
        }
        seeds.freeze()
        object.__setattr__(self, "_compiled", compiled)
        object.__setattr__(self, "_seeds", seeds)

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Flags:
        """Read a GrowthBook SDK payload; raise PayloadError naming the first bad field."""
        if not isinstance(payload, Mapping):
            raise PayloadError("the payload must be a JSON object")
        raw_features = payload.get("features")
        raw_features = {} if raw_features is None else raw_features
        if not isinstance(raw_features, Mapping):
            raise PayloadError("features: must be an object keyed by feature key")
        saved_groups = payload.get("savedGroups")
        saved_groups = {} if saved_groups is None else saved_groups
        if not isinstance(saved_groups, Mapping):
            raise PayloadError("savedGroups: must be an object keyed by group id")
        return cls(
            features={
                str(key): _read_feature(raw, f"features.{key}") for key, raw in raw_features.items()
            },
            saved_groups=dict(saved_groups),
        )

    def to_payload(self) -> dict[str, Any]:
        """The payload GrowthBook's SDKs evaluate exactly as `eval_feature` does."""
        payload: dict[str, Any] = {
            "features": {key: _write_feature(feature) for key, feature in self.features.items()}
        }
        if self.saved_groups:
            payload["savedGroups"] = dict(self.saved_groups)
        return payload


def sticky_bucket_key(experiment_key: str, bucket_version: int = 0) -> str:
    """The key a sticky assignment is stored under, as GrowthBook writes it."""
    return f"{experiment_key}__{bucket_version}"


# ---------------------------------------------------------------------------------------------
# Evaluation
#
# `Flags` compiles every feature once: each rule becomes a step, a closure over everything that
# does not depend on the creator (its compiled condition, seeds, bucket ranges, variation keys),
# which gives the feature's result or None to try the next rule.


class _SeedTable:
    """Every version-2 seed a payload hashes with, each given a lane of `SeedLanes`."""

    __slots__ = ("index", "lanes", "singles")

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.lanes = SeedLanes(())
        self.singles: tuple[Callable[[str], float], ...] = ()

    def hasher(self, seed: str, version: int) -> _Hasher | None:
        """`hash(seed, value, version)` as a function of the value and the evaluation's hashes;
        None for a version other than 1 or 2."""
        if version == 2:
            lane = self.index.setdefault(seed, len(self.index))

            def version_2(value: str, hashes: _Hashes) -> float:
                return hashes.version_2(lane, value)

            return version_2
        single = seeded_hash(seed, version)
        if single is None:
            return None

        def other_version(value: str, _hashes: _Hashes) -> float:
            return single(value)

        return other_version

    def freeze(self) -> None:
        """Called once every rule has been compiled."""
        self.lanes = SeedLanes(list(self.index))
        self.singles = tuple(_version_2(seed) for seed in self.index)


def _version_2(seed: str) -> Callable[[str], float]:
    hasher = seeded_hash(seed, 2)
    assert hasher is not None
    return hasher


class _Hashes:
    """The version-2 hashes of one evaluation (one creator), each computed once.

    With `together`, the first pass of a value runs for every seed of the payload at once (most
    rules of a full evaluation hash the creator's id); otherwise seed by seed (one flag).
    """

    __slots__ = ("done", "prepared", "table", "together")

    def __init__(self, table: _SeedTable, *, together: bool) -> None:
        self.table = table
        self.together = together
        self.prepared: dict[str, tuple[int, ...]] = {}
        self.done: dict[tuple[int, str], float] = {}

    def version_2(self, lane: int, value: str) -> float:
        key = (lane, value)
        n = self.done.get(key)
        if n is None:
            if self.together:
                prepared = self.prepared.get(value)
                if prepared is None:
                    prepared = self.prepared[value] = self.table.lanes.hashes(value)
                n = SeedLanes.at(prepared, lane)
            else:
                n = self.table.singles[lane](value)
            self.done[key] = n
        return n


# value, the evaluation's hashes → the value's position in [0, 1)
_Hasher = Callable[[str, _Hashes], float]
# attributes, working sticky assignments (None: off), hashes → the result, or None for the next
# rule
_Step = Callable[[dict[str, Any], dict[str, str] | None, _Hashes], FeatureResult | None]


@dataclass(frozen=True, slots=True)
class _CompiledFeature:
    default_value: Any
    steps: tuple[_Step, ...]


def _compile_feature(
    key: str, feature: Feature, groups: Mapping[str, Any], seeds: _SeedTable
) -> _CompiledFeature:
    steps = tuple(
        _force_step(key, rule, groups, seeds)
        if isinstance(rule, ForceRule)
        else _experiment_step(key, rule, groups, seeds)
        for rule in feature.rules
    )
    return _CompiledFeature(default_value=feature.default_value, steps=steps)


def _compiled_condition(
    condition: Mapping[str, Any] | None, groups: Mapping[str, Any] | None
) -> Predicate | None:
    return compile_condition(condition, groups) if condition else None


def eval_feature(
    key: str,
    flags: Flags,
    attributes: Mapping[str, Any],
    *,
    sticky_assignments: Mapping[str, str] | None = None,
) -> FeatureResult:
    """The value of feature `key` for a creator with `attributes`.

    `sticky_assignments` None turns sticky bucketing off; a mapping (even empty) turns it on.
    """
    working = dict(sticky_assignments) if sticky_assignments is not None else None
    before = dict(working) if working is not None else {}
    hashes = _Hashes(flags._seeds, together=False)
    result = _evaluate(key, flags._compiled.get(key), _as_dict(attributes), working, hashes)
    if working is None or working == before:
        return result
    result.new_sticky_assignments = {
        name: value for name, value in working.items() if before.get(name) != value
    }
    return result


def eval_features(
    flags: Flags,
    attributes: Mapping[str, Any],
    *,
    sticky_assignments: Mapping[str, str] | None = None,
    keys: Sequence[str] | None = None,
) -> FlagsEvaluation:
    """Every feature (or those in `keys`) for one creator, sharing one set of sticky assignments."""
    attributes = _as_dict(attributes)
    working = dict(sticky_assignments) if sticky_assignments is not None else None
    compiled = flags._compiled
    if keys is None:
        hashes = _Hashes(flags._seeds, together=True)
        results = {
            key: _evaluate(key, feature, attributes, working, hashes)
            for key, feature in compiled.items()
        }
    else:
        hashes = _Hashes(flags._seeds, together=False)
        results = {
            key: _evaluate(key, compiled.get(key), attributes, working, hashes) for key in keys
        }
    if working is None:
        return FlagsEvaluation(results=results, sticky_assignments=None, new_sticky_assignments={})
    before = sticky_assignments or {}
    changed = {name: value for name, value in working.items() if before.get(name) != value}
    return FlagsEvaluation(
        results=results, sticky_assignments=working, new_sticky_assignments=changed
    )


def _as_dict(attributes: Mapping[str, Any]) -> dict[str, Any]:
    return attributes if isinstance(attributes, dict) else dict(attributes)


def _evaluate(
    key: str,
    feature: _CompiledFeature | None,
    attributes: dict[str, Any],
    sticky: dict[str, str] | None,
    hashes: _Hashes,
) -> FeatureResult:
    if feature is None:
        return FeatureResult(key, None, "unknownFeature")
    for step in feature.steps:
        result = step(attributes, sticky, hashes)
        if result is not None:
            return result
    return FeatureResult(key, feature.default_value, "defaultValue")


def _hashable(value: Any) -> bool:
    """Whether a value can identify a creator: a non-empty string or a finite non-zero number."""
    if isinstance(value, str):
        return value != ""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return value != 0 and math.isfinite(value)
    except OverflowError:
        return False


def _hash_input(
    attributes: dict[str, Any], attribute: str, fallback: str | None
) -> tuple[str, str]:
    """(attribute used, its value as a string); the value is "" when neither is usable."""
    value = attributes.get(attribute)
    if type(value) is str and value:
        return attribute, value
    if not _hashable(value):
        if fallback and _hashable(attributes.get(fallback)):
            attribute, value = fallback, attributes[fallback]
        else:
            return attribute, ""
    if isinstance(value, str):
        return attribute, value
    return attribute, js_number_to_string(value)  # type: ignore[arg-type]


def _hash_value(attributes: dict[str, Any], attribute: str) -> str:
    """`_hash_input` without a fallback: the attribute's value as a string, or ""."""
    value = attributes.get(attribute)
    if type(value) is str:
        return value
    return _hash_input(attributes, attribute, None)[1]


def _compile_filters(
    filters: tuple[Filter, ...], seeds: _SeedTable
) -> Callable[[dict[str, Any], _Hashes], bool] | None:
    """Whether a creator passes every filter (its hash falls in one of the filter's ranges)."""
    if not filters:
        return None
    prepared = tuple(
        (
            rule_filter.attribute,
            seeds.hasher(rule_filter.seed, rule_filter.hash_version),
            rule_filter.ranges,
        )
        for rule_filter in filters
    )

    def passes(attributes: dict[str, Any], hashes: _Hashes) -> bool:
        for attribute, hasher, ranges in prepared:
            value = _hash_value(attributes, attribute)
            if value == "" or hasher is None:
                return False
            n = hasher(value, hashes)
            for start, end in ranges:
                if start <= n < end:
                    break
            else:
                return False
        return True

    return passes


def _force_step(key: str, rule: ForceRule, groups: Mapping[str, Any], seeds: _SeedTable) -> _Step:
    condition = _compiled_condition(rule.condition, groups)
    passes_filters = _compile_filters(rule.filters, seeds)
    in_rollout = _compile_rollout(rule, key, seeds)
    value, rule_id = rule.value, rule.id

    def force(
        attributes: dict[str, Any], sticky: dict[str, str] | None, hashes: _Hashes
    ) -> FeatureResult | None:
        if condition is not None and not condition(attributes):
            return None
        if passes_filters is not None and not passes_filters(attributes, hashes):
            return None
        if in_rollout is not None and not in_rollout(attributes, hashes):
            return None
        return FeatureResult(key, value, "force", rule_id)

    return force


def _compile_rollout(
    rule: ForceRule, feature_key: str, seeds: _SeedTable
) -> Callable[[dict[str, Any], _Hashes], bool] | None:
    """Whether a creator is inside the rule's rollout; None when everyone is."""
    if rule.coverage is None and rule.range is None:
        return None
    if rule.coverage == 0 and rule.range is None:
        return _nobody
    hasher = seeds.hasher(rule.seed or feature_key, rule.hash_version or 1)
    if hasher is None:
        return _nobody
    attribute, fallback = rule.hash_attribute, rule.fallback_attribute
    start: float = -math.inf
    end: float = rule.coverage if rule.coverage is not None else math.inf
    if rule.range is not None:
        start, end = rule.range

    def in_rollout(attributes: dict[str, Any], hashes: _Hashes) -> bool:
        value = attributes.get(attribute)
        if type(value) is not str or not value:
            value = _hash_input(attributes, attribute, fallback)[1]
            if value == "":
                return False
        return bool(start <= hasher(value, hashes) < end)

    return in_rollout


def _nobody(_attributes: dict[str, Any], _hashes: _Hashes) -> bool:
    return False


def _experiment_step(
    key: str, rule: ExperimentRule, groups: Mapping[str, Any], seeds: _SeedTable
) -> _Step:
    plan = _ExperimentPlan(rule, key, _compiled_condition(rule.condition, groups), seeds)
    condition, passes_filters, rule_id = plan.condition, plan.passes_filters, rule.id

    def experiment(
        attributes: dict[str, Any], sticky: dict[str, str] | None, hashes: _Hashes
    ) -> FeatureResult | None:
        if condition is not None and not condition(attributes):
            return None
        if passes_filters is not None and not passes_filters(attributes, hashes):
            return None
        # The targeting just passed; the experiment need not check it again.
        outcome = plan.run(attributes, sticky, hashes, targeted=True)
        if not outcome.in_experiment or outcome.passthrough:
            return None
        return FeatureResult(key, outcome.value, "experiment", rule_id, outcome)

    return experiment


def run_experiment(
    rule: ExperimentRule,
    *,
    feature_key: str,
    attributes: Mapping[str, Any],
    saved_groups: Mapping[str, Any] | None = None,
    sticky_assignments: Mapping[str, str] | None = None,
) -> ExperimentResult:
    """Where an experiment rule puts a creator, whether or not they are in it.

    Unlike `eval_feature`, this does not check the rule's feature-level condition and filters
    first; it runs GrowthBook's experiment steps only. The assignment to store is in the
    result's `sticky_assignment`.
    """
    working = dict(sticky_assignments) if sticky_assignments is not None else None
    seeds = _SeedTable()
    condition = _compiled_condition(rule.condition, saved_groups)
    plan = _ExperimentPlan(rule, feature_key, condition, seeds)
    seeds.freeze()
    hashes = _Hashes(seeds, together=False)
    return plan.run(_as_dict(attributes), working, hashes, targeted=False)


# (variation key, variation name, value, passthrough) for each variation index
_Variation = tuple[str, str, Any, bool]


class _ExperimentPlan:
    """An experiment rule with everything that does not depend on the creator worked out."""

    __slots__ = (
        "blocked_keys",
        "condition",
        "disable_sticky",
        "experiment_key",
        "fallback",
        "feature_key",
        "hash_attribute",
        "hasher",
        "namespace",
        "passes_filters",
        "ranges",
        "sticky_key",
        "sticky_variations",
        "variation_count",
        "variations",
    )

    def __init__(
        self,
        rule: ExperimentRule,
        feature_key: str,
        condition: Predicate | None,
        seeds: _SeedTable,
    ):
        experiment_key = rule.key or feature_key
        self.experiment_key = experiment_key
        self.feature_key = feature_key
        self.condition = condition
        self.passes_filters = _compile_filters(rule.filters, seeds)
        self.namespace = (
            (rule.namespace.id, rule.namespace.start, rule.namespace.end)
            if rule.namespace is not None and not rule.filters
            else None
        )
        self.hash_attribute = rule.hash_attribute
        self.fallback = rule.fallback_attribute
        self.disable_sticky = rule.disable_sticky_bucketing
        self.hasher = seeds.hasher(rule.seed or experiment_key, rule.hash_version or 1)
        self.variation_count = len(rule.variations)
        self.ranges = rule.ranges or get_bucket_ranges(
            len(rule.variations),
            rule.coverage if rule.coverage is not None else 1,
            list(rule.weights) if rule.weights is not None else None,
        )
        self.variations = tuple(
            _variation(rule, index) for index in range(max(1, len(rule.variations)))
        )
        self.sticky_key = sticky_bucket_key(experiment_key, rule.bucket_version)
        self.blocked_keys = tuple(
            sticky_bucket_key(experiment_key, version) for version in range(rule.min_bucket_version)
        )
        sticky_variations: dict[str, int] = {}
        for index, meta in enumerate(rule.meta or ()):
            if meta.key:
                sticky_variations.setdefault(meta.key, index)
        self.sticky_variations = sticky_variations

    def run(
        self,
        attributes: dict[str, Any],
        sticky: dict[str, str] | None,
        hashes: _Hashes,
        *,
        targeted: bool,
    ) -> ExperimentResult:
        """GrowthBook's experiment steps; `targeted` when the condition and filters just passed."""
        sticky_on = sticky is not None and not self.disable_sticky
        attribute, value = _hash_input(
            attributes, self.hash_attribute, self.fallback if sticky_on else None
        )
        if self.variation_count < 2 or value == "":
            return self.result(attribute, value, -1, None, False)
        assigned, blocked = -1, False
        if sticky_on:
            assert sticky is not None
            for blocked_key in self.blocked_keys:
                if blocked_key in sticky:
                    blocked = True
                    break
            else:
                stored = sticky.get(self.sticky_key)
                if stored:
                    assigned = self.sticky_variations.get(stored, -1)
        found = assigned >= 0
        if not found:
            if self.passes_filters is not None:
                if not targeted and not self.passes_filters(attributes, hashes):
                    return self.result(attribute, value, -1, None, False)
            elif self.namespace is not None and not in_namespace(value, self.namespace):
                return self.result(attribute, value, -1, None, False)
            if not targeted and self.condition is not None and not self.condition(attributes):
                return self.result(attribute, value, -1, None, False)
        if self.hasher is None:
            return self.result(attribute, value, -1, None, False)
        n = self.hasher(value, hashes)
        if not found:
            assigned = choose_variation(n, self.ranges)
        if blocked:
            return self.result(attribute, value, -1, None, True)
        if assigned < 0:
            return self.result(attribute, value, -1, None, False)
        if not sticky_on:
            return self.result(attribute, value, assigned, n, found)
        assert sticky is not None
        variation_key = self.variations[assigned][0]
        sticky[self.sticky_key] = variation_key
        return self.result(attribute, value, assigned, n, found, (self.sticky_key, variation_key))

    def result(
        self,
        attribute: str,
        value: str,
        variation_id: int,
        bucket: float | None,
        sticky_bucket_used: bool,
        sticky_assignment: tuple[str, str] | None = None,
    ) -> ExperimentResult:
        in_experiment = 0 <= variation_id < self.variation_count
        if not in_experiment:
            variation_id = 0
        variation_key, variation_name, variation_value, passthrough = self.variations[variation_id]
        return ExperimentResult(
            self.experiment_key,
            in_experiment,
            variation_id,
            variation_key,
            variation_name,
            variation_value,
            bucket is not None,
            attribute,
            value,
            bucket,
            sticky_bucket_used,
            passthrough,
            self.feature_key,
            sticky_assignment,
        )


def _variation(rule: ExperimentRule, index: int) -> _Variation:
    meta = rule.meta[index] if rule.meta and index < len(rule.meta) else None
    return (
        meta.key if meta is not None and meta.key is not None else str(index),
        meta.name or "" if meta is not None else "",
        rule.variations[index] if rule.variations else None,
        meta.passthrough if meta is not None else False,
    )


def _js_truthy(value: Any) -> bool:
    if value is None or value is False:
        return False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value != 0 and not (isinstance(value, float) and math.isnan(value))
    if isinstance(value, str):
        return value != ""
    return True


# ---------------------------------------------------------------------------------------------
# Reading and writing the payload


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _number(raw: Mapping[str, Any], name: str, where: str) -> float | None:
    value = raw.get(name)
    if value is None:
        return None
    if not _is_number(value):
        raise PayloadError(f"{where}.{name}: must be a number, not {value!r}")
    return value  # type: ignore[no-any-return]


def _integer(raw: Mapping[str, Any], name: str, where: str, default: int) -> int:
    value = raw.get(name, default)
    if value is None:
        return default
    if not isinstance(value, int) or isinstance(value, bool):
        raise PayloadError(f"{where}.{name}: must be an integer, not {value!r}")
    return value


def _text(raw: Mapping[str, Any], name: str, where: str) -> str | None:
    value = raw.get(name)
    if value is not None and not isinstance(value, str):
        raise PayloadError(f"{where}.{name}: must be a string, not {value!r}")
    return value


def _bucket_range(value: Any, where: str) -> BucketRange:
    if (
        not isinstance(value, (list, tuple))
        or len(value) != 2
        or not all(_is_number(bound) for bound in value)
    ):
        raise PayloadError(f"{where}: must be a [start, end] pair of numbers, not {value!r}")
    return (value[0], value[1])


def _bucket_ranges(value: Any, where: str) -> tuple[BucketRange, ...]:
    if not isinstance(value, (list, tuple)):
        raise PayloadError(f"{where}: must be a list of [start, end] pairs, not {value!r}")
    return tuple(_bucket_range(item, f"{where}[{index}]") for index, item in enumerate(value))


def _condition(raw: Mapping[str, Any], where: str) -> Mapping[str, Any] | None:
    value = raw.get("condition")
    if value is None:
        return None
    if not isinstance(value, dict):
        raise PayloadError(f"{where}.condition: must be an object, not {value!r}")
    return value or None


def _filters(raw: Mapping[str, Any], where: str) -> tuple[Filter, ...]:
    value = raw.get("filters")
    if value is None:
        return ()
    if not isinstance(value, list):
        raise PayloadError(f"{where}.filters: must be a list, not {value!r}")
    filters = []
    for index, item in enumerate(value):
        place = f"{where}.filters[{index}]"
        if not isinstance(item, dict):
            raise PayloadError(f"{place}: must be an object, not {item!r}")
        if "ranges" not in item:
            raise PayloadError(f"{place}.ranges: is required")
        filters.append(
            Filter(
                ranges=_bucket_ranges(item["ranges"], f"{place}.ranges"),
                seed=_text(item, "seed", place) or "",
                hash_version=_integer(item, "hashVersion", place, 2),
                attribute=_text(item, "attribute", place) or "id",
            )
        )
    return tuple(filters)


def _meta(raw: Mapping[str, Any], where: str) -> tuple[VariationMeta, ...] | None:
    value = raw.get("meta")
    if value is None:
        return None
    if not isinstance(value, list):
        raise PayloadError(f"{where}.meta: must be a list, not {value!r}")
    metas = []
    for index, item in enumerate(value):
        place = f"{where}.meta[{index}]"
        if not isinstance(item, dict):
            raise PayloadError(f"{place}: must be an object, not {item!r}")
        passthrough = item.get("passthrough", False)
        if not isinstance(passthrough, bool):
            raise PayloadError(f"{place}.passthrough: must be true or false")
        metas.append(
            VariationMeta(
                key=_text(item, "key", place),
                name=_text(item, "name", place),
                passthrough=passthrough,
            )
        )
    return tuple(metas)


def _namespace(raw: Mapping[str, Any], where: str) -> Namespace | None:
    value = raw.get("namespace")
    if value is None:
        return None
    if (
        not isinstance(value, (list, tuple))
        or len(value) != 3
        or not isinstance(value[0], str)
        or not all(_is_number(bound) for bound in value[1:])
    ):
        raise PayloadError(f"{where}.namespace: must be [name, start, end], not {value!r}")
    return Namespace(id=value[0], start=value[1], end=value[2])


def _read_rule(raw: Any, where: str) -> Rule | None:
    if not isinstance(raw, dict):
        raise PayloadError(f"{where}: must be an object, not {raw!r}")
    for name, what in _UNSUPPORTED_RULE_KEYS.items():
        if raw.get(name):
            raise PayloadError(f"{where}.{name}: {what} are not supported")
    disable_sticky = raw.get("disableStickyBucketing", False)
    if not isinstance(disable_sticky, bool):
        raise PayloadError(f"{where}.disableStickyBucketing: must be true or false")
    hash_attribute = _text(raw, "hashAttribute", where)
    fallback = None if disable_sticky else _text(raw, "fallbackAttribute", where)
    hash_version = _integer(raw, "hashVersion", where, 1) or 1
    condition = _condition(raw, where)
    filters = _filters(raw, where)
    coverage = _number(raw, "coverage", where)
    seed = _text(raw, "seed", where)
    rule_id = _text(raw, "id", where)
    if raw.get("force") is not None:
        return ForceRule(
            value=raw["force"],
            condition=condition,
            coverage=coverage,
            range=_bucket_range(raw["range"], f"{where}.range")
            if raw.get("range") is not None
            else None,
            filters=filters,
            hash_attribute=hash_attribute if hash_attribute is not None else "id",
            fallback_attribute=fallback,
            seed=seed,
            hash_version=hash_version,
            id=rule_id,
        )
    variations = raw.get("variations")
    if variations is None:
        return None  # neither a force nor an experiment: the SDKs skip it
    if not isinstance(variations, list):
        raise PayloadError(f"{where}.variations: must be a list, not {variations!r}")
    weights = raw.get("weights")
    if weights is not None and (
        not isinstance(weights, list) or not all(_is_number(weight) for weight in weights)
    ):
        raise PayloadError(f"{where}.weights: must be a list of numbers, not {weights!r}")
    ranges = raw.get("ranges")
    return ExperimentRule(
        variations=tuple(variations),
        key=_text(raw, "key", where) or None,
        weights=tuple(weights) if weights is not None else None,
        coverage=coverage,
        namespace=_namespace(raw, where),
        ranges=_bucket_ranges(ranges, f"{where}.ranges") or None if ranges is not None else None,
        meta=_meta(raw, where),
        condition=condition,
        filters=filters,
        hash_attribute=hash_attribute if hash_attribute is not None else "id",
        fallback_attribute=fallback,
        seed=seed,
        hash_version=hash_version,
        bucket_version=_integer(raw, "bucketVersion", where, 0),
        min_bucket_version=_integer(raw, "minBucketVersion", where, 0),
        disable_sticky_bucketing=disable_sticky,
        id=rule_id,
        name=_text(raw, "name", where),
        phase=_text(raw, "phase", where),
    )


def _read_feature(raw: Any, where: str) -> Feature:
    if not isinstance(raw, dict):
        raise PayloadError(f"{where}: must be an object, not {raw!r}")
    raw_rules = raw.get("rules")
    raw_rules = [] if raw_rules is None else raw_rules
    if not isinstance(raw_rules, list):
        raise PayloadError(f"{where}.rules: must be a list, not {raw_rules!r}")
    rules = (_read_rule(item, f"{where}.rules[{index}]") for index, item in enumerate(raw_rules))
    return Feature(
        default_value=raw.get("defaultValue"),
        rules=tuple(rule for rule in rules if rule is not None),
    )


def _write_filter(rule_filter: Filter) -> dict[str, Any]:
    return {
        "seed": rule_filter.seed,
        "ranges": [list(bucket) for bucket in rule_filter.ranges],
        "hashVersion": rule_filter.hash_version,
        "attribute": rule_filter.attribute,
    }


def _write_rule(rule: Rule) -> dict[str, Any]:
    written: dict[str, Any] = {}
    if rule.id is not None:
        written["id"] = rule.id
    if rule.condition:
        written["condition"] = dict(rule.condition)
    if rule.filters:
        written["filters"] = [_write_filter(item) for item in rule.filters]
    if rule.coverage is not None:
        written["coverage"] = rule.coverage
    if rule.hash_attribute != "id":
        written["hashAttribute"] = rule.hash_attribute
    if rule.fallback_attribute is not None:
        written["fallbackAttribute"] = rule.fallback_attribute
    if rule.seed is not None:
        written["seed"] = rule.seed
    written["hashVersion"] = rule.hash_version
    if isinstance(rule, ForceRule):
        written["force"] = rule.value
        if rule.range is not None:
            written["range"] = list(rule.range)
        return written
    written["variations"] = list(rule.variations)
    if rule.key is not None:
        written["key"] = rule.key
    if rule.weights is not None:
        written["weights"] = list(rule.weights)
    if rule.namespace is not None:
        written["namespace"] = [rule.namespace.id, rule.namespace.start, rule.namespace.end]
    if rule.ranges is not None:
        written["ranges"] = [list(bucket) for bucket in rule.ranges]
    if rule.meta is not None:
        written["meta"] = [_write_meta(meta) for meta in rule.meta]
    if rule.bucket_version:
        written["bucketVersion"] = rule.bucket_version
    if rule.min_bucket_version:
        written["minBucketVersion"] = rule.min_bucket_version
    if rule.disable_sticky_bucketing:
        written["disableStickyBucketing"] = True
    for name, value in (("name", rule.name), ("phase", rule.phase)):
        if value is not None:
            written[name] = value
    return written


def _write_meta(meta: VariationMeta) -> dict[str, Any]:
    written: dict[str, Any] = {}
    if meta.key is not None:
        written["key"] = meta.key
    if meta.name is not None:
        written["name"] = meta.name
    if meta.passthrough:
        written["passthrough"] = True
    return written


def _write_feature(feature: Feature) -> dict[str, Any]:
    return {
        "defaultValue": feature.default_value,
        "rules": [_write_rule(rule) for rule in feature.rules],
    }
