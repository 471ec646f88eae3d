"""Scheduled For You jobs, run by `academy worker`."""

from __future__ import annotations

import logging
from pathlib import Path

from django.conf import settings
from huey import crontab  # type: ignore[import-untyped]
from huey.contrib.djhuey import db_periodic_task, lock_task  # type: ignore[import-untyped]

from academy.recsys.services import recent_interactions_prune
from academy.recsys.training import recsys_train

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(hour="3", minute="40"))  # type: ignore[untyped-decorator]
@lock_task("recsys-train")  # type: ignore[untyped-decorator]
def retrain_for_you() -> None:
    """Every night: a new For You model from the lake; serving processes pick it up."""
    try:
        report = recsys_train(events_dir=Path(settings.ACADEMY_EVENTS_DIR))
    except ValueError as error:  # nothing to learn from yet
        logger.info("For You not trained: %s", error)
        return
    logger.info(
        "For You model %s trained on %d interactions (ranker: %s)",
        report.version,
        report.interactions,
        report.ranker,
    )


@db_periodic_task(crontab(minute="25"))  # type: ignore[untyped-decorator]
def prune_recent_interactions() -> None:
    """Every hour: real-time signals older than two days (training has them from the lake)."""
    logger.info("For You: %d old real-time signals pruned", recent_interactions_prune())
