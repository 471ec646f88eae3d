"""A learning-to-rank model (LightGBM LambdaRank) over a features matrix with query groups.

Rows of one query (one user's candidates, one feed request) are contiguous; ``groups`` holds
each query's row count. Labels are graded relevance (0 = not relevant). Deterministic for a
given ``seed`` and thread count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Self

import lightgbm as lgb
import numpy as np
from numpy.typing import NDArray

from academy.recsys.engine.boosted import Boosted, booster_read, booster_write
from academy.recsys.engine.errors import NotEnoughData
from academy.recsys.engine.models.base import default_threads

MODEL_FILE = "ranker.txt"
META_FILE = "ranker.json"


@dataclass(frozen=True)
class RankerParams:
    """The knobs worth tuning; the rest are LightGBM defaults."""

    trees: int = 200
    learning_rate: float = 0.05
    leaves: int = 31
    min_rows_in_leaf: int = 50
    feature_fraction: float = 0.9
    truncation: int = 20


class LambdaRanker(Boosted):
    """Fit on (features, groups, labels), score rows, save to and load from a directory."""

    what = "ranker"

    def __init__(
        self,
        feature_names: Sequence[str],
        params: RankerParams | None = None,
        *,
        seed: int = 0,
        threads: int | None = None,
    ) -> None:
        self.feature_names = list(feature_names)
        self.params = params or RankerParams()
        self.seed = seed
        self.threads = threads or default_threads()
        self._booster: lgb.Booster | None = None

    def _lightgbm_params(self) -> dict[str, Any]:
        return {
            "objective": "lambdarank",
            "metric": "ndcg",
            "ndcg_eval_at": [10],
            "lambdarank_truncation_level": self.params.truncation,
            "learning_rate": self.params.learning_rate,
            "num_leaves": self.params.leaves,
            "min_data_in_leaf": self.params.min_rows_in_leaf,
            "feature_fraction": self.params.feature_fraction,
            "feature_fraction_seed": self.seed,
            "bagging_seed": self.seed,
            "seed": self.seed,
            "deterministic": True,
            "force_row_wise": True,
            "num_threads": self.threads,
            "verbosity": -1,
        }

    def fit(
        self,
        features: NDArray[np.floating[Any]],
        groups: NDArray[np.integer],
        labels: NDArray[np.number[Any]],
    ) -> Self:
        """Train on queries of contiguous rows (``groups`` = rows per query)."""
        if features.shape[1] != len(self.feature_names):
            raise ValueError(
                f"{features.shape[1]} feature columns for {len(self.feature_names)} names"
            )
        if int(np.sum(groups)) != len(features) or len(labels) != len(features):
            raise ValueError("groups must add up to the rows, with one label per row")
        if not np.any(labels > 0):
            raise NotEnoughData("no relevant row to learn from")
        dataset = lgb.Dataset(
            features,
            label=labels,
            group=groups,
            feature_name=self.feature_names,
            params={"verbosity": -1},
            free_raw_data=True,
        )
        self._booster = lgb.train(
            self._lightgbm_params(), dataset, num_boost_round=self.params.trees
        )
        return self

    def predict(self, features: NDArray[np.floating[Any]]) -> NDArray[np.float64]:
        """One score per row; only the order within a query is meaningful."""
        return np.asarray(self.booster.predict(features, num_threads=self.threads))

    def save(self, directory: Path) -> None:
        """Write the LightGBM text model and its feature names and parameters."""
        meta = {"features": self.feature_names, "params": asdict(self.params), "seed": self.seed}
        booster_write(directory, self.booster, meta, model_file=MODEL_FILE, meta_file=META_FILE)

    @classmethod
    def load(cls, directory: Path, *, threads: int | None = None) -> LambdaRanker:
        """Read a ranker written by :meth:`save`."""
        meta, booster = booster_read(
            directory, model_file=MODEL_FILE, meta_file=META_FILE, what=cls.what
        )
        ranker = cls(
            meta["features"], RankerParams(**meta["params"]), seed=meta["seed"], threads=threads
        )
        ranker._booster = booster
        return ranker
