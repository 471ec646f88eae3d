"""Retention: raw events older than ACADEMY_EVENTS_RETENTION_DAYS leave the lake; rollups stay.

Days are cut in UTC. Dropping a day first records in the lake the first day it keeps
(`lake.record_raw_kept_from`), then moves each older day partition out of the lake in one rename
and deletes it. From then on compaction and appends count an event of a dropped day as expired
instead of writing it, so a dropped day never comes back as a partial day, and its rollups —
which cannot be recomputed any more — are never recomputed from a fragment.
"""

from __future__ import annotations

import shutil
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq  # type: ignore[import-untyped]
from django.conf import settings

from academy.core import clock
from academy.events.lake import lake_lock, raw_kept_from, record_raw_kept_from
from academy.files import fsync_directory


def retention_horizon(*, now: datetime | None = None) -> date | None:
    """The first UTC day whose raw events are kept under the configured policy; None: forever."""
    days = settings.ACADEMY_EVENTS_RETENTION_DAYS
    if not days:
        return None
    return (now or clock.now()).astimezone(UTC).date() - timedelta(days=int(days))


@dataclass(frozen=True)
class ExpiredDay:
    day: str
    events: int
    bytes: int


@dataclass(frozen=True)
class RetentionRun:
    keep_from: str | None
    days: list[ExpiredDay] = field(default_factory=list)
    dry_run: bool = False
    stale_staging: int = 0

    @property
    def events(self) -> int:
        return sum(day.events for day in self.days)

    @property
    def bytes(self) -> int:
        return sum(day.bytes for day in self.days)


def _partition(day_dir: Path) -> ExpiredDay:
    files = sorted(day_dir.glob("*.parquet"))
    return ExpiredDay(
        day=day_dir.name.removeprefix("date="),
        events=sum(pq.read_metadata(path).num_rows for path in files),
        bytes=sum(path.stat().st_size for path in files),
    )


def expire_raw_days(
    *, events_dir: Path, keep_from: date | None, dry_run: bool = False
) -> RetentionRun:
    """Drop the lake's day partitions before ``keep_from`` (None: keep them; the lake never takes
    back what it already dropped); rollups are left as they are. Also clears what crashed
    writers left in the staging folder.

    With ``dry_run`` nothing changes and the run lists what would be dropped. Safe to stop at
    any point: the kept-from day is recorded before any partition goes, and each partition
    leaves the lake in one rename.
    """
    lake_dir = events_dir / "lake"
    staging_dir = events_dir / "staging"
    with lake_lock(events_dir):
        # Never less than the lake already dropped: a run stopped between recording the day
        # and moving the partitions out is finished by the next one, whatever the setting says.
        floor = max((day for day in (keep_from, raw_kept_from(events_dir)) if day), default=None)
        expired = sorted(
            path
            for path in lake_dir.glob("date=*")
            if floor and path.is_dir() and path.name.removeprefix("date=") < floor.isoformat()
        )
        run = RetentionRun(
            keep_from=floor.isoformat() if floor else None,
            days=[_partition(path) for path in expired],
            dry_run=dry_run,
            stale_staging=len(stale := _stale_staging(staging_dir)),
        )
        if dry_run:
            return run
        if floor:
            record_raw_kept_from(events_dir, floor)
        if expired:
            trash = staging_dir / f"expired-{time.time_ns()}-{uuid.uuid4().hex[:8]}"
            trash.mkdir(parents=True)
            for path in expired:
                path.rename(trash / path.name)
            fsync_directory(lake_dir)
            shutil.rmtree(trash)
        for path in stale:
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
    return run


def _stale_staging(staging_dir: Path) -> list[Path]:
    # Writers stage only while holding the lake lock, so whatever the holder finds there was
    # left by a writer that crashed: files never renamed into the lake (their segments are
    # still in the capture log) or days half deleted by an interrupted retention run.
    return sorted(staging_dir.iterdir()) if staging_dir.exists() else []
