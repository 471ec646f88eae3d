"""Scheduled catalog jobs, run by `academy worker`."""

from __future__ import annotations

import logging

from huey import crontab  # type: ignore[import-untyped]
from huey.contrib.djhuey import db_periodic_task  # type: ignore[import-untyped]

from academy.catalog.services import content_publish_due

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*"))  # type: ignore[untyped-decorator]
def publish_due_content() -> None:
    """Every minute: publish what was scheduled for now or earlier."""
    run = content_publish_due()
    for label in run.published:
        logger.info("Published %s", label)
    for label, reason in run.failed.items():
        logger.warning("Could not publish %s: %s", label, reason)
