"""What an experiment analysis says: the typed results of one dated snapshot (Django-free).

`pipeline.analyze()` builds an `ExperimentResults` from the rollups; `services.experiment_analyze`
stores it as the JSON of an `ExperimentSnapshot` (one per experiment and day) and the selectors
`experiment_results(experiment)` / `experiment_snapshots(experiment)` read it back. Everything here
is a frozen dataclass of plain values, so it round-trips through JSON (`to_json` / `from_json`)
and templates can read it directly.

Conventions:

- the first variation of the experiment is the control; every other variation has one
  `Comparison` against it per metric;
- effects are "treatment minus control" (absolute) and "treatment / control - 1" (relative, `None`
  when the control's value is 0); whether that is good depends on `MetricResult.lower_is_better`;
- p-values are two-sided; `adjusted_p_value` is Holm's over the primary metrics and treatments and
  Benjamini-Hochberg's over a metric's dimension slices;
- a value that cannot be computed (too few creators, a zero denominator) is `None`, with the reason
  in `MetricResult.error` or `ExperimentResults.warnings`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from pydantic import TypeAdapter

MetricKind = Literal["proportion", "mean", "ratio"]
MetricRole = Literal["primary", "guardrail"]
Verdict = Literal["better", "worse", "inconclusive"]
Action = Literal["ship", "roll_back", "keep_running"]
Dimension = Literal["region", "language", "follower_tier", "platform"]
SnapshotStatus = Literal["ok", "failed"]

DIMENSIONS: tuple[Dimension, ...] = ("region", "language", "follower_tier", "platform")
# A dimension's values beyond its most common ones are summed into this slice.
OTHER = "other"


@dataclass(frozen=True)
class Interval:
    """An estimate with its interval (confidence, always-valid or credible, as the field says)."""

    estimate: float
    low: float
    high: float


@dataclass(frozen=True)
class ArmValue:
    """One variation's value of a metric: creators, the metric (mean, proportion or ratio) and,
    for ratio metrics, the numerator and denominator totals."""

    variation: str
    creators: int
    value: float | None
    numerator: float
    denominator: float | None = None


@dataclass(frozen=True)
class Frequentist:
    """Absolute and relative effect with their intervals and the two-sided p-value."""

    absolute: Interval
    relative: Interval | None
    p_value: float


@dataclass(frozen=True)
class Bayesian:
    """The posterior of the relative effect (absolute when the control's value is 0)."""

    relative: bool
    effect: Interval  # credible interval
    chance_to_beat_control: float
    # Expected loss, in the effect's units, of shipping the treatment / of keeping the control.
    risk_treatment: float
    risk_control: float


@dataclass(frozen=True)
class NonInferiority:
    """A guardrail's one-sided test: is the treatment no worse than `margin` (relative)?"""

    margin: float
    worst_case: float  # one-sided bound of the relative effect in the metric's bad direction
    p_value: float
    non_inferior: bool
    inferior: bool


@dataclass(frozen=True)
class Comparison:
    """One treatment against the control on one metric."""

    variation: str
    control: ArmValue
    treatment: ArmValue
    fixed: Frequentist  # Welch's fixed-horizon test
    sequential: Frequentist  # always-valid intervals, readable every day
    bayesian: Bayesian
    # The same with CUPED (mean and proportion metrics with a pre-exposure window), else None.
    cuped_fixed: Frequentist | None
    cuped_sequential: Frequentist | None
    cuped_bayesian: Bayesian | None
    cuped_variance_reduction: float | None
    # Holm over primary metrics and treatments, on the p-value the decision uses.
    adjusted_p_value: float | None
    non_inferiority: NonInferiority | None  # guardrails only
    verdict: Verdict


@dataclass(frozen=True)
class SliceComparison:
    """One treatment against the control within one dimension value (sequential test)."""

    variation: str
    control: ArmValue
    treatment: ArmValue
    relative: Interval | None
    absolute: Interval
    p_value: float
    adjusted_p_value: float  # Benjamini-Hochberg over the metric's slices and treatments


@dataclass(frozen=True)
class DimensionSlice:
    dimension: Dimension
    value: str  # a dimension value, or OTHER
    creators: int
    comparisons: tuple[SliceComparison, ...]
    error: str = ""  # why this slice has no comparison (too few creators…)


@dataclass(frozen=True)
class CumulativePoint:
    """The effect as of one day: creators exposed up to that day (exposure-day cohorts
    accumulated), with the always-valid interval."""

    day: date
    control_creators: int
    treatment_creators: int
    absolute: Interval
    relative: Interval | None


@dataclass(frozen=True)
class CumulativeSeries:
    variation: str
    points: tuple[CumulativePoint, ...]


@dataclass(frozen=True)
class Power:
    """How far the metric is from detecting its target effect (control's variance, Welch)."""

    target_effect: float  # relative effect the metric is planned to detect
    # The smallest relative effect detectable at 80 % power with the creators so far.
    minimum_detectable_effect: float | None
    required_per_variation: int | None
    days_remaining: int | None  # None when no creators arrive any more


@dataclass(frozen=True)
class MetricResult:
    key: str
    name: str
    kind: MetricKind
    role: MetricRole
    lower_is_better: bool
    window_days: int
    delay_days: int
    arms: tuple[ArmValue, ...]  # every variation, control first
    comparisons: tuple[Comparison, ...]  # one per treatment
    cumulative: tuple[CumulativeSeries, ...]  # one per treatment
    dimensions: tuple[DimensionSlice, ...]
    power: Power | None
    error: str = ""  # why there are no comparisons (e.g. fewer than 2 creators in a variation)


@dataclass(frozen=True)
class Srm:
    """Sample-ratio mismatch: exposed creators per variation against the weights."""

    observed: tuple[int, ...]
    expected: tuple[float, ...]
    p_value: float
    mismatch: bool
    threshold: float


@dataclass(frozen=True)
class DecisionReason:
    code: str  # academy.stats.ReasonCode value
    metric: str | None


@dataclass(frozen=True)
class VariationDecision:
    """`academy.stats.decide` for one treatment (sequential results, Holm-adjusted)."""

    variation: str
    action: Action
    reasons: tuple[DecisionReason, ...]


@dataclass(frozen=True)
class VariationInfo:
    key: str
    name: str
    weight: float
    creators: int  # exposed up to the snapshot's day


@dataclass(frozen=True)
class ExperimentResults:
    experiment: str
    as_of: date  # the last day of data included
    start: date  # the first exposure day
    computed_at: datetime
    alpha: float
    variations: tuple[VariationInfo, ...]  # control first
    srm: Srm | None
    metrics: tuple[MetricResult, ...]  # primary metrics first, then guardrails
    decisions: tuple[VariationDecision, ...]  # one per treatment
    warnings: tuple[str, ...] = field(default=())

    @property
    def control(self) -> str:
        return self.variations[0].key

    @property
    def primary(self) -> tuple[MetricResult, ...]:
        return tuple(metric for metric in self.metrics if metric.role == "primary")

    @property
    def guardrails(self) -> tuple[MetricResult, ...]:
        return tuple(metric for metric in self.metrics if metric.role == "guardrail")

    def metric(self, key: str) -> MetricResult | None:
        return next((metric for metric in self.metrics if metric.key == key), None)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON values (dates as ISO strings) for the snapshot's `results` field."""
        data: dict[str, Any] = _ADAPTER.dump_python(self, mode="json")
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ExperimentResults:
        return _ADAPTER.validate_python(data)


@dataclass(frozen=True)
class SnapshotSummary:
    """One dated snapshot as the results page lists them."""

    date: date
    computed_at: datetime
    status: SnapshotStatus
    error: str
    creators: int


_ADAPTER: TypeAdapter[ExperimentResults] = TypeAdapter(ExperimentResults)
