"""Scheduled experiment jobs, run by `academy worker`."""

from __future__ import annotations

import logging

from huey import crontab  # type: ignore[import-untyped]
from huey.contrib.djhuey import db_periodic_task  # type: ignore[import-untyped]

from academy.experiments.services import scheduled_changes_apply

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*"))  # type: ignore[untyped-decorator]
def apply_scheduled_changes() -> None:
    """Every minute: write the flag and experiment changes whose time has come (the served
    payload already applies them in the meantime)."""
    applied = scheduled_changes_apply()
    if applied:
        logger.info("Applied %d scheduled flag and experiment changes", applied)
