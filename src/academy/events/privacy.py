"""The event store's part of export and erasure: the capture log, the lake and the rollups.

Erasure rewrites every file that holds the creator — sealed and abandoned segments, each Parquet
file of the lake, each rollup file with a ``creator_id`` column — into a temporary file that
replaces the original atomically, under the lake's writer lock. This process's own open segment
is sealed first. The days whose raw events changed have their rollups recomputed; rollups of
days whose raw events retention already dropped cannot be recomputed, so the creator's rows are
filtered out of them. ``entry_point_daily`` names no creator (counts by entry point and segment,
with a distinct-creator count): where raw events remain it is recomputed without the creator,
and past retention it keeps its anonymous counts.

Segments still open in another live server process cannot be rewritten while it appends; they
are sealed within SEGMENT_MAX_SECONDS. So every erasure schedules a durable re-run
(``tasks.erase_events_again``) for after they are sealed: it compacts them into the lake and
erases again, from the external id alone since the creator row is gone by then.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq  # type: ignore[import-untyped]
from django.conf import settings
from django.db import transaction

from academy.accounts.models import Creator
from academy.events.capture import (
    OPEN_SUFFIX,
    SEGMENT_MAX_SECONDS,
    capture_log,
    read_segment,
)
from academy.events.lake import compact, lake_lock, recover_abandoned_segments
from academy.events.rollups import rollup_days
from academy.files import durable_replace, fsync_directory

logger = logging.getLogger(__name__)

# The re-run waits for other processes' open segments to be sealed (their sealer thread checks
# every second), with a margin for a compaction to pass.
ERASURE_RERUN_DELAY = SEGMENT_MAX_SECONDS + 30
ERASURE_RERUN_RETRY = 30.0
# A segment still open this long after the erasure belongs to a stuck process or another host:
# the re-run then erases what it can and logs an error naming the segments.
ERASURE_RERUN_GIVE_UP = 3600.0


def _events_dir() -> Path:
    return Path(settings.ACADEMY_EVENTS_DIR)


def _listing(paths: Sequence[Path]) -> str:
    return "[" + ", ".join("'" + path.as_posix().replace("'", "''") + "'" for path in paths) + "]"


def _parquet_files(events_dir: Path) -> list[Path]:
    return sorted((events_dir / "lake").glob("date=*/*.parquet"))


def _rollup_files(events_dir: Path) -> dict[str, list[Path]]:
    """The files of every rollup that has a ``creator_id`` column, by rollup."""
    found: dict[str, list[Path]] = {}
    for folder in sorted((events_dir / "rollups").glob("*")):
        files = sorted(folder.glob("date=*/*.parquet"))
        if files and "creator_id" in pq.read_schema(files[0]).names:
            found[folder.name] = files
    return found


def _rows_of(files: Sequence[Path], external_id: str, *, iso_timestamps: bool) -> list[Any]:
    if not files:
        return []
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    # Timestamps as ISO text: the export is JSON, and DuckDB needs pytz for tz objects.
    replace = (
        "REPLACE (strftime(timestamp, '%Y-%m-%dT%H:%M:%S+00:00') AS timestamp)"
        if iso_timestamps
        else ""
    )
    cursor = connection.execute(
        f"SELECT * {replace} FROM read_parquet({_listing(files)}, hive_partitioning = false, "  # noqa: S608
        "union_by_name = true) WHERE creator_id = ? ORDER BY ALL",
        [external_id],
    )
    names = [column[0] for column in cursor.description or []]
    rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    connection.close()
    return rows


def export_creator(creator: Creator) -> dict[str, Any]:
    events_dir = _events_dir()
    capture = events_dir / "capture"
    pending = [
        record
        for path in sorted(capture.glob("*.jsonl*"))
        if capture.exists()
        for record in read_segment(path)
        if record.get("creator_id") == creator.external_id
    ]
    lake = _rows_of(_parquet_files(events_dir), creator.external_id, iso_timestamps=True)
    # Rollups hold the creator's daily counts, also for days whose raw events are gone.
    rollups = {
        name: _rows_of(files, creator.external_id, iso_timestamps=False)
        for name, files in _rollup_files(events_dir).items()
    }
    return json.loads(json.dumps({"events": [*lake, *pending], "rollups": rollups}, default=str))  # type: ignore[no-any-return]


def _rewrite_segment(path: Path, external_id: str) -> int:
    kept, removed = [], 0
    for record in read_segment(path):
        if record.get("creator_id") == external_id:
            removed += 1
        else:
            kept.append(record)
    if removed:
        with durable_replace(path, suffix=".erasing") as temporary, open(temporary, "wb") as handle:
            for record in kept:
                handle.write(json.dumps(record, separators=(",", ":")).encode() + b"\n")
    return removed


def _files_holding(files: Sequence[Path], external_id: str) -> dict[Path, int]:
    """Which of the Parquet files hold rows of the creator, and how many: one scan."""
    if not files:
        return {}
    connection = duckdb.connect()
    found = connection.execute(
        f"SELECT filename, count(*) FROM read_parquet({_listing(files)}, filename = true, "  # noqa: S608
        "hive_partitioning = false, union_by_name = true) WHERE creator_id = ? GROUP BY filename",
        [external_id],
    ).fetchall()
    connection.close()
    return {Path(name): int(count) for name, count in found}


def _rewrite_parquet(path: Path, external_id: str) -> None:
    with durable_replace(path, suffix=".erasing") as temporary:
        connection = duckdb.connect()
        connection.execute(
            f"COPY (SELECT * FROM read_parquet('{path.as_posix()}', hive_partitioning = false) "  # noqa: S608
            f"WHERE creator_id IS DISTINCT FROM ?) "
            f"TO '{temporary.as_posix()}' (FORMAT PARQUET, COMPRESSION SNAPPY)",
            [external_id],
        )
        connection.close()


@dataclass(frozen=True)
class EventsErasure:
    """What an erasure removed: events from the capture log and the lake, rollup rows, and the
    segments other processes still had open (the re-run covers them)."""

    capture: int = 0
    lake: int = 0
    rollup_rows: int = 0
    days_recomputed: list[str] = field(default_factory=list)
    still_open: list[str] = field(default_factory=list)

    @property
    def events(self) -> int:
        return self.capture + self.lake


def open_segments_elsewhere(events_dir: Path) -> list[str]:
    """Segments other live processes still write (this process's was sealed just before):
    erasure cannot rewrite them now, its re-run covers them once they are sealed."""
    return sorted(path.name for path in (events_dir / "capture").glob(f"*{OPEN_SUFFIX}"))


def events_erase(*, events_dir: Path, external_id: str) -> EventsErasure:
    """Remove every event and rollup row of the creator from the event store (idempotent)."""
    capture = events_dir / "capture"
    removed_capture = removed_lake = removed_rollups = 0
    with lake_lock(events_dir):
        if capture.exists():
            capture_log().seal()
            recover_abandoned_segments(capture)
            for path in sorted(capture.glob("*.jsonl")):
                removed_capture += _rewrite_segment(path, external_id)
            fsync_directory(capture)
        changed_days = set()
        for path, count in _files_holding(_parquet_files(events_dir), external_id).items():
            _rewrite_parquet(path, external_id)
            removed_lake += count
            changed_days.add(path.parent.name.removeprefix("date="))
        # Days with raw events are recomputed from the cleaned lake, so every rollup (including
        # entry_point_daily's distinct creators) forgets the creator...
        days = sorted(changed_days)
        if days:
            rollup_days(events_dir=events_dir, days=days)
        # ...and the rollups of days whose raw events are gone lose the creator's rows.
        for files in _rollup_files(events_dir).values():
            for path, count in _files_holding(files, external_id).items():
                _rewrite_parquet(path, external_id)
                removed_rollups += count
    return EventsErasure(
        capture=removed_capture,
        lake=removed_lake,
        rollup_rows=removed_rollups,
        days_recomputed=days,
        still_open=open_segments_elsewhere(events_dir),
    )


def erase_creator(creator: Creator) -> int:
    """The privacy registry's eraser: erase now, and again once open segments are sealed."""
    # Imported here: the task module builds on this one.
    from academy.events.tasks import schedule_erasure_rerun

    external_id = creator.external_id
    erasure = events_erase(events_dir=_events_dir(), external_id=external_id)
    # Scheduled only if the erasure commits: a rolled-back erasure must not erase later.
    transaction.on_commit(
        lambda: schedule_erasure_rerun(external_id=external_id, waiting_for=erasure.still_open)
    )
    return erasure.events


class SegmentsStillOpen(Exception):
    """Segments the erasure waits for are still open: try again a little later."""

    def __init__(self, segments: list[str]) -> None:
        super().__init__(f"{len(segments)} capture segments are still open")
        self.segments = segments


def events_erase_again(
    *,
    events_dir: Path,
    external_id: str,
    waiting_for: Sequence[str],
    give_up_at: float,
    keep_from: date | None,
) -> EventsErasure:
    """The scheduled re-run of an erasure: once the segments other processes had open are
    sealed, compact them into the lake and erase the creator again, by external id.

    Raises SegmentsStillOpen while any of ``waiting_for`` is still open (until ``give_up_at``,
    a wall-clock time, after which it erases what it can and logs an error).
    """
    capture = events_dir / "capture"
    still_open = [name for name in waiting_for if (capture / name).exists()]
    if still_open and time.time() < give_up_at:
        raise SegmentsStillOpen(still_open)
    if still_open:
        logger.error(
            "Erasure re-run: %d capture segments are still open after %d s: %s",
            len(still_open),
            int(ERASURE_RERUN_GIVE_UP),
            ", ".join(still_open),
        )
    capture_log().seal()
    run = compact(events_dir=events_dir, keep_from=keep_from)
    if run.written:
        rollup_days(events_dir=events_dir, days=run.days)
    return events_erase(events_dir=events_dir, external_id=external_id)
