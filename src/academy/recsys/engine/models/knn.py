"""Item-based k-nearest neighbours (implicit's item-item models): an item's score is the sum of
its similarities to the items in the user's history, each item keeping its ``neighbours``
most similar items."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any, Literal, Self

import numpy as np
import scipy.sparse as sp  # type: ignore[import-untyped]
from implicit.nearest_neighbours import (  # type: ignore[import-untyped]
    BM25Recommender,
    CosineRecommender,
    ItemItemRecommender,
    TFIDFRecommender,
)
from implicit.utils import ParameterWarning  # type: ignore[import-untyped]
from numpy.typing import NDArray

from academy.recsys.engine.models.base import (
    Recommender,
    default_threads,
    sparse_from_state,
    sparse_state,
)

Similarity = Literal["cosine", "bm25", "tfidf"]


class ItemKNN(Recommender):
    name = "item_knn"

    def __init__(
        self,
        *,
        neighbours: int = 100,
        similarity: Similarity = "cosine",
        bm25_k1: float = 1.2,
        bm25_b: float = 0.75,
        threads: int | None = None,
    ) -> None:
        super().__init__()
        self.neighbours = neighbours
        self.similarity: Similarity = similarity
        self.bm25_k1 = bm25_k1
        self.bm25_b = bm25_b
        self.threads = threads or default_threads()
        self._similarity: sp.csr_matrix | None = None

    def clone(self) -> Self:
        twin = super().clone()
        twin.threads = self.threads
        return twin

    def params(self) -> dict[str, Any]:
        chosen: dict[str, Any] = {"neighbours": self.neighbours, "similarity": self.similarity}
        if self.similarity == "bm25":
            chosen |= {"bm25_k1": self.bm25_k1, "bm25_b": self.bm25_b}
        return chosen

    def fit_matrix(self, matrix: sp.csr_matrix) -> None:
        model: ItemItemRecommender
        if self.similarity == "bm25":
            model = BM25Recommender(
                K=self.neighbours, K1=self.bm25_k1, B=self.bm25_b, num_threads=self.threads
            )
        elif self.similarity == "tfidf":
            model = TFIDFRecommender(K=self.neighbours, num_threads=self.threads)
        else:
            model = CosineRecommender(K=self.neighbours, num_threads=self.threads)
        with warnings.catch_warnings():
            # implicit converts its transposed copy to CSR itself and says so; nothing to fix.
            warnings.simplefilter("ignore", ParameterWarning)
            model.fit(matrix, show_progress=False)
        self._similarity = sp.csr_matrix(model.similarity, dtype=np.float32)

    def _state(self) -> dict[str, NDArray[Any]]:
        return sparse_state("similarity", self.item_similarity)

    def _load_state(self, arrays: Mapping[str, NDArray[Any]]) -> None:
        self._similarity = sparse_from_state("similarity", arrays)

    @property
    def item_similarity(self) -> sp.csr_matrix:
        """The items x items neighbour matrix (row i: item i's neighbours)."""
        if self._similarity is None:
            raise RuntimeError("item_knn is not fitted")
        return self._similarity

    def score(
        self, user_indices: NDArray[np.integer], *, history: sp.csr_matrix | None = None
    ) -> NDArray[np.float32]:
        rows = history if history is not None else self.history(user_indices)
        return np.asarray((rows @ self.item_similarity).toarray(), dtype=np.float32)
