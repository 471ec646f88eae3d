"""The event store's part of export and erasure: the capture log, the lake and the rollups.

Erasure rewrites every file that holds the creator — sealed and abandoned segments, and each
Parquet file of the lake — into a temporary file that replaces the original atomically. This
process's own open segment is sealed first. Segments still open in another live server process
are sealed within a minute; the compactor then finds them, so erasing again after a minute (the
privacy job does) leaves nothing.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import duckdb
from django.conf import settings

from academy.accounts.models import Creator
from academy.events.capture import OPEN_SUFFIX, _fsync_directory, capture_log, read_segment
from academy.events.lake import recover_abandoned_segments
from academy.events.rollups import rollup_days


def _events_dir() -> Path:
    return Path(settings.ACADEMY_EVENTS_DIR)


def _lake_files() -> list[Path]:
    return sorted((_events_dir() / "lake").glob("date=*/*.parquet"))


def export_creator(creator: Creator) -> dict[str, Any]:
    capture = _events_dir() / "capture"
    pending = [
        record
        for path in sorted(capture.glob("*.jsonl*"))
        if capture.exists()
        for record in read_segment(path)
        if record.get("creator_id") == creator.external_id
    ]
    lake: list[dict[str, Any]] = []
    files = _lake_files()
    if files:
        connection = duckdb.connect()
        connection.execute("SET TimeZone = 'UTC'")
        listing = "[" + ", ".join(f"'{path.as_posix()}'" for path in files) + "]"
        cursor = connection.execute(
            # Timestamps as ISO text: the export is JSON, and DuckDB needs pytz for tz objects.
            f"SELECT * REPLACE (strftime(timestamp, '%Y-%m-%dT%H:%M:%S+00:00') AS timestamp) "  # noqa: S608
            f"FROM read_parquet({listing}) WHERE creator_id = ? ORDER BY timestamp",
            [creator.external_id],
        )
        names = [column[0] for column in cursor.description or []]
        lake = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        connection.close()
    return {"events": json.loads(json.dumps([*lake, *pending], default=str))}


def _rewrite_segment(path: Path, external_id: str) -> int:
    kept, removed = [], 0
    for record in read_segment(path):
        if record.get("creator_id") == external_id:
            removed += 1
        else:
            kept.append(record)
    if removed:
        temporary = path.with_name(path.name + ".erasing")
        with open(temporary, "wb") as handle:
            for record in kept:
                handle.write(json.dumps(record, separators=(",", ":")).encode() + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    return removed


def _rewrite_parquet(path: Path, external_id: str) -> int:
    connection = duckdb.connect()
    source = path.as_posix()
    removed = connection.execute(
        f"SELECT count(*) FROM read_parquet('{source}') WHERE creator_id = ?",  # noqa: S608
        [external_id],
    ).fetchone()[0]  # type: ignore[index]
    if removed:
        temporary = path.with_name(path.name + ".erasing")
        connection.execute(
            f"COPY (SELECT * FROM read_parquet('{source}') WHERE creator_id IS DISTINCT FROM ?) "  # noqa: S608
            f"TO '{temporary.as_posix()}' (FORMAT PARQUET, COMPRESSION SNAPPY)",
            [external_id],
        )
        with open(temporary, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    connection.close()
    return int(removed)


def erase_creator(creator: Creator) -> int:
    capture = _events_dir() / "capture"
    removed = 0
    if capture.exists():
        capture_log().seal()
        recover_abandoned_segments(capture)
        for path in sorted(capture.glob("*.jsonl")):
            removed += _rewrite_segment(path, creator.external_id)
        _fsync_directory(capture)
    changed_days = []
    for path in _lake_files():
        count = _rewrite_parquet(path, creator.external_id)
        if count:
            removed += count
            changed_days.append(path.parent.name.removeprefix("date="))
    # Rollups are recomputed from the cleaned lake, so no aggregate still counts the creator.
    if changed_days:
        rollup_days(events_dir=_events_dir(), days=sorted(set(changed_days)))
    return removed


def open_segments_elsewhere() -> list[Path]:
    """Segments other live processes still write; erasure covers them once they are sealed."""
    capture = _events_dir() / "capture"
    return sorted(capture.glob(f"*{OPEN_SUFFIX}")) if capture.exists() else []
