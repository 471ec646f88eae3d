"""Ranking features, the scorer that uses them, and re-ranking — shared by training and serving.

Features describe one (creator, item) pair at one moment; training computes them for logged
impressions exactly as serving computes them for candidates, so the learned model sees the
same inputs in both places. Without a trained ranker, `HEURISTIC_WEIGHTS` scores the same
features (documented in docs/RECSYS.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from academy.recsys.catalogue import KINDS, Catalogue

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

FEATURES = (
    "item_knn",  # similarity to what the creator clicked and completed (real time included)
    "als",  # matrix-factorisation affinity
    "popularity",  # 28-day clicks, log-scaled 0..1
    "item_ctr",  # 28-day click-through relative to the catalogue's, smoothed (1 = average)
    "age_days",  # log1p(days since published)
    "level_gap",  # |item level - creator level| (0 when either is unknown)
    "goal_topic",  # 1 if the topic serves one of the creator's goals
    "niche_topic",  # 1 if the topic suits the creator's niche
    "topic_affinity",  # the creator's share of recent interactions in this topic
    "next_lesson",  # 1 for the next lesson of an enrolled course
    "editorial",  # 1 for an editorial pick
    "translated",  # 1 if the item reads in the creator's language
    *(f"kind_{kind}" for kind in KINDS),
)
HEURISTIC_WEIGHTS = {
    "item_knn": 2.0,
    "als": 1.0,
    "popularity": 1.0,
    "item_ctr": 1.0,
    "age_days": -0.1,
    "level_gap": -0.4,
    "goal_topic": 0.8,
    "niche_topic": 0.3,
    "topic_affinity": 1.0,
    "next_lesson": 3.0,
    "editorial": 0.5,
    "translated": 0.6,
}


@dataclass(frozen=True)
class Profile:
    """What ranking knows of the creator (empty when personalisation is off)."""

    language: str
    level: int = 0
    goal_topics: frozenset[int] = frozenset()
    niche_topics: frozenset[int] = frozenset()
    topic_affinity: FloatArray | None = None  # per topic code, sums to 1 (or None)


@dataclass(frozen=True)
class Signals:
    """Per-candidate scores from the candidate sources, aligned with ``candidates``."""

    item_knn: FloatArray
    als: FloatArray
    next_lesson: npt.NDArray[np.bool_]
    editorial: npt.NDArray[np.bool_]


def _topic_mask(catalogue: Catalogue, topics: frozenset[int]) -> npt.NDArray[np.bool_]:
    """A lookup table over topic codes: True for ``topics``."""
    mask = np.zeros(len(catalogue.topic_codes) + 1, dtype=np.bool_)
    mask[list(topics)] = True
    return mask


def feature_matrix(
    catalogue: Catalogue,
    candidates: IntArray,
    profile: Profile,
    signals: Signals,
    *,
    today: float,
) -> FloatArray:
    """(candidates, len(FEATURES)) features of each candidate for this creator."""
    n = len(candidates)
    topics = catalogue.topics[candidates]
    levels = catalogue.levels[candidates].astype(np.float64)
    age = today - catalogue.published_days[candidates]
    readable = catalogue.languages.get(profile.language)
    columns: list[FloatArray] = [
        signals.item_knn,
        signals.als,
        catalogue.popularity[candidates],
        catalogue.ctr_lift[candidates],
        np.log1p(np.clip(np.nan_to_num(age, nan=365.0), 0, None)),
        np.abs(levels - profile.level) if profile.level else np.zeros(n),
        _topic_mask(catalogue, profile.goal_topics)[topics].astype(np.float64),
        _topic_mask(catalogue, profile.niche_topics)[topics].astype(np.float64),
        (profile.topic_affinity[topics] if profile.topic_affinity is not None else np.zeros(n)),
        signals.next_lesson.astype(np.float64),
        signals.editorial.astype(np.float64),
        readable[candidates].astype(np.float64) if readable is not None else np.zeros(n),
        *((catalogue.kinds[candidates] == code).astype(np.float64) for code in range(len(KINDS))),
    ]
    return np.column_stack(columns) if n else np.zeros((0, len(FEATURES)))


def heuristic_scores(features: FloatArray) -> FloatArray:
    weights = np.array([HEURISTIC_WEIGHTS.get(name, 0.0) for name in FEATURES])
    return np.asarray(features @ weights, dtype=np.float64)


@dataclass(frozen=True)
class Slot:
    index: int  # catalogue index
    score: float
    propensity: float  # probability this item was put in this slot by the policy
    explored: bool


def rerank(
    catalogue: Catalogue,
    ranked: Sequence[int],
    scores: Sequence[float],
    *,
    limit: int,
    exploration: float,
    explore_pool: Sequence[int] | IntArray | npt.NDArray[np.bool_],
    rng: np.random.Generator,
) -> list[Slot]:
    """The page: best first, never two cards in a row from the same course or topic (when
    another card can go there), and each slot given with probability ``exploration`` to a
    uniformly drawn item of ``explore_pool`` (the propensity is logged).

    ``explore_pool`` is a list of catalogue indices, or a boolean mask over the catalogue
    standing for the indices where it is true, in order. A mask is only turned into a list when
    a slot is actually explored (a page of 10 at 10 % explores nothing a third of the time)."""
    groups = catalogue.groups[list(ranked)].tolist()
    topics = catalogue.topics[list(ranked)].tolist()
    remaining = list(zip(ranked, scores, strict=True))
    top = np.unique(np.asarray(list(ranked[: limit * 2]), dtype=np.int64))
    pool: IntArray | None = None
    available: int
    mask = np.asarray(explore_pool)
    if mask.dtype == np.bool_:
        available = int(np.count_nonzero(mask)) - int(np.count_nonzero(mask[top]))
    else:
        # The pool keeps its order (a drawn position names the same item as in a list); it can
        # hold the whole catalogue, so it stays an array and only a drawn item is removed.
        pool = mask.astype(np.int64)
        keep = np.ones(len(catalogue), dtype=np.bool_)  # one pass over the pool
        keep[top] = False
        pool = pool[keep[pool]]
        available = len(pool)
    page: list[Slot] = []
    previous: tuple[int, int] | None = None  # the last card's group and topic
    position_groups = dict(enumerate(zip(groups, topics, strict=True)))
    order = list(range(len(remaining)))
    while len(page) < limit and (order or available):
        if available and rng.random() < exploration:
            if pool is None:
                keep = mask.copy()
                keep[top] = False
                pool = np.flatnonzero(keep)
            drawn = int(rng.integers(len(pool)))
            index = int(pool[drawn])
            pool = np.delete(pool, drawn)
            available = len(pool)
            page.append(Slot(index, 0.0, exploration / (available + 1), explored=True))
            previous = (int(catalogue.groups[index]), int(catalogue.topics[index]))
            continue
        if not order:
            break
        choice = 0
        if previous is not None:
            for place, position in enumerate(order):
                group, topic = position_groups[position]
                if not (group == previous[0] or topic == previous[1]):
                    choice = place
                    break
        position = order.pop(choice)
        index, score = remaining[position]
        page.append(Slot(int(index), float(score), 1.0 - exploration, explored=False))
        previous = position_groups[position]
    return page
