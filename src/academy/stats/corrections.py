"""Multiple-testing corrections: adjusted p-values to compare with the unchanged alpha.

Holm-Bonferroni controls the family-wise error rate (the chance of any false positive);
Benjamini-Hochberg controls the false discovery rate (the expected share of false positives
among the results called significant) and is less strict. Both return values in the input's
order, each ≥ its raw p-value and ≤ 1, and monotone in the raw p-values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from academy.stats.errors import StatsInputError


def _checked(p_values: Sequence[float]) -> np.ndarray:
    array = np.asarray(p_values, dtype=np.float64)
    if array.ndim != 1:
        raise StatsInputError("p-values must be a flat list of numbers.")
    if not all(0 <= p <= 1 for p in array) or any(math.isnan(p) for p in array):
        raise StatsInputError("Every p-value must be a number between 0 and 1.")
    return array


def holm_bonferroni(p_values: Sequence[float]) -> tuple[float, ...]:
    """Holm (1979) step-down adjusted p-values: max over j ≤ i of (m - j + 1)·p₍ⱼ₎, capped at 1."""
    p = _checked(p_values)
    m = p.size
    if m == 0:
        return ()
    order = np.argsort(p, kind="stable")
    scaled = (m - np.arange(m)) * p[order]
    adjusted_sorted = np.minimum(np.maximum.accumulate(scaled), 1.0)
    adjusted = np.empty(m)
    adjusted[order] = adjusted_sorted
    return tuple(float(v) for v in adjusted)


def benjamini_hochberg(p_values: Sequence[float]) -> tuple[float, ...]:
    """Benjamini-Hochberg (1995) q-values: min over j ≥ i of m·p₍ⱼ₎ / j, capped at 1."""
    p = _checked(p_values)
    m = p.size
    if m == 0:
        return ()
    order = np.argsort(p, kind="stable")
    # p·(m/j), not m·p/j: m/j ≥ 1 rounds to ≥ 1, so the result never rounds below p
    # (6 * 0.7 / 6 < 0.7) and equals Holm's factor exactly where they coincide (j = 1, j = m).
    scaled = p[order] * (m / np.arange(1, m + 1))
    adjusted_sorted = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    adjusted = np.empty(m)
    adjusted[order] = adjusted_sorted
    return tuple(float(v) for v in adjusted)
