"""Scheduled event jobs, run by `academy worker`."""

from __future__ import annotations

import logging
from pathlib import Path

from django.conf import settings
from huey import crontab  # type: ignore[import-untyped]
from huey.contrib.djhuey import db_periodic_task, lock_task  # type: ignore[import-untyped]

from academy.events.capture import capture_log
from academy.events.lake import compact
from academy.events.rollups import rollup_days

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*"))  # type: ignore[untyped-decorator]
@lock_task("events-compact")  # type: ignore[untyped-decorator]
def compact_events() -> None:
    """Every minute: seal this process's segment, compact sealed segments into the lake, and
    recompute the rollups of the days that received events."""
    events_dir = Path(settings.ACADEMY_EVENTS_DIR)
    capture_log().seal()
    run = compact(events_dir=events_dir)
    if run.segments:
        logger.info("Compacted %d segments: %d events written", run.segments, run.written)
    if run.written:
        rollup_days(events_dir=events_dir, days=run.days)
