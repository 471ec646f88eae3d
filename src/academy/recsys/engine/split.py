"""The evaluation protocol's split: per user, the most recent interactions are the test set.

1. Repeated (user, item) pairs are merged first (weights summed, last timestamp kept), so an
   item is either in a user's training or in their test set, never both.
2. Users with fewer than ``min_interactions`` distinct items are dropped.
3. Each remaining user's items are ordered by time, ties broken by item id; the last
   ``test_fraction`` of them (rounded down, at least one) are that user's test set.

Everything else is training. The index space (users and items) is the input's, so a model
trained on ``train`` scores every item of the catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from academy.recsys.engine.data import Interactions
from academy.recsys.engine.errors import NotEnoughData

MIN_INTERACTIONS = 5
TEST_FRACTION = 0.2


@dataclass(frozen=True, eq=False)
class Split:
    """``train`` and ``test`` share the input's index space; ``users`` are the kept users."""

    train: Interactions
    test: Interactions
    users: np.ndarray

    @property
    def catalogue_size(self) -> int:
        """Distinct items of the kept users (train and test): the coverage denominator."""
        return len(np.union1d(self.train.items, self.test.items))


def temporal_split(
    interactions: Interactions,
    *,
    test_fraction: float = TEST_FRACTION,
    min_interactions: int = MIN_INTERACTIONS,
    short_users: Literal["drop", "train"] = "drop",
) -> Split:
    """Split each user's history by time (see the module docstring). With
    ``short_users="train"`` (for a validation split carved from training data) users below
    ``min_interactions`` stay, wholly in ``train``, instead of being dropped."""
    if not 0 < test_fraction < 1:
        raise ValueError("test_fraction must be between 0 and 1")
    pairs = interactions.deduplicated()
    counts = np.bincount(pairs.users, minlength=interactions.n_users)
    kept = counts >= max(min_interactions, 2)
    if short_users == "drop":
        pairs = pairs.select(kept[pairs.users])
    if not kept.any():
        raise NotEnoughData(
            f"no user has at least {min_interactions} distinct items: nothing to evaluate"
        )
    order = np.lexsort((pairs.items, pairs.timestamps, pairs.users))
    users = pairs.users[order]
    size = counts[users]
    first = np.searchsorted(users, users, side="left")
    position = np.arange(len(users)) - first
    # Integer arithmetic so 20% of 15 is exactly 3, not 2.9999.
    per_mille = round(test_fraction * 1000)
    test_size = np.maximum(1, size * per_mille // 1000)
    is_test = np.zeros(len(pairs), dtype=bool)
    is_test[order] = (position >= size - test_size) & kept[users]
    return Split(
        train=pairs.select(~is_test),
        test=pairs.select(is_test),
        users=np.flatnonzero(kept).astype(np.int32),
    )
