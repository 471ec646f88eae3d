"""The lake: capture segments compacted into day-partitioned Parquet, each uuid exactly once.

``<events dir>/lake/date=YYYY-MM-DD/part-*.parquet``, partitioned by event time in UTC, so a
late event lands in its own day. Compaction is idempotent and crash-safe: new Parquet files are
written to a staging folder and renamed into place before the segments they came from are
deleted, and rows whose uuid is already in the lake are dropped — so a crash between the two
steps, or the same event sent twice, never counts an event twice.
"""

from __future__ import annotations

import os
import re
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from academy.events.capture import OPEN_SUFFIX, _fsync_directory, sealed_segments

COLUMNS = {
    "uuid": "VARCHAR",
    "name": "VARCHAR",
    "timestamp": "TIMESTAMPTZ",
    "creator_id": "VARCHAR",
    "anonymous_id": "VARCHAR",
    "session_id": "VARCHAR",
    "entry_point": "VARCHAR",
    "item_kind": "VARCHAR",
    "item_id": "VARCHAR",
    "request_id": "VARCHAR",
    "position": "INTEGER",
    "experiments": "JSON",
    "region": "VARCHAR",
    "language": "VARCHAR",
    "platform": "VARCHAR",
    "app_version": "VARCHAR",
    "properties": "JSON",
}
SEGMENTS_PER_RUN = 256
OPEN_SEGMENT = re.compile(r"^(?P<host>.+)-(?P<pid>\d+)-(?P<started>\d+)-(?P<n>\d+)\.jsonl\.open$")


@dataclass(frozen=True)
class CompactionRun:
    segments: int
    read: int
    written: int
    duplicates: int
    days: list[str]


def _connect() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    return connection


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A killed process nobody has reaped yet is a zombie: it writes nothing any more.
    stat = Path(f"/proc/{pid}/stat")
    if stat.exists():
        state = stat.read_text().rsplit(")", 1)[-1].split()[0]
        return state != "Z"
    return True


def recover_abandoned_segments(capture_dir: Path) -> list[Path]:
    """Seal the open segments of processes on this host that died (kill -9, crash).

    Only whole lines were ever acknowledged, so a torn last line is cut off before sealing.
    """
    recovered = []
    host = socket.gethostname()
    for path in sorted(capture_dir.glob(f"*{OPEN_SUFFIX}")):
        match = OPEN_SEGMENT.match(path.name)
        if match is None or match["host"] != host or _process_alive(int(match["pid"])):
            continue
        with open(path, "r+b") as handle:
            data = handle.read()
            keep = data.rfind(b"\n") + 1
            if keep != len(data):
                handle.truncate(keep)
            handle.flush()
            os.fsync(handle.fileno())
        sealed = path.with_name(path.name.removesuffix(OPEN_SUFFIX))
        os.replace(path, sealed)
        recovered.append(sealed)
    if recovered:
        _fsync_directory(capture_dir)
    return recovered


def _lake_files(lake_dir: Path, day: str) -> list[Path]:
    return sorted((lake_dir / f"date={day}").glob("*.parquet"))


def compact(
    *, events_dir: Path, progress: Callable[[int, int], None] | None = None
) -> CompactionRun:
    """Move every sealed segment into the lake, dropping uuids the lake already holds."""
    capture_dir = events_dir / "capture"
    lake_dir = events_dir / "lake"
    staging_dir = events_dir / "staging"
    capture_dir.mkdir(parents=True, exist_ok=True)
    recover_abandoned_segments(capture_dir)
    segments = sealed_segments(capture_dir)
    totals = {"read": 0, "written": 0, "duplicates": 0}
    days: set[str] = set()
    done = 0
    for start in range(0, len(segments), SEGMENTS_PER_RUN):
        chunk = segments[start : start + SEGMENTS_PER_RUN]
        read, written, chunk_days = _compact_chunk(chunk, lake_dir, staging_dir)
        totals["read"] += read
        totals["written"] += written
        days |= chunk_days
        # The lake now holds these events durably: the segments can go.
        for segment in chunk:
            segment.unlink()
        _fsync_directory(capture_dir)
        done += len(chunk)
        if progress:
            progress(done, len(segments))
    totals["duplicates"] = totals["read"] - totals["written"]
    return CompactionRun(
        segments=len(segments),
        read=totals["read"],
        written=totals["written"],
        duplicates=totals["duplicates"],
        days=sorted(days),
    )


def _compact_chunk(
    chunk: list[Path], lake_dir: Path, staging_dir: Path
) -> tuple[int, int, set[str]]:
    connection = _connect()
    columns = "{" + ", ".join(f"'{name}': '{kind}'" for name, kind in COLUMNS.items()) + "}"
    files = "[" + ", ".join(f"'{path.as_posix()}'" for path in chunk) + "]"
    # Paths and column types below are ours, never user input.
    connection.execute(
        f"CREATE TEMP TABLE incoming AS SELECT * "  # noqa: S608
        f"FROM read_json({files}, format = 'newline_delimited', columns = {columns})"
    )
    read = connection.execute("SELECT count(*) FROM incoming").fetchone()[0]  # type: ignore[index]
    touched = [
        str(row[0])
        for row in connection.execute(
            "SELECT DISTINCT CAST(timestamp AS DATE) FROM incoming"
        ).fetchall()
    ]
    existing = [path for day in touched for path in _lake_files(lake_dir, day)]
    known = (
        "SELECT uuid FROM read_parquet(["  # noqa: S608
        + ", ".join(f"'{path.as_posix()}'" for path in existing)
        + "])"
        if existing
        else "SELECT NULL::VARCHAR AS uuid WHERE false"
    )
    run_id = f"{time.time_ns()}-{uuid.uuid4().hex[:8]}"
    stage = staging_dir / run_id
    staging_dir.mkdir(parents=True, exist_ok=True)
    names = ", ".join(f'"{name}"' for name in COLUMNS)
    # One pass: drop uuids the lake holds and repeats within the chunk, write one file per day.
    written = connection.execute(
        f"""
        COPY (
            SELECT {names}, strftime(timestamp, '%Y-%m-%d') AS date
            FROM incoming
            WHERE uuid NOT IN ({known})
            QUALIFY row_number() OVER (PARTITION BY uuid ORDER BY timestamp) = 1
        ) TO '{stage.as_posix()}'
        (FORMAT PARQUET, PARTITION_BY (date), FILENAME_PATTERN 'part-{run_id}-{{i}}',
         COMPRESSION SNAPPY)
        """  # noqa: S608
    ).fetchone()[0]  # type: ignore[index]
    connection.close()
    for staged in sorted(stage.glob("date=*/*.parquet")) if stage.exists() else []:
        with open(staged, "rb") as handle:
            os.fsync(handle.fileno())
        target = lake_dir / staged.parent.name
        target.mkdir(parents=True, exist_ok=True)
        os.replace(staged, target / staged.name)
        _fsync_directory(target)
    if stage.exists():
        for folder in sorted(stage.glob("date=*")):
            folder.rmdir()
        stage.rmdir()
    return read, int(written), set(touched)


@dataclass(frozen=True)
class LakeStats:
    total: int
    per_day: dict[str, int]
    per_name: dict[str, int]


def lake_stats(*, events_dir: Path) -> LakeStats:
    """Distinct events in the lake: in all, per day (UTC) and per name."""
    files = sorted((events_dir / "lake").glob("date=*/*.parquet"))
    if not files:
        return LakeStats(total=0, per_day={}, per_name={})
    connection = _connect()
    listing = "[" + ", ".join(f"'{path.as_posix()}'" for path in files) + "]"
    connection.execute(
        f"CREATE TEMP VIEW lake AS SELECT *, strftime(timestamp, '%Y-%m-%d') AS day "  # noqa: S608
        f"FROM read_parquet({listing})"
    )
    total = connection.execute("SELECT count(DISTINCT uuid) FROM lake").fetchone()[0]  # type: ignore[index]
    per_day = dict(
        connection.execute("SELECT day, count(*) FROM lake GROUP BY day ORDER BY day").fetchall()
    )
    per_name = dict(
        connection.execute("SELECT name, count(*) FROM lake GROUP BY name ORDER BY name").fetchall()
    )
    connection.close()
    return LakeStats(total=total, per_day=per_day, per_name=per_name)
