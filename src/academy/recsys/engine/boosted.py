"""What the LightGBM models share: the fitted booster, feature importance, and a directory
holding the booster's text model beside a JSON file of everything needed to rebuild it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import lightgbm as lgb

from academy.recsys.engine.errors import ArtifactError


class Boosted:
    """A mixin: ``_booster`` once fitted, ``feature_names`` in column order."""

    feature_names: list[str]
    _booster: lgb.Booster | None
    what = "model"

    @property
    def booster(self) -> lgb.Booster:
        if self._booster is None:
            raise RuntimeError(f"the {self.what} is not fitted")
        return self._booster

    def importance(self) -> dict[str, float]:
        """Total gain per feature: which features the model relies on."""
        gains = self.booster.feature_importance(importance_type="gain")
        return {name: float(gain) for name, gain in zip(self.feature_names, gains, strict=True)}


def booster_write(
    directory: Path, booster: lgb.Booster, meta: dict[str, Any], *, model_file: str, meta_file: str
) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    booster.save_model(str(directory / model_file))
    (directory / meta_file).write_text(json.dumps(meta, indent=2))


def booster_read(
    directory: Path, *, model_file: str, meta_file: str, what: str
) -> tuple[dict[str, Any], lgb.Booster]:
    try:
        meta: dict[str, Any] = json.loads((directory / meta_file).read_text())
        booster = lgb.Booster(model_file=str(directory / model_file))
    except (OSError, ValueError, lgb.basic.LightGBMError) as error:
        raise ArtifactError(f"no readable {what} in {directory}: {error}") from None
    return meta, booster
