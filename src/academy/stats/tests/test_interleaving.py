"""The interleaving analysis pinned to its closed form, scipy's normal distribution and a cluster
bootstrap over creators."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats  # type: ignore[import-untyped]

from academy.stats import StatsInputError
from academy.stats.interleaving import (
    CreatorCredit,
    interleaving_creators_needed,
    interleaving_test,
)


def _creators(rng: np.random.Generator, n: int, p_a: float) -> list[CreatorCredit]:
    """Creators with 1-8 clicked impressions, each won by A with probability ``p_a``·0.8,
    by B with (1 - p_a)·0.8, tied otherwise; creators differ in their own taste."""
    impressions = rng.integers(1, 9, size=n)
    own = np.clip(p_a + rng.normal(0, 0.15, size=n), 0.01, 0.99)
    p = np.column_stack([0.8 * own, 0.8 * (1 - own), np.full(n, 0.2)])
    counts = rng.multinomial(impressions, p)
    return [CreatorCredit(int(a), int(b), int(t)) for a, b, t in counts]


def test_share_interval_and_p_value_match_the_closed_form() -> None:
    credits = [
        CreatorCredit(3, 1, 0),
        CreatorCredit(0, 2, 1),
        CreatorCredit(5, 0, 2),
        CreatorCredit(1, 1, 0),
        CreatorCredit(2, 0, 0),
        CreatorCredit(0, 0, 0),  # no clicked impression: not in the analysis
    ]
    result = interleaving_test(credits)
    y = np.array([3, 0.5, 6, 1, 2])  # wins_a + ties / 2
    x = np.array([4, 3, 7, 2, 2])  # clicked impressions
    share = y.sum() / x.sum()
    influence = (y - share * x) / x.mean()
    se = math.sqrt(influence.var(ddof=1) / len(x))
    z = scipy_stats.norm.ppf(0.975)
    assert result.creators == 5
    assert (result.impressions, result.wins_a, result.wins_b, result.ties) == (18, 11, 4, 3)
    assert result.share_a == pytest.approx(12.5 / 18)
    assert result.delta == pytest.approx(12.5 / 18 - 0.5)
    assert result.standard_error == pytest.approx(se)
    assert result.ci_low == pytest.approx(share - z * se)
    assert result.ci_high == pytest.approx(share + z * se)
    assert result.p_value == pytest.approx(2 * scipy_stats.norm.sf(abs(share - 0.5) / se))
    assert (
        result.creators_preferring_a,
        result.creators_preferring_b,
        result.creators_even,
    ) == (3, 1, 1)


def test_the_interval_is_the_spread_between_creators_as_a_cluster_bootstrap_gives_it() -> None:
    credits = _creators(np.random.default_rng(7), 400, p_a=0.56)
    result = interleaving_test(credits)
    y = np.array([c.wins_a + c.ties / 2 for c in credits])
    x = np.array([c.impressions for c in credits], dtype=np.float64)
    boot = scipy_stats.bootstrap(
        (np.arange(len(credits)),),
        lambda index, axis=-1: y[index].sum(axis=axis) / x[index].sum(axis=axis),
        n_resamples=2000,
        method="percentile",
        random_state=np.random.default_rng(1),
    )
    assert result.standard_error == pytest.approx(boot.standard_error, rel=0.1)
    assert result.ci_low == pytest.approx(boot.confidence_interval.low, abs=0.01)
    assert result.ci_high == pytest.approx(boot.confidence_interval.high, abs=0.01)
    assert result.preferred == "A"
    assert result.significant


def test_without_a_preference_about_one_analysis_in_twenty_calls_one_ranker_better() -> None:
    rng = np.random.default_rng(11)
    calls = [interleaving_test(_creators(rng, 150, p_a=0.5)) for _ in range(300)]
    false_positives = sum(result.significant for result in calls) / len(calls)
    assert 0.02 <= false_positives <= 0.09
    assert sum(result.ci_low <= 0.5 <= result.ci_high for result in calls) / len(calls) >= 0.91


def test_b_preferred_and_an_interval_kept_between_0_and_1() -> None:
    result = interleaving_test([CreatorCredit(0, 4, 0), CreatorCredit(0, 2, 0)])
    assert result.share_a == 0.0
    assert result.standard_error == 0.0
    assert (result.ci_low, result.ci_high, result.p_value) == (0.0, 0.0, 0.0)
    assert result.preferred == "B"
    even = interleaving_test([CreatorCredit(1, 1, 0), CreatorCredit(0, 0, 2)])
    assert (even.share_a, even.p_value, even.preferred) == (0.5, 1.0, "")


def test_creators_needed_is_the_normal_sample_size_for_the_observed_spread() -> None:
    credits = _creators(np.random.default_rng(3), 300, p_a=0.6)
    result = interleaving_test(credits)
    needed = interleaving_creators_needed(credits)
    per_creator_variance = result.standard_error**2 * result.creators
    z = scipy_stats.norm.ppf(0.975) + scipy_stats.norm.ppf(0.8)
    assert needed == math.ceil(z**2 * per_creator_variance / result.delta**2)
    assert needed < result.creators  # a clear preference: fewer creators would have done
    with pytest.raises(StatsInputError, match="no preference"):
        interleaving_creators_needed([CreatorCredit(1, 1, 0), CreatorCredit(0, 0, 2)])


@pytest.mark.parametrize(
    ("credits", "alpha", "message"),
    [
        ([CreatorCredit(1, 0, 0)], 0.05, "at least 2 creators"),
        ([CreatorCredit(1, 0, 0), CreatorCredit(0, 0, 0)], 0.05, "at least 2 creators"),
        ([CreatorCredit(1, 0, 0), CreatorCredit(0, 1, 0)], 1.5, "alpha"),
    ],
)
def test_too_little_data_or_a_bad_alpha_is_refused(
    credits: list[CreatorCredit], alpha: float, message: str
) -> None:
    with pytest.raises(StatsInputError, match=message):
        interleaving_test(credits, alpha=alpha)


def test_negative_or_fractional_counts_are_refused() -> None:
    with pytest.raises(StatsInputError, match="wins_b"):
        CreatorCredit(1, -1, 0)
    with pytest.raises(StatsInputError, match="ties"):
        CreatorCredit(1, 0, 0.5)  # type: ignore[arg-type]
