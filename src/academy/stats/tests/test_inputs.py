"""Sufficient statistics: refusing impossible sums, the delta method for ratios, and CUPED."""

from __future__ import annotations

import math

import numpy as np
import pytest

from academy.stats import (
    ArmEstimate,
    CupedStats,
    RatioStats,
    SampleStats,
    StatsInputError,
    cuped_estimates,
    estimate,
)


def test_sample_stats_give_the_mean_and_sample_variance_of_the_values() -> None:
    values = np.array([3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0])
    stats = SampleStats.from_values(values)
    assert stats.n == 8
    assert stats.mean == pytest.approx(values.mean())
    assert stats.variance == pytest.approx(values.var(ddof=1))


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: SampleStats(n=10, sum=10.0, sum_squares=5.0), "negative variance"),
        (lambda: SampleStats(n=-1, sum=0.0, sum_squares=0.0), "whole number of units"),
        (lambda: SampleStats(n=3, sum=math.nan, sum_squares=1.0), "finite number"),
        (
            lambda: RatioStats(
                n=3,
                numerator_sum=3.0,
                numerator_sum_squares=5.0,
                denominator_sum=3.0,
                denominator_sum_squares=5.0,
                cross_sum=100.0,
            ),
            "correlation beyond",
        ),
        (
            lambda: CupedStats(
                n=4, sum=4.0, sum_squares=4.0, pre_sum=8.0, pre_sum_squares=1.0, cross_sum=8.0
            ),
            "pre-exposure values",
        ),
        (lambda: ArmEstimate(n=10, mean=1.0, variance=-1.0), "variance must be"),
    ],
)
def test_impossible_sums_are_refused_with_a_clear_message(build: object, message: str) -> None:
    with pytest.raises(StatsInputError, match=message):
        build()  # type: ignore[operator]


def test_one_unit_is_not_enough_for_a_variance() -> None:
    with pytest.raises(StatsInputError, match="1 unit; a variance needs at least 2"):
        estimate(SampleStats(n=1, sum=3.0, sum_squares=9.0))


def test_rounding_just_below_zero_variance_is_accepted_as_zero() -> None:
    values = np.full(1000, 0.1)
    stats = SampleStats.from_values(values)
    assert estimate(stats).variance == pytest.approx(0.0, abs=1e-15)


def test_ratio_with_zero_denominator_is_refused() -> None:
    stats = RatioStats.from_values([1.0, 2.0, 0.0], [0.0, 0.0, 0.0])
    with pytest.raises(StatsInputError, match="denominator summing to 0"):
        estimate(stats)


def test_ratio_variance_is_the_linearised_variance_computed_on_raw_data() -> None:
    rng = np.random.default_rng(7)
    impressions = rng.poisson(20, size=3000).astype(float) + 1
    clicks = rng.binomial(impressions.astype(int), 0.08).astype(float)
    result = estimate(RatioStats.from_values(clicks, impressions))

    ratio = clicks.sum() / impressions.sum()
    # Closed form (Deng, Knoblich & Lu 2018): the ratio's influence values (y - R x) / mean(x).
    influence = (clicks - ratio * impressions) / impressions.mean()
    assert result.mean == pytest.approx(ratio)
    assert result.variance == pytest.approx(influence.var(ddof=1), rel=1e-9)


def test_ratio_standard_error_agrees_with_a_bootstrap() -> None:
    rng = np.random.default_rng(11)
    n = 2000
    sessions = rng.geometric(0.2, size=n).astype(float)
    watch_minutes = sessions * rng.gamma(2.0, 1.5, size=n)
    result = estimate(RatioStats.from_values(watch_minutes, sessions))

    resamples = rng.integers(0, n, size=(1500, n))
    boot = watch_minutes[resamples].sum(axis=1) / sessions[resamples].sum(axis=1)
    assert result.standard_error == pytest.approx(boot.std(ddof=1), rel=0.08)


def _cuped_data(
    rng: np.random.Generator, n: int, effect: float, correlation: float
) -> tuple[np.ndarray, np.ndarray]:
    pre = rng.normal(10, 3, size=n)
    noise = rng.normal(0, 3, size=n)
    post = 10 + effect + correlation * (pre - 10) + math.sqrt(1 - correlation**2) * noise
    return post, pre


def test_cuped_equals_the_regression_on_variation_and_pre_exposure_value() -> None:
    rng = np.random.default_rng(3)
    arms = [_cuped_data(rng, n, effect, 0.7) for n, effect in ((900, 0.0), (1100, 0.4), (800, 0))]
    adjustment = cuped_estimates([CupedStats.from_values(y, x) for y, x in arms])

    # OLS y ~ one indicator per variation + pre-exposure value, solved with lstsq on raw rows.
    y = np.concatenate([post for post, _pre in arms])
    x = np.concatenate([pre for _post, pre in arms])
    arm_of = np.repeat(np.arange(3), [post.size for post, _pre in arms])
    design = np.column_stack([(arm_of == k).astype(float) for k in range(3)] + [x])
    coefficients, *_ = np.linalg.lstsq(design, y, rcond=None)
    residuals = y - design @ coefficients

    assert adjustment.theta == pytest.approx(coefficients[3], rel=1e-9)
    for k in range(3):
        adjusted = adjustment.estimates[k]
        assert adjusted.mean == pytest.approx(coefficients[k] + coefficients[3] * x.mean())
        assert adjusted.variance == pytest.approx(residuals[arm_of == k].var(ddof=1), rel=1e-9)
    effect = adjustment.estimates[1].mean - adjustment.estimates[0].mean
    assert effect == pytest.approx(coefficients[1] - coefficients[0], rel=1e-9)


def test_cuped_shrinks_the_variance_by_the_squared_correlation() -> None:
    rng = np.random.default_rng(5)
    arms = [_cuped_data(rng, 20_000, 0.0, 0.8) for _ in range(2)]
    adjustment = cuped_estimates([CupedStats.from_values(y, x) for y, x in arms])
    for adjusted, raw, reduction in zip(
        adjustment.estimates, adjustment.unadjusted, adjustment.variance_reduction, strict=True
    ):
        assert adjusted.variance < raw.variance
        assert reduction == pytest.approx(0.64, abs=0.02)


def test_cuped_without_history_leaves_the_means_unchanged() -> None:
    rng = np.random.default_rng(9)
    arms = [rng.normal(5, 2, size=300) for _ in range(2)]
    adjustment = cuped_estimates([CupedStats.from_values(y, np.zeros_like(y)) for y in arms])
    assert adjustment.theta == 0.0
    assert adjustment.estimates == adjustment.unadjusted
    assert adjustment.variance_reduction == (0.0, 0.0)


def test_cuped_needs_every_variation() -> None:
    with pytest.raises(StatsInputError, match="at least 2"):
        cuped_estimates([CupedStats.from_values([1.0, 2.0], [1.0, 3.0])])
