"""An experiment running in the simulation, with a true effect the analysis should recover.

The engine does not decide who is in which variation: the caller assigns every simulated creator
as the product would (``academy.simulation.services`` evaluates the experiment's flag from the
served GrowthBook payload for each creator's id) and hands the result over as one index per
creator. The engine then

- logs one ``exposure`` at the start of a creator's first session while the experiment runs
  (when the host app reads the flags), with ``experiment``, ``variation`` and
  ``bucket_version`` in its properties, ``item_kind`` ``flag`` and the flag's key as item;
- marks every event of an exposed creator with ``experiments: {key: variation}``;
- multiplies the click probability of every item shown at ``entry_point`` to a creator in a
  variation by that variation's ``click_multiplier`` (the known true effect on CTR), and
  changes nothing else: the random draws are the same, so with every multiplier at 1 the run is
  the run without the experiment, event for event.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class SimulatedExperiment:
    key: str
    flag_key: str
    variations: tuple[str, ...]  # variation keys, the control first
    bucket_version: int
    variation: IntArray  # per creator: index into ``variations``, -1 outside the experiment
    click_multiplier: tuple[float, ...]  # per variation, on the click probability at entry_point
    entry_point: str = "for_you_card"

    def __post_init__(self) -> None:
        if len(self.click_multiplier) != len(self.variations):
            raise ValueError("One click multiplier per variation.")
        if any(not np.isfinite(m) or m < 0 for m in self.click_multiplier):
            raise ValueError("Click multipliers are finite and not negative.")
        if self.variation.size and int(self.variation.max()) >= len(self.variations):
            raise ValueError("A creator's variation index is beyond the variations.")

    def multipliers(self, creators: IntArray) -> FloatArray:
        """The click multiplier of each creator (1 outside the experiment)."""
        table = np.array([1.0, *self.click_multiplier], dtype=np.float64)
        return np.asarray(table[self.variation[creators] + 1], dtype=np.float64)

    def experiments_json(self) -> list[str]:
        """The ``experiments`` column's text per variation index, then "{}" for -1."""
        return [_json({self.key: variation}) for variation in self.variations] + ["{}"]

    def exposure_properties_json(self) -> list[str]:
        """The ``properties`` of an exposure per variation index."""
        return [_json(self.exposure_properties(index)) for index in range(len(self.variations))]

    def exposure_properties(self, index: int) -> dict[str, object]:
        return {
            "experiment": self.key,
            "variation": self.variations[index],
            "bucket_version": self.bucket_version,
        }


def _json(value: object) -> str:
    """As the lake writes JSON columns (compact separators)."""
    return json.dumps(value, separators=(",", ":"))
