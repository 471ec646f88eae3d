"""Trained model bundles on disk: one directory per version, written atomically.

A bundle ``<root>/<version>/`` holds ``manifest.json`` (format version, model name and
hyperparameters, creation time, array names), ``user_ids.npy`` and ``item_ids.npy`` (dense
index → raw id), one ``.npy`` per state array under ``arrays/``, and for the hybrid its
LightGBM ranker under ``ranker/``. The bundle is written to a hidden temporary directory
beside the final one and renamed into place, so a reader sees a whole bundle or none.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from academy.files import fsync_directory
from academy.recsys.engine.errors import ArtifactError
from academy.recsys.engine.models import ALS, EASE, ItemKNN, Popularity, Recommender
from academy.recsys.engine.models.hybrid import Hybrid, HybridParams
from academy.recsys.engine.ranker import LambdaRanker, RankerParams

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
VERSION = re.compile(r"^\d{8}T\d{12}Z$")
BASELINE_CLASSES: dict[str, type[Recommender]] = {
    model.name: model for model in (Popularity, ItemKNN, ALS, EASE)
}


@dataclass(frozen=True)
class Manifest:
    format_version: int
    version: str
    model: str
    params: dict[str, Any]
    created_at: str
    users: int
    items: int
    arrays: list[str]


@dataclass(frozen=True, eq=False)
class Bundle:
    """A loaded bundle: the fitted model and the raw ids behind its dense indices."""

    manifest: Manifest
    model: Recommender
    user_ids: NDArray[Any]
    item_ids: NDArray[Any]
    path: Path


def _describe(model: Recommender) -> dict[str, Any]:
    if isinstance(model, Hybrid):
        return {
            "candidate_models": [
                {"name": source.name, "params": source.params()}
                for source in model.candidate_models
            ],
            "candidates": model.hybrid_params.candidates,
            "ranker": asdict(model.hybrid_params.ranker),
            "seed": model.seed,
        }
    return model.params()


def _build(name: str, params: dict[str, Any]) -> Recommender:
    if name == Hybrid.name:
        sources = [
            _build(source["name"], source["params"]) for source in params["candidate_models"]
        ]
        hybrid_params = HybridParams(
            candidates=params["candidates"], ranker=RankerParams(**params["ranker"])
        )
        return Hybrid(sources, hybrid_params, seed=params["seed"])
    if name not in BASELINE_CLASSES:
        raise ArtifactError(f"unknown model {name!r} in the bundle")
    return BASELINE_CLASSES[name](**params)


def save_bundle(
    root: Path,
    model: Recommender,
    *,
    user_ids: NDArray[Any],
    item_ids: NDArray[Any],
    created_at: datetime,
) -> Path:
    """Write a fitted model as a new version under ``root``; return its directory. The
    version is the creation time (UTC, microseconds), so versions sort by age."""
    if created_at.tzinfo is None:
        raise ValueError("created_at must be timezone-aware")
    version = created_at.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = root / version
    if target.exists():
        raise ArtifactError(f"version {version} already exists in {root}")
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=root))
    try:
        state = model.state()
        (staging / "arrays").mkdir()
        for name, array in state.items():
            _save_array(staging / "arrays" / f"{name.replace('/', '__')}.npy", array)
        _save_array(staging / "user_ids.npy", np.asarray(user_ids))
        _save_array(staging / "item_ids.npy", np.asarray(item_ids))
        if isinstance(model, Hybrid):
            if model.ranker is None:
                raise ArtifactError("the hybrid is not fitted")
            model.ranker.save(staging / "ranker")
        manifest = Manifest(
            format_version=FORMAT_VERSION,
            version=version,
            model=model.name,
            params=_describe(model),
            created_at=created_at.astimezone(UTC).isoformat(),
            users=len(user_ids),
            items=len(item_ids),
            arrays=sorted(state),
        )
        with (staging / MANIFEST).open("w") as file:
            json.dump(asdict(manifest), file, indent=2)
            file.flush()
            os.fsync(file.fileno())
        staging.rename(target)
        fsync_directory(root)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def load_bundle(path: Path) -> Bundle:
    """Read a bundle written by :func:`save_bundle`."""
    try:
        raw = json.loads((path / MANIFEST).read_text())
        manifest = Manifest(**raw)
    except (OSError, ValueError, TypeError) as error:
        raise ArtifactError(f"no readable model bundle in {path}: {error}") from None
    if manifest.format_version != FORMAT_VERSION:
        raise ArtifactError(
            f"{path} is bundle format {manifest.format_version}; this version reads "
            f"{FORMAT_VERSION}: train the model again"
        )
    try:
        arrays = {
            name: np.load(path / "arrays" / f"{name.replace('/', '__')}.npy", allow_pickle=False)
            for name in manifest.arrays
        }
        user_ids = np.load(path / "user_ids.npy", allow_pickle=False)
        item_ids = np.load(path / "item_ids.npy", allow_pickle=False)
    except (OSError, ValueError) as error:
        raise ArtifactError(f"the bundle in {path} is incomplete: {error}") from None
    model = _build(manifest.model, manifest.params).load_state(arrays)
    if isinstance(model, Hybrid):
        model.ranker = LambdaRanker.load(path / "ranker")
    return Bundle(manifest=manifest, model=model, user_ids=user_ids, item_ids=item_ids, path=path)


def latest_bundle(root: Path) -> Path | None:
    """The newest complete version under ``root`` (anything else there is ignored: staging
    directories of a write in progress or interrupted, unrelated files)."""
    if not root.is_dir():
        return None
    versions = sorted(
        entry
        for entry in root.iterdir()
        if VERSION.match(entry.name) and (entry / MANIFEST).is_file()
    )
    return versions[-1] if versions else None


def _save_array(path: Path, array: NDArray[Any]) -> None:
    with path.open("wb") as file:
        np.save(file, array, allow_pickle=False)
        file.flush()
        os.fsync(file.fileno())
