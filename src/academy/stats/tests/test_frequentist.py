"""Welch, sequential and non-inferiority tests pinned to scipy, closed forms and simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as scipy_stats  # type: ignore[import-untyped]

from academy.stats import (
    ArmEstimate,
    SampleStats,
    StatsInputError,
    non_inferiority_test,
    sequential_test,
    welch_test,
)
from academy.stats.frequentist import _sequential_scale


@pytest.fixture(scope="module")
def samples() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(2026)
    return rng.lognormal(1.0, 0.8, size=700), rng.lognormal(1.08, 0.9, size=450)


def test_welch_matches_scipy_on_the_raw_values(samples: tuple[np.ndarray, np.ndarray]) -> None:
    control, treatment = samples
    result = welch_test(SampleStats.from_values(control), SampleStats.from_values(treatment))
    reference = scipy_stats.ttest_ind(treatment, control, equal_var=False)
    interval = reference.confidence_interval(confidence_level=0.95)

    assert result.statistic == pytest.approx(reference.statistic, rel=1e-10)
    assert result.p_value == pytest.approx(reference.pvalue, rel=1e-9)
    assert result.degrees_of_freedom == pytest.approx(reference.df, rel=1e-10)
    assert result.absolute.estimate == pytest.approx(treatment.mean() - control.mean())
    assert result.absolute.ci_low == pytest.approx(interval.low, rel=1e-9)
    assert result.absolute.ci_high == pytest.approx(interval.high, rel=1e-9)


def test_welch_alpha_sets_the_interval_level(samples: tuple[np.ndarray, np.ndarray]) -> None:
    control, treatment = samples
    result = welch_test(
        SampleStats.from_values(control), SampleStats.from_values(treatment), alpha=0.1
    )
    interval = scipy_stats.ttest_ind(treatment, control, equal_var=False).confidence_interval(0.9)
    assert (result.absolute.ci_low, result.absolute.ci_high) == pytest.approx(
        (interval.low, interval.high), rel=1e-9
    )


def test_relative_effect_uses_the_delta_method(samples: tuple[np.ndarray, np.ndarray]) -> None:
    control, treatment = samples
    result = welch_test(SampleStats.from_values(control), SampleStats.from_values(treatment))
    assert result.relative is not None

    # Gradient of g(a, b) = b / a - 1 by central differences, with the means' covariance.
    means = np.array([control.mean(), treatment.mean()])
    covariance = np.diag([control.var(ddof=1) / control.size, treatment.var(ddof=1) / 450])
    step = 1e-6
    gradient = np.array(
        [
            ((means[1] / (means[0] + step)) - (means[1] / (means[0] - step))) / (2 * step),
            (((means[1] + step) / means[0]) - ((means[1] - step) / means[0])) / (2 * step),
        ]
    )
    assert result.relative.estimate == pytest.approx(means[1] / means[0] - 1)
    assert result.relative.standard_error == pytest.approx(
        math.sqrt(gradient @ covariance @ gradient), rel=1e-6
    )
    t_quantile = scipy_stats.t.ppf(0.975, result.degrees_of_freedom)
    assert result.relative.ci_high - result.relative.estimate == pytest.approx(
        t_quantile * result.relative.standard_error
    )


def test_relative_standard_error_agrees_with_a_bootstrap(
    samples: tuple[np.ndarray, np.ndarray],
) -> None:
    control, treatment = samples
    result = welch_test(SampleStats.from_values(control), SampleStats.from_values(treatment))
    rng = np.random.default_rng(1)
    boot_control = control[rng.integers(0, control.size, (2000, control.size))].mean(axis=1)
    boot_treat = treatment[rng.integers(0, treatment.size, (2000, treatment.size))].mean(axis=1)
    assert result.relative is not None
    assert result.relative.standard_error == pytest.approx(
        (boot_treat / boot_control - 1).std(ddof=1), rel=0.08
    )


def test_zero_control_mean_has_no_relative_effect() -> None:
    result = welch_test(
        ArmEstimate(n=100, mean=0.0, variance=1.0), ArmEstimate(n=100, mean=0.5, variance=1.0)
    )
    assert result.relative is None
    assert result.absolute.estimate == 0.5


def test_two_constant_variations_cannot_be_tested() -> None:
    constant = SampleStats.from_values([2.0] * 10)
    with pytest.raises(StatsInputError, match="zero variance"):
        welch_test(constant, constant)


def test_alpha_outside_zero_one_is_refused() -> None:
    arm = ArmEstimate(n=10, mean=1.0, variance=1.0)
    with pytest.raises(StatsInputError, match="alpha must be between 0 and 1"):
        welch_test(arm, arm, alpha=1.5)


@settings(max_examples=60, deadline=None)
@given(
    n_a=st.integers(2, 10**7),
    n_b=st.integers(2, 10**7),
    mean_a=st.floats(-1e3, 1e3),
    mean_b=st.floats(-1e3, 1e3),
    var_a=st.floats(1e-3, 1e4),
    var_b=st.floats(1e-3, 1e4),
    alpha=st.floats(0.001, 0.5),
)
def test_every_interval_contains_its_estimate_and_sequential_is_wider(
    n_a: int, n_b: int, mean_a: float, mean_b: float, var_a: float, var_b: float, alpha: float
) -> None:
    a = ArmEstimate(n=n_a, mean=mean_a, variance=var_a)
    b = ArmEstimate(n=n_b, mean=mean_b, variance=var_b)
    fixed, always_valid = welch_test(a, b, alpha=alpha), sequential_test(a, b, alpha=alpha)
    for result in (fixed, always_valid):
        for effect in (result.absolute, result.relative):
            if effect is not None:
                assert effect.ci_low <= effect.estimate <= effect.ci_high
        assert 0 <= result.p_value <= 1
        # A test rejects exactly when its interval leaves zero out (up to the boundary).
        if abs(result.p_value - alpha) > 1e-6:
            assert (result.p_value < alpha) == result.absolute.excludes_zero()
    assert always_valid.p_value >= fixed.p_value * 0.999
    fixed_width = fixed.absolute.ci_high - fixed.absolute.ci_low
    assert always_valid.absolute.ci_high - always_valid.absolute.ci_low > fixed_width * 0.999


def test_sequential_half_width_is_the_published_formula() -> None:
    # Howard et al. (2021) asymptotic CS as GrowthBook documents it, written out independently.
    n_total, alpha, tuning = 8000, 0.05, 5000.0
    rho_sq = (-2 * math.log(alpha) + math.log(-2 * math.log(alpha) + 1)) / tuning
    width = math.sqrt(
        2
        * (n_total * rho_sq + 1)
        / (n_total**2 * rho_sq)
        * math.log(math.sqrt(n_total * rho_sq + 1) / alpha)
    )
    assert _sequential_scale(n_total, alpha, tuning) / math.sqrt(n_total) == pytest.approx(width)

    a = ArmEstimate(n=4000, mean=10.0, variance=4.0)
    b = ArmEstimate(n=4000, mean=10.2, variance=5.0)
    result = sequential_test(a, b, alpha=alpha, tuning_parameter=tuning)
    sigma = math.sqrt((4.0 / 4000 + 5.0 / 4000) * n_total)
    assert result.absolute.ci_high - result.absolute.estimate == pytest.approx(sigma * width)


def test_sequential_p_value_is_where_the_interval_reaches_zero() -> None:
    a = ArmEstimate(n=3000, mean=10.0, variance=9.0)
    b = ArmEstimate(n=3000, mean=10.45, variance=9.0)
    result = sequential_test(a, b)
    assert 0 < result.p_value < 0.05
    at_p = sequential_test(a, b, alpha=result.p_value)
    assert at_p.absolute.ci_low == pytest.approx(0.0, abs=1e-9)


def test_sequential_intervals_hold_at_every_look_in_aa_tests() -> None:
    """400 A/A experiments read 20 times each: peeking at Welch finds false winners far more
    often than alpha, the always-valid intervals stay below it."""
    rng = np.random.default_rng(42)
    runs, looks, per_look = 400, 20, 50
    values = rng.exponential(2.0, size=(runs, 2, looks * per_look))
    cumulative_sum = values.reshape(runs, 2, looks, per_look).sum(axis=3).cumsum(axis=2)
    cumulative_sq = (values**2).reshape(runs, 2, looks, per_look).sum(axis=3).cumsum(axis=2)
    final_units = 2 * looks * per_look  # N*: the planned total, fixed before the first look
    false_sequential = false_fixed = 0
    for run in range(runs):
        seen_sequential = seen_fixed = False
        for look in range(looks):
            n = per_look * (look + 1)
            arms = [
                SampleStats(
                    n=n, sum=cumulative_sum[run, k, look], sum_squares=cumulative_sq[run, k, look]
                )
                for k in (0, 1)
            ]
            seen_fixed |= welch_test(*arms).absolute.excludes_zero()
            seen_sequential |= sequential_test(
                *arms, tuning_parameter=final_units
            ).absolute.excludes_zero()
        false_fixed += seen_fixed
        false_sequential += seen_sequential
    assert false_sequential / runs <= 0.05
    assert false_fixed / runs > 0.1


def test_non_inferiority_matches_a_shifted_one_sided_welch_test(
    samples: tuple[np.ndarray, np.ndarray],
) -> None:
    control, treatment = samples
    margin = 0.3
    result = non_inferiority_test(
        SampleStats.from_values(control),
        SampleStats.from_values(treatment),
        margin=margin,
        relative=False,
    )
    reference = scipy_stats.ttest_ind(
        treatment + margin, control, equal_var=False, alternative="greater"
    )
    assert result.p_value == pytest.approx(reference.pvalue, rel=1e-9)
    assert result.non_inferior == (reference.pvalue < 0.05)
    lower = reference.confidence_interval(0.95).low - margin
    assert result.worst_case == pytest.approx(lower, rel=1e-9)


def test_non_inferiority_follows_the_metric_direction() -> None:
    control = ArmEstimate(n=50_000, mean=2.0, variance=1.0)
    slower = ArmEstimate(n=50_000, mean=2.2, variance=1.0)  # e.g. load time: 10 % worse
    harmful = non_inferiority_test(control, slower, margin=0.02, lower_is_better=True)
    assert harmful.inferior
    assert not harmful.non_inferior
    assert harmful.worst_case > harmful.effect > harmful.best_case > 0.02
    welcome = non_inferiority_test(control, slower, margin=0.02)  # e.g. watch time: 10 % better
    assert welcome.non_inferior
    assert not welcome.inferior


def test_non_inferiority_relative_margin_needs_a_control_mean() -> None:
    arm = ArmEstimate(n=10, mean=0.0, variance=1.0)
    with pytest.raises(StatsInputError, match="relative effect is undefined"):
        non_inferiority_test(arm, arm, margin=0.01)
