"""Scheduled insights jobs, run by `academy worker`: the creator dimension snapshot and the
funnels' step store."""

from __future__ import annotations

import logging
from pathlib import Path

from django.conf import settings
from huey import crontab  # type: ignore[import-untyped]
from huey.contrib.djhuey import db_periodic_task, lock_task  # type: ignore[import-untyped]

from academy.insights.creator_counts import creator_counts_prepare
from academy.insights.dimensions import write_dimensions
from academy.insights.funnel_store import funnel_steps_prepare
from academy.insights.lesson_pairs import lesson_pairs_prepare
from academy.insights.segment_sets import segment_sets_prepare
from academy.insights.services import funnel_dimension_align

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*/15"))  # type: ignore[untyped-decorator]
def refresh_creator_dimension() -> None:
    """Every 15 minutes: snapshot follower tiers and experiment variations for breakdowns."""
    events_dir = Path(settings.ACADEMY_EVENTS_DIR)
    rows = write_dimensions(events_dir)
    funnel_dimension_align(events_dir)
    logger.info("Creator dimension: %d creators, %d assignments", *rows.values())


@db_periodic_task(crontab(minute="7-59/15"))  # type: ignore[untyped-decorator]
@lock_task("insights-funnel-steps")  # type: ignore[untyped-decorator]
def prepare_funnel_steps() -> None:
    """Every 15 minutes: add the lake's new files (today's, late events) to the funnels' step
    store (and the segment sets built from it), and drop the days the lake no longer keeps.
    Funnels read files the store lacks from the lake, a little slower, so the store may lag
    this much."""
    events_dir = Path(settings.ACADEMY_EVENTS_DIR)
    done = funnel_steps_prepare(events_dir=events_dir)
    segment_sets_prepare(events_dir=events_dir)
    # The rolled-up days' rows by the keys (a day rolled up since waits for the next run).
    lesson_pairs_prepare(events_dir=events_dir)
    creator_counts_prepare(events_dir=events_dir)
    # New creators got keys: the creator dimension by key covers them too.
    funnel_dimension_align(events_dir)
    logger.info(
        "Funnel steps: %d days built, %d deleted, %d creator keys forgotten", *done.values()
    )
