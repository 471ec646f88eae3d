"""Training the For You model from the events lake (`academy recsys train`, and the worker).

1. Interactions: clicks (weight 1), enrolments (2) and completions (3) of each creator with
   each item, from the lake; what a creator did before their "reset" is left out.
2. Candidate models: item-kNN and ALS (`engine.models`) fitted on the interactions before the
   last HOLDOUT_DAYS.
3. The ranker: logged For You impressions (the feed and the host app's card) of the last
   HOLDOUT_DAYS, each labelled 2 when the creator completed the item within a day, 1 when they
   clicked it, else 0; features computed from the models of step 2 exactly as serving computes
   them (ranking.feature_matrix); a pointwise click model with monotone constraints
   (`engine.click_model`: why not a listwise ranker is explained there) learns P(click or
   completion). Too few labelled requests: no ranker, serving uses the heuristic.
4. The candidate models are fitted again on every interaction, and everything is written as a
   new version (model_store), which serving processes pick up without a restart.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp  # type: ignore[import-untyped]

from academy.accounts.models import Creator
from academy.core import clock
from academy.events.query import DuckDBEngine
from academy.files import fsync_directory
from academy.recsys.catalogue import LEVELS, Catalogue, catalogue
from academy.recsys.engine.artifact import save_bundle
from academy.recsys.engine.click_model import ClickModel
from academy.recsys.engine.data import Interactions
from academy.recsys.engine.models import ALS, ItemKNN
from academy.recsys.model_store import MANIFEST, model_forget, models_root
from academy.recsys.models import FeedPreference
from academy.recsys.ranking import FEATURES, Profile, Signals, feature_matrix
from academy.recsys.selectors import NICHE_TOPICS
from academy.search.ranking import topics_for_goals

# More popular, closer to the creator's history or goals, in their language: never worse.
MONOTONE = {
    "item_knn": 1,
    "als": 1,
    "popularity": 1,
    "item_ctr": 1,
    "topic_affinity": 1,
    "goal_topic": 1,
    "niche_topic": 1,
    "level_gap": -1,
    "translated": 1,
}
HOLDOUT_DAYS = 7
COMPLETION_WEIGHT = 6.0
MIN_REQUESTS = 200  # labelled requests (with a click) needed to learn a ranker
MAX_REQUESTS = 50_000
KEEP_VERSIONS = 3
WEIGHTS = {"click": 1.0, "search_click": 1.0, "enroll": 2.0, "lesson_complete": 3.0}
# Live classes are lessons in the catalogue.
ITEM_SQL = "CASE WHEN item_kind = 'live' THEN 'lesson' ELSE item_kind END || ':' || item_id"


class TrainingStopped(Exception):
    """Ctrl-C: nothing was written."""


@dataclass(frozen=True)
class TrainingReport:
    version: str
    path: Path
    interactions: int
    creators: int
    items: int
    requests: int
    ranker: bool
    importance: dict[str, float]


Progress = Callable[[str, float], None]


def _interactions(events_dir: Path) -> Interactions:
    names = ", ".join(f"'{name}'" for name in WEIGHTS)
    weights = " ".join(f"WHEN '{name}' THEN {weight}" for name, weight in WEIGHTS.items())
    with DuckDBEngine() as engine:
        engine.register_lake(events_dir)
        table = engine.arrow(
            f"SELECT creator_id, {ITEM_SQL} AS item, "  # noqa: S608
            "CAST(epoch(timestamp) AS BIGINT) AS ts, "
            f"CAST(CASE name {weights} END AS DOUBLE) AS weight "
            f"FROM events WHERE name IN ({names}) AND creator_id <> '' AND item_id <> ''"
        )
    users = np.asarray(table.column("creator_id").to_numpy(zero_copy_only=False), dtype=object)
    stamps = table.column("ts").to_numpy()
    keep = np.ones(len(users), dtype=np.bool_)
    resets = dict(
        FeedPreference.objects.filter(history_reset_at__isnull=False).values_list(
            "creator__external_id", "history_reset_at"
        )
    )
    for creator, reset in resets.items():
        if reset is not None:
            keep &= ~((users == creator) & (stamps < int(reset.timestamp())))
    items = np.asarray(table.column("item").to_numpy(zero_copy_only=False), dtype=object)
    return Interactions.from_arrays(
        users[keep].astype(str),
        items[keep].astype(str),
        stamps[keep],
        table.column("weight").to_numpy()[keep],
    )


@dataclass(frozen=True)
class Impressions:
    requests: npt.NDArray[np.str_]
    creators: npt.NDArray[np.str_]
    items: npt.NDArray[np.str_]
    labels: npt.NDArray[np.float64]


def _impressions(events_dir: Path, since: int) -> Impressions:
    with DuckDBEngine() as engine:
        engine.register_lake(events_dir)
        table = engine.arrow(
            f"""
            WITH shown AS (
                SELECT request_id, creator_id, {ITEM_SQL} AS item, MIN(timestamp) AS at
                FROM events
                WHERE name = 'impression' AND entry_point IN ('for_you_card', 'academy_home')
                  AND request_id <> '' AND creator_id <> '' AND epoch(timestamp) >= ?
                GROUP BY 1, 2, 3
            ), clicked AS (
                SELECT DISTINCT request_id, {ITEM_SQL} AS item FROM events
                WHERE name = 'click' AND request_id <> ''
            ), completed AS (
                SELECT creator_id, {ITEM_SQL} AS item, MIN(timestamp) AS at FROM events
                WHERE name = 'lesson_complete' GROUP BY 1, 2
            )
            SELECT s.request_id, s.creator_id, s.item,
                   CASE WHEN d.at IS NOT NULL AND d.at >= s.at
                             AND d.at < s.at + INTERVAL 1 DAY THEN 2.0
                        WHEN c.item IS NOT NULL THEN 1.0 ELSE 0.0 END AS label
            FROM shown s
            LEFT JOIN clicked c ON c.request_id = s.request_id AND c.item = s.item
            LEFT JOIN completed d ON d.creator_id = s.creator_id AND d.item = s.item
            ORDER BY s.request_id, s.item
            """,  # noqa: S608
            [since],
        )

    def column(name: str) -> npt.NDArray[np.str_]:
        return np.asarray(table.column(name).to_numpy(zero_copy_only=False)).astype(str)

    return Impressions(
        requests=column("request_id"),
        creators=column("creator_id"),
        items=column("item"),
        labels=table.column("label").to_numpy().astype(np.float64),
    )


def _profiles(creators: set[str], cat: Catalogue) -> dict[str, Profile]:
    profiles = {}
    for external_id, language, level, goals, niche in Creator.objects.filter(
        external_id__in=creators
    ).values_list("external_id", "language", "level", "goals", "niche"):
        profiles[external_id] = Profile(
            language=language,
            level=LEVELS.get(level, 0),
            goal_topics=frozenset(
                cat.topic_codes[t] for t in topics_for_goals(goals) if t in cat.topic_codes
            ),
            niche_topics=frozenset(
                cat.topic_codes[t] for t in NICHE_TOPICS.get(niche, ()) if t in cat.topic_codes
            ),
        )
    return profiles


def _ranker_dataset(
    impressions: Impressions,
    knn: ItemKNN,
    als: ALS,
    train: Interactions,
    cat: Catalogue,
    today: float,
    rng: np.random.Generator,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64], npt.NDArray[np.float64], int]:
    """Features, group sizes and labels of the logged requests (at most MAX_REQUESTS), and
    how many of them had a click or a completion."""
    # Rows come sorted by request: each request's rows are contiguous.
    _requests, starts = np.unique(impressions.requests, return_index=True)
    ends = [*starts[1:], len(impressions.requests)]
    groups = [
        (int(start), int(end))
        for start, end in zip(starts, ends, strict=True)
        # Requests where the creator engaged: their unclicked cards are informative negatives
        # (measured better in the simulator than every logged request, docs/RECSYS.md).
        if impressions.labels[start:end].max() > 0
    ]
    if len(groups) > MAX_REQUESTS:
        chosen = rng.choice(len(groups), MAX_REQUESTS, replace=False)
        groups = [groups[i] for i in sorted(chosen)]
    user_index = train.user_index
    seen = knn.seen
    profiles = _profiles({impressions.creators[start] for start, _end in groups}, cat)
    editorial = np.zeros(len(cat), dtype=np.bool_)
    positions = np.array([cat.index.get(str(item), -1) for item in train.item_ids])
    live = positions >= 0
    rows: list[npt.NDArray[np.float64]] = []
    sizes: list[int] = []
    labels: list[npt.NDArray[np.float64]] = []
    for start, end in groups:
        creator = impressions.creators[start]
        items = [cat.index.get(item, -1) for item in impressions.items[start:end]]
        keep = np.array([index >= 0 for index in items])
        if not keep.any() or creator not in profiles:
            continue
        candidates = np.array(items, dtype=np.int64)[keep]
        knn_all = np.zeros(len(cat))
        als_all = np.zeros(len(cat))
        user = user_index.get(creator)
        profile = profiles[creator]
        if user is not None and seen[user].nnz:
            history = sp.csr_matrix(seen[user])
            raw = knn.score(np.array([user]), history=history)[0]
            knn_all[positions[live]] = raw[live] / (float(raw.max()) or 1.0)
            als_all[positions[live]] = np.clip(als.score(np.array([user]))[0][live], 0, None)
            topics = np.zeros(len(cat.topic_codes))
            columns = history.indices
            for column, weight in zip(columns, history.data, strict=True):
                if positions[column] >= 0:
                    topics[cat.topics[positions[column]]] += weight
            if topics.sum() > 0:
                profile = Profile(
                    language=profile.language,
                    level=profile.level,
                    goal_topics=profile.goal_topics,
                    niche_topics=profile.niche_topics,
                    topic_affinity=topics / topics.sum(),
                )
        signals = Signals(
            item_knn=knn_all[candidates],
            als=als_all[candidates],
            next_lesson=np.zeros(len(candidates), dtype=np.bool_),
            editorial=editorial[candidates],
        )
        rows.append(feature_matrix(cat, candidates, profile, signals, today=today))
        sizes.append(len(candidates))
        labels.append(impressions.labels[start:end][keep])
    if not rows:
        return np.zeros((0, len(FEATURES))), np.zeros(0, np.int64), np.zeros(0), 0
    labelled = sum(1 for group in labels if group.max() > 0)
    return np.vstack(rows), np.array(sizes, dtype=np.int64), np.concatenate(labels), labelled


def _fit_candidates(train: Interactions, seed: int) -> tuple[ItemKNN, ALS]:
    knn = ItemKNN(neighbours=100).fit(train)
    als = ALS(factors=32, iterations=10, seed=seed).fit(train)
    return knn, als


def recsys_train(
    *,
    events_dir: Path,
    seed: int = 0,
    progress: Progress | None = None,
    should_stop: threading.Event | None = None,
) -> TrainingReport:
    """Train a new For You model version from the lake; returns what was written."""
    report = progress or (lambda _step, _share: None)

    def checkpoint(step: str, share: float) -> None:
        if should_stop is not None and should_stop.is_set():
            raise TrainingStopped
        report(step, share)

    now = clock.now()
    cat = catalogue()
    checkpoint("interactions", 0.0)
    interactions = _interactions(events_dir)
    if len(interactions) == 0:
        raise ValueError("the lake holds no clicks, enrolments or completions to learn from")
    cutoff = int(interactions.timestamps.max()) - HOLDOUT_DAYS * 86400
    checkpoint("candidate models (before the holdout)", 0.15)
    before = interactions.select(interactions.timestamps < cutoff)
    ranker = None
    requests = 0
    importance: dict[str, float] = {}
    if len(before):
        knn, als = _fit_candidates(before, seed)
        checkpoint("ranking features", 0.35)
        impressions = _impressions(events_dir, cutoff)
        features, _sizes, labels, requests = _ranker_dataset(
            impressions, knn, als, before, cat, cutoff / 86400, np.random.default_rng(seed)
        )
        if requests >= MIN_REQUESTS:
            checkpoint("ranker", 0.55)
            # The objective: clicks, with a completion counting COMPLETION_WEIGHT clicks.
            weights = np.where(labels >= 2, COMPLETION_WEIGHT, 1.0)
            ranker = ClickModel(FEATURES, monotone=MONOTONE, seed=seed).fit(
                features, labels, weights=weights
            )
            importance = ranker.importance()
    checkpoint("candidate models (all interactions)", 0.7)
    knn, als = _fit_candidates(interactions, seed)
    checkpoint("writing", 0.9)
    path = _write(now, knn, als, ranker, interactions, requests)
    model_forget()
    report("done", 1.0)
    return TrainingReport(
        version=path.name,
        path=path,
        interactions=len(interactions),
        creators=interactions.n_users,
        items=interactions.n_items,
        requests=requests,
        ranker=ranker is not None,
        importance=importance,
    )


def _write(
    now: datetime,
    knn: ItemKNN,
    als: ALS,
    ranker: ClickModel | None,
    interactions: Interactions,
    requests: int,
) -> Path:
    root = models_root()
    root.mkdir(parents=True, exist_ok=True)
    version = now.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    staging = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=root))
    try:
        for name, model in (("knn", knn), ("als", als)):
            save_bundle(
                staging / name,
                model,
                user_ids=interactions.user_ids,
                item_ids=interactions.item_ids,
                created_at=now,
            )
        if ranker is not None:
            ranker.save(staging / "ranker")
        manifest = {
            "version": version,
            "trained_at": now.astimezone(UTC).isoformat(),
            "interactions": len(interactions),
            "creators": interactions.n_users,
            "items": interactions.n_items,
            "ranker_requests": requests,
            "ranker": ranker is not None,
            "features": list(FEATURES),
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2))
        target = root / version
        staging.rename(target)
        fsync_directory(root)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    for old in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))[
        :-KEEP_VERSIONS
    ]:
        shutil.rmtree(old, ignore_errors=True)
    return target
