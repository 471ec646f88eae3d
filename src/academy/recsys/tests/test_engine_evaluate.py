"""The whole offline evaluation: our model against the tuned baselines."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from academy.recsys.engine.data import load_movielens
from academy.recsys.engine.evaluate import BASELINES, OURS, evaluate, report_table
from academy.recsys.engine.tuning import BASELINE_GRIDS, Interrupted
from academy.recsys.tests.recsys_data import two_clusters

MOVIELENS = Path(__file__).resolve().parents[4] / ".." / "shared" / "data" / "movielens-100k"


@pytest.mark.skipif(
    not (MOVIELENS / "u.data").exists(), reason="MovieLens-100K is not in ../shared/data"
)
def test_our_model_beats_the_best_tuned_baseline_on_movielens_100k() -> None:
    report = evaluate(load_movielens(MOVIELENS / "u.data"), dataset="MovieLens-100K", grid="small")
    assert (report.users, report.items, report.interactions) == (943, 1682, 100_000)
    ours = report.model(OURS).at(10)
    best = report.best_baseline(10).at(10)
    assert ours is not None
    assert best is not None
    assert ours.ndcg >= best.ndcg
    # Every baseline was tuned over its grid and is reported with what won.
    for name in BASELINES:
        model = report.model(name)
        assert len(model.trials) == len(BASELINE_GRIDS["small"][name])
        assert model.metrics[0].ndcg > 0
    assert report.model("ease").params["regularization"] in (100.0, 300.0, 1000.0)


def test_the_report_lists_every_model_at_every_k_in_json_and_as_a_table() -> None:
    data = two_clusters(users_per_cluster=40, items_per_cluster=12, per_user=10)
    report = evaluate(data, dataset="clusters", ks=(5, 2), grid="small", seed=4)
    as_json = report.as_json()
    assert report.ks == [2, 5]
    assert list(as_json["models"]) == [OURS, *BASELINES]
    hybrid = as_json["models"][OURS]
    assert hybrid["ours"] is True
    assert set(hybrid["metrics"]) == {
        f"{metric}@{k}" for metric in ("recall", "ndcg", "hit_rate", "coverage") for k in (2, 5)
    }
    assert as_json["models"]["als"]["grid"][0]["validation_ndcg"] is not None
    # On two clean clusters every personalised model finds a held-out item in its top 5.
    for name in (OURS, "item_knn", "ease"):
        assert as_json["models"][name]["metrics"]["hit_rate@5"] == 1.0
    assert report_table(report).row_count == len(BASELINES) + 1


def test_a_stop_request_ends_the_run_between_steps() -> None:
    stop = threading.Event()
    steps: list[str] = []

    def progress(step: str, done: int, total: int) -> None:
        steps.append(step)
        if done == 2:
            stop.set()

    with pytest.raises(Interrupted):
        evaluate(two_clusters(), dataset="clusters", grid="small", progress=progress, stop=stop)
    assert len(steps) == 3
