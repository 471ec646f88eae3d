"""Writes of the insights app: what the tiles need besides the rollups the worker keeps."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from academy.events.query import lake_days, rollup_target
from academy.events.rollups import ROLLUPS, rollup_days
from academy.insights.dimensions import write_dimensions


def days_missing_rollups(events_dir: Path) -> list[str]:
    """Lake days lacking any rollup (say, one added by an upgrade after they were rolled up)."""
    return [
        day
        for day in lake_days(events_dir)
        if not all(rollup_target(events_dir, name, day).exists() for name in ROLLUPS)
    ]


def insights_prepare(
    *, events_dir: Path, progress: Callable[[int, int], None] | None = None
) -> dict[str, int]:
    """Roll up the lake days that miss a rollup and snapshot the creator dimension, so every
    dashboard has its data (`academy demo` runs it after simulating)."""
    missing = days_missing_rollups(events_dir)
    if missing:
        rollup_days(events_dir=events_dir, days=missing, progress=progress)
    return {"days_rolled_up": len(missing), **write_dimensions(events_dir)}
