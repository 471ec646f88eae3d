"""Our model: candidates from several collaborative-filtering models, re-ranked by LambdaRank.

1. Candidates: the union of each candidate model's top ``candidates`` unseen items.
2. Features per (user, candidate): each model's score, its score standardised over the user's
   unseen items, and its rank (``candidates`` + 1 when outside its top list); the item's
   popularity, its popularity in the last 30 days of the data and in the 30 days before the
   user's last interaction, its age and its age at the user's last interaction; the user's
   activity and how long ago they were last active.
3. The ranker learns from a validation split carved from the training data with the evaluation
   protocol (each user's most recent 20 % of training interactions are the labels), so the test
   set is never seen; the candidate models are then refitted on all the training data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Self

import numpy as np
import scipy.sparse as sp  # type: ignore[import-untyped]
from numpy.typing import NDArray

from academy.recsys.engine.data import Interactions
from academy.recsys.engine.errors import NotEnoughData
from academy.recsys.engine.models.base import SCORE_BATCH, Recommender, default_threads, top_k
from academy.recsys.engine.ranker import LambdaRanker, RankerParams
from academy.recsys.engine.split import temporal_split

DAY = 86_400
WINDOW_DAYS = 30
# Non-candidates score below every candidate, most popular first.
OUTSIDE = -1e6


@dataclass(frozen=True)
class HybridParams:
    candidates: int = 100
    ranker: RankerParams = field(default_factory=RankerParams)


@dataclass(frozen=True, eq=False)
class Context:
    """Item and user statistics of the training data that the features use."""

    now: int
    item_count: NDArray[np.float32]
    item_recent: NDArray[np.float32]
    item_first: NDArray[np.int64]
    user_count: NDArray[np.float32]
    user_last: NDArray[np.int64]
    keys: NDArray[np.int64]

    @classmethod
    def of(cls, train: Interactions) -> Context:
        pairs = train.deduplicated()
        now = int(pairs.timestamps.max()) if len(pairs) else 0
        n_items, n_users = train.n_items, train.n_users
        first = np.full(n_items, now, dtype=np.int64)
        np.minimum.at(first, pairs.items, pairs.timestamps)
        last = np.full(n_users, now, dtype=np.int64)
        if len(pairs):
            last[:] = np.iinfo(np.int64).min
            np.maximum.at(last, pairs.users, pairs.timestamps)
            last[last == np.iinfo(np.int64).min] = now
        recent = pairs.timestamps > now - WINDOW_DAYS * DAY
        return cls(
            now=now,
            item_count=np.bincount(pairs.items, minlength=n_items).astype(np.float32),
            item_recent=np.bincount(pairs.items[recent], minlength=n_items).astype(np.float32),
            item_first=first,
            user_count=np.bincount(pairs.users, minlength=n_users).astype(np.float32),
            user_last=last,
            keys=np.sort(_key(pairs.items, pairs.timestamps)),
        )

    def item_count_before(
        self, items: NDArray[np.integer], moments: NDArray[np.int64]
    ) -> NDArray[np.float32]:
        """How many users interacted with each item in the window before each moment."""
        upper = np.searchsorted(self.keys, _key(items, moments), side="right")
        lower = np.searchsorted(self.keys, _key(items, moments - WINDOW_DAYS * DAY), side="left")
        return (upper - lower).astype(np.float32)


def _key(items: NDArray[np.integer], moments: NDArray[np.int64]) -> NDArray[np.int64]:
    # One sortable number per (item, time): item in the high bits, seconds since 1970 below.
    return items.astype(np.int64) * (1 << 34) + np.clip(moments, 0, (1 << 34) - 1)


class Hybrid(Recommender):
    """Candidate models + LambdaRank. ``candidate_models`` are unfitted prototypes (cloned for
    the validation fit and the final fit)."""

    name = "hybrid"

    def __init__(
        self,
        candidate_models: Sequence[Recommender],
        params: HybridParams | None = None,
        *,
        seed: int = 0,
        threads: int | None = None,
    ) -> None:
        super().__init__()
        if not candidate_models:
            raise ValueError("the hybrid needs at least one candidate model")
        self.candidate_models = list(candidate_models)
        self.hybrid_params = params or HybridParams()
        self.seed = seed
        self.threads = threads
        self.ranker: LambdaRanker | None = None
        self._models: list[Recommender] = []
        self._context: Context | None = None

    def clone(self) -> Self:
        return type(self)(
            [model.clone() for model in self.candidate_models],
            self.hybrid_params,
            seed=self.seed,
            threads=self.threads,
        )

    def with_params(self, params: HybridParams) -> Hybrid:
        twin = self.clone()
        twin.hybrid_params = params
        return twin

    def params(self) -> dict[str, Any]:
        ranker = self.hybrid_params.ranker
        return {
            "candidate_models": [model.name for model in self.candidate_models],
            "candidates_per_model": self.hybrid_params.candidates,
            "trees": ranker.trees,
            "leaves": ranker.leaves,
            "learning_rate": ranker.learning_rate,
            "min_rows_in_leaf": ranker.min_rows_in_leaf,
        }

    @property
    def feature_names(self) -> list[str]:
        names = []
        for model in self.candidate_models:
            names += [f"{model.name}_score", f"{model.name}_z", f"{model.name}_rank"]
        return [
            *names,
            "item_popularity",
            "item_recent_popularity",
            "item_popularity_before_user",
            "item_age_days",
            "item_age_at_user_days",
            "user_activity",
            "user_idle_days",
        ]

    def fit(self, train: Interactions) -> Self:
        return self.fit_queries(train, self.training_queries(train))

    def fit_queries(self, train: Interactions, queries: Queries) -> Self:
        """Fit with training queries already built (by :meth:`training_queries` on ``train``
        with the same candidate depth), e.g. reused across a tuning grid."""
        features, groups, labels = queries.learnable()
        self.ranker = LambdaRanker(
            self.feature_names,
            self.hybrid_params.ranker,
            seed=self.seed,
            threads=self.threads or ranker_threads(len(labels)),
        ).fit(features, groups, labels)
        self._models = [model.clone().fit(train) for model in self.candidate_models]
        self._context = Context.of(train)
        self._seen = train.to_csr()
        return self

    def _state(self) -> dict[str, NDArray[Any]]:
        """The candidate models' states (prefixed ``<position>.<name>/``) and the feature
        statistics (``context.``); the ranker is saved on its own (LightGBM's text format)."""
        if self._context is None:
            raise RuntimeError("the hybrid is not fitted")
        arrays: dict[str, NDArray[Any]] = {}
        for position, model in enumerate(self._models):
            prefix = f"{position}.{model.name}/"
            arrays |= {prefix + key: value for key, value in model.state().items()}
        for name, value in vars(self._context).items():
            arrays[f"context.{name}"] = np.asarray(value)
        return arrays

    def _load_state(self, arrays: Mapping[str, NDArray[Any]]) -> None:
        self._models = []
        for position, prototype in enumerate(self.candidate_models):
            prefix = f"{position}.{prototype.name}/"
            own = {
                key[len(prefix) :]: value for key, value in arrays.items() if key.startswith(prefix)
            }
            self._models.append(prototype.clone().load_state(own))
        fields: dict[str, Any] = {
            key[len("context.") :]: value
            for key, value in arrays.items()
            if key.startswith("context.")
        }
        fields["now"] = int(fields["now"])
        self._context = Context(**fields)

    def fit_matrix(self, matrix: sp.csr_matrix) -> None:
        raise TypeError("the hybrid needs timestamps: call fit(interactions)")

    def training_queries(self, train: Interactions) -> Queries:
        """The ranker's training data: candidates and labels of a validation split carved from
        ``train`` with the evaluation protocol."""
        inner = temporal_split(train, short_users="train")
        models = [model.clone().fit(inner.train) for model in self.candidate_models]
        context = Context.of(inner.train)
        seen = inner.train.to_csr()
        truth = inner.test.to_csr(binary=True)
        users = np.unique(inner.test.users)
        parts = []
        for start in range(0, len(users), SCORE_BATCH):
            batch = users[start : start + SCORE_BATCH]
            rows, items, features = self._features(models, context, seen, batch)
            labels = np.asarray(truth[batch[rows], items]).ravel().astype(np.float32)
            parts.append((rows + start, features, labels))
        return Queries(
            rows=np.concatenate([part[0] for part in parts]),
            features=np.vstack([part[1] for part in parts]),
            labels=np.concatenate([part[2] for part in parts]),
            relevant=np.diff(truth.indptr)[users].astype(np.int64),
        )

    def _features(
        self,
        models: Sequence[Recommender],
        context: Context,
        seen: sp.csr_matrix,
        users: NDArray[np.integer],
        history: sp.csr_matrix | None = None,
    ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float32]]:
        """Candidates of ``users`` as (row in ``users``, item) pairs sorted by row, and their
        features."""
        n = self.hybrid_params.candidates
        known = history if history is not None else seen[users]
        excluded = [known.indices[known.indptr[i] : known.indptr[i + 1]] for i in range(len(users))]
        scores, tops = [], []
        for model in models:
            scored = model.score(users, history=history)
            scores.append(scored)
            tops.append(top_k(scored, n, excluded))
        stacked = np.hstack(tops)
        row_of = np.repeat(np.arange(len(users)), stacked.shape[1])
        flat = stacked.ravel()
        valid = flat >= 0
        pairs = np.unique(row_of[valid] * np.int64(seen.shape[1]) + flat[valid])
        rows, items = pairs // seen.shape[1], pairs % seen.shape[1]
        n_items = seen.shape[1]
        seen_rows = np.repeat(np.arange(len(users)), np.diff(known.indptr))
        unseen = np.maximum(n_items - np.diff(known.indptr), 1)
        columns = []
        for scored, top in zip(scores, tops, strict=True):
            # Mean and spread over the user's unseen items, without copying the score matrix.
            hidden = scored[seen_rows, known.indices].astype(np.float64)
            total = scored.sum(axis=1, dtype=np.float64) - np.bincount(
                seen_rows, weights=hidden, minlength=len(users)
            )
            squares = np.square(scored, dtype=np.float64).sum(axis=1) - np.bincount(
                seen_rows, weights=hidden**2, minlength=len(users)
            )
            mean = total / unseen
            spread = np.sqrt(np.maximum(squares / unseen - mean**2, 0.0)) + 1e-9
            value = scored[rows, items].astype(np.float64)
            columns += [
                value,
                (value - mean[rows]) / spread[rows],
                _rank_in(top, rows, items, missing=n + 1),
            ]
        user_ids = np.asarray(users)[rows]
        last = context.user_last[user_ids]
        columns += [
            np.log1p(context.item_count[items]),
            np.log1p(context.item_recent[items]),
            np.log1p(context.item_count_before(items, last)),
            (context.now - context.item_first[items]) / DAY,
            (last - context.item_first[items]) / DAY,
            np.log1p(context.user_count[user_ids]),
            (context.now - last) / DAY,
        ]
        features = np.column_stack(columns).astype(np.float32)
        return rows.astype(np.int64), items.astype(np.int64), features

    def score(
        self, user_indices: NDArray[np.integer], *, history: sp.csr_matrix | None = None
    ) -> NDArray[np.float32]:
        if self.ranker is None or self._context is None:
            raise RuntimeError("the hybrid is not fitted")
        users = np.asarray(user_indices)
        rows, items, features = self._features(
            self._models, self._context, self.seen, users, history
        )
        fallback = OUTSIDE + np.log1p(self._context.item_count)
        scores = np.tile(fallback.astype(np.float64), (len(users), 1))
        scores[rows, items] = self.ranker.predict(features)
        return scores.astype(np.float32)


def ranker_threads(rows: int) -> int:
    """LightGBM on a few hundred thousand rows is faster on one thread than fighting for
    busy cores (OpenMP spins); bigger training sets use every core."""
    return 1 if rows < 500_000 else default_threads()


@dataclass(frozen=True, eq=False)
class Queries:
    """Candidates of the validation users: ``rows[i]`` is the user (0..len(relevant)-1) of
    feature row i, sorted; ``relevant[u]`` is how many validation items user u has."""

    rows: NDArray[np.int64]
    features: NDArray[np.float32]
    labels: NDArray[np.float32]
    relevant: NDArray[np.int64]

    def learnable(
        self, users: NDArray[np.bool_] | None = None
    ) -> tuple[NDArray[np.float32], NDArray[np.int64], NDArray[np.float32]]:
        """(features, groups, labels) of the users (all, or those flagged) that have at least
        one relevant candidate: a query without one teaches LambdaRank nothing."""
        positive = np.bincount(self.rows, weights=self.labels, minlength=len(self.relevant)) > 0
        if users is not None:
            positive &= users
        keep = positive[self.rows]
        if not keep.any():
            raise NotEnoughData("no validation item is among the candidates: nothing to learn")
        groups = np.bincount(self.rows[keep], minlength=len(self.relevant))
        return self.features[keep], groups[groups > 0].astype(np.int64), self.labels[keep]

    def ndcg(self, scores: NDArray[np.floating[Any]], users: NDArray[np.bool_], k: int) -> float:
        """NDCG@k over the flagged users when their candidates are ordered by ``scores``
        (relevant items outside the candidates count as misses)."""
        chosen = users[self.rows]
        rows, labels = self.rows[chosen], self.labels[chosen]
        order = np.lexsort((-np.asarray(scores)[chosen], rows))
        rows, labels = rows[order], labels[order]
        first = np.searchsorted(rows, rows, side="left")
        position = np.arange(len(rows)) - first
        top = position < k
        gains = np.bincount(
            rows[top], weights=labels[top] / np.log2(position[top] + 2), minlength=len(users)
        )
        ideal_lists = np.cumsum(1.0 / np.log2(np.arange(2, k + 2)))
        ideal = ideal_lists[np.clip(np.minimum(self.relevant, k) - 1, 0, k - 1)]
        flagged = np.flatnonzero(users & (self.relevant > 0))
        return float(np.mean(gains[flagged] / ideal[flagged])) if len(flagged) else 0.0


def _rank_in(
    top: NDArray[np.int64], rows: NDArray[np.int64], items: NDArray[np.int64], *, missing: int
) -> NDArray[np.float64]:
    """1-based position of each (row, item) in ``top``'s rows, ``missing`` when absent."""
    width = top.shape[1]
    listed = top >= 0
    positions = np.tile(np.arange(1, width + 1), (top.shape[0], 1))[listed]
    keys = (np.repeat(np.arange(top.shape[0]), width)[listed.ravel()] << 32) + top[listed]
    order = np.argsort(keys)
    keys, positions = keys[order], positions[order]
    wanted = (rows << 32) + items
    found = np.minimum(np.searchsorted(keys, wanted), max(len(keys) - 1, 0))
    hit = keys[found] == wanted if len(keys) else np.zeros(len(wanted), dtype=bool)
    return np.where(hit, positions[found] if len(keys) else 0, missing).astype(np.float64)
