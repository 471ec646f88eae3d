"""Each recommender on a tiny dataset where the right answer is obvious."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp  # type: ignore[import-untyped]

from academy.recsys.engine.errors import CatalogueTooLarge
from academy.recsys.engine.models import ALS, EASE, ItemKNN, Popularity, Recommender, top_k
from academy.recsys.engine.models.hybrid import Hybrid, HybridParams
from academy.recsys.engine.ranker import RankerParams
from academy.recsys.engine.split import temporal_split
from academy.recsys.tests.recsys_data import two_clusters


@pytest.mark.parametrize(
    "model",
    [
        ItemKNN(neighbours=20),
        ItemKNN(neighbours=20, similarity="bm25"),
        ItemKNN(neighbours=20, similarity="tfidf"),
        EASE(regularization=10.0),
        ALS(factors=2, regularization=0.01, iterations=20, bm25=False, seed=1),
        ALS(factors=2, regularization=0.01, iterations=20, bm25=True, seed=1),
    ],
    ids=lambda model: f"{model.name}-{model.params()}",
)
def test_collaborative_models_complete_the_users_cluster(model: Recommender) -> None:
    data = two_clusters()
    model.fit(data)
    # User 0 has items 0..6 of the first cluster: 7, 8 and 9 are the only ones left there.
    assert set(model.recommend(0, 3).tolist()) == {7, 8, 9}
    assert set(model.recommend(0, 2, exclude=range(8)).tolist()) == {8, 9}
    # Every user of the second cluster gets items of the second cluster first.
    second = np.arange(20, 40)
    recommended = model.recommend_many(second, 2)
    assert (recommended >= 10).all()


@pytest.mark.parametrize(
    "model",
    [ItemKNN(neighbours=20), EASE(regularization=10.0), ALS(factors=2, iterations=20, seed=1)],
    ids=lambda model: model.name,
)
def test_fresh_history_changes_the_scores_without_refitting(model: Recommender) -> None:
    model.fit(two_clusters())
    # User 0 (first cluster) has just taken three items of the second cluster.
    history = sp.csr_matrix(
        (np.ones(3, dtype=np.float32), ([0, 0, 0], [10, 11, 13])), shape=(1, 20)
    )
    scores = model.score(np.asarray([0]), history=history)[0]
    scores[[10, 11, 13]] = -np.inf
    assert np.argsort(-scores)[:3].min() >= 10
    # Folding in a user's own training history ranks like the fitted model.
    own = model.score(np.asarray([25]), history=model.seen[[25]])[0]
    fitted = model.score(np.asarray([25]))[0]
    assert np.array_equal(np.argsort(-own)[:5], np.argsort(-fitted)[:5])


def test_popularity_recommends_the_most_taken_unseen_item() -> None:
    model = Popularity().fit(two_clusters())
    assert model.recommend(0, 1).tolist() == [12]
    assert model.recommend(0, 1, exclude=[12]).tolist() != [12]


def test_ease_refuses_a_catalogue_above_its_limit() -> None:
    with pytest.raises(CatalogueTooLarge, match="limited to 10 items"):
        EASE(max_items=10).fit(two_clusters())


def test_top_k_breaks_ties_by_item_and_pads_when_items_run_out() -> None:
    scores = np.asarray([[0.5, 0.9, 0.5, 0.1], [1.0, 1.0, 1.0, 1.0]])
    best = top_k(scores, 3, [np.asarray([3]), np.asarray([0, 1, 2])])
    assert best.tolist() == [[1, 0, 2], [3, -1, -1]]


def test_the_hybrid_ranks_the_users_own_cluster_first_and_is_deterministic() -> None:
    data = two_clusters(users_per_cluster=60, items_per_cluster=15, per_user=10)
    split = temporal_split(data)
    sources = [EASE(regularization=10.0), ItemKNN(neighbours=30), ALS(factors=4, seed=1)]
    params = HybridParams(candidates=10, ranker=RankerParams(trees=30, min_rows_in_leaf=5))
    hybrid = Hybrid(sources, params, seed=3).fit(split.train)
    users = np.unique(split.test.users)
    recommended = hybrid.recommend_many(users, 2)
    own_first = (recommended >= 15) == (users >= 60)[:, None]
    assert own_first.all()
    again = Hybrid(sources, params, seed=3).fit(split.train).recommend_many(users, 5)
    assert np.array_equal(again, hybrid.recommend_many(users, 5))
    assert set(hybrid.ranker.importance()) == set(hybrid.feature_names)  # type: ignore[union-attr]


@pytest.mark.parametrize("bm25", [False, True], ids=["plain", "bm25"])
def test_folding_in_one_history_gives_the_factors_of_implicits_least_squares(bm25: bool) -> None:
    """Serving folds a creator's history in with numpy (`ALS.fold_in`); the factors, and so
    every score, are those of implicit's own least-squares step (`ALS.score` with a history)."""
    model = ALS(factors=8, regularization=0.05, alpha=2.0, iterations=10, bm25=bm25, seed=1)
    model.fit(two_clusters())
    rng = np.random.default_rng(3)
    for size in (1, 3, 12):
        columns = np.sort(rng.choice(20, size=size, replace=False)).astype(np.int64)
        weights = rng.choice([1.0, 2.0, 6.0], size=size).astype(np.float32)
        history = sp.csr_matrix((weights, columns, [0, size]), shape=(1, 20))
        expected = model.score(np.asarray([0]), history=history)[0]
        folded = model.fold_in(columns, weights) @ model.model.item_factors.T
        assert np.allclose(folded, expected, atol=1e-5)
        assert np.array_equal(np.argsort(-folded)[:5], np.argsort(-expected)[:5])
    assert not model.fold_in(np.zeros(0, np.int64), np.zeros(0, np.float32)).any()
