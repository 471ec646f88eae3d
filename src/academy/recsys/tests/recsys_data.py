"""Synthetic interactions where the right recommendation is obvious (no real data)."""

from __future__ import annotations

import numpy as np

from academy.recsys.engine.data import Interactions

DAY = 86_400


def two_clusters(
    *, users_per_cluster: int = 20, items_per_cluster: int = 10, per_user: int = 7, seed: int = 0
) -> Interactions:
    """Users 0..n-1 like items 0..m-1, the next n users the next m items; each user has
    ``per_user`` of their cluster's items, one a day. Every user of the second cluster also
    took item ``m + 2``, the most popular item overall. User 0 has items 0..per_user-1."""
    rng = np.random.default_rng(seed)
    users, items, stamps = [], [], []
    for cluster in (0, 1):
        for member in range(users_per_cluster):
            user = cluster * users_per_cluster + member
            own = np.arange(items_per_cluster) + cluster * items_per_cluster
            chosen = own[:per_user] if user == 0 else rng.choice(own, size=per_user, replace=False)
            if cluster == 1 and items_per_cluster + 2 not in chosen:
                chosen = np.append(chosen[1:], items_per_cluster + 2)
            for day, item in enumerate(chosen):
                users.append(user)
                items.append(int(item))
                stamps.append(1_700_000_000 + (user % 5) * DAY + day * DAY)
    return Interactions.from_arrays(users, items, stamps)
