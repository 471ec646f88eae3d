"""The experiments store's part of export and erasure: a creator's assignments, and what the
analyses of the experiments they were in kept."""

from __future__ import annotations

from typing import Any

from academy.accounts.models import Creator
from academy.experiments.models import Assignment
from academy.experiments.services import analysis_state_erase


def export_creator(creator: Creator) -> dict[str, Any]:
    return {
        "assignments": list(
            Assignment.objects.filter(creator=creator)
            .order_by("assigned_at", "pk")
            .values("experiment__key", "variation", "bucket_version", "assigned_at")
        )
    }


def erase_creator(creator: Creator) -> int:
    keys = set(Assignment.objects.filter(creator=creator).values_list("experiment__key", flat=True))
    deleted, _rows = Assignment.objects.filter(creator=creator).delete()
    # What the analyses kept holds the creator's id (the exposures) and sums by row.
    for key in keys:
        analysis_state_erase(key)
    return deleted
