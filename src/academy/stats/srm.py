"""Sample-ratio mismatch: do the units per variation match the weights they were assigned with?"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from scipy import special  # type: ignore[import-untyped]

from academy.stats.errors import StatsInputError

DEFAULT_SRM_THRESHOLD = 0.001


@dataclass(frozen=True, slots=True)
class SrmResult:
    """Pearson's chi-square goodness-of-fit test of the observed units against the weights.

    `mismatch` is set when the p-value is below `threshold`: assignment or exposure logging is
    broken, and no result of the experiment can be trusted until it is explained.
    """

    observed: tuple[int, ...]
    expected: tuple[float, ...]
    chi_square: float
    degrees_of_freedom: int
    p_value: float
    threshold: float
    mismatch: bool


def srm_check(
    observed: Sequence[int],
    weights: Sequence[float],
    *,
    threshold: float = DEFAULT_SRM_THRESHOLD,
) -> SrmResult:
    """Chi-square test of units per variation against the assignment weights."""
    if len(observed) != len(weights):
        raise StatsInputError(
            f"SRM check: {len(observed)} unit counts for {len(weights)} weights; "
            "give one count and one weight per variation."
        )
    if len(observed) < 2:
        raise StatsInputError("SRM check needs at least 2 variations.")
    if any(isinstance(c, bool) or int(c) != c or c < 0 for c in observed):
        raise StatsInputError("SRM check: unit counts must be whole numbers ≥ 0.")
    if any(not (w > 0 and math.isfinite(w)) for w in weights):
        raise StatsInputError("SRM check: every weight must be a positive number.")
    if not (0 < threshold < 1):
        raise StatsInputError(f"SRM threshold must be between 0 and 1, not {threshold!r}.")
    total = sum(observed)
    if total == 0:
        raise StatsInputError("SRM check: no units have been assigned yet.")
    weight_total = math.fsum(weights)
    expected = tuple(total * w / weight_total for w in weights)
    chi_square = math.fsum((o - e) ** 2 / e for o, e in zip(observed, expected, strict=True))
    dof = len(observed) - 1
    p_value = float(special.chdtrc(dof, chi_square))
    return SrmResult(
        observed=tuple(int(c) for c in observed),
        expected=expected,
        chi_square=chi_square,
        degrees_of_freedom=dof,
        p_value=p_value,
        threshold=threshold,
        mismatch=p_value < threshold,
    )
