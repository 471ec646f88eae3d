"""The experiments store's part of export and erasure: a creator's assignments, and the analysis
states of the experiments they were in."""

from __future__ import annotations

from typing import Any

from academy.accounts.models import Creator
from academy.experiments import window_state
from academy.experiments.models import Assignment
from academy.experiments.services import analysis_state_dir


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
    # A state holds the creator's window sums by row position, not by id; the next analysis
    # would not reuse it (the exposures changed), but it goes now all the same.
    for key in keys:
        window_state.erase(analysis_state_dir(key))
    return deleted
