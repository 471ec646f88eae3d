"""A breakdown by follower tier or experiment variant as arrays by the step store's creator keys:
each key's segment code, from the creator dimension by key (``academy.insights.funnel_dimension``),
and a breakdown's top values ranked as ``compute.top_values`` ranks them — shared by the tiles
that read rollups by key (``academy.insights.keyed_rollups``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from academy.insights.compute import NOT_SET, OTHER, TOP_VALUES
from academy.insights.funnel_dimension import CreatorDimension
from academy.insights.funnel_store import StepEvents

Int64s = npt.NDArray[np.int64]


def by_key(
    dimension: CreatorDimension,
    keys: StepEvents,
    breakdown: str,
    experiment: str | None,
    keep: str | None = None,
) -> tuple[Int64s, list[str]]:
    """Each key's (below ``keys.bound``) segment as a code into the returned names (distinct):
    its follower tier (NOT_SET for none or an empty one), or its variation of ``experiment``
    (-1 for a creator not assigned to it: in no segment). With ``keep`` (a filter), that name
    alone: every other creator is in no segment."""
    if keep is not None:
        codes, names = by_key(dimension, keys, breakdown, experiment)
        kept = names.index(keep) if keep in names else -2
        return np.where(codes == kept, 0, -1), [keep]
    every = np.arange(keys.bound, dtype=np.int64)
    if breakdown == "follower_tier":
        codes, values = dimension.follower_tiers(keys, every)
        names = sorted({value or NOT_SET for value in values} | {NOT_SET})
        # A creator without a tier (-1) takes the appended last entry.
        remap = [names.index(value or NOT_SET) for value in values] + [names.index(NOT_SET)]
        found: Int64s = np.array(remap, dtype=np.int64)[codes]
        return found, names
    positions, variation, values = dimension.variations(keys, every, str(experiment))
    codes = np.full(keys.bound, -1, dtype=np.int64)
    codes[positions] = variation
    return codes, list(values)


def weights(codes: Int64s, names: list[str], weight: npt.NDArray[Any]) -> dict[str, int]:
    """Per name with any of ``codes`` (-1 counts for none), the sum of its rows' ``weight``."""
    # Shifted by one: no segment (-1) counts in bin 0.
    shifted = codes + 1
    rows = np.bincount(shifted, minlength=len(names) + 1)
    sums = np.bincount(shifted, weight, minlength=len(names) + 1)
    return {names[code - 1]: int(sums[code]) for code in np.flatnonzero(rows[1:] > 0) + 1}


def ranked(found: dict[str, int]) -> tuple[list[str], Callable[[str], str]]:
    """The segments of values with these weights, as ``compute.top_values`` ranks them: every
    one, sorted, or the ten with the most (ties by name) and OTHER; and each value's segment."""
    if len(found) <= TOP_VALUES:
        return sorted(found), lambda name: name
    top = set(sorted(found, key=lambda name: (-found[name], name))[:TOP_VALUES])
    return sorted([*top, OTHER]), lambda name: name if name in top else OTHER


def add(into: dict[str, int], more: dict[str, int]) -> None:
    for name, weight in more.items():
        into[name] = into.get(name, 0) + weight
