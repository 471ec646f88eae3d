"""Trained For You models on disk, and the one each serving process uses.

`academy recsys train` writes a new version directory under ``<data dir>/recsys/for-you/``
(written beside it, then renamed into place): ``manifest.json``, the item-kNN and ALS bundles
(`engine.artifact`) and, when there were enough logged impressions, the LightGBM ranker. A
serving process checks for a newer version at most every RELOAD_SECONDS and swaps it in
without a restart; a broken version is reported in the log and the previous one kept.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp  # type: ignore[import-untyped]
from django.conf import settings
from threadpoolctl import ThreadpoolController  # type: ignore[import-untyped]

from academy.recsys.catalogue import Catalogue
from academy.recsys.engine.artifact import latest_bundle, load_bundle
from academy.recsys.engine.click_model import ClickModel
from academy.recsys.engine.errors import ArtifactError
from academy.recsys.engine.models import ALS, ItemKNN

logger = logging.getLogger(__name__)
RELOAD_SECONDS = 10.0
MANIFEST = "manifest.json"


def models_root() -> Path:
    return Path(settings.DATA_DIR) / "recsys" / "for-you"


@dataclass(frozen=True)
class Live:
    """The model items still in the catalogue: ``mask`` over the model's items, and their
    catalogue ``positions``; ``identity`` when model and catalogue list the same items in the
    same order."""

    mask: npt.NDArray[np.bool_]
    positions: npt.NDArray[np.int64]
    identity: bool


@dataclass(eq=False)
class ForYouModel:
    version: str
    manifest: dict[str, Any]
    knn: ItemKNN
    als: ALS | None
    ranker: ClickModel | None
    user_index: dict[str, int]
    item_ids: npt.NDArray[Any]
    item_index: dict[str, int]
    _to_catalogue: tuple[tuple[int, str], npt.NDArray[np.int64]] | None = None
    _live: tuple[tuple[int, str], Live] | None = None

    def catalogue_positions(self, catalogue: Catalogue) -> npt.NDArray[np.int64]:
        """For each model item, its index in ``catalogue`` (-1: no longer published)."""
        cached = self._to_catalogue
        if cached is None or cached[0] != catalogue.version:
            positions = np.array(
                [catalogue.index.get(str(item), -1) for item in self.item_ids], dtype=np.int64
            )
            cached = (catalogue.version, positions)
            self._to_catalogue = cached
        return cached[1]

    def live(self, catalogue: Catalogue) -> Live:
        """Which model items are still published, and where they are in ``catalogue``."""
        cached = self._live
        if cached is None or cached[0] != catalogue.version:
            positions = self.catalogue_positions(catalogue)
            mask = positions >= 0
            identity = bool(
                len(positions) == len(catalogue)
                and np.array_equal(positions, np.arange(len(positions)))
            )
            cached = (
                catalogue.version,
                Live(mask=mask, positions=positions[mask], identity=identity),
            )
            self._live = cached
        return cached[1]

    def als_scores(self, history: sp.csr_matrix) -> npt.NDArray[np.float32]:
        """`ALS.score` for fresh histories, without its per-call costs: the BLAS libraries are
        found once per process instead of per call (threadpoolctl), and implicit solves the one
        user on this thread instead of waking a thread pool."""
        if self.als is None:
            raise ValueError("this model has no ALS")
        model = self.als.model
        weighted = self.als._weighted(history)  # the engine's own weighting
        with _blas().limit(limits=1, user_api="blas"):  # as ALS.score limits it
            factors = model.recalculate_user(np.arange(history.shape[0]), weighted)
            # One row: a BLAS thread pool only adds wake-ups (same result, checked).
            return np.asarray(factors @ model.item_factors.T, dtype=np.float32)

    def history(
        self, creator: str, recent: dict[str, float], *, include_trained: bool = True
    ) -> sp.csr_matrix:
        """The creator's interactions as one row over the model's items: what training saw
        (unless ``include_trained`` is off), plus ``recent`` (item -> weight)."""
        n_items = len(self.item_ids)
        row = sp.csr_matrix((1, n_items), dtype=np.float32)
        user = self.user_index.get(creator)
        if user is not None and include_trained:
            row = self.knn.seen[user].astype(np.float32)
        fresh = [
            (self.item_index[item], weight)
            for item, weight in recent.items()
            if item in self.item_index
        ]
        if fresh:
            columns, weights = zip(*fresh, strict=True)
            row = row + sp.csr_matrix(
                (np.array(weights, dtype=np.float32), (np.zeros(len(columns)), columns)),
                shape=(1, n_items),
            )
        return sp.csr_matrix(row)


@functools.cache
def _blas() -> ThreadpoolController:
    """This process's BLAS libraries (looking them up costs milliseconds; do it once)."""
    return ThreadpoolController()


def load_model(directory: Path) -> ForYouModel:
    try:
        manifest = json.loads((directory / MANIFEST).read_text())
    except (OSError, ValueError) as error:
        raise ArtifactError(f"no readable For You model in {directory}: {error}") from None
    knn_path = latest_bundle(directory / "knn")
    if knn_path is None:
        raise ArtifactError(f"{directory} has no item-kNN bundle")
    knn_bundle = load_bundle(knn_path)
    if not isinstance(knn_bundle.model, ItemKNN):
        raise ArtifactError(f"{knn_path} is not an item-kNN model")
    als_path = latest_bundle(directory / "als")
    als = None
    if als_path is not None:
        als_model = load_bundle(als_path).model
        als = als_model if isinstance(als_model, ALS) else None
    ranker = ClickModel.load(directory / "ranker") if (directory / "ranker").is_dir() else None
    item_ids = knn_bundle.item_ids
    if als is not None:
        # One request scores one creator: implicit's and LightGBM's thread pools only add
        # wake-up latency (and contend with the server's threads). The items' Gram matrix is
        # computed now, under the same one-thread BLAS limit as `ALS.score` computes it.
        als.model.num_threads = 1
        with _blas().limit(limits=1, user_api="blas"):
            _gram = als.model.YtY
    if ranker is not None:
        ranker.threads = 1
    return ForYouModel(
        version=directory.name,
        manifest=manifest,
        knn=knn_bundle.model,
        als=als,
        ranker=ranker,
        user_index={str(user): index for index, user in enumerate(knn_bundle.user_ids)},
        item_ids=item_ids,
        item_index={str(item): index for index, item in enumerate(item_ids)},
    )


class _Current:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.model: ForYouModel | None = None
        self.checked = -RELOAD_SECONDS


_current = _Current()


def current_model() -> ForYouModel | None:
    """The newest trained model (None before the first training), reloaded when a newer
    version lands."""
    with _current.lock:
        now = time.monotonic()
        if now - _current.checked < RELOAD_SECONDS:
            return _current.model
        _current.checked = now
        newest = latest_bundle(models_root())
        if newest is None:
            _current.model = None
        elif _current.model is None or _current.model.version != newest.name:
            try:
                _current.model = load_model(newest)
                logger.info("For You model %s loaded", newest.name)
            except ArtifactError:
                logger.exception("For You model %s could not be loaded; keeping the last", newest)
        return _current.model


def model_forget() -> None:
    """Forget the loaded model so the next request looks again (tests, after training)."""
    with _current.lock:
        _current.model = None
        _current.checked = -RELOAD_SECONDS
