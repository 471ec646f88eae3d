"""What the engine takes: per-variation sufficient statistics, and the estimate each one yields.

A variation is summarised by sums over its units (creators), never by the units themselves, so an
analysis costs the same at 100 creators as at 10 million. `estimate()` turns a mean or a ratio
metric into an `ArmEstimate` (a point estimate and its per-unit variance); `cuped_estimates()`
does the same for all variations of a CUPED-adjusted metric at once, since its adjustment is
pooled across them. Every test in the engine works on `ArmEstimate`s.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from academy.stats.errors import StatsInputError

# Sums of squares are computed in floating point; a centred sum a little below zero is rounding.
_RELATIVE_TOLERANCE = 1e-9


def _check_finite(owner: str, **values: float) -> None:
    for name, value in values.items():
        if not math.isfinite(value):
            raise StatsInputError(f"{owner}.{name} must be a finite number, not {value!r}.")


def _check_count(owner: str, n: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
        raise StatsInputError(f"{owner}.n must be a whole number of units ≥ 0, not {n!r}.")


def _centred(owner: str, what: str, n: int, sum_squares: float, sum_: float) -> float:
    """Σ(x - x̄)² from Σx² and Σx, refusing sums that no set of n real values can have."""
    if n == 0:
        return 0.0
    centred = sum_squares - sum_ * sum_ / n
    if centred < -_RELATIVE_TOLERANCE * max(abs(sum_squares), 1.0):
        raise StatsInputError(
            f"{owner}: the sum of squares of {what} ({sum_squares!r}) is smaller than "
            f"(sum)²/n ({sum_ * sum_ / n!r}), so it would give a negative variance; these are "
            "not the sums of one set of values."
        )
    return max(centred, 0.0)


def _centred_cross(
    owner: str, n: int, cross_sum: float, sum_x: float, sum_y: float, sxx: float, syy: float
) -> float:
    """Σ(x - x̄)(y - ȳ), refusing a covariance larger than the variances allow (Cauchy-Schwarz)."""
    if n == 0:
        return 0.0
    centred = cross_sum - sum_x * sum_y / n
    limit = math.sqrt(sxx * syy)
    if abs(centred) > limit + _RELATIVE_TOLERANCE * max(abs(cross_sum), limit, 1.0):
        raise StatsInputError(
            f"{owner}: the cross-product sum ({cross_sum!r}) implies a correlation beyond ±1; "
            "the sums do not come from the same units."
        )
    return max(-limit, min(limit, centred))


@dataclass(frozen=True, slots=True)
class ArmEstimate:
    """One variation's point estimate of a metric and the per-unit variance behind it.

    `mean` is the metric (a mean, a ratio of means, a CUPED-adjusted mean); `variance` is such
    that the estimate's own variance is `variance / n`.
    """

    n: int
    mean: float
    variance: float

    def __post_init__(self) -> None:
        _check_count("ArmEstimate", self.n)
        _check_finite("ArmEstimate", mean=self.mean, variance=self.variance)
        if self.variance < 0:
            raise StatsInputError(f"ArmEstimate.variance must be ≥ 0, not {self.variance!r}.")

    @property
    def standard_error(self) -> float:
        """Standard error of `mean`."""
        return math.sqrt(self.variance / self.n) if self.n else math.inf


@dataclass(frozen=True, slots=True)
class SampleStats:
    """Sufficient statistics of a mean metric in one variation: Σ over units of x and x²."""

    n: int
    sum: float
    sum_squares: float

    def __post_init__(self) -> None:
        _check_count("SampleStats", self.n)
        _check_finite("SampleStats", sum=self.sum, sum_squares=self.sum_squares)
        _centred("SampleStats", "the values", self.n, self.sum_squares, self.sum)

    @classmethod
    def from_values(cls, values: ArrayLike) -> SampleStats:
        """The sums of raw per-unit values (tests, small data sets)."""
        array = np.asarray(values, dtype=np.float64)
        return cls(n=int(array.size), sum=float(array.sum()), sum_squares=float(array @ array))

    @property
    def mean(self) -> float:
        return self.sum / self.n if self.n else math.nan

    @property
    def variance(self) -> float:
        """Sample variance (n - 1 in the denominator)."""
        centred = _centred("SampleStats", "the values", self.n, self.sum_squares, self.sum)
        return centred / (self.n - 1) if self.n > 1 else math.nan


@dataclass(frozen=True, slots=True)
class RatioStats:
    """Sufficient statistics of a ratio metric (Σy / Σx over units, e.g. clicks per impression).

    The unit of randomisation is the creator, so the variance comes from per-creator numerators
    y and denominators x and their cross-product Σxy (the delta method).
    """

    n: int
    numerator_sum: float
    numerator_sum_squares: float
    denominator_sum: float
    denominator_sum_squares: float
    cross_sum: float

    def __post_init__(self) -> None:
        _check_count("RatioStats", self.n)
        _check_finite(
            "RatioStats",
            numerator_sum=self.numerator_sum,
            numerator_sum_squares=self.numerator_sum_squares,
            denominator_sum=self.denominator_sum,
            denominator_sum_squares=self.denominator_sum_squares,
            cross_sum=self.cross_sum,
        )
        self._centred()

    def _centred(self) -> tuple[float, float, float]:
        syy = _centred(
            "RatioStats", "the numerators", self.n, self.numerator_sum_squares, self.numerator_sum
        )
        sxx = _centred(
            "RatioStats",
            "the denominators",
            self.n,
            self.denominator_sum_squares,
            self.denominator_sum,
        )
        sxy = _centred_cross(
            "RatioStats", self.n, self.cross_sum, self.denominator_sum, self.numerator_sum, sxx, syy
        )
        return syy, sxx, sxy

    @classmethod
    def from_values(cls, numerators: ArrayLike, denominators: ArrayLike) -> RatioStats:
        """The sums of raw per-unit numerators and denominators (tests, small data sets)."""
        y = np.asarray(numerators, dtype=np.float64)
        x = np.asarray(denominators, dtype=np.float64)
        if y.shape != x.shape:
            raise StatsInputError("numerators and denominators must have one value per unit each.")
        return cls(
            n=int(y.size),
            numerator_sum=float(y.sum()),
            numerator_sum_squares=float(y @ y),
            denominator_sum=float(x.sum()),
            denominator_sum_squares=float(x @ x),
            cross_sum=float(x @ y),
        )


@dataclass(frozen=True, slots=True)
class CupedStats:
    """Sufficient statistics of a mean metric and its pre-exposure value (the covariate).

    `pre_*` are the sums of the same metric over a window before each unit's first exposure
    (zero for units with no history); `cross_sum` is Σ over units of value * pre-value.
    """

    n: int
    sum: float
    sum_squares: float
    pre_sum: float
    pre_sum_squares: float
    cross_sum: float

    def __post_init__(self) -> None:
        _check_count("CupedStats", self.n)
        _check_finite(
            "CupedStats",
            sum=self.sum,
            sum_squares=self.sum_squares,
            pre_sum=self.pre_sum,
            pre_sum_squares=self.pre_sum_squares,
            cross_sum=self.cross_sum,
        )
        self._centred()

    def _centred(self) -> tuple[float, float, float]:
        syy = _centred("CupedStats", "the values", self.n, self.sum_squares, self.sum)
        sxx = _centred(
            "CupedStats", "the pre-exposure values", self.n, self.pre_sum_squares, self.pre_sum
        )
        sxy = _centred_cross("CupedStats", self.n, self.cross_sum, self.pre_sum, self.sum, sxx, syy)
        return syy, sxx, sxy

    @classmethod
    def from_values(cls, values: ArrayLike, pre_values: ArrayLike) -> CupedStats:
        """The sums of raw per-unit values and pre-exposure values (tests, small data sets)."""
        y = np.asarray(values, dtype=np.float64)
        x = np.asarray(pre_values, dtype=np.float64)
        if y.shape != x.shape:
            raise StatsInputError("values and pre_values must have one value per unit each.")
        return cls(
            n=int(y.size),
            sum=float(y.sum()),
            sum_squares=float(y @ y),
            pre_sum=float(x.sum()),
            pre_sum_squares=float(x @ x),
            cross_sum=float(x @ y),
        )

    @property
    def unadjusted(self) -> SampleStats:
        """The metric alone, without its covariate."""
        return SampleStats(n=self.n, sum=self.sum, sum_squares=self.sum_squares)


def _require_units(owner: str, n: int) -> None:
    if n < 2:
        raise StatsInputError(
            f"{owner} has {n} unit{'s' if n != 1 else ''}; a variance needs at least 2."
        )


def estimate(stats: SampleStats | RatioStats | ArmEstimate) -> ArmEstimate:
    """The point estimate and per-unit variance of a mean or ratio metric in one variation."""
    if isinstance(stats, ArmEstimate):
        _require_units("A variation", stats.n)
        return stats
    if isinstance(stats, SampleStats):
        _require_units("A variation", stats.n)
        return ArmEstimate(n=stats.n, mean=stats.mean, variance=stats.variance)
    _require_units("A variation", stats.n)
    if stats.denominator_sum == 0:
        raise StatsInputError(
            "A variation's ratio metric has a denominator summing to 0; the ratio is undefined."
        )
    syy, sxx, sxy = stats._centred()
    n = stats.n
    mean_y, mean_x = stats.numerator_sum / n, stats.denominator_sum / n
    var_y, var_x, cov_xy = syy / (n - 1), sxx / (n - 1), sxy / (n - 1)
    ratio = mean_y / mean_x
    # Delta method (Deng, Knoblich & Lu 2018, eq. 3): Var(ȳ/x̄)·n for the ratio of means.
    variance = (var_y - 2 * ratio * cov_xy + ratio * ratio * var_x) / (mean_x * mean_x)
    return ArmEstimate(n=n, mean=ratio, variance=max(variance, 0.0))


@dataclass(frozen=True, slots=True)
class CupedAdjustment:
    """CUPED estimates for every variation of one metric, in the order given.

    `theta` is the pooled regression slope of the metric on its pre-exposure value;
    `variance_reduction[k]` is 1 - adjusted variance / unadjusted variance for variation k
    (0 when the covariate carries no information, rho² for a covariate with correlation rho).
    """

    theta: float
    covariate_mean: float
    estimates: tuple[ArmEstimate, ...]
    unadjusted: tuple[ArmEstimate, ...]
    variance_reduction: tuple[float, ...]


def cuped_estimates(variations: Sequence[CupedStats]) -> CupedAdjustment:
    """Adjust every variation's mean by its pre-exposure value (Deng et al. 2013).

    θ = Σₖ Sxy,k / Σₖ Sxx,k (within-variation covariance over variance, pooled), the adjusted
    mean is ȳₖ - θ(x̄ₖ - x̄) with x̄ the pooled covariate mean, and its per-unit variance
    (Syy - 2θSxy + θ²Sxx)ₖ / (nₖ - 1). The difference of two adjusted means is exactly the
    treatment coefficient of the regression y ~ variation + x.
    """
    if len(variations) < 2:
        raise StatsInputError("CUPED needs every variation of the metric (at least 2).")
    centred = []
    for stats in variations:
        _require_units("A variation", stats.n)
        centred.append(stats._centred())
    total_sxy = sum(sxy for _syy, _sxx, sxy in centred)
    total_sxx = sum(sxx for _syy, sxx, _sxy in centred)
    # A covariate that never varies (every unit new) carries no information: no adjustment.
    theta = total_sxy / total_sxx if total_sxx > 0 else 0.0
    total_n = sum(stats.n for stats in variations)
    covariate_mean = sum(stats.pre_sum for stats in variations) / total_n
    estimates, unadjusted, reductions = [], [], []
    for stats, (syy, sxx, sxy) in zip(variations, centred, strict=True):
        n = stats.n
        residual = max(syy - 2 * theta * sxy + theta * theta * sxx, 0.0)
        mean = stats.sum / n - theta * (stats.pre_sum / n - covariate_mean)
        estimates.append(ArmEstimate(n=n, mean=mean, variance=residual / (n - 1)))
        unadjusted.append(ArmEstimate(n=n, mean=stats.sum / n, variance=syy / (n - 1)))
        reductions.append(1 - residual / syy if syy > 0 else 0.0)
    return CupedAdjustment(
        theta=theta,
        covariate_mean=covariate_mean,
        estimates=tuple(estimates),
        unadjusted=tuple(unadjusted),
        variance_reduction=tuple(reductions),
    )
