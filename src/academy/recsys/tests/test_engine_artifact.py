"""Model bundles and the ranker survive a round trip to disk, atomically."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from academy.recsys.engine.artifact import latest_bundle, load_bundle, save_bundle
from academy.recsys.engine.errors import ArtifactError
from academy.recsys.engine.models import ALS, EASE, ItemKNN, Popularity, Recommender
from academy.recsys.engine.models.hybrid import Hybrid, HybridParams
from academy.recsys.engine.ranker import LambdaRanker, RankerParams
from academy.recsys.tests.recsys_data import two_clusters

CREATED = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def hybrid() -> Hybrid:
    sources = [EASE(regularization=10.0), ItemKNN(neighbours=30), ALS(factors=2, bm25=True)]
    params = HybridParams(candidates=10, ranker=RankerParams(trees=20, min_rows_in_leaf=5))
    return Hybrid(sources, params, seed=2)


@pytest.mark.parametrize(
    "model",
    [
        Popularity(),
        ItemKNN(neighbours=10),
        ALS(factors=2, bm25=True),
        EASE(regularization=5.0),
        hybrid(),
    ],
    ids=lambda model: model.name,
)
def test_a_saved_model_scores_exactly_like_the_trained_one(
    tmp_path: Path, model: Recommender
) -> None:
    data = two_clusters(users_per_cluster=40, items_per_cluster=12, per_user=9)
    model.fit(data)
    path = save_bundle(
        tmp_path, model, user_ids=data.user_ids, item_ids=data.item_ids, created_at=CREATED
    )
    bundle = load_bundle(path)
    users = np.arange(data.n_users)
    assert np.array_equal(bundle.model.score(users), model.score(users))
    assert np.array_equal(bundle.model.recommend_many(users, 5), model.recommend_many(users, 5))
    assert bundle.item_ids.tolist() == data.item_ids.tolist()
    assert bundle.manifest.model == model.name
    assert bundle.manifest.created_at == "2026-11-30T09:00:00+00:00"
    # A fresh history folds in the same way after loading.
    history = model.seen[[3]]
    assert np.allclose(
        bundle.model.score(np.asarray([3]), history=history),
        model.score(np.asarray([3]), history=history),
    )


def test_the_newest_complete_version_is_found_and_half_written_ones_are_not(
    tmp_path: Path,
) -> None:
    data = two_clusters()
    model = Popularity().fit(data)
    first = save_bundle(
        tmp_path, model, user_ids=data.user_ids, item_ids=data.item_ids, created_at=CREATED
    )
    second = save_bundle(
        tmp_path,
        model,
        user_ids=data.user_ids,
        item_ids=data.item_ids,
        created_at=CREATED + timedelta(hours=1),
    )
    (tmp_path / ".20991231T000000000000Z-crashed").mkdir()
    (tmp_path / "20991231T000000000000Z").mkdir()  # no manifest: not a bundle
    (tmp_path / "notes").mkdir()
    assert latest_bundle(tmp_path) == second
    assert first.name < second.name
    with pytest.raises(ArtifactError, match="already exists"):
        save_bundle(
            tmp_path, model, user_ids=data.user_ids, item_ids=data.item_ids, created_at=CREATED
        )
    assert latest_bundle(tmp_path / "nothing") is None


def test_a_bundle_of_another_format_or_with_missing_files_is_refused(tmp_path: Path) -> None:
    data = two_clusters()
    path = save_bundle(
        tmp_path,
        EASE(regularization=5.0).fit(data),
        user_ids=data.user_ids,
        item_ids=data.item_ids,
        created_at=CREATED,
    )
    manifest = json.loads((path / "manifest.json").read_text())
    (path / "manifest.json").write_text(json.dumps({**manifest, "format_version": 99}))
    with pytest.raises(ArtifactError, match="format 99"):
        load_bundle(path)
    (path / "manifest.json").write_text(json.dumps(manifest))
    (path / "arrays" / "weights.npy").unlink()
    with pytest.raises(ArtifactError, match="incomplete"):
        load_bundle(path)
    with pytest.raises(ArtifactError, match="no readable model bundle"):
        load_bundle(tmp_path / "absent")


def test_the_ranker_learns_an_obvious_signal_and_reloads(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    features = rng.random((600, 3))
    labels = (features[:, 1] > 0.8).astype(np.float32)
    groups = np.full(30, 20)
    ranker = LambdaRanker(["noise", "signal", "more_noise"], RankerParams(trees=30), seed=1)
    ranker.fit(features, groups, labels)
    scores = ranker.predict(features)
    assert scores[labels == 1].min() > scores[labels == 0].max()
    assert max(ranker.importance(), key=ranker.importance().__getitem__) == "signal"
    ranker.save(tmp_path / "ranker")
    again = LambdaRanker.load(tmp_path / "ranker")
    assert np.array_equal(again.predict(features), scores)
    assert again.feature_names == ["noise", "signal", "more_noise"]
