"""The interface every recommender implements, and top-K selection shared by all of them."""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Self

import numpy as np
import scipy.sparse as sp  # type: ignore[import-untyped]
from numpy.typing import NDArray

from academy.recsys.engine.data import Interactions

SCORE_BATCH = 1024


def default_threads() -> int:
    """Threads for the native trainers: every core this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class Recommender(ABC):
    """A model that scores every item of the catalogue for a user.

    ``fit`` learns from training interactions (dense indices); ``score`` returns one row of
    scores over all items per user, from the user's training history or from ``history`` (a
    users x items matrix, one row per requested user) when given, so serving can fold in
    fresh interactions without retraining. Higher is better; seen items are not removed by
    ``score`` (``recommend`` does that).
    """

    name: ClassVar[str]

    def __init__(self) -> None:
        self._seen: sp.csr_matrix | None = None

    @abstractmethod
    def params(self) -> dict[str, Any]:
        """The hyperparameters, as reported and as accepted by the constructor."""

    def clone(self) -> Self:
        """An unfitted model with the same hyperparameters."""
        return type(self)(**self.params())

    def fit(self, train: Interactions) -> Self:
        """Learn from the training interactions; returns the fitted model."""
        self._seen = train.to_csr()
        self.fit_matrix(self._seen)
        return self

    @abstractmethod
    def fit_matrix(self, matrix: sp.csr_matrix) -> None:
        """Learn from a users x items matrix of interaction weights."""

    def state(self) -> dict[str, NDArray[Any]]:
        """The fitted state as named arrays (saved as .npy by ``engine.artifact``)."""
        return {**sparse_state("seen", self.seen), **self._state()}

    def load_state(self, arrays: Mapping[str, NDArray[Any]]) -> Self:
        """Restore a state returned by :meth:`state` into this (unfitted) model."""
        self._seen = sparse_from_state("seen", arrays)
        self._load_state(arrays)
        return self

    @abstractmethod
    def _state(self) -> dict[str, NDArray[Any]]: ...

    @abstractmethod
    def _load_state(self, arrays: Mapping[str, NDArray[Any]]) -> None: ...

    @abstractmethod
    def score(
        self, user_indices: NDArray[np.integer], *, history: sp.csr_matrix | None = None
    ) -> NDArray[np.float32]:
        """Scores over all items, shape (len(user_indices), n_items)."""

    @property
    def seen(self) -> sp.csr_matrix:
        if self._seen is None:
            raise RuntimeError(f"{self.name} is not fitted")
        return self._seen

    def history(self, user_indices: NDArray[np.integer]) -> sp.csr_matrix:
        return self.seen[np.asarray(user_indices)]

    def recommend(
        self, user_index: int, k: int, exclude: Iterable[int] | None = None
    ) -> NDArray[np.int64]:
        """The user's top ``k`` items, best first, without ``exclude`` (default: the items
        the user interacted with in training)."""
        scores = self.score(np.asarray([user_index]))
        if exclude is None:
            excluded = self.seen[user_index].indices
        else:
            excluded = np.fromiter(exclude, dtype=np.int64)
        best: NDArray[np.int64] = top_k(scores, k, [excluded])[0]
        return best

    def recommend_many(self, user_indices: NDArray[np.integer], k: int) -> NDArray[np.int64]:
        """Top ``k`` unseen items for each user, shape (len(user_indices), k); rows are padded
        with -1 when fewer than ``k`` items are left."""
        users = np.asarray(user_indices)
        rows = []
        for start in range(0, len(users), SCORE_BATCH):
            batch = users[start : start + SCORE_BATCH]
            seen = self.seen[batch]
            excluded = [
                seen.indices[seen.indptr[i] : seen.indptr[i + 1]] for i in range(len(batch))
            ]
            rows.append(top_k(self.score(batch), k, excluded))
        return np.vstack(rows) if rows else np.empty((0, k), dtype=np.int64)


def top_k(
    scores: NDArray[np.floating[Any]], k: int, excluded: list[NDArray[np.integer]]
) -> NDArray[np.int64]:
    """Per row, the ``k`` best columns not in that row's ``excluded``, best first (ties by
    column index); -1 pads rows with fewer than ``k`` allowed columns."""
    scores = np.array(scores, dtype=np.float64, copy=True)
    n_rows, n_items = scores.shape
    for row, columns in enumerate(excluded):
        scores[row, columns] = -np.inf
    width = min(k, n_items)
    if width < n_items:
        candidates = np.argpartition(-scores, width - 1, axis=1)[:, :width]
    else:
        candidates = np.tile(np.arange(n_items), (n_rows, 1))
    chosen = np.take_along_axis(scores, candidates, axis=1)
    order = np.lexsort((candidates, -chosen), axis=1)
    best = np.take_along_axis(candidates, order, axis=1).astype(np.int64)
    best[np.take_along_axis(chosen, order, axis=1) == -np.inf] = -1
    if width < k:
        best = np.hstack((best, np.full((n_rows, k - width), -1, dtype=np.int64)))
    return best


def sparse_state(name: str, matrix: sp.csr_matrix) -> dict[str, NDArray[Any]]:
    """A CSR matrix as plain arrays ``name.data``, ``name.indices``, ``name.indptr``,
    ``name.shape``."""
    return {
        f"{name}.data": matrix.data,
        f"{name}.indices": matrix.indices,
        f"{name}.indptr": matrix.indptr,
        f"{name}.shape": np.asarray(matrix.shape, dtype=np.int64),
    }


def sparse_from_state(name: str, arrays: Mapping[str, NDArray[Any]]) -> sp.csr_matrix:
    shape = tuple(int(size) for size in arrays[f"{name}.shape"])
    return sp.csr_matrix(
        (arrays[f"{name}.data"], arrays[f"{name}.indices"], arrays[f"{name}.indptr"]),
        shape=shape,
    )
