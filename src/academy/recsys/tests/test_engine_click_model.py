"""The click model: monotone where it promises to be, saved and loaded unchanged, and compiled
to machine code with the same predictions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from academy.recsys.engine.click_model import ClickModel, ClickModelParams

FEATURES = ["similarity", "popularity", "noise"]


@pytest.fixture(scope="module")
def fitted() -> tuple[ClickModel, np.ndarray]:
    rng = np.random.default_rng(3)
    features = rng.random((6000, 3))
    chance = 1 / (1 + np.exp(-(4 * features[:, 0] + 2 * features[:, 1] - 3)))
    clicked = (rng.random(6000) < chance).astype(np.float64)
    model = ClickModel(
        FEATURES,
        ClickModelParams(trees=40, leaves=7, min_rows_in_leaf=50),
        monotone={"similarity": 1, "popularity": 1},
        seed=1,
        threads=1,
    ).fit(features, clicked)
    return model, rng.random((450, 3))


def test_more_similar_and_more_popular_never_scores_lower(
    fitted: tuple[ClickModel, np.ndarray],
) -> None:
    model, rows = fitted
    for column in (0, 1):
        higher = rows.copy()
        higher[:, column] = np.minimum(higher[:, column] + 0.2, 1.0)
        assert (model.predict(higher) >= model.predict(rows) - 1e-12).all()
    assert (
        model.predict(np.array([[0.9, 0.9, 0.5]]))[0]
        > model.predict(np.array([[0.1, 0.1, 0.5]]))[0]
    )


def test_the_compiled_model_predicts_what_lightgbm_predicts_and_caches_its_code(
    fitted: tuple[ClickModel, np.ndarray], tmp_path: Path
) -> None:
    model, rows = fitted
    model.save(tmp_path)
    loaded = ClickModel.load(tmp_path, threads=1)
    expected = model.predict(rows)
    assert np.array_equal(loaded.predict(rows), expected)

    assert loaded.compile_native(tmp_path)
    assert np.allclose(loaded.predict(rows), expected, rtol=0, atol=1e-12)
    cached = list(tmp_path.glob("click_model.*.o"))
    assert len(cached) == 1
    written = cached[0].stat().st_mtime_ns

    again = ClickModel.load(tmp_path, threads=1)
    assert again.compile_native(tmp_path)  # reads the cached code instead of compiling
    assert cached[0].stat().st_mtime_ns == written
    assert np.allclose(again.predict(rows), expected, rtol=0, atol=1e-12)
    assert not list(tmp_path.glob(".click_model*"))  # no partial files left behind


def test_a_model_that_cannot_be_compiled_keeps_predicting_with_lightgbm(
    fitted: tuple[ClickModel, np.ndarray], tmp_path: Path
) -> None:
    model, rows = fitted
    model.save(tmp_path)
    loaded = ClickModel.load(tmp_path, threads=1)
    (tmp_path / "click_model.txt").write_text("not a model")
    assert not loaded.compile_native(tmp_path)
    assert np.array_equal(loaded.predict(rows), model.predict(rows))
