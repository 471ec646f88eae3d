"""Creator Academy's experiment statistics engine (Django-free).

Per-variation sufficient statistics in, typed frozen results out; `docs/STATS.md` gives every
formula, its references and how the experiments app calls it. Bad input raises
`StatsInputError` (a `ValueError`) with a message fit for a 400 answer.
"""

from academy.stats.bayesian import BayesianResult, GaussianPrior, bayesian_test
from academy.stats.corrections import benjamini_hochberg, holm_bonferroni
from academy.stats.decision import (
    Decision,
    Guardrail,
    PrimaryMetric,
    Reason,
    ReasonCode,
    decide,
)
from academy.stats.effects import Arm
from academy.stats.errors import StatsInputError
from academy.stats.frequentist import (
    DEFAULT_SEQUENTIAL_TUNING,
    Effect,
    FrequentistResult,
    NonInferiorityResult,
    non_inferiority_test,
    sequential_test,
    welch_test,
)
from academy.stats.inputs import (
    ArmEstimate,
    CupedAdjustment,
    CupedStats,
    RatioStats,
    SampleStats,
    cuped_estimates,
    estimate,
)
from academy.stats.power import (
    DurationEstimate,
    MinimumDetectableEffect,
    Plan,
    duration_estimate,
    minimum_detectable_effect,
    power_at,
    sample_size_per_variation,
)
from academy.stats.srm import DEFAULT_SRM_THRESHOLD, SrmResult, srm_check

__all__ = [
    "DEFAULT_SEQUENTIAL_TUNING",
    "DEFAULT_SRM_THRESHOLD",
    "Arm",
    "ArmEstimate",
    "BayesianResult",
    "CupedAdjustment",
    "CupedStats",
    "Decision",
    "DurationEstimate",
    "Effect",
    "FrequentistResult",
    "GaussianPrior",
    "Guardrail",
    "MinimumDetectableEffect",
    "NonInferiorityResult",
    "Plan",
    "PrimaryMetric",
    "RatioStats",
    "Reason",
    "ReasonCode",
    "SampleStats",
    "SrmResult",
    "StatsInputError",
    "bayesian_test",
    "benjamini_hochberg",
    "cuped_estimates",
    "decide",
    "duration_estimate",
    "estimate",
    "holm_bonferroni",
    "minimum_detectable_effect",
    "non_inferiority_test",
    "power_at",
    "sample_size_per_variation",
    "sequential_test",
    "srm_check",
    "welch_test",
]
