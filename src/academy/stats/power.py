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


def alpha_per_test(
    alpha: float, *, variations: int = 2, metrics: int = 1, correct_multiple_testing: bool = False
) -> float:
    """The alpha each test gets: alpha / ((variations - 1) * metrics) when corrected."""
    check_probability(alpha, "alpha")
    if variations < 2:
        raise StatsInputError(f"An experiment needs at least 2 variations, not {variations!r}.")
    if metrics < 1:
        raise StatsInputError(f"metrics must be at least 1, not {metrics!r}.")
    return alpha / ((variations - 1) * metrics) if correct_multiple_testing else alpha


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
    alpha: float = 0.05,
    power: float = 0.8,
    variations: int = 2,
    metrics: int = 1,
    correct_multiple_testing: bool = False,
    treatment_variance: float | None = None,
) -> int:
    """Units each variation needs to detect `relative_effect` (0.05 = 5 %) with this power.

    n = (z(1 - alpha/2) * sqrt(2 v0) + z(power) * sqrt(v0 + v1))^2 / delta^2 with
    delta = |relative_effect * baseline_mean|, v0 the baseline per-unit variance and v1 the
    treatment's (the baseline's if not given).
    """
    check_probability(power, "power")
    v0, v1 = _variances(baseline_variance, treatment_variance)
    delta = _absolute_effect(baseline_mean, relative_effect)
    level = alpha_per_test(
        alpha,
        variations=variations,
        metrics=metrics,
        correct_multiple_testing=correct_multiple_testing,
    )
    z_alpha, z_power = special.ndtri(1 - level / 2), special.ndtri(power)
    spread = z_alpha * math.sqrt(2 * v0) + z_power * math.sqrt(v0 + v1)
    # Rounded to 1e-9 first so an exact whole number is not pushed up by floating-point noise.
    return math.ceil(round(float(spread**2 / delta**2), 9))


@dataclass(frozen=True, slots=True)
class MinimumDetectableEffect:
    """The smallest true effect found with the given power: absolute and relative to baseline."""

    absolute: float
    relative: float
    alpha_per_test: float
    power: float


def minimum_detectable_effect(
    *,
    n_per_variation: int,
    baseline_mean: float,
    baseline_variance: float,
    alpha: float = 0.05,
    power: float = 0.8,
    variations: int = 2,
    metrics: int = 1,
    correct_multiple_testing: bool = False,
) -> MinimumDetectableEffect:
    """MDE = (z(1 - alpha/2) + z(power)) * sqrt(2 v0 / n): the treatment keeps the variance."""
    check_probability(power, "power")
    _check_positive("baseline_variance", baseline_variance)
    if n_per_variation < 2:
        raise StatsInputError(f"n_per_variation must be at least 2, not {n_per_variation!r}.")
    if not math.isfinite(baseline_mean) or baseline_mean == 0:
        raise StatsInputError("The baseline mean must be a non-zero number.")
    level = alpha_per_test(
        alpha,
        variations=variations,
        metrics=metrics,
        correct_multiple_testing=correct_multiple_testing,
    )
    z_sum = float(special.ndtri(1 - level / 2) + special.ndtri(power))
    absolute = z_sum * math.sqrt(2 * baseline_variance / n_per_variation)
    return MinimumDetectableEffect(
        absolute=absolute,
        relative=absolute / abs(baseline_mean),
        alpha_per_test=level,
        power=power,
    )


def power_at(
    *,
    n_per_variation: int,
    baseline_mean: float,
    baseline_variance: float,
    relative_effect: float,
    alpha: float = 0.05,
    variations: int = 2,
    metrics: int = 1,
    correct_multiple_testing: bool = False,
    treatment_variance: float | None = None,
) -> float:
    """Chance that a two-sided test with n units per variation finds `relative_effect`."""
    v0, v1 = _variances(baseline_variance, treatment_variance)
    if n_per_variation < 2:
        raise StatsInputError(f"n_per_variation must be at least 2, not {n_per_variation!r}.")
    delta = _absolute_effect(baseline_mean, relative_effect)
    level = alpha_per_test(
        alpha,
        variations=variations,
        metrics=metrics,
        correct_multiple_testing=correct_multiple_testing,
    )
    z_alpha = float(special.ndtri(1 - level / 2))
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
