"""Sample size, MDE, power and duration against a published example and scipy's normal."""

from __future__ import annotations

import math

import pytest
from scipy import stats as scipy_stats  # type: ignore[import-untyped]

from academy.stats import (
    Plan,
    StatsInputError,
    duration_estimate,
    minimum_detectable_effect,
    power_at,
    sample_size_per_variation,
)


def test_evan_millers_worked_example() -> None:
    """Evan Miller's calculator: 20 % baseline conversion, 5 points absolute MDE, alpha 5 %,
    power 80 % → 1,030 per variation (1030.2 before rounding; a sample size rounds up)."""
    n = sample_size_per_variation(
        baseline_mean=0.20,
        baseline_variance=0.20 * 0.80,
        relative_effect=0.25,
        treatment_variance=0.25 * 0.75,
    )
    assert n == 1031
    power_below = power_at(
        n_per_variation=1030,
        baseline_mean=0.20,
        baseline_variance=0.16,
        relative_effect=0.25,
        treatment_variance=0.1875,
    )
    power_at_n = power_at(
        n_per_variation=n,
        baseline_mean=0.20,
        baseline_variance=0.16,
        relative_effect=0.25,
        treatment_variance=0.1875,
    )
    assert power_below < 0.8 <= power_at_n


def test_sample_size_and_mde_are_the_normal_formulas() -> None:
    z = scipy_stats.norm.ppf(0.975) + scipy_stats.norm.ppf(0.9)
    plan = Plan(power=0.9)
    n = sample_size_per_variation(
        baseline_mean=12.0, baseline_variance=36.0, relative_effect=0.02, plan=plan
    )
    assert n == math.ceil(z**2 * 2 * 36.0 / 0.24**2)
    mde = minimum_detectable_effect(
        n_per_variation=n, baseline_mean=12.0, baseline_variance=36.0, plan=plan
    )
    assert mde.absolute == pytest.approx(z * math.sqrt(2 * 36.0 / n))
    assert mde.relative == pytest.approx(0.02, rel=0.001)


def test_power_is_the_two_sided_normal_rejection_probability() -> None:
    se = math.sqrt(2 * 4.0 / 5000)
    z = scipy_stats.norm.ppf(0.975)
    expected = scipy_stats.norm.sf(z - 0.1 / se) + scipy_stats.norm.cdf(-z - 0.1 / se)
    assert power_at(
        n_per_variation=5000, baseline_mean=2.0, baseline_variance=4.0, relative_effect=0.05
    ) == pytest.approx(expected)


def test_correcting_for_more_comparisons_needs_more_units() -> None:
    plain = sample_size_per_variation(
        baseline_mean=1.0,
        baseline_variance=1.0,
        relative_effect=0.05,
        plan=Plan(variations=3, metrics=5),
    )
    corrected_plan = Plan(variations=3, metrics=5, correct_multiple_testing=True)
    corrected = sample_size_per_variation(
        baseline_mean=1.0, baseline_variance=1.0, relative_effect=0.05, plan=corrected_plan
    )
    assert corrected_plan.alpha_per_test == 0.005
    z_corrected = scipy_stats.norm.ppf(1 - 0.005 / 2) + scipy_stats.norm.ppf(0.8)
    assert corrected == math.ceil(z_corrected**2 * 2 / 0.05**2)
    assert corrected > plain


def test_days_remaining_follow_the_slowest_variation() -> None:
    estimate = duration_estimate(
        required_per_variation=10_000,
        current_per_variation=[6_000, 2_100],
        daily_units=1_000,
        weights=[0.8, 0.2],
    )
    assert estimate.daily_units_per_variation == pytest.approx((800, 200))
    assert estimate.days_remaining == math.ceil(7_900 / 200)
    done = duration_estimate(
        required_per_variation=100, current_per_variation=[150, 120], daily_units=0
    )
    assert done.complete
    stalled = duration_estimate(
        required_per_variation=100, current_per_variation=[50, 60], daily_units=0
    )
    assert stalled.days_remaining is None


def test_bad_planning_inputs_are_refused() -> None:
    with pytest.raises(StatsInputError, match="non-zero"):
        sample_size_per_variation(baseline_mean=0.0, baseline_variance=1.0, relative_effect=0.1)
    with pytest.raises(StatsInputError, match="power must be between 0 and 1"):
        Plan(power=80)
    with pytest.raises(StatsInputError, match="at least 2 variations"):
        Plan(variations=1)
