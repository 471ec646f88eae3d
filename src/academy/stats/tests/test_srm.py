"""Sample-ratio mismatch pinned to scipy's chi-square goodness-of-fit test."""

from __future__ import annotations

import pytest
from scipy import stats as scipy_stats  # type: ignore[import-untyped]

from academy.stats import StatsInputError, srm_check


def test_srm_matches_scipy_chisquare_with_unequal_weights() -> None:
    observed, weights = [50_421, 25_102, 24_840], [0.5, 0.25, 0.25]
    result = srm_check(observed, weights)
    total = sum(observed)
    reference = scipy_stats.chisquare(observed, [total * w for w in weights])
    assert result.chi_square == pytest.approx(reference.statistic)
    assert result.p_value == pytest.approx(reference.pvalue)
    assert not result.mismatch


def test_a_broken_split_is_flagged() -> None:
    result = srm_check([10_000, 10_500], [1, 1])
    assert result.p_value == pytest.approx(scipy_stats.chisquare([10_000, 10_500]).pvalue)
    assert result.p_value < 0.001
    assert result.mismatch


@pytest.mark.parametrize(
    ("observed", "weights", "message"),
    [
        ([10, 10], [1.0], "2 unit counts for 1 weights"),
        ([10], [1.0], "at least 2 variations"),
        ([10, -1], [1.0, 1.0], "whole numbers"),
        ([10, 10], [1.0, 0.0], "positive number"),
        ([0, 0], [1.0, 1.0], "no units"),
    ],
)
def test_bad_counts_or_weights_are_refused(
    observed: list[int], weights: list[float], message: str
) -> None:
    with pytest.raises(StatsInputError, match=message):
        srm_check(observed, weights)
