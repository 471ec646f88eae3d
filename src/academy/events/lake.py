"""The lake: capture segments compacted into day-partitioned Parquet, each uuid exactly once.

``<events dir>/lake/date=YYYY-MM-DD/part-*.parquet``, partitioned by event time in UTC, so a
late event lands in its own day. Compaction is idempotent and crash-safe: new Parquet files are
written to a staging folder and renamed into place before the segments they came from are
deleted, and rows whose uuid is already in the lake are dropped — so a crash between the two
steps, or the same event sent twice, never counts an event twice.

`append_to_lake` writes an Arrow table or a Parquet file of already-validated events through the
same code (imports, the simulator). Both refuse events of days the lake no longer keeps: once
retention has dropped raw days, `_raw_kept_from` in the lake names the first day kept, and an
older event is counted as expired rather than starting a partial day again. Writers of the lake
(compaction, appends, retention, erasure) take one file lock, across processes.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]

from academy.events.capture import OPEN_SUFFIX, sealed_segments
from academy.files import durable_replace, fsync_directory

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
_ARROW_TYPES = {
    "VARCHAR": pa.string(),
    "TIMESTAMPTZ": pa.timestamp("us", tz="UTC"),
    "INTEGER": pa.int32(),
    "JSON": pa.string(),  # JSON text; the lake stores it with DuckDB's JSON type
}
ARROW_SCHEMA = pa.schema([(name, _ARROW_TYPES[kind]) for name, kind in COLUMNS.items()])
SEGMENTS_PER_RUN = 256
# An append is written a few whole days at a time, each batch at most about this many rows.
ROWS_PER_APPEND_BATCH = 2_000_000
OPEN_SEGMENT = re.compile(r"^(?P<host>.+)-(?P<pid>\d+)-(?P<started>\d+)-(?P<n>\d+)\.jsonl\.open$")
KEPT_FROM_FILE = "_raw_kept_from"
LOCK_FILE = "lake.lock"

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class CompactionRun:
    """What one compaction or append did. ``days``: the days its events touched (recompute
    their rollups); ``expired``: events of days older than what the lake keeps, dropped."""

    segments: int
    read: int
    written: int
    duplicates: int
    days: list[str]
    expired: int = 0


def _connect() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    return connection


def _sql_path(path: Path) -> str:
    return path.as_posix().replace("'", "''")


_held = threading.local()


@contextmanager
def lake_lock(events_dir: Path) -> Iterator[None]:
    """Hold the lake's writer lock: one of compaction, append, retention or erasure at a time,
    across processes, so none of them sees another half done. Re-entrant within a thread."""
    held: set[Path] = _held.__dict__.setdefault("dirs", set())
    key = events_dir.resolve()
    if key in held:
        yield
        return
    events_dir.mkdir(parents=True, exist_ok=True)
    with open(events_dir / LOCK_FILE, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        held.add(key)
        try:
            yield
        finally:
            held.discard(key)
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def raw_kept_from(events_dir: Path) -> date | None:
    """The first day whose raw events the lake keeps, once retention has dropped older days."""
    try:
        text = (events_dir / "lake" / KEPT_FROM_FILE).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return date.fromisoformat(text)


def record_raw_kept_from(events_dir: Path, day: date) -> None:
    """Durably move the lake's first kept day forward (never back: dropped days stay dropped)."""
    current = raw_kept_from(events_dir)
    if current is not None and current >= day:
        return
    with durable_replace(events_dir / "lake" / KEPT_FROM_FILE) as temporary:
        temporary.write_text(day.isoformat() + "\n", encoding="utf-8")


def _later(first: date | None, second: date | None) -> date | None:
    return max((day for day in (first, second) if day is not None), default=None)


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
        fsync_directory(capture_dir)
    return recovered


def _lake_files(lake_dir: Path, day: str) -> list[Path]:
    return sorted((lake_dir / f"date={day}").glob("*.parquet"))


@dataclass
class _Totals:
    segments: int = 0
    read: int = 0
    written: int = 0
    expired: int = 0

    def run(self, days: set[str]) -> CompactionRun:
        return CompactionRun(
            segments=self.segments,
            read=self.read,
            written=self.written,
            duplicates=self.read - self.written - self.expired,
            days=sorted(days),
            expired=self.expired,
        )


def compact(
    *, events_dir: Path, progress: Progress | None = None, keep_from: date | None = None
) -> CompactionRun:
    """Move every sealed segment into the lake, dropping uuids the lake already holds, and
    events of days before ``keep_from`` (or before what the lake keeps) as expired."""
    capture_dir = events_dir / "capture"
    capture_dir.mkdir(parents=True, exist_ok=True)
    with lake_lock(events_dir):
        recover_abandoned_segments(capture_dir)
    segments = sealed_segments(capture_dir)
    totals = _Totals()
    days: set[str] = set()
    for start in range(0, len(segments), SEGMENTS_PER_RUN):
        with lake_lock(events_dir):
            # Another compactor may have moved some of them meanwhile.
            chunk = [path for path in segments[start : start + SEGMENTS_PER_RUN] if path.exists()]
            if chunk:
                connection = _connect()
                columns = ", ".join(f"'{name}': '{kind}'" for name, kind in COLUMNS.items())
                files = ", ".join(f"'{_sql_path(path)}'" for path in chunk)
                connection.execute(
                    f"CREATE TEMP TABLE incoming AS SELECT * "  # noqa: S608
                    f"FROM read_json([{files}], format = 'newline_delimited', "
                    f"columns = {{{columns}}})"
                )
                written = _write_incoming(connection, events_dir=events_dir, keep_from=keep_from)
                connection.close()
                # The lake now holds these events durably: the segments can go.
                for segment in chunk:
                    segment.unlink()
                fsync_directory(capture_dir)
                totals.segments += len(chunk)
                totals.read += written.read
                totals.written += written.written
                totals.expired += written.expired
                days |= written.days
        if progress:
            progress(min(start + SEGMENTS_PER_RUN, len(segments)), len(segments))
    return totals.run(days)


def records_table(records: Sequence[Mapping[str, Any]]) -> pa.Table:
    """Event records (the ``Event.as_record()`` shape) as an Arrow table of the lake's columns."""
    columns: dict[str, list[Any]] = {}
    for name, kind in COLUMNS.items():
        values = [record.get(name) for record in records]
        if kind == "JSON":
            values = [
                None if value is None else json.dumps(value, separators=(",", ":"))
                for value in values
            ]
        elif kind == "TIMESTAMPTZ":
            values = [datetime.fromisoformat(v) if isinstance(v, str) else v for v in values]
        columns[name] = values
    return pa.Table.from_pydict(columns, schema=ARROW_SCHEMA)


def append_to_lake(
    *,
    events_dir: Path,
    table: pa.Table | Path | str,
    progress: Progress | None = None,
    keep_from: date | None = None,
) -> CompactionRun:
    """Write validated events straight into the lake, with compaction's guarantees.

    ``table`` is an Arrow table or a Parquet file with the lake's COLUMNS (extra columns are
    ignored). Uuids the lake holds and repeats within the input are dropped; events of days
    before ``keep_from`` (or before what the lake keeps) are counted as expired. The input is
    checked whole before anything is written, then written a few days at a time, each batch
    staged, fsynced and renamed; ``progress(rows done, rows)`` follows. As after compaction,
    the caller recomputes the rollups of ``run.days``.
    """
    connection = _connect()
    try:
        if isinstance(table, pa.Table):
            connection.register("source_rows", table)
            source = "source_rows"
        else:
            path = Path(table)
            if not path.is_file():
                raise FileNotFoundError(f"No Parquet file at {path}.")
            source = f"read_parquet('{_sql_path(path)}', hive_partitioning = false)"
        described = connection.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()  # noqa: S608
        missing = [name for name in COLUMNS if name not in {row[0] for row in described}]
        if missing:
            raise ValueError(f"The events lack the lake's columns: {', '.join(missing)}.")
        casts = ", ".join(f'CAST("{name}" AS {kind}) AS "{name}"' for name, kind in COLUMNS.items())
        connection.execute(f"CREATE TEMP VIEW source AS SELECT {casts} FROM {source}")  # noqa: S608
        # One pass that casts every column, so bad input fails before anything is written.
        try:
            per_day = connection.execute(
                "SELECT strftime(timestamp, '%Y-%m-%d') AS day, count(*), count(uuid), "
                "count(COLUMNS(*)) FROM source GROUP BY day ORDER BY day"
            ).fetchall()
        except duckdb.Error as error:
            raise ValueError(f"The events do not fit the lake's columns: {error}") from None
        if any(row[0] is None or row[1] != row[2] for row in per_day):
            raise ValueError("Every event needs a uuid and a timestamp.")
        total = sum(int(row[1]) for row in per_day)
        totals = _Totals(read=total)
        floor = _later(keep_from, raw_kept_from(events_dir))
        # The floor only moves forward: days before it now are expired whatever happens next.
        counts = [(str(row[0]), int(row[1])) for row in per_day]
        totals.expired = sum(n for day, n in counts if floor and day < floor.isoformat())
        done = totals.expired
        days: set[str] = set()
        for first, last, rows in _day_batches(
            [(day, n) for day, n in counts if not floor or day >= floor.isoformat()]
        ):
            with lake_lock(events_dir):
                connection.execute(
                    "CREATE OR REPLACE TEMP TABLE incoming AS SELECT * FROM source "
                    "WHERE timestamp >= CAST(? AS DATE) AND timestamp < CAST(? AS DATE) + 1",
                    [first, last],
                )
                written = _write_incoming(connection, events_dir=events_dir, keep_from=keep_from)
                connection.execute("DROP TABLE incoming")
            totals.written += written.written
            totals.expired += written.expired
            days |= written.days
            done += rows
            if progress:
                progress(done, total)
        return totals.run(days)
    finally:
        connection.close()


def _day_batches(counts: list[tuple[str, int]]) -> Iterator[tuple[str, str, int]]:
    """Consecutive runs of whole days holding about ROWS_PER_APPEND_BATCH rows each."""
    batch: list[tuple[str, int]] = []
    for day, rows in counts:
        if batch and sum(n for _day, n in batch) + rows > ROWS_PER_APPEND_BATCH:
            yield batch[0][0], batch[-1][0], sum(n for _day, n in batch)
            batch = []
        batch.append((day, rows))
    if batch:
        yield batch[0][0], batch[-1][0], sum(n for _day, n in batch)


@dataclass(frozen=True)
class _Written:
    read: int
    written: int
    expired: int
    days: set[str]


def _write_incoming(
    connection: duckdb.DuckDBPyConnection, *, events_dir: Path, keep_from: date | None
) -> _Written:
    """Write the temporary table ``incoming`` into the lake; the caller holds the lake lock.

    Events of days the lake does not keep are expired; uuids the lake holds for the touched
    days and repeats within ``incoming`` are dropped; one staged file per day is fsynced and
    renamed into place, in one DuckDB pass.
    """
    lake_dir = events_dir / "lake"
    staging_dir = events_dir / "staging"
    floor = _later(keep_from, raw_kept_from(events_dir))
    kept = "true" if floor is None else f"CAST(timestamp AS DATE) >= DATE '{floor.isoformat()}'"
    read, expired = connection.execute(
        f"SELECT count(*), count(*) FILTER (WHERE NOT ({kept})) FROM incoming"  # noqa: S608
    ).fetchone() or (0, 0)
    touched = [
        str(row[0])
        for row in connection.execute(
            f"SELECT DISTINCT strftime(timestamp, '%Y-%m-%d') FROM incoming WHERE {kept}"  # noqa: S608
        ).fetchall()
    ]
    existing = [path for day in touched for path in _lake_files(lake_dir, day)]
    known = (
        "SELECT uuid FROM read_parquet(["  # noqa: S608
        + ", ".join(f"'{_sql_path(path)}'" for path in existing)
        + "], hive_partitioning = false) WHERE uuid IS NOT NULL"
        if existing
        else "SELECT NULL::VARCHAR AS uuid WHERE false"
    )
    run_id = f"{time.time_ns()}-{uuid.uuid4().hex[:8]}"
    stage = staging_dir / run_id
    staging_dir.mkdir(parents=True, exist_ok=True)
    names = ", ".join(f'"{name}"' for name in COLUMNS)
    # One pass: drop uuids the lake holds and repeats within the batch, write one file per day.
    copied = connection.execute(
        f"""
        COPY (
            SELECT {names}, strftime(timestamp, '%Y-%m-%d') AS date
            FROM incoming
            WHERE {kept} AND uuid NOT IN ({known})
            QUALIFY row_number() OVER (PARTITION BY uuid ORDER BY timestamp) = 1
        ) TO '{_sql_path(stage)}'
        (FORMAT PARQUET, PARTITION_BY (date), FILENAME_PATTERN 'part-{run_id}-{{i}}',
         COMPRESSION SNAPPY)
        """  # noqa: S608
    ).fetchone()
    for staged in sorted(stage.glob("date=*/*.parquet")) if stage.exists() else []:
        with open(staged, "rb") as handle:
            os.fsync(handle.fileno())
        target = lake_dir / staged.parent.name
        target.mkdir(parents=True, exist_ok=True)
        os.replace(staged, target / staged.name)
        fsync_directory(target)
    if stage.exists():
        for folder in sorted(stage.glob("date=*")):
            folder.rmdir()
        stage.rmdir()
    return _Written(
        read=int(read),
        written=int(copied[0]) if copied else 0,
        expired=int(expired),
        days=set(touched),
    )


@dataclass(frozen=True)
class LakeStats:
    total: int
    per_day: dict[str, int]
    per_name: dict[str, int]


def lake_stats(*, events_dir: Path) -> LakeStats:
    """Distinct events in the lake: in all, per day (UTC) and per name."""
    # Imported here: the query layer reads this module's COLUMNS.
    from academy.events.query import DuckDBEngine

    with DuckDBEngine() as engine:
        if not engine.register_lake(events_dir):
            return LakeStats(total=0, per_day={}, per_name={})
        ((total,),) = engine.query("SELECT COUNT(DISTINCT uuid) FROM events")
        per_day = dict(engine.query("SELECT day, COUNT(*) FROM events GROUP BY day ORDER BY day"))
        per_name = dict(
            engine.query("SELECT name, COUNT(*) FROM events GROUP BY name ORDER BY name")
        )
    return LakeStats(total=total, per_day=per_day, per_name=per_name)
