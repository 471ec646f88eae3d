"""Holm-Bonferroni and Benjamini-Hochberg against scipy and hand-worked values."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats as scipy_stats  # type: ignore[import-untyped]

from academy.stats import StatsInputError, benjamini_hochberg, holm_bonferroni

P_VALUES = [0.01, 0.04, 0.03, 0.005, 0.20]


def test_holm_matches_the_hand_worked_step_down() -> None:
    # Sorted: 0.005, 0.01, 0.03, 0.04, 0.20 times 5, 4, 3, 2, 1 = 0.025, 0.04, 0.09, 0.08, 0.20;
    # the running maximum makes 0.08 into 0.09.
    assert holm_bonferroni(P_VALUES) == pytest.approx([0.04, 0.09, 0.09, 0.025, 0.20])


def test_benjamini_hochberg_matches_scipy_and_the_hand_worked_step_up() -> None:
    # Sorted times 5/rank: 0.025, 0.025, 0.05, 0.05, 0.20; the running minimum keeps them.
    assert benjamini_hochberg(P_VALUES) == pytest.approx([0.025, 0.05, 0.05, 0.025, 0.20])
    rng = np.random.default_rng(8)
    many = np.concatenate([rng.uniform(size=80), rng.uniform(0, 0.01, size=20)])
    assert benjamini_hochberg(list(many)) == pytest.approx(
        scipy_stats.false_discovery_control(many, method="bh")
    )


def test_empty_and_invalid_inputs() -> None:
    assert holm_bonferroni([]) == ()
    assert benjamini_hochberg([]) == ()
    with pytest.raises(StatsInputError, match="between 0 and 1"):
        holm_bonferroni([0.2, 1.2])
    with pytest.raises(StatsInputError, match="between 0 and 1"):
        benjamini_hochberg([float("nan")])


@given(st.lists(st.floats(0, 1), min_size=1, max_size=40))
def test_adjusted_values_are_bounded_monotone_and_bh_is_never_stricter(
    p_values: list[float],
) -> None:
    holm, bh = holm_bonferroni(p_values), benjamini_hochberg(p_values)
    order = np.argsort(p_values, kind="stable")
    for adjusted in (holm, bh):
        assert all(p <= q <= 1 for p, q in zip(p_values, adjusted, strict=True))
        ordered = np.asarray(adjusted)[order]
        assert np.all(np.diff(ordered) >= 0)
    assert all(q_bh <= q_holm for q_bh, q_holm in zip(bh, holm, strict=True))
