"""A pointwise click model (LightGBM, binary objective) with monotone constraints.

The For You ranker learns from impressions that an earlier policy chose, so most candidates it
scores at serving time look unlike anything it saw: a listwise ranker fitted within requests
learns the small differences among already-popular items and extrapolates badly to the rest.
A pointwise model of P(click or completion | features) is fitted across requests, so it sees
how the outcome varies with popularity between requests too; monotone constraints (more
popular, more similar to the creator's history, a better topic match → never a lower score)
keep its extrapolation sane. Measured in the simulator: docs/RECSYS.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Self

import lightgbm as lgb
import numpy as np
from numpy.typing import NDArray

from academy.recsys.engine.boosted import Boosted, booster_read, booster_write
from academy.recsys.engine.errors import NotEnoughData
from academy.recsys.engine.models.base import default_threads

MODEL_FILE = "click_model.txt"
META_FILE = "click_model.json"


@dataclass(frozen=True)
class ClickModelParams:
    trees: int = 80
    learning_rate: float = 0.05
    leaves: int = 15
    min_rows_in_leaf: int = 200


class ClickModel(Boosted):
    """Fit on (features, labels > 0), predict a click probability per row, save and load."""

    what = "click model"

    def __init__(
        self,
        feature_names: Sequence[str],
        params: ClickModelParams | None = None,
        *,
        monotone: Mapping[str, int] | None = None,
        seed: int = 0,
        threads: int | None = None,
    ) -> None:
        self.feature_names = list(feature_names)
        self.params = params or ClickModelParams()
        unknown = set(monotone or {}) - set(self.feature_names)
        if unknown:
            raise ValueError(f"monotone constraints on unknown features: {sorted(unknown)}")
        self.monotone = dict(monotone or {})
        self.seed = seed
        self.threads = threads or default_threads()
        self._booster: lgb.Booster | None = None

    def _lightgbm_params(self) -> dict[str, Any]:
        return {
            "objective": "binary",
            "learning_rate": self.params.learning_rate,
            "num_leaves": self.params.leaves,
            "min_data_in_leaf": self.params.min_rows_in_leaf,
            "monotone_constraints": [self.monotone.get(n, 0) for n in self.feature_names],
            "monotone_constraints_method": "advanced",
            "seed": self.seed,
            "deterministic": True,
            "force_row_wise": True,
            "num_threads": self.threads,
            "verbosity": -1,
        }

    def fit(
        self,
        features: NDArray[np.floating[Any]],
        labels: NDArray[np.number[Any]],
        *,
        weights: NDArray[np.floating[Any]] | None = None,
    ) -> Self:
        """Learn P(label > 0); ``weights`` (one per row) count some rows more than others."""
        if features.shape[1] != len(self.feature_names):
            raise ValueError(
                f"{features.shape[1]} feature columns for {len(self.feature_names)} names"
            )
        positive = (np.asarray(labels) > 0).astype(np.float64)
        if not positive.any() or positive.all():
            raise NotEnoughData("a click model needs both clicked and unclicked rows")
        dataset = lgb.Dataset(
            features,
            label=positive,
            weight=weights,
            feature_name=self.feature_names,
            params={"verbosity": -1},
        )
        self._booster = lgb.train(
            self._lightgbm_params(), dataset, num_boost_round=self.params.trees
        )
        return self

    def predict(self, features: NDArray[np.floating[Any]]) -> NDArray[np.float64]:
        """P(click) per row."""
        return np.asarray(self.booster.predict(features, num_threads=self.threads))

    def save(self, directory: Path) -> None:
        meta = {
            "features": self.feature_names,
            "params": asdict(self.params),
            "monotone": self.monotone,
            "seed": self.seed,
        }
        booster_write(directory, self.booster, meta, model_file=MODEL_FILE, meta_file=META_FILE)

    @classmethod
    def load(cls, directory: Path, *, threads: int | None = None) -> ClickModel:
        meta, booster = booster_read(
            directory, model_file=MODEL_FILE, meta_file=META_FILE, what=cls.what
        )
        model = cls(
            meta["features"],
            ClickModelParams(**meta["params"]),
            monotone=meta["monotone"],
            seed=meta["seed"],
            threads=threads,
        )
        model._booster = booster
        return model
