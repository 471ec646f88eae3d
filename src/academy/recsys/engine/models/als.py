"""Implicit-feedback matrix factorisation (Hu, Koren, Volinsky 2008) with implicit's
alternating least squares on the CPU; the interaction matrix is optionally BM25-weighted
before the confidence scaling ``alpha``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

import numpy as np
import scipy.sparse as sp  # type: ignore[import-untyped]
from implicit.cpu.als import AlternatingLeastSquares  # type: ignore[import-untyped]
from numpy.typing import NDArray
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from academy.recsys.engine.models.base import Recommender, default_threads

BM25_K1 = 100.0
BM25_B = 0.8


class ALS(Recommender):
    name = "als"

    def __init__(
        self,
        *,
        factors: int = 64,
        regularization: float = 0.05,
        alpha: float = 2.0,
        iterations: int = 15,
        bm25: bool = True,
        seed: int = 0,
        threads: int | None = None,
    ) -> None:
        super().__init__()
        self.factors = factors
        self.regularization = regularization
        self.alpha = alpha
        self.iterations = iterations
        self.bm25 = bm25
        self.seed = seed
        self.threads = threads or default_threads()
        self._model: AlternatingLeastSquares | None = None
        self._bm25_stats: tuple[NDArray[np.float64], float] | None = None

    def clone(self) -> Self:
        twin = super().clone()
        twin.threads, twin.seed = self.threads, self.seed
        return twin

    def params(self) -> dict[str, Any]:
        return {
            "factors": self.factors,
            "regularization": self.regularization,
            "alpha": self.alpha,
            "iterations": self.iterations,
            "bm25": self.bm25,
        }

    def _weighted(self, matrix: sp.csr_matrix) -> sp.csr_matrix:
        """BM25 weights (implicit's formula, K1=100, B=0.8) with the item frequencies and the
        mean history length of the training data, so a fresh history is weighted alike."""
        if not self.bm25:
            return matrix.astype(np.float32)
        if self._bm25_stats is None:
            users = matrix.shape[0]
            idf = np.log(users) - np.log1p(np.bincount(matrix.indices, minlength=matrix.shape[1]))
            self._bm25_stats = (idf, float(np.asarray(matrix.sum(axis=1)).mean()))
        idf, average_length = self._bm25_stats
        lengths = np.asarray(matrix.sum(axis=1)).ravel()
        norm = (1.0 - BM25_B) + BM25_B * lengths / average_length
        rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
        data = matrix.data * (BM25_K1 + 1.0) / (BM25_K1 * norm[rows] + matrix.data)
        weighted = sp.csr_matrix(
            (data * idf[matrix.indices], matrix.indices, matrix.indptr), shape=matrix.shape
        )
        return weighted.astype(np.float32)

    def _new_model(self) -> AlternatingLeastSquares:
        # implicit warns when BLAS is multi-threaded; it is limited to one thread while
        # implicit's own threads run, so the warning does not apply.
        with threadpool_limits(limits=1, user_api="blas"):
            return AlternatingLeastSquares(
                factors=self.factors,
                regularization=self.regularization,
                alpha=self.alpha,
                iterations=self.iterations,
                num_threads=self.threads,
                random_state=self.seed,
            )

    def fit_matrix(self, matrix: sp.csr_matrix) -> None:
        self._bm25_stats = None
        model = self._new_model()
        # implicit runs its own threads; a multi-threaded BLAS underneath only oversubscribes.
        with threadpool_limits(limits=1, user_api="blas"):
            model.fit(self._weighted(matrix), show_progress=False)
        self._model = model

    def _state(self) -> dict[str, NDArray[Any]]:
        arrays = {"user_factors": self.model.user_factors, "item_factors": self.model.item_factors}
        if self._bm25_stats is not None:
            arrays["bm25_idf"] = self._bm25_stats[0]
            arrays["bm25_average_length"] = np.asarray(self._bm25_stats[1])
        return arrays

    def _load_state(self, arrays: Mapping[str, NDArray[Any]]) -> None:
        model = self._new_model()
        model.user_factors = np.asarray(arrays["user_factors"])
        model.item_factors = np.asarray(arrays["item_factors"])
        self._model = model
        if "bm25_idf" in arrays:
            self._bm25_stats = (arrays["bm25_idf"], float(arrays["bm25_average_length"]))

    @property
    def model(self) -> AlternatingLeastSquares:
        if self._model is None:
            raise RuntimeError("als is not fitted")
        return self._model

    def fold_in(
        self, columns: NDArray[np.int64], weights: NDArray[np.float32]
    ) -> NDArray[np.float32]:
        """One user's factors from a history (item ``columns``, distinct, and their ``weights``):
        the least-squares step of `score` with a history, for one row, in numpy. Building a
        one-row sparse matrix, weighting it and calling implicit cost about 0.45 ms, and a feed
        request does this every time; this costs about a tenth (the same factors to float32
        rounding; tests compare the two)."""
        factors = np.asarray(self.model.item_factors, dtype=np.float32)
        if not len(columns):
            return np.zeros(factors.shape[1], dtype=np.float32)
        values = np.asarray(weights, dtype=np.float32)
        if self.bm25:
            if self._bm25_stats is None:
                raise RuntimeError("als has no BM25 statistics to weigh a new history with")
            idf, average_length = self._bm25_stats
            norm = (1.0 - BM25_B) + BM25_B * float(values.sum(dtype=np.float32)) / average_length
            values = (
                values * (BM25_K1 + 1.0) / (BM25_K1 * norm + values.astype(np.float64))
                * idf[columns]
            ).astype(np.float32)  # fmt: skip
        confidence = np.float32(self.alpha) * values
        rows = factors[columns]
        # Hu et al.: (YtY + λI + Yt(Cu - I)Y) x = Yt Cu p, with p = 1 on the history.
        system = (
            self.model.YtY
            + np.float32(self.regularization) * np.eye(factors.shape[1], dtype=np.float32)
            + (rows.T * (confidence - 1)) @ rows
        )
        solved: NDArray[np.float32] = np.linalg.solve(system, rows.T @ confidence)
        return solved

    def score(
        self, user_indices: NDArray[np.integer], *, history: sp.csr_matrix | None = None
    ) -> NDArray[np.float32]:
        if history is None:
            factors = self.model.user_factors[np.asarray(user_indices)]
        else:
            # One least-squares step per user with the item factors fixed.
            with threadpool_limits(limits=1, user_api="blas"):
                factors = self.model.recalculate_user(
                    np.arange(history.shape[0]), self._weighted(history)
                )
        return np.asarray(factors @ self.model.item_factors.T, dtype=np.float32)
