"""Scheduled search jobs, run by `academy worker`."""

from __future__ import annotations

import logging
from pathlib import Path

from django.conf import settings
from huey import crontab  # type: ignore[import-untyped]
from huey.contrib.djhuey import db_periodic_task  # type: ignore[import-untyped]

from academy.search.services import search_popularity_refresh

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="17"))  # type: ignore[untyped-decorator]
def refresh_search_popularity() -> None:
    """Every hour: the 28-day clicks that search ranking blends in, from the rollups."""
    items = search_popularity_refresh(events_dir=Path(settings.ACADEMY_EVENTS_DIR))
    logger.info("Search popularity refreshed for %d items", items)
