"""The difference between a treatment and the control that every test starts from."""

from __future__ import annotations

import math
from dataclasses import dataclass

from academy.stats.errors import StatsInputError
from academy.stats.inputs import ArmEstimate, RatioStats, SampleStats, estimate

Arm = SampleStats | RatioStats | ArmEstimate
"""What a test accepts for a variation: the sums of a mean or ratio metric, or an estimate."""


@dataclass(frozen=True, slots=True)
class Difference:
    """Absolute and relative effects with their standard errors and Welch's degrees of freedom."""

    control: ArmEstimate
    treatment: ArmEstimate
    absolute: float
    absolute_se: float
    relative: float | None
    relative_se: float | None
    dof: float

    def on_scale(self, *, relative: bool) -> tuple[float, float]:
        """The relative or the absolute effect and its standard error."""
        if not relative:
            return self.absolute, self.absolute_se
        if self.relative is None or self.relative_se is None:
            raise StatsInputError(
                "The control mean is 0, so a relative effect is undefined; "
                "use the absolute effect (relative=False)."
            )
        return self.relative, self.relative_se


def check_probability(value: float, name: str) -> None:
    """Refuse a level, alpha or power outside (0, 1)."""
    if not (0 < value < 1):
        raise StatsInputError(f"{name} must be between 0 and 1 (exclusive), not {value!r}.")


def difference(control: Arm, treatment: Arm) -> Difference:
    """Treatment minus control, absolute and relative (delta method), with standard errors."""
    a, b = estimate(control), estimate(treatment)
    var_a, var_b = a.variance / a.n, b.variance / b.n
    if var_a + var_b == 0:
        raise StatsInputError(
            "Both variations have zero variance (every unit has the same value); no test is "
            "possible."
        )
    # Welch-Satterthwaite degrees of freedom (Welch 1947).
    dof = (var_a + var_b) ** 2 / (var_a**2 / (a.n - 1) + var_b**2 / (b.n - 1))
    relative: float | None = None
    relative_se: float | None = None
    if a.mean != 0:
        ratio = b.mean / a.mean
        # Delta method for (μb - μa)/μa = μb/μa - 1 with independent arms:
        # Var = Var(μb)/μa² + Var(μa)·μb²/μa⁴.
        se = math.sqrt(var_b + var_a * ratio * ratio) / abs(a.mean)
        # A control mean so close to 0 that the ratio overflows has no usable relative effect.
        if math.isfinite(ratio) and math.isfinite(se):
            relative, relative_se = ratio - 1, se
    return Difference(
        control=a,
        treatment=b,
        absolute=b.mean - a.mean,
        absolute_se=math.sqrt(var_a + var_b),
        relative=relative,
        relative_se=relative_se,
        dof=dof,
    )
