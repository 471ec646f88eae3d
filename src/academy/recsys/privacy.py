"""The For You store's part of export and erasure (the models forget a creator at the next
training, which reads the lake after its own erasure)."""

from __future__ import annotations

from typing import Any

from academy.accounts.models import Creator
from academy.recsys.models import (
    CardDelivery,
    FeedPreference,
    FeedSession,
    RecentInteraction,
    Suppression,
)


def export_creator(creator: Creator) -> dict[str, Any]:
    return {
        "not_interested": list(
            Suppression.objects.filter(creator=creator).values("item", "topic", "created_at")
        ),
        "recent_interactions": list(
            RecentInteraction.objects.filter(creator=creator).values("item", "kind", "at")
        ),
        "feeds": list(
            FeedSession.objects.filter(creator=creator).values("shown", "created_at", "updated_at")
        ),
        "cards_delivered": list(
            CardDelivery.objects.filter(creator=creator).values(
                "item", "request_id", "delivered_at"
            )
        ),
        "preferences": list(
            FeedPreference.objects.filter(creator=creator).values(
                "cards_off", "history_reset_at", "updated_at"
            )
        ),
    }


def erase_creator(creator: Creator) -> int:
    erased = 0
    for model in (Suppression, RecentInteraction, FeedSession, CardDelivery, FeedPreference):
        deleted, _rows = model.objects.filter(creator=creator).delete()
        erased += deleted
    return erased
