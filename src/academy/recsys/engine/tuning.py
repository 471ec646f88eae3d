"""Hyperparameter search on a validation split carved from the training data.

Every baseline is fitted on the validation split's training part for each point of its grid
and scored by NDCG@k on the validation users' held-out items; the best point wins (ties: the
first in grid order). The hybrid's few knobs are chosen by cross-validation over the
validation users (folds of users), so its ranker is never scored on the users it learnt from.
The test set plays no part in any of it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from academy.recsys.engine.data import Interactions
from academy.recsys.engine.errors import RecsysError
from academy.recsys.engine.metrics import TopKMetrics, top_k_metrics
from academy.recsys.engine.models import ALS, EASE, ItemKNN, Popularity, Recommender
from academy.recsys.engine.models.hybrid import Hybrid, HybridParams, Queries, ranker_threads
from academy.recsys.engine.ranker import LambdaRanker, RankerParams
from academy.recsys.engine.split import Split, temporal_split

GridSize = Literal["full", "small"]
Progress = Callable[[str], None]

BASELINE_GRIDS: Mapping[GridSize, Mapping[str, Sequence[Mapping[str, Any]]]] = {
    "full": {
        "popularity": [{}],
        "item_knn": [
            {"neighbours": neighbours, "similarity": similarity}
            for neighbours in (25, 50, 100, 200)
            for similarity in ("cosine", "bm25", "tfidf")
        ],
        "als": [
            {"factors": factors, "regularization": reg, "alpha": alpha, "bm25": bm25}
            for factors in (32, 64, 128)
            for reg in (0.01, 0.1, 1.0)
            for alpha in (1.0, 5.0)
            for bm25 in (False, True)
        ],
        "ease": [{"regularization": reg} for reg in (50.0, 100.0, 200.0, 300.0, 500.0, 1000.0)],
    },
    "small": {
        "popularity": [{}],
        "item_knn": [
            {"neighbours": neighbours, "similarity": similarity}
            for neighbours in (50, 200)
            for similarity in ("cosine", "bm25")
        ],
        "als": [
            {"factors": factors, "regularization": 0.1, "alpha": 1.0, "bm25": False}
            for factors in (32, 64)
        ],
        "ease": [{"regularization": reg} for reg in (100.0, 300.0, 1000.0)],
    },
}

HYBRID_GRIDS: Mapping[GridSize, Sequence[HybridParams]] = {
    "full": [
        HybridParams(candidates=candidates, ranker=RankerParams(trees=trees, leaves=leaves))
        for candidates in (50, 100)
        for trees, leaves in ((100, 15), (200, 15), (300, 31))
    ],
    "small": [HybridParams(candidates=50, ranker=RankerParams(trees=150, leaves=15))],
}
HYBRID_FOLDS = 3


class Interrupted(RecsysError):
    """The caller asked to stop (Ctrl-C) between two steps."""


@dataclass(frozen=True)
class Trial:
    params: Mapping[str, Any]
    # None when the grid had one point (nothing to choose, so nothing was measured).
    validation_ndcg: float | None


@dataclass(frozen=True, eq=False)
class Tuned:
    """The winning unfitted model, the grid tried and each point's validation NDCG."""

    model: Recommender
    trials: Sequence[Trial]


def build_baseline(name: str, params: Mapping[str, Any], *, seed: int) -> Recommender:
    """A baseline by name with the given hyperparameters."""
    if name == "popularity":
        return Popularity()
    if name == "item_knn":
        return ItemKNN(**params)
    if name == "als":
        return ALS(**params, seed=seed)
    if name == "ease":
        return EASE(**params)
    raise ValueError(f"unknown model {name!r}")


def validation_split(train: Interactions) -> Split:
    """The protocol applied again to the training data (short users stay in training)."""
    return temporal_split(train, short_users="train")


def measure(model: Recommender, split: Split, ks: Sequence[int]) -> list[TopKMetrics]:
    """Metrics at each K of a model fitted on ``split.train``, over the users with test items."""
    users = np.unique(split.test.users)
    truth = split.test.to_csr(binary=True)
    relevant = [set(truth[user].indices.tolist()) for user in users]
    recommended = model.recommend_many(users, max(ks))
    return [
        top_k_metrics(recommended, relevant, k=k, catalogue_size=split.catalogue_size) for k in ks
    ]


def validation_ndcg(model: Recommender, validation: Split, *, k: int) -> float:
    """NDCG@k of ``model`` fitted on the validation split's training part."""
    return measure(model.fit(validation.train), validation, [k])[0].ndcg


def tune_baseline(
    name: str,
    validation: Split,
    *,
    grid: Sequence[Mapping[str, Any]],
    k: int,
    seed: int,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
) -> Tuned:
    """Try every grid point on the validation split; return the best."""
    trials = []
    for params in grid:
        _check(stop)
        if progress:
            progress(f"tuning {name} {_describe(params)}")
        score = validation_ndcg(build_baseline(name, params, seed=seed), validation, k=k)
        trials.append(Trial(params=dict(params), validation_ndcg=score))
    best = max(trials, key=lambda trial: trial.validation_ndcg or 0.0)
    return Tuned(model=build_baseline(name, best.params, seed=seed), trials=trials)


@dataclass(frozen=True, eq=False)
class TunedHybrid:
    model: Hybrid
    trials: Sequence[Trial]
    queries: Queries


def tune_hybrid(
    candidate_models: Sequence[Recommender],
    train: Interactions,
    *,
    grid: Sequence[HybridParams],
    k: int,
    seed: int,
    folds: int = HYBRID_FOLDS,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
) -> TunedHybrid:
    """Cross-validate the hybrid's knobs over folds of validation users; return the best
    (unfitted) with the training queries it should be fitted on."""
    queries_by_depth: dict[int, Queries] = {}
    trials: list[tuple[HybridParams, Trial]] = []
    prototype = Hybrid(candidate_models, seed=seed)
    for params in grid:
        _check(stop)
        if params.candidates not in queries_by_depth:
            if progress:
                progress(f"hybrid: candidates and features (top {params.candidates} per model)")
            queries_by_depth[params.candidates] = prototype.with_params(params).training_queries(
                train
            )
            _check(stop)
        queries = queries_by_depth[params.candidates]
        if len(grid) == 1:
            trials.append((params, Trial(params=_hybrid_summary(params), validation_ndcg=None)))
            break
        if progress:
            progress(f"tuning hybrid {_describe(_hybrid_summary(params))}")
        fold_of = np.random.default_rng(seed).permutation(len(queries.relevant)) % folds
        scores = []
        for fold in range(folds):
            held_out = fold_of == fold
            ranker = LambdaRanker(prototype.feature_names, params.ranker, seed=seed)
            features, groups, labels = queries.learnable(~held_out)
            ranker.threads = ranker_threads(len(labels))
            ranker.fit(features, groups, labels)
            scores.append(queries.ndcg(ranker.predict(queries.features), held_out, k))
        trials.append(
            (params, Trial(params=_hybrid_summary(params), validation_ndcg=float(np.mean(scores))))
        )
    best_params, _ = max(trials, key=lambda pair: pair[1].validation_ndcg or 0.0)
    return TunedHybrid(
        model=prototype.with_params(best_params),
        trials=[trial for _, trial in trials],
        queries=queries_by_depth[best_params.candidates],
    )


def _hybrid_summary(params: HybridParams) -> dict[str, Any]:
    return {
        "candidates_per_model": params.candidates,
        "trees": params.ranker.trees,
        "leaves": params.ranker.leaves,
    }


def _describe(params: Mapping[str, Any]) -> str:
    return ", ".join(f"{key}={value}" for key, value in params.items())


def _check(stop: threading.Event | None) -> None:
    if stop is not None and stop.is_set():
        raise Interrupted("stopped on request")
