"""Scheduled event jobs, run by `academy worker`: compaction and rollups every minute, retention
daily, and the re-run of each erasure once other processes' open segments are sealed."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from django.conf import settings
from huey import crontab  # type: ignore[import-untyped]
from huey.contrib.djhuey import (  # type: ignore[import-untyped]
    db_periodic_task,
    db_task,
    lock_task,
)
from huey.exceptions import (  # type: ignore[import-untyped]
    RetryTask,
    TaskLockedException,
)

from academy.events.capture import capture_log
from academy.events.lake import compact
from academy.events.privacy import (
    ERASURE_RERUN_DELAY,
    ERASURE_RERUN_GIVE_UP,
    ERASURE_RERUN_RETRY,
    SegmentsStillOpen,
    events_erase_again,
)
from academy.events.retention import expire_raw_days, retention_horizon
from academy.events.rollups import rollup_days

logger = logging.getLogger(__name__)

# Compaction, rollups and the erasure re-run never interleave within the worker.
COMPACTION_LOCK = "events-compact"


@db_periodic_task(crontab(minute="*"))  # type: ignore[untyped-decorator]
@lock_task(COMPACTION_LOCK)  # type: ignore[untyped-decorator]
def compact_events() -> None:
    """Every minute: seal this process's segment, compact sealed segments into the lake, and
    recompute the rollups of the days that received events."""
    events_dir = Path(settings.ACADEMY_EVENTS_DIR)
    capture_log().seal()
    run = compact(events_dir=events_dir, keep_from=retention_horizon())
    if run.segments:
        logger.info(
            "Compacted %d segments: %d events written, %d expired",
            run.segments,
            run.written,
            run.expired,
        )
    if run.written:
        rollup_days(events_dir=events_dir, days=run.days)


@db_periodic_task(crontab(minute="5", hour="0"))  # type: ignore[untyped-decorator]
def expire_raw_events() -> None:
    """Daily, just after midnight UTC: drop raw days older than the retention horizon."""
    run = expire_raw_days(
        events_dir=Path(settings.ACADEMY_EVENTS_DIR), keep_from=retention_horizon()
    )
    if run.days:
        logger.info(
            "Retention: dropped %d raw days before %s (%d events); rollups kept",
            len(run.days),
            run.keep_from,
            run.events,
        )


@db_task(retries=20, retry_delay=ERASURE_RERUN_RETRY)  # type: ignore[untyped-decorator]
def erase_events_again(external_id: str, waiting_for: list[str], give_up_at: float) -> None:
    """An erasure's re-run (scheduled by `schedule_erasure_rerun`); stored in the job queue, so
    it survives a restart. Retried every 30 s while the segments are open or a compaction holds
    the lock, and up to 20 times after an error."""
    try:
        with lock_task(COMPACTION_LOCK):
            erasure = events_erase_again(
                events_dir=Path(settings.ACADEMY_EVENTS_DIR),
                external_id=external_id,
                waiting_for=waiting_for,
                give_up_at=give_up_at,
                keep_from=retention_horizon(),
            )
    except (SegmentsStillOpen, TaskLockedException) as waiting:
        # Waiting is not failing: these retries do not use up the task's retries.
        raise RetryTask(str(waiting), delay=ERASURE_RERUN_RETRY) from None
    # The log names no creator: the erasure receipt keeps only a digest.
    logger.info("Erasure re-run removed %d more events", erasure.events)


def schedule_erasure_rerun(*, external_id: str, waiting_for: list[str]) -> None:
    """Erase the creator's events again once segments open elsewhere are sealed and compacted."""
    erase_events_again.schedule(
        kwargs={
            "external_id": external_id,
            "waiting_for": waiting_for,
            "give_up_at": time.time() + ERASURE_RERUN_DELAY + ERASURE_RERUN_GIVE_UP,
        },
        delay=ERASURE_RERUN_DELAY,
    )
