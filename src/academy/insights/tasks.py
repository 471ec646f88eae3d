"""Scheduled insights jobs, run by `academy worker`: the creator dimension snapshot."""

from __future__ import annotations

import logging
from pathlib import Path

from django.conf import settings
from huey import crontab  # type: ignore[import-untyped]
from huey.contrib.djhuey import db_periodic_task  # type: ignore[import-untyped]

from academy.insights.dimensions import write_dimensions

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*/15"))  # type: ignore[untyped-decorator]
def refresh_creator_dimension() -> None:
    """Every 15 minutes: snapshot follower tiers and experiment variations for breakdowns."""
    rows = write_dimensions(Path(settings.ACADEMY_EVENTS_DIR))
    logger.info("Creator dimension: %d creators, %d assignments", *rows.values())
