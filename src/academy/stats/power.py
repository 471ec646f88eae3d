"""Planning: sample size, minimum detectable effect, power and days remaining.

Two-sided tests at level alpha on the absolute difference of means, normal approximation. The
sample size uses the variance of the difference under the null (twice the baseline variance)
and under the alternative (baseline plus treatment variance); for a conversion rate p the
variance is p(1 - p) and this is the formula of Evan Miller's sample-size calculator. With
several comparisons (treatments x metrics) the alpha can be split Bonferroni-style, the worst
case of Holm-Bonferroni, so the plan is never optimistic. Formulas in docs/STATS.md.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from scipy import special  # type: ignore[import-untyped]

from academy.stats.effects import check_probability
from academy.stats.errors import StatsInputError


def _check_positive(name: str, value: float) -> None:
    if not (value > 0 and math.isfinite(value)):
        raise StatsInputError(f"{name} must be a positive number, not {value!r}.")


@dataclass(frozen=True, slots=True)
class Plan:
    """Level, power and the comparisons the alpha is shared among.

    With `correct_multiple_testing`, each test gets alpha / ((variations - 1) * metrics).
    """

    alpha: float = 0.05
    power: float = 0.8
    variations: int = 2
    metrics: int = 1
    correct_multiple_testing: bool = False

    def __post_init__(self) -> None:
        check_probability(self.alpha, "alpha")
        check_probability(self.power, "power")
        if self.variations < 2:
            raise StatsInputError(
                f"An experiment needs at least 2 variations, not {self.variations!r}."
            )
        if self.metrics < 1:
            raise StatsInputError(f"metrics must be at least 1, not {self.metrics!r}.")

    @property
    def alpha_per_test(self) -> float:
        if not self.correct_multiple_testing:
            return self.alpha
        return self.alpha / ((self.variations - 1) * self.metrics)

    @property
    def z_alpha(self) -> float:
        """The two-sided critical value at the per-test alpha."""
        return float(special.ndtri(1 - self.alpha_per_test / 2))

    @property
    def z_power(self) -> float:
        return float(special.ndtri(self.power))


def _check_units(n_per_variation: int) -> None:
    if n_per_variation < 2:
        raise StatsInputError(f"n_per_variation must be at least 2, not {n_per_variation!r}.")


DEFAULT_PLAN = Plan()


def _variances(baseline: float, treatment: float | None) -> tuple[float, float]:
    """Baseline and treatment per-unit variances (the treatment defaults to the baseline)."""
    _check_positive("baseline_variance", baseline)
    treatment = baseline if treatment is None else treatment
    _check_positive("treatment_variance", treatment)
    return baseline, treatment


def _absolute_effect(baseline_mean: float, relative_effect: float) -> float:
    if not math.isfinite(baseline_mean) or baseline_mean == 0:
        raise StatsInputError(
            "The baseline mean must be a non-zero number for a relative effect to mean anything."
        )
    if not math.isfinite(relative_effect) or relative_effect == 0:
        raise StatsInputError(f"The effect must be a non-zero number, not {relative_effect!r}.")
    return abs(relative_effect * baseline_mean)


def sample_size_per_variation(
    *,
    baseline_mean: float,
    baseline_variance: float,
    relative_effect: float,
    treatment_variance: float | None = None,
    plan: Plan = DEFAULT_PLAN,
) -> int:
    """Units each variation needs to detect `relative_effect` (0.05 = 5 %) with this power.

    n = (z(1 - alpha/2) * sqrt(2 v0) + z(power) * sqrt(v0 + v1))^2 / delta^2 with
    delta = |relative_effect * baseline_mean|, v0 the baseline per-unit variance and v1 the
    treatment's (the baseline's if not given).
    """
    v0, v1 = _variances(baseline_variance, treatment_variance)
    delta = _absolute_effect(baseline_mean, relative_effect)
    spread = plan.z_alpha * math.sqrt(2 * v0) + plan.z_power * math.sqrt(v0 + v1)
    # Rounded to 1e-9 first so an exact whole number is not pushed up by floating-point noise.
    return math.ceil(round(float(spread**2 / delta**2), 9))


@dataclass(frozen=True, slots=True)
class MinimumDetectableEffect:
    """The smallest true effect found with the given power: absolute and relative to baseline."""

    absolute: float
    relative: float


def minimum_detectable_effect(
    *,
    n_per_variation: int,
    baseline_mean: float,
    baseline_variance: float,
    plan: Plan = DEFAULT_PLAN,
) -> MinimumDetectableEffect:
    """MDE = (z(1 - alpha/2) + z(power)) * sqrt(2 v0 / n): the treatment keeps the variance."""
    _check_positive("baseline_variance", baseline_variance)
    _check_units(n_per_variation)
    if not math.isfinite(baseline_mean) or baseline_mean == 0:
        raise StatsInputError("The baseline mean must be a non-zero number.")
    absolute = (plan.z_alpha + plan.z_power) * math.sqrt(2 * baseline_variance / n_per_variation)
    return MinimumDetectableEffect(absolute=absolute, relative=absolute / abs(baseline_mean))


def power_at(
    *,
    n_per_variation: int,
    baseline_mean: float,
    baseline_variance: float,
    relative_effect: float,
    treatment_variance: float | None = None,
    plan: Plan = DEFAULT_PLAN,
) -> float:
    """Chance that a two-sided test with n units per variation finds `relative_effect`
    (`plan.power` is not used: it is what this computes)."""
    v0, v1 = _variances(baseline_variance, treatment_variance)
    _check_units(n_per_variation)
    delta = _absolute_effect(baseline_mean, relative_effect)
    z_alpha = plan.z_alpha
    null_sd = math.sqrt(2 * v0)
    alternative_sd = math.sqrt(v0 + v1)
    shift = delta * math.sqrt(n_per_variation)
    return float(
        special.ndtr((shift - z_alpha * null_sd) / alternative_sd)
        + special.ndtr((-shift - z_alpha * null_sd) / alternative_sd)
    )


@dataclass(frozen=True, slots=True)
class DurationEstimate:
    """How long until every variation has `required_per_variation` units.

    `days_remaining` is 0 once reached and None when no units arrive (it would never end).
    """

    required_per_variation: int
    current_per_variation: tuple[int, ...]
    daily_units_per_variation: tuple[float, ...]
    days_remaining: int | None

    @property
    def complete(self) -> bool:
        return self.days_remaining == 0


def duration_estimate(
    *,
    required_per_variation: int,
    current_per_variation: Sequence[int],
    daily_units: float,
    weights: Sequence[float] | None = None,
) -> DurationEstimate:
    """Days until the slowest variation reaches the required units, at `daily_units` new units
    a day across the experiment split by the assignment `weights` (equal if not given)."""
    if required_per_variation < 0:
        raise StatsInputError("required_per_variation must be ≥ 0.")
    if len(current_per_variation) < 2:
        raise StatsInputError("Give the current units of every variation (at least 2).")
    if any(c < 0 for c in current_per_variation):
        raise StatsInputError("Current units per variation must be ≥ 0.")
    if not (daily_units >= 0 and math.isfinite(daily_units)):
        raise StatsInputError(f"daily_units must be a number ≥ 0, not {daily_units!r}.")
    shares = [1.0] * len(current_per_variation) if weights is None else list(weights)
    if len(shares) != len(current_per_variation):
        raise StatsInputError("Give one weight per variation.")
    if any(not (w > 0 and math.isfinite(w)) for w in shares):
        raise StatsInputError("Every weight must be a positive number.")
    total_weight = math.fsum(shares)
    daily = tuple(daily_units * w / total_weight for w in shares)
    missing = [max(required_per_variation - c, 0) for c in current_per_variation]
    days: int | None = 0
    if any(missing):
        if daily_units == 0:
            days = None
        else:
            days = max(math.ceil(m / d) for m, d in zip(missing, daily, strict=True))
    return DurationEstimate(
        required_per_variation=required_per_variation,
        current_per_variation=tuple(int(c) for c in current_per_variation),
        daily_units_per_variation=daily,
        days_remaining=days,
    )
