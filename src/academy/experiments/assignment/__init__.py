"""GrowthBook-compatible feature flags and experiment assignment, without Django.

Implements the published GrowthBook SDK specification with its function names (in snake_case)
and semantics, so a host app running a GrowthBook SDK on the same payload assigns every creator
identically:

- bucketing: `hash` (also `gb_hash`), `in_range`, `in_namespace`, `get_equal_weights`,
  `get_bucket_ranges`, `choose_variation` (in `hashing`);
- targeting: `eval_condition`, `compile_condition`, `get_path`, `padded_version_string` (in
  `conditions`);
- flags and experiments: `Flags.from_payload`, `eval_feature`, `eval_features`,
  `run_experiment`, sticky assignment (in `features`).

See docs/EXPERIMENTS.md, "Assignment and flags".
"""

from academy.experiments.assignment.conditions import (
    Predicate,
    compile_condition,
    eval_condition,
    get_path,
    get_type,
    padded_version_string,
)
from academy.experiments.assignment.features import (
    ExperimentResult,
    ExperimentRule,
    Feature,
    FeatureResult,
    Filter,
    Flags,
    FlagsEvaluation,
    ForceRule,
    Namespace,
    PayloadError,
    Rule,
    Source,
    VariationMeta,
    eval_feature,
    eval_features,
    run_experiment,
    sticky_bucket_key,
)
from academy.experiments.assignment.hashing import (
    BucketRange,
    choose_variation,
    fnv1a32,
    gb_hash,
    get_bucket_ranges,
    get_equal_weights,
    hash,
    in_namespace,
    in_range,
    js_number_to_string,
    normalized_weights,
)

__all__ = [
    "BucketRange",
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
    "Predicate",
    "Rule",
    "Source",
    "VariationMeta",
    "choose_variation",
    "compile_condition",
    "eval_condition",
    "eval_feature",
    "eval_features",
    "fnv1a32",
    "gb_hash",
    "get_bucket_ranges",
    "get_equal_weights",
    "get_path",
    "get_type",
    "hash",
    "in_namespace",
    "in_range",
    "js_number_to_string",
    "normalized_weights",
    "padded_version_string",
    "run_experiment",
    "sticky_bucket_key",
]
