"""The ship / roll back / keep running recommendation for one treatment against the control.

The rule, in order (docs/STATS.md explains why):

1. A sample-ratio mismatch makes every number suspect: keep running (investigate), nothing else
   is judged.
2. Roll back if a guardrail is shown worse than its margin (`NonInferiorityResult.inferior`) or
   a primary metric is significantly worse.
3. Ship if at least one primary metric is significantly better and every guardrail is shown
   non-inferior.
4. Otherwise keep running, with the reasons that block a decision.

"Significantly" is p < alpha for frequentist results (the adjusted p-value when a multiple-
testing correction was applied) and a chance to beat control of at least `chance_to_win`
(≤ 1 - `chance_to_win` for worse) for Bayesian ones, with the treatment's risk at most
`max_risk` when given. Reasons carry stable codes; the app translates them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from academy.stats.bayesian import BayesianResult
from academy.stats.effects import check_probability
from academy.stats.errors import StatsInputError
from academy.stats.frequentist import FrequentistResult, NonInferiorityResult
from academy.stats.srm import SrmResult

Action = Literal["ship", "roll_back", "keep_running"]


class ReasonCode(StrEnum):
    """Why the rule recommends what it does; stable strings the app translates."""

    SAMPLE_RATIO_MISMATCH = "sample_ratio_mismatch"
    GUARDRAIL_HARMED = "guardrail_harmed"
    GUARDRAIL_INCONCLUSIVE = "guardrail_inconclusive"
    GUARDRAILS_HOLD = "guardrails_hold"
    PRIMARY_WORSE = "primary_worse"
    PRIMARY_BETTER = "primary_better"
    PRIMARY_INCONCLUSIVE = "primary_inconclusive"


@dataclass(frozen=True, slots=True)
class Reason:
    code: ReasonCode
    metric: str | None = None


@dataclass(frozen=True, slots=True)
class PrimaryMetric:
    """A primary (goal) metric's result. `adjusted_p_value` replaces a frequentist result's own
    p-value when a multiple-testing correction was applied; `lower_is_better` must match a
    Bayesian result's own setting."""

    name: str
    result: FrequentistResult | BayesianResult
    lower_is_better: bool = False
    adjusted_p_value: float | None = None


@dataclass(frozen=True, slots=True)
class Guardrail:
    name: str
    result: NonInferiorityResult


@dataclass(frozen=True, slots=True)
class Decision:
    action: Action
    reasons: tuple[Reason, ...]


def _verdict(
    metric: PrimaryMetric, chance_to_win: float, max_risk: float | None
) -> Literal["better", "worse", "inconclusive"]:
    result = metric.result
    if isinstance(result, BayesianResult):
        if result.lower_is_better != metric.lower_is_better:
            raise StatsInputError(
                f"Primary metric {metric.name!r}: lower_is_better differs from its result's."
            )
        risk_ok = max_risk is None or result.risk_treatment <= max_risk
        if result.chance_to_beat_control >= chance_to_win and risk_ok:
            return "better"
        if result.chance_to_beat_control <= 1 - chance_to_win:
            return "worse"
        return "inconclusive"
    p_value = result.p_value if metric.adjusted_p_value is None else metric.adjusted_p_value
    if not (0 <= p_value <= 1) or math.isnan(p_value):
        raise StatsInputError(f"Primary metric {metric.name!r}: p-value must be in [0, 1].")
    if p_value >= result.alpha or result.absolute.estimate == 0:
        return "inconclusive"
    improves = (result.absolute.estimate > 0) != metric.lower_is_better
    return "better" if improves else "worse"


def decide(
    *,
    primary: Sequence[PrimaryMetric],
    guardrails: Sequence[Guardrail] = (),
    srm: SrmResult | None = None,
    chance_to_win: float = 0.95,
    max_risk: float | None = None,
) -> Decision:
    """Recommend shipping, rolling back or running on, with the reasons (see module docs)."""
    if not primary:
        raise StatsInputError("A decision needs at least one primary metric.")
    check_probability(chance_to_win, "chance_to_win")
    if srm is not None and srm.mismatch:
        return Decision("keep_running", (Reason(ReasonCode.SAMPLE_RATIO_MISMATCH),))
    verdicts = [(metric.name, _verdict(metric, chance_to_win, max_risk)) for metric in primary]
    harmed = [Reason(ReasonCode.GUARDRAIL_HARMED, g.name) for g in guardrails if g.result.inferior]
    worse = [Reason(ReasonCode.PRIMARY_WORSE, name) for name, v in verdicts if v == "worse"]
    if harmed or worse:
        return Decision("roll_back", (*worse, *harmed))
    better = [Reason(ReasonCode.PRIMARY_BETTER, name) for name, v in verdicts if v == "better"]
    unproven = [
        Reason(ReasonCode.GUARDRAIL_INCONCLUSIVE, g.name)
        for g in guardrails
        if not g.result.non_inferior
    ]
    if better and not unproven:
        held = (Reason(ReasonCode.GUARDRAILS_HOLD),) if guardrails else ()
        return Decision("ship", (*better, *held))
    inconclusive = [
        Reason(ReasonCode.PRIMARY_INCONCLUSIVE, name) for name, v in verdicts if v == "inconclusive"
    ]
    return Decision("keep_running", (*(better if better else inconclusive), *unproven))
