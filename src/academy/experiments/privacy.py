"""The experiments store's part of export and erasure: a creator's assignments."""

from __future__ import annotations

from typing import Any

from academy.accounts.models import Creator
from academy.experiments.models import Assignment


def export_creator(creator: Creator) -> dict[str, Any]:
    return {
        "assignments": list(
            Assignment.objects.filter(creator=creator)
            .order_by("assigned_at", "pk")
            .values("experiment__key", "variation", "bucket_version", "assigned_at")
        )
    }


def erase_creator(creator: Creator) -> int:
    deleted, _rows = Assignment.objects.filter(creator=creator).delete()
    return deleted
