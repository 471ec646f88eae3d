"""Bayesian estimates pinned to the closed-form normal posterior and to Monte Carlo draws."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats  # type: ignore[import-untyped]

from academy.stats import (
    ArmEstimate,
    GaussianPrior,
    StatsInputError,
    bayesian_test,
    welch_test,
)

CONTROL = ArmEstimate(n=20_000, mean=0.100, variance=0.100 * 0.900)
TREATMENT = ArmEstimate(n=20_000, mean=0.104, variance=0.104 * 0.896)


def test_chance_to_beat_control_is_the_normal_cdf_of_the_relative_effect() -> None:
    result = bayesian_test(CONTROL, TREATMENT)
    frequentist = welch_test(CONTROL, TREATMENT)
    assert frequentist.relative is not None
    mean, se = frequentist.relative.estimate, frequentist.relative.standard_error
    assert result.effect == pytest.approx(0.04)
    assert result.standard_deviation == pytest.approx(se)
    assert result.chance_to_beat_control == pytest.approx(scipy_stats.norm.cdf(mean / se))
    low, high = scipy_stats.norm.interval(0.95, loc=mean, scale=se)
    assert (result.credible_low, result.credible_high) == pytest.approx((low, high))


def test_chance_and_risk_agree_with_posterior_draws() -> None:
    result = bayesian_test(CONTROL, TREATMENT, relative=False)
    draws = np.random.default_rng(0).normal(result.effect, result.standard_deviation, size=400_000)
    assert result.chance_to_beat_control == pytest.approx((draws > 0).mean(), abs=0.003)
    # Risk: what choosing an arm loses on average when the other one is in fact better.
    assert result.risk_control == pytest.approx(np.maximum(draws, 0).mean(), rel=0.01)
    assert result.risk_treatment == pytest.approx(np.maximum(-draws, 0).mean(), rel=0.02)


def test_a_proper_prior_pulls_the_estimate_toward_its_mean_by_conjugacy() -> None:
    flat = bayesian_test(CONTROL, TREATMENT)
    prior = GaussianPrior(mean=0.0, variance=0.01**2)
    shrunk = bayesian_test(CONTROL, TREATMENT, prior=prior)
    weight = (1 / flat.standard_deviation**2) / (1 / flat.standard_deviation**2 + 1 / 0.01**2)
    assert shrunk.effect == pytest.approx(weight * flat.effect)
    assert shrunk.standard_deviation == pytest.approx(
        math.sqrt(1 / (1 / flat.standard_deviation**2 + 1 / 0.01**2))
    )
    assert 0.5 < shrunk.chance_to_beat_control < flat.chance_to_beat_control


def test_an_improper_prior_changes_nothing() -> None:
    improper = GaussianPrior(mean=0.5, variance=0.001, proper=False)
    assert bayesian_test(CONTROL, TREATMENT, prior=improper) == bayesian_test(CONTROL, TREATMENT)


def test_lower_is_better_swaps_chance_and_risks() -> None:
    higher = bayesian_test(CONTROL, TREATMENT)
    lower = bayesian_test(CONTROL, TREATMENT, lower_is_better=True)
    assert lower.chance_to_beat_control == pytest.approx(1 - higher.chance_to_beat_control)
    assert lower.risk_treatment == pytest.approx(higher.risk_control)
    assert lower.risk_control == pytest.approx(higher.risk_treatment)


def test_bad_prior_and_level_are_refused() -> None:
    with pytest.raises(StatsInputError, match="variance must be a positive number"):
        GaussianPrior(variance=0.0)
    with pytest.raises(StatsInputError, match="credible_level"):
        bayesian_test(CONTROL, TREATMENT, credible_level=95)
