"""EASE (Steck 2019): a closed-form item x item linear model, B = I - P / diag(P) with
P = inverse(X^T X + lambda I) and a zero diagonal. Strong on small and medium catalogues; it
needs two dense items x items matrices, so catalogues above ``MAX_ITEMS`` are refused."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import scipy.linalg  # type: ignore[import-untyped]
import scipy.sparse as sp  # type: ignore[import-untyped]
from numpy.typing import NDArray

from academy.recsys.engine.errors import CatalogueTooLarge
from academy.recsys.engine.models.base import Recommender

# Two float64 items x items matrices: 20,000 items take about 6.4 GB.
MAX_ITEMS = 20_000


class EASE(Recommender):
    name = "ease"

    def __init__(self, *, regularization: float = 500.0, max_items: int = MAX_ITEMS) -> None:
        super().__init__()
        self.regularization = regularization
        self.max_items = max_items
        self._weights: NDArray[np.float32] | None = None

    def params(self) -> dict[str, Any]:
        return {"regularization": self.regularization}

    def fit_matrix(self, matrix: sp.csr_matrix) -> None:
        n_items = matrix.shape[1]
        if n_items > self.max_items:
            raise CatalogueTooLarge(
                f"EASE needs two dense {n_items:,} x {n_items:,} matrices; it is limited to "
                f"{self.max_items:,} items (use ALS or item-kNN for larger catalogues)"
            )
        binary = matrix.copy()
        binary.data[:] = 1.0
        gram = np.asarray((binary.T @ binary).toarray(), dtype=np.float64)
        gram[np.diag_indices(n_items)] += self.regularization
        inverse = scipy.linalg.inv(gram, overwrite_a=True, check_finite=False)
        weights = inverse / -np.diag(inverse)
        weights[np.diag_indices(n_items)] = 0.0
        self._weights = weights.astype(np.float32)

    def _state(self) -> dict[str, NDArray[Any]]:
        if self._weights is None:
            raise RuntimeError("ease is not fitted")
        return {"weights": self._weights}

    def _load_state(self, arrays: Mapping[str, NDArray[Any]]) -> None:
        self._weights = arrays["weights"]

    def score(
        self, user_indices: NDArray[np.integer], *, history: sp.csr_matrix | None = None
    ) -> NDArray[np.float32]:
        if self._weights is None:
            raise RuntimeError("ease is not fitted")
        rows = history if history is not None else self.history(user_indices)
        binary = rows.copy()
        binary.data[:] = 1.0
        return np.asarray(binary @ self._weights, dtype=np.float32)
