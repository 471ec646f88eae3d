"""Most popular first: the number of distinct users who interacted with each item."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import scipy.sparse as sp  # type: ignore[import-untyped]
from numpy.typing import NDArray

from academy.recsys.engine.models.base import Recommender


class Popularity(Recommender):
    name = "popularity"

    def __init__(self) -> None:
        super().__init__()
        self._counts: NDArray[np.float32] | None = None

    def params(self) -> dict[str, Any]:
        return {}

    def fit_matrix(self, matrix: sp.csr_matrix) -> None:
        self._counts = np.bincount(matrix.indices, minlength=matrix.shape[1]).astype(np.float32)

    def _state(self) -> dict[str, NDArray[Any]]:
        if self._counts is None:
            raise RuntimeError("popularity is not fitted")
        return {"counts": self._counts}

    def _load_state(self, arrays: Mapping[str, NDArray[Any]]) -> None:
        self._counts = arrays["counts"]

    def score(
        self, user_indices: NDArray[np.integer], *, history: sp.csr_matrix | None = None
    ) -> NDArray[np.float32]:
        if self._counts is None:
            raise RuntimeError("popularity is not fitted")
        return np.tile(self._counts, (len(user_indices), 1))
