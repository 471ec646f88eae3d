"""Who decides what a simulated creator is shown: a pluggable ranking policy.

A policy ranks, for a batch of requests at one entry point, each request's candidate items into a
slate; the simulator then plays the creators' reactions and tells the policy what was shown and
clicked. ``random`` and ``popularity`` are the baselines; ``oracle`` ranks by the true utility
and is the ceiling. The product's own feed and entry-point services plug in through the same
protocol (an adapter that asks them per request and maps item ids back to catalogue indices).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class SlateRequest:
    """Requests at one entry point: each row a creator and the items it may be shown."""

    entry_point: str
    creators: IntArray  # index of each request's creator in the population
    candidates: BoolArray  # (requests, items): items the request may show
    slate_size: int


@dataclass(frozen=True)
class Feedback:
    """What happened to the slates: the items shown and the items clicked (with repeats)."""

    shown: IntArray
    clicked: IntArray


class Policy(Protocol):
    name: str

    def rank(self, request: SlateRequest, rng: np.random.Generator) -> IntArray:
        """(requests, slate_size) item indices, best first; -1 where nothing is shown."""
        ...

    def observe(self, feedback: Feedback) -> None:
        """Learn from what the creators did (policies that do not learn ignore it)."""
        ...


def top_k(scores: FloatArray, candidates: BoolArray, k: int) -> IntArray:
    """The k best-scoring candidates of each row, best first; -1 pads rows with fewer."""
    rows, items = scores.shape
    k_eff = min(k, items)
    masked = np.where(candidates, scores, -np.inf)
    if k_eff < items:
        part = np.argpartition(-masked, k_eff - 1, axis=1)[:, :k_eff]
    else:
        part = np.broadcast_to(np.arange(items), (rows, items)).copy()
    order = np.argsort(-np.take_along_axis(masked, part, axis=1), axis=1, kind="stable")
    slate = np.take_along_axis(part, order, axis=1)
    valid = np.take_along_axis(candidates, slate, axis=1)
    slate = np.where(valid, slate, -1)
    if k_eff < k:
        slate = np.pad(slate, ((0, 0), (0, k - k_eff)), constant_values=-1)
    return slate.astype(np.int64)


class RandomPolicy:
    """Any candidate, uniformly: the floor a recommender must clear."""

    name = "random"

    def rank(self, request: SlateRequest, rng: np.random.Generator) -> IntArray:
        return top_k(rng.random(request.candidates.shape), request.candidates, request.slate_size)

    def observe(self, feedback: Feedback) -> None:
        return None


class PopularityPolicy:
    """Items by click-through observed so far in the run, smoothed towards the overall rate.

    Click-through rather than raw clicks, so an item is not popular merely for having been shown
    more; the smoothing (``prior_weight`` impressions at the overall rate) keeps an item seen
    twice and clicked once from jumping to the top. Ties (at the start) are broken at random.
    """

    name = "popularity"

    def __init__(self, items: int, *, prior_weight: float = 50.0) -> None:
        self.impressions = np.zeros(items, dtype=np.float64)
        self.clicks = np.zeros(items, dtype=np.float64)
        self.prior_weight = prior_weight

    def scores(self) -> FloatArray:
        overall = self.clicks.sum() / max(self.impressions.sum(), 1.0)
        smoothed = (self.clicks + self.prior_weight * overall) / (
            self.impressions + self.prior_weight
        )
        return np.asarray(smoothed, dtype=np.float64)

    def rank(self, request: SlateRequest, rng: np.random.Generator) -> IntArray:
        jitter = 1e-9 * rng.random(request.candidates.shape)
        return top_k(self.scores()[None, :] + jitter, request.candidates, request.slate_size)

    def observe(self, feedback: Feedback) -> None:
        self.impressions += np.bincount(feedback.shown, minlength=self.impressions.size)
        self.clicks += np.bincount(feedback.clicked, minlength=self.clicks.size)


class OraclePolicy:
    """Ranks by each creator's true utility: what a perfect recommender would do."""

    name = "oracle"

    def __init__(self, utility_of: Callable[[IntArray], FloatArray]) -> None:
        self.utility_of = utility_of

    def rank(self, request: SlateRequest, rng: np.random.Generator) -> IntArray:
        return top_k(self.utility_of(request.creators), request.candidates, request.slate_size)

    def observe(self, feedback: Feedback) -> None:
        return None
