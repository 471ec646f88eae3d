"""Frequentist comparisons of a treatment with the control: Welch's t-test, the always-valid
sequential test and the non-inferiority test for guardrails.

Each reports the absolute effect (treatment - control) and the relative effect
((treatment - control) / control, by the delta method), each with its standard error and
interval. Inputs are `SampleStats`, `RatioStats` or `ArmEstimate`s (e.g. from CUPED).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from scipy import optimize, special  # type: ignore[import-untyped]

from academy.stats.effects import Arm, Difference, check_probability, difference
from academy.stats.errors import StatsInputError

DEFAULT_SEQUENTIAL_TUNING = 5000.0


@dataclass(frozen=True, slots=True)
class Effect:
    """An effect, its standard error and its interval (`ci_low`, `ci_high`)."""

    estimate: float
    standard_error: float
    ci_low: float
    ci_high: float

    def excludes_zero(self) -> bool:
        return self.ci_low > 0 or self.ci_high < 0


@dataclass(frozen=True, slots=True)
class FrequentistResult:
    """A two-sided test of treatment against control.

    `p_value` tests "no difference" on the absolute effect; `relative` is None when the control
    mean is 0 (a relative change from nothing is undefined). `degrees_of_freedom` is infinite
    for the sequential test, which is a normal (large-sample) method.
    """

    method: Literal["welch", "sequential"]
    alpha: float
    control_mean: float
    treatment_mean: float
    absolute: Effect
    relative: Effect | None
    statistic: float
    degrees_of_freedom: float
    p_value: float


def _interval(estimate_: float, se: float, half_width: float) -> Effect:
    return Effect(
        estimate=estimate_,
        standard_error=se,
        ci_low=estimate_ - half_width,
        ci_high=estimate_ + half_width,
    )


def _two_sided(
    method: Literal["welch", "sequential"],
    alpha: float,
    diff: Difference,
    *,
    scale: float,
    dof: float,
    p_value: float,
) -> FrequentistResult:
    """A result whose intervals are the estimates ± `scale` standard errors."""
    relative = None
    if diff.relative is not None and diff.relative_se is not None:
        relative = _interval(diff.relative, diff.relative_se, scale * diff.relative_se)
    return FrequentistResult(
        method=method,
        alpha=alpha,
        control_mean=diff.control.mean,
        treatment_mean=diff.treatment.mean,
        absolute=_interval(diff.absolute, diff.absolute_se, scale * diff.absolute_se),
        relative=relative,
        statistic=diff.absolute / diff.absolute_se,
        degrees_of_freedom=dof,
        p_value=p_value,
    )


def _welch_p(diff: Difference) -> float:
    statistic = diff.absolute / diff.absolute_se
    return float(2 * special.stdtr(diff.dof, -abs(statistic)))


def welch_test(control: Arm, treatment: Arm, *, alpha: float = 0.05) -> FrequentistResult:
    """Welch's unequal-variance t-test, with (1 - alpha) intervals on both effects."""
    check_probability(alpha, "alpha")
    diff = difference(control, treatment)
    return _two_sided(
        "welch",
        alpha,
        diff,
        scale=float(special.stdtrit(diff.dof, 1 - alpha / 2)),
        dof=diff.dof,
        p_value=_welch_p(diff),
    )


def _sequential_scale(total_n: int, alpha: float, tuning: float) -> float:
    """Half-width of the asymptotic confidence sequence in standard errors.

    Howard et al. (2021) normal-mixture boundary in its asymptotic form (Waudby-Smith et al.
    2023), formula in docs/STATS.md; `tuning` is N*, the total units where it is tightest.
    """
    log_alpha = math.log(alpha)
    rho_squared = (-2 * log_alpha + math.log(-2 * log_alpha + 1)) / tuning
    n_rho = total_n * rho_squared
    log_term = 0.5 * math.log1p(n_rho) - log_alpha
    return math.sqrt(2 * (n_rho + 1) / n_rho * log_term)


def _sequential_p_value(z: float, total_n: int, tuning: float) -> float:
    """The smallest alpha at which the confidence sequence excludes zero."""
    if abs(z) <= _sequential_scale(total_n, 1 - 1e-9, tuning):
        return 1.0
    floor = 1e-300
    if abs(z) >= _sequential_scale(total_n, floor, tuning):
        return 0.0

    def gap(log_alpha: float) -> float:
        return _sequential_scale(total_n, math.exp(log_alpha), tuning) - abs(z)

    root = optimize.brentq(gap, math.log(floor), math.log(1 - 1e-9), xtol=1e-12)
    return float(math.exp(root))


def sequential_test(
    control: Arm,
    treatment: Arm,
    *,
    alpha: float = 0.05,
    tuning_parameter: float = DEFAULT_SEQUENTIAL_TUNING,
) -> FrequentistResult:
    """An always-valid test: its intervals hold at every look, however often results are read.

    `tuning_parameter` (N*) is the total number of units at which the intervals are tightest
    relative to a fixed-horizon interval; set it near the expected final sample size.
    """
    check_probability(alpha, "alpha")
    if not (tuning_parameter > 0 and math.isfinite(tuning_parameter)):
        raise StatsInputError(
            f"tuning_parameter must be a positive number of units, not {tuning_parameter!r}."
        )
    diff = difference(control, treatment)
    total_n = diff.control.n + diff.treatment.n
    # The asymptotic boundary is a normal approximation; with few units Welch's t interval is
    # wider, and an always-valid interval is never allowed to be narrower than a fixed one.
    scale = max(
        _sequential_scale(total_n, alpha, tuning_parameter),
        float(special.stdtrit(diff.dof, 1 - alpha / 2)),
    )
    statistic = diff.absolute / diff.absolute_se
    return _two_sided(
        "sequential",
        alpha,
        diff,
        scale=scale,
        dof=math.inf,
        # The smallest alpha whose interval excludes 0, given the Welch floor on the width.
        p_value=max(_sequential_p_value(statistic, total_n, tuning_parameter), _welch_p(diff)),
    )


@dataclass(frozen=True, slots=True)
class NonInferiorityResult:
    """A one-sided test that the treatment is not worse than the control by more than `margin`.

    `effect` is relative when `relative` is set (margin 0.02 = 2 %), absolute otherwise, with
    its one-sided (1 - alpha) bound on the harmful side in `worst_case` (and the opposite bound
    in `best_case`). `non_inferior`: the worst case is within the margin (p < alpha).
    `inferior`: even the best case is worse than the margin — the treatment harms this metric.
    """

    relative: bool
    lower_is_better: bool
    margin: float
    alpha: float
    effect: float
    standard_error: float
    worst_case: float
    best_case: float
    p_value: float
    non_inferior: bool
    inferior: bool


def non_inferiority_test(
    control: Arm,
    treatment: Arm,
    *,
    margin: float,
    relative: bool = True,
    lower_is_better: bool = False,
    alpha: float = 0.05,
) -> NonInferiorityResult:
    """Welch non-inferiority test for a guardrail metric.

    H₀: the change in the harmful direction is at least `margin`; rejecting it (p < alpha)
    shows the treatment is non-inferior.
    """
    check_probability(alpha, "alpha")
    if not (margin >= 0 and math.isfinite(margin)):
        raise StatsInputError(f"margin must be a number ≥ 0, not {margin!r}.")
    diff = difference(control, treatment)
    effect, se = diff.on_scale(relative=relative)
    direction = -1.0 if lower_is_better else 1.0
    improvement = direction * effect  # > 0 is good whichever way the metric points
    t_quantile = float(special.stdtrit(diff.dof, 1 - alpha))
    statistic = (improvement + margin) / se if se > 0 else math.copysign(math.inf, improvement)
    p_value = float(special.stdtr(diff.dof, -statistic))
    worst = improvement - t_quantile * se
    best = improvement + t_quantile * se
    return NonInferiorityResult(
        relative=relative,
        lower_is_better=lower_is_better,
        margin=margin,
        alpha=alpha,
        effect=effect,
        standard_error=se,
        worst_case=direction * worst,
        best_case=direction * best,
        p_value=p_value,
        non_inferior=p_value < alpha,
        inferior=best < -margin,
    )
