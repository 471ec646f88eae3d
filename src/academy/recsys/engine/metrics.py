"""Top-K metrics over users, with binary relevance (an item is relevant if it is in the user's
test set).

For one user with test set T and top-K list R (best first):

- Recall@K = |R ∩ T| / |T| (the standard definition; with |T| > K it cannot reach 1).
- NDCG@K = DCG / IDCG, DCG = Σ 1/log2(rank + 1) over relevant ranks 1..K, IDCG the DCG of a
  perfect list with min(K, |T|) relevant items first.
- HitRate@K = 1 if R ∩ T is not empty, else 0.

Recall, NDCG and HitRate are averaged over users with a non-empty test set. Coverage@K is the
number of distinct items in all users' top-K lists divided by the catalogue size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class TopKMetrics:
    k: int
    recall: float
    ndcg: float
    hit_rate: float
    coverage: float
    users: int


def top_k_metrics(
    recommended: NDArray[np.integer] | Sequence[Sequence[int]],
    relevant: Sequence[set[int] | frozenset[int]],
    *,
    k: int,
    catalogue_size: int,
) -> TopKMetrics:
    """Metrics of one model at ``k``: ``recommended[u]`` is user u's ranked list (at least k
    long, or shorter when fewer items are left), ``relevant[u]`` their test items."""
    if k < 1:
        raise ValueError("k must be at least 1")
    if len(recommended) != len(relevant):
        raise ValueError("one recommended list per user with a test set")
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    ideal = np.cumsum(discounts)
    recalls, gains, hits = [], [], []
    shown: set[int] = set()
    for ranked, truth in zip(recommended, relevant, strict=True):
        if not truth:
            continue
        top = [int(item) for item in list(ranked)[:k] if item >= 0]
        shown.update(top)
        flags = np.fromiter((item in truth for item in top), dtype=bool, count=len(top))
        found = int(flags.sum())
        recalls.append(found / len(truth))
        gains.append(float(discounts[: len(top)][flags].sum()) / ideal[min(k, len(truth)) - 1])
        hits.append(1.0 if found else 0.0)
    users = len(recalls)
    return TopKMetrics(
        k=k,
        recall=float(np.mean(recalls)) if users else 0.0,
        ndcg=float(np.mean(gains)) if users else 0.0,
        hit_rate=float(np.mean(hits)) if users else 0.0,
        coverage=len(shown) / catalogue_size if catalogue_size else 0.0,
        users=users,
    )
