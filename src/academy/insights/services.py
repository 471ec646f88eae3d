"""Writes of the insights app: what the tiles need besides the rollups the worker keeps."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from academy.events.query import lake_days, rollup_files, rollup_target
from academy.events.rollups import MONTHLY, ROLLUPS, month_of, rollup_days, rollup_months
from academy.insights.creator_counts import creator_counts_prepare
from academy.insights.dimensions import dimension_snapshot, write_dimensions
from academy.insights.funnel_dimension import dimension_align
from academy.insights.funnel_store import funnel_steps_prepare
from academy.insights.lesson_pairs import lesson_pairs_prepare
from academy.insights.segment_sets import segment_sets_prepare


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
    """Roll up the lake days that miss a rollup, build the funnels' step store (and the segment
    sets from it, and the rollups by its keys) and snapshot the creator dimension, so every
    dashboard has its data (`academy demo` runs it after simulating)."""
    missing = days_missing_rollups(events_dir)
    if missing:
        rollup_days(events_dir=events_dir, days=missing, progress=progress)
    months = months_missing_rollups(events_dir)
    if months:
        rollup_months(events_dir=events_dir, months=months)
    steps = funnel_steps_prepare(events_dir=events_dir)
    segment_sets_prepare(events_dir=events_dir)
    keyed = lesson_pairs_prepare(events_dir=events_dir)
    keyed += creator_counts_prepare(events_dir=events_dir)
    dimension = write_dimensions(events_dir)
    funnel_dimension_align(events_dir)
    return {
        "days_rolled_up": len(missing),
        "months_rolled_up": len(months),
        "funnel_days_built": steps["days_built"],
        "keyed_files_built": keyed,
        **dimension,
    }


def funnel_dimension_align(events_dir: Path) -> dict[str, Any]:
    """The creator dimension by the step store's keys, after the snapshot or the store changed
    (``academy.insights.funnel_dimension``)."""
    return dimension_align(events_dir=events_dir, snapshot=dimension_snapshot(events_dir))


def months_missing_rollups(events_dir: Path) -> list[str]:
    """Months whose daily rollups lack a monthly rollup (days rolled up before it existed)."""
    months: set[str] = set()
    for name, (source, _sql) in MONTHLY.items():
        for day in rollup_files(events_dir, source):
            if not rollup_target(events_dir, name, month_of(day)).exists():
                months.add(month_of(day))
    return sorted(months)
