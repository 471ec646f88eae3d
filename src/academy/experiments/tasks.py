"""Scheduled experiment jobs, run by `academy worker`."""

from __future__ import annotations

import logging

from huey import crontab  # type: ignore[import-untyped]
from huey.contrib.djhuey import db_periodic_task  # type: ignore[import-untyped]

from academy.experiments.models import SnapshotStatus
from academy.experiments.services import analyze_running_experiments, scheduled_changes_apply

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*"))  # type: ignore[untyped-decorator]
def apply_scheduled_changes() -> None:
    """Every minute: write the flag and experiment changes whose time has come (the served
    payload already applies them in the meantime)."""
    applied = scheduled_changes_apply()
    if applied:
        logger.info("Applied %d scheduled flag and experiment changes", applied)


@db_periodic_task(crontab(minute="30", hour="0"))  # type: ignore[untyped-decorator]
def refresh_experiment_snapshots() -> None:
    """Daily at 00:30 UTC, once yesterday's events are compacted and rolled up: a snapshot of
    every running experiment as of yesterday (re-running a day replaces its snapshot)."""
    snapshots = analyze_running_experiments()
    if snapshots:
        failed = [s.experiment_id for s in snapshots if s.status != SnapshotStatus.OK]
        logger.info(
            "Analysed %d running experiments (%d failed: %s)",
            len(snapshots),
            len(failed),
            failed,
        )
