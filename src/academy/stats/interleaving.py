"""The analysis of an interleaving experiment: which of two rankers creators prefer.

Each interleaved impression with at least one click was won by ranker A, won by ranker B, or
tied (docs/RECSYS.md). Per creator (the unit: one creator's impressions are not independent)
the analysis takes those three counts and reports

- the preference share of A, the Δ_AB statistic of Chapelle, Joachims, Radlinski & Yue (2012),
  shifted by one half: (Σ wins_A + Σ ties / 2) / Σ clicked impressions, pooled over creators;
  0.5 means no preference, above 0.5 that A is preferred;
- its confidence interval and a two-sided p-value against 0.5 from the delta method for a ratio
  of per-creator sums (Deng, Knoblich & Lu 2018) — the variance comes from the spread between
  creators, as a cluster bootstrap over creators would give it (the test checks both);
- how many creators preferred each ranker (more wins), for display.

docs/STATS.md ("Interleaving") gives the formulas and why this estimator.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as scipy_stats  # type: ignore[import-untyped]

from academy.stats.effects import check_probability
from academy.stats.errors import StatsInputError
from academy.stats.inputs import RatioStats, estimate


@dataclass(frozen=True, slots=True)
class CreatorCredit:
    """One creator's clicked interleaved impressions: won by A, won by B, tied."""

    wins_a: int
    wins_b: int
    ties: int

    def __post_init__(self) -> None:
        for name in ("wins_a", "wins_b", "ties"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
                raise StatsInputError(
                    f"CreatorCredit.{name} must be a whole number ≥ 0, not {value!r}."
                )

    @property
    def impressions(self) -> int:
        return self.wins_a + self.wins_b + self.ties


@dataclass(frozen=True, slots=True)
class InterleavingResult:
    """Preference share of ranker A (0.5: no preference) with its interval and p-value."""

    creators: int  # creators with at least one clicked interleaved impression
    impressions: int  # clicked interleaved impressions
    wins_a: int
    wins_b: int
    ties: int
    share_a: float
    standard_error: float
    ci_low: float
    ci_high: float
    p_value: float
    alpha: float
    creators_preferring_a: int
    creators_preferring_b: int
    creators_even: int

    @property
    def delta(self) -> float:
        """Chapelle et al.'s Δ_AB: share_a - 0.5."""
        return self.share_a - 0.5

    @property
    def significant(self) -> bool:
        return self.p_value < self.alpha

    @property
    def preferred(self) -> str:
        """ "A", "B", or "" when the interval contains 0.5."""
        if self.ci_low > 0.5:
            return "A"
        if self.ci_high < 0.5:
            return "B"
        return ""


def interleaving_test(
    credits: Sequence[CreatorCredit], *, alpha: float = 0.05
) -> InterleavingResult:
    """The preference share of A over ``credits`` (one per creator; creators without a
    clicked impression are left out)."""
    check_probability(alpha, "alpha")
    clicked = [credit for credit in credits if credit.impressions]
    if len(clicked) < 2:
        raise StatsInputError(
            "An interleaving analysis needs clicked interleaved impressions from at least 2 "
            f"creators; there are {len(clicked)}."
        )
    wins_a = np.array([c.wins_a for c in clicked], dtype=np.float64)
    wins_b = np.array([c.wins_b for c in clicked], dtype=np.float64)
    ties = np.array([c.ties for c in clicked], dtype=np.float64)
    numerators = wins_a + ties / 2
    denominators = wins_a + wins_b + ties
    ratio = estimate(RatioStats.from_values(numerators, denominators))
    se = ratio.standard_error
    z = float(scipy_stats.norm.ppf(1 - alpha / 2))
    if se > 0:
        p_value = float(2 * scipy_stats.norm.sf(abs(ratio.mean - 0.5) / se))
    else:  # every creator's impressions went the same way
        p_value = 1.0 if ratio.mean == 0.5 else 0.0
    return InterleavingResult(
        creators=len(clicked),
        impressions=int(denominators.sum()),
        wins_a=int(wins_a.sum()),
        wins_b=int(wins_b.sum()),
        ties=int(ties.sum()),
        share_a=ratio.mean,
        standard_error=se,
        ci_low=max(0.0, ratio.mean - z * se),
        ci_high=min(1.0, ratio.mean + z * se),
        p_value=p_value,
        alpha=alpha,
        creators_preferring_a=int((wins_a > wins_b).sum()),
        creators_preferring_b=int((wins_b > wins_a).sum()),
        creators_even=int((wins_a == wins_b).sum()),
    )


def interleaving_creators_needed(
    credits: Sequence[CreatorCredit], *, alpha: float = 0.05, power: float = 0.8
) -> int:
    """Creators (with a clicked impression) needed to detect the observed preference with
    ``power`` at ``alpha``: n = (z(1 - alpha/2) + z(power))² · v / delta², v the per-creator
    variance of the share (as in `interleaving_test`); a share of exactly 0.5 has nothing to
    detect."""
    check_probability(power, "power")
    result = interleaving_test(credits, alpha=alpha)
    if result.delta == 0:
        raise StatsInputError("There is no preference to detect (the share is exactly 0.5).")
    variance = result.standard_error**2 * result.creators
    z = float(scipy_stats.norm.ppf(1 - alpha / 2) + scipy_stats.norm.ppf(power))
    return math.ceil(z * z * variance / (result.delta * result.delta))
