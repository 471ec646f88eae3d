"""Bayesian comparison of a treatment with the control on the effect itself.

The effect (relative by default, or absolute) is approximately normal with the mean and standard
error of the frequentist estimate; an optional Gaussian prior on the effect is combined with it
by conjugacy. From the posterior: the chance the treatment beats the control, the expected loss
(risk) of choosing either arm, and a credible interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import special  # type: ignore[import-untyped]

from academy.stats.effects import Arm, check_probability, difference
from academy.stats.errors import StatsInputError


@dataclass(frozen=True, slots=True)
class GaussianPrior:
    """A normal prior on the effect (relative effects: 0.1 = +10 %).

    With `proper=False` the prior is ignored (flat), as if none were given.
    """

    mean: float = 0.0
    variance: float = 0.09
    proper: bool = True

    def __post_init__(self) -> None:
        if not math.isfinite(self.mean):
            raise StatsInputError(f"GaussianPrior.mean must be a finite number, not {self.mean!r}.")
        if not (self.variance > 0 and math.isfinite(self.variance)):
            raise StatsInputError(
                f"GaussianPrior.variance must be a positive number, not {self.variance!r}."
            )


@dataclass(frozen=True, slots=True)
class BayesianResult:
    """Posterior summary of the effect of the treatment against the control.

    `risk_control` is the expected loss of keeping the control (what is given up if the
    treatment is in fact better), `risk_treatment` the expected loss of shipping the treatment;
    both are in the effect's units and never negative. With `lower_is_better`, "beats" and
    "loss" follow the metric's direction.
    """

    relative: bool
    lower_is_better: bool
    credible_level: float
    control_mean: float
    treatment_mean: float
    effect: float
    standard_deviation: float
    credible_low: float
    credible_high: float
    chance_to_beat_control: float
    risk_control: float
    risk_treatment: float


def _expected_positive_part(mean: float, sd: float) -> float:
    """E[max(X, 0)] for X ~ N(mean, sd²)."""
    if sd == 0:
        return max(mean, 0.0)
    z = mean / sd
    density = math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
    return float(mean * special.ndtr(z) + sd * density)


def bayesian_test(
    control: Arm,
    treatment: Arm,
    *,
    relative: bool = True,
    prior: GaussianPrior | None = None,
    credible_level: float = 0.95,
    lower_is_better: bool = False,
) -> BayesianResult:
    """Chance to beat control, risk and credible interval of the treatment's effect."""
    check_probability(credible_level, "credible_level")
    diff = difference(control, treatment)
    data_mean, data_se = diff.on_scale(relative=relative)
    mean, sd = data_mean, data_se
    if prior is not None and prior.proper:
        if data_se == 0:
            mean, sd = data_mean, 0.0
        else:
            data_precision, prior_precision = 1 / data_se**2, 1 / prior.variance
            precision = data_precision + prior_precision
            mean = (data_mean * data_precision + prior.mean * prior_precision) / precision
            sd = math.sqrt(1 / precision)
    direction = -1.0 if lower_is_better else 1.0
    improvement = direction * mean
    if sd > 0:
        chance = float(special.ndtr(improvement / sd))
        quantile = float(special.ndtri(0.5 + credible_level / 2)) * sd
    else:
        chance = 1.0 if improvement > 0 else 0.0 if improvement < 0 else 0.5
        quantile = 0.0
    return BayesianResult(
        relative=relative,
        lower_is_better=lower_is_better,
        credible_level=credible_level,
        control_mean=diff.control.mean,
        treatment_mean=diff.treatment.mean,
        effect=mean,
        standard_deviation=sd,
        credible_low=mean - quantile,
        credible_high=mean + quantile,
        chance_to_beat_control=chance,
        risk_control=_expected_positive_part(improvement, sd),
        risk_treatment=_expected_positive_part(-improvement, sd),
    )
