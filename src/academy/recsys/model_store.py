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


IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
# ALS proposes candidates from the items it was trained on most: their factors are estimated
# from many interactions (the long tail's barely move from their start) and, at 32 factors,
# 20,000 items are 2.5 MB that stay in cache, where scoring all 100,000 read 12.8 MB from memory
# per request (about 1.5 ms of the p99). Every candidate, from any source, still gets its
# exact ALS score as a ranking feature. DECISIONS 51.
ALS_HEAD = 20_000
# A creator's trained history as serving reads it: the strongest HISTORY_LIMIT interactions
# (plus every recent one). The heaviest creators had thousands, which made their requests the
# p99 (item-kNN gathers each item's neighbours, ALS folds each in); 400 still describe them
# well. DECISIONS 65.
HISTORY_LIMIT = 400


@dataclass(frozen=True)
class Live:
    """The model as seen from one catalogue version: for each model item its catalogue index
    (``positions``, -1: no longer published) and back (``to_model``, -1: not in the model), and
    the ALS head (``head_items`` in the catalogue, ``head_factors`` their item factors)."""

    positions: IntArray
    to_model: IntArray
    head_items: IntArray
    head_factors: npt.NDArray[np.float32]


@dataclass(frozen=True)
class PersonalScores:
    """One creator's collaborative scores: the item-kNN neighbours of their history
    (``knn_items`` catalogue indices, ascending, with ``knn_values`` scaled so the best is 1)
    and their ALS factors (None without ALS)."""

    knn_items: IntArray
    knn_values: FloatArray
    user_factors: npt.NDArray[np.float32] | None
    live: Live
    als_factors: npt.NDArray[np.float32] | None
    head_scores: FloatArray  # the ALS score of each of ``live.head_items``

    def knn_at(self, candidates: IntArray) -> FloatArray:
        """The kNN score of each of ``candidates`` (0 for items that are not neighbours)."""
        if not len(self.knn_items) or not len(candidates):
            return np.zeros(len(candidates))
        where = np.minimum(np.searchsorted(self.knn_items, candidates), len(self.knn_items) - 1)
        found = self.knn_items[where] == candidates
        return np.where(found, self.knn_values[where], 0.0)

    def als_at(self, candidates: IntArray) -> FloatArray:
        """The ALS score of each of ``candidates``, clipped at 0 (0 outside the model)."""
        scores = np.zeros(len(candidates))
        if self.user_factors is None or self.als_factors is None or not len(candidates):
            return scores
        rows = self.live.to_model[candidates]
        known = rows >= 0
        scores[known] = self.als_factors[rows[known]] @ self.user_factors
        return np.clip(scores, 0, None)

    def als_head(self) -> tuple[IntArray, FloatArray]:
        """The ALS head's catalogue indices and their scores for this creator."""
        if self.user_factors is None:
            return np.zeros(0, np.int64), np.zeros(0)
        return self.live.head_items, self.head_scores


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
    _live: tuple[tuple[int, str], Live] | None = None

    def live(self, catalogue: Catalogue) -> Live:
        """Where the model's items are in ``catalogue`` (cached per catalogue version)."""
        cached = self._live
        if cached is None or cached[0] != catalogue.version:
            positions = np.array(
                [catalogue.index.get(str(item), -1) for item in self.item_ids], dtype=np.int64
            )
            to_model = np.full(len(catalogue), -1, dtype=np.int64)
            published = np.flatnonzero(positions >= 0)
            to_model[positions[published]] = published
            head = np.zeros(0, np.int64)
            head_factors = np.zeros((0, 0), np.float32)
            if self.als is not None:
                seen = self.knn.seen
                counts = np.bincount(seen.indices, minlength=seen.shape[1])
                head = np.argsort(-counts, kind="stable")[:ALS_HEAD]
                head = np.sort(head[positions[head] >= 0])
                factors = np.asarray(self.als.model.item_factors, dtype=np.float32)
                head_factors = np.ascontiguousarray(factors[head])
            cached = (
                catalogue.version,
                Live(
                    positions=positions,
                    to_model=to_model,
                    head_items=positions[head],
                    head_factors=head_factors,
                ),
            )
            self._live = cached
        return cached[1]

    def history(
        self, creator: str, recent: dict[str, float], *, include_trained: bool = True
    ) -> tuple[IntArray, npt.NDArray[np.float32]]:
        """The creator's interactions over the model's items, as (item indices ascending,
        weights): what training saw (unless ``include_trained`` is off; at most the
        HISTORY_LIMIT strongest), plus ``recent`` (item -> weight)."""
        columns = np.zeros(0, np.int64)
        weights = np.zeros(0, np.float32)
        user = self.user_index.get(creator)
        if user is not None and include_trained:
            seen = self.knn.seen
            start, end = seen.indptr[user], seen.indptr[user + 1]
            columns = seen.indices[start:end].astype(np.int64)
            weights = seen.data[start:end].astype(np.float32)
            if len(columns) > HISTORY_LIMIT:
                # The strongest interactions (equal weights: the lower item index), in order.
                strongest = np.sort(np.lexsort((columns, -weights))[:HISTORY_LIMIT])
                columns, weights = columns[strongest], weights[strongest]
        index = self.item_index
        fresh = [(index[item], weight) for item, weight in recent.items() if item in index]
        if fresh:
            columns = np.concatenate((columns, np.array([c for c, _w in fresh], np.int64)))
            weights = np.concatenate((weights, np.array([w for _c, w in fresh], np.float32)))
        if not len(columns):
            return columns, weights
        unique, inverse = np.unique(columns, return_inverse=True)
        summed = np.bincount(inverse, weights=weights, minlength=len(unique))
        keep = summed != 0
        return unique[keep], summed[keep].astype(np.float32)

    def personal_scores(
        self, catalogue: Catalogue, columns: IntArray, weights: npt.NDArray[np.float32]
    ) -> PersonalScores:
        """Item-kNN neighbours and ALS factors of a history from `history`."""
        live = self.live(catalogue)
        similarity = self.knn.item_similarity
        starts = similarity.indptr[columns]
        lengths = similarity.indptr[columns + 1] - starts
        total = int(lengths.sum())
        knn_items, knn_values = np.zeros(0, np.int64), np.zeros(0)
        if total:
            offsets = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
            positions = offsets + np.arange(total)
            neighbours = similarity.indices[positions]
            contributions = similarity.data[positions].astype(np.float64) * np.repeat(
                weights, lengths
            )
            items, sums = _sum_by_item(neighbours, contributions, len(self.item_ids))
            # As the sparse product computes them: float32 scores, scaled by the best.
            sums = sums.astype(np.float32).astype(np.float64)
            top = float(sums.max()) or 1.0
            in_catalogue = live.positions[items]
            keep = (in_catalogue >= 0) & (sums > 0)
            order = np.argsort(in_catalogue[keep], kind="stable")
            knn_items = in_catalogue[keep][order]
            knn_values = sums[keep][order] / top
        user_factors = None
        head_scores = np.zeros(0)
        if self.als is not None:
            # One thread, as ALS.score limits it: for one creator a BLAS thread pool only adds
            # wake-ups, and on a busy server far more than it saves.
            with _blas().limit(limits=1, user_api="blas"):
                user_factors = self.als.fold_in(columns, weights)
                head_scores = (live.head_factors @ user_factors).astype(np.float64)
        return PersonalScores(
            knn_items=knn_items,
            knn_values=knn_values,
            user_factors=user_factors,
            live=live,
            als_factors=(
                np.asarray(self.als.model.item_factors, dtype=np.float32)
                if self.als is not None
                else None
            ),
            head_scores=head_scores,
        )


def _sum_by_item(items: IntArray, values: FloatArray, n_items: int) -> tuple[IntArray, FloatArray]:
    """The distinct ``items`` (ascending) and the sum of ``values`` of each."""
    if len(items) > n_items // 4:
        # A long history: one pass over every item beats sorting the neighbours.
        dense = np.bincount(items, weights=values, minlength=n_items)
        present = np.flatnonzero(dense).astype(np.int64)
        return present, dense[present].astype(np.float64)
    unique, inverse = np.unique(items, return_inverse=True)
    sums = np.bincount(inverse, weights=values, minlength=len(unique))
    return unique.astype(np.int64), sums.astype(np.float64)


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
    # One thread: a request scores a few hundred candidates in about 0.1 ms, and more threads
    # would start a thread pool on every request.
    ranker = (
        ClickModel.load(directory / "ranker", threads=1)
        if (directory / "ranker").is_dir()
        else None
    )
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
        # Compiling takes seconds: requests use LightGBM's predict until the compiled trees
        # (the same numbers, faster) are ready, so a new model never stalls serving.
        threading.Thread(
            target=ranker.compile_native,
            args=(directory / "ranker",),
            name="click-model-compile",
            daemon=True,
        ).start()
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
