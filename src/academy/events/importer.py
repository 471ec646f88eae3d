"""`academy events import FILE`: events from a JSON-lines or Parquet file into the lake.

Every record is validated by the taxonomy's `parse_event` exactly as `POST /api/v1/events`
validates it; the file's storage shape is first mapped onto the API's JSON: the lake's flat
``region``/``language``/``platform``/``app_version`` become ``context``, JSON text in
``experiments``/``properties`` is parsed, Parquet timestamps become ISO text. Valid events go
to the lake in chunks through `append_to_lake` (so a file of any size streams), invalid ones are
reported by line or row. Uuid deduplication makes a second run of the same file import nothing
new, so an interrupted import is finished by running it again.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq  # type: ignore[import-untyped]

from academy.events.lake import append_to_lake, records_table
from academy.events.rollups import rollup_days
from academy.events.taxonomy import EventProblem, parse_event

FORMATS = ("jsonl", "parquet")
EXTENSIONS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet", ".pq": "parquet"}
CHUNK_ROWS = 500_000  # events appended to the lake at a time
ROW_GROUP = 20_000  # events held in memory at a time
MAX_PROBLEMS = 20
CONTEXT_FIELDS = ("region", "language", "platform", "app_version")

# progress(stage, done, total): stage "read" counts bytes (JSON lines) or rows (Parquet) of the
# file, stage "rollup" counts days.
ImportProgress = Callable[[str, int, int], None]


class ImportFileError(ValueError):
    """The file cannot be imported at all (missing, unknown format, not Parquet…)."""


@dataclass(frozen=True)
class ImportProblem:
    where: str  # "line 12" or "row 12"
    field: str
    detail: str


@dataclass
class ImportRun:
    read: int = 0
    imported: int = 0
    duplicates: int = 0
    rejected: int = 0
    expired: int = 0
    days: list[str] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    interrupted: bool = False


def guess_format(path: Path) -> str:
    found = EXTENSIONS.get(path.suffix.lower())
    if found is None:
        raise ImportFileError(
            f"Cannot tell the format of {path.name} from its extension: "
            "pass --format jsonl or --format parquet."
        )
    return found


def import_total(path: Path, fmt: str) -> int:
    """The size the "read" progress counts to: bytes of a JSON-lines file, rows of a Parquet one."""
    if fmt == "parquet":
        return int(_parquet(path).metadata.num_rows)
    return path.stat().st_size


def _parquet(path: Path) -> pq.ParquetFile:
    try:
        return pq.ParquetFile(path)
    except (OSError, ValueError) as error:
        raise ImportFileError(f"{path.name} is not a readable Parquet file: {error}") from None


# One record read from the file: its position ("line 3"), how far the reading got (bytes or
# rows), and the raw value or the reason it could not be read.
Read = tuple[str, int, Any]


def _jsonl_records(path: Path) -> Iterator[Read]:
    done = 0
    with open(path, "rb") as handle:
        for number, line in enumerate(handle, start=1):
            done += len(line)
            if not line.strip():
                continue
            try:
                yield f"line {number}", done, json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError) as error:
                yield f"line {number}", done, EventProblem("event", f"Not JSON: {error}.")


def _parquet_records(path: Path) -> Iterator[Read]:
    row = 0
    for batch in _parquet(path).iter_batches(batch_size=ROW_GROUP):
        for record in batch.to_pylist():
            row += 1
            yield f"row {row}", row, record


def _api_shape(record: Any) -> Any:
    """The record as the API would receive it (see the module docstring)."""
    if not isinstance(record, dict):
        return record
    shaped = dict(record)
    if "context" not in shaped and any(key in shaped for key in CONTEXT_FIELDS):
        shaped["context"] = {
            key: shaped.pop(key) for key in CONTEXT_FIELDS if shaped.get(key) is not None
        }
    for key in ("experiments", "properties"):
        if isinstance(shaped.get(key), str):
            try:
                shaped[key] = json.loads(shaped[key])
            except json.JSONDecodeError:
                raise EventProblem(key, f"'{key}' holds text that is not JSON.") from None
    if isinstance(shaped.get("timestamp"), datetime):
        shaped["timestamp"] = shaped["timestamp"].isoformat()
    return shaped


class _Staging:
    """Valid events on their way to the lake: written to a scratch Parquet file a row group at a
    time (so memory stays small), then appended to the lake every ``chunk_rows`` events."""

    def __init__(self, *, scratch: Path, events_dir: Path, keep_from: date | None) -> None:
        self.path = scratch / "events.parquet"
        self.events_dir = events_dir
        self.keep_from = keep_from
        self.group: list[dict[str, Any]] = []
        self.writer: pq.ParquetWriter | None = None
        self.rows = 0
        self.days: set[str] = set()

    def add(self, record: dict[str, Any]) -> None:
        self.group.append(record)
        if len(self.group) >= ROW_GROUP:
            self._write_group()

    def _write_group(self) -> None:
        if not self.group:
            return
        table = records_table(self.group)
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.path, table.schema)
        self.writer.write_table(table)
        self.rows += len(self.group)
        # Known before the append: if it is interrupted, these days are rolled up all the same.
        self.days.update(record["timestamp"].date().isoformat() for record in self.group)
        self.group.clear()

    def commit(self, run: ImportRun) -> None:
        self._write_group()
        if self.writer is None:
            return
        self.writer.close()
        self.writer = None
        written = append_to_lake(
            events_dir=self.events_dir, table=self.path, keep_from=self.keep_from
        )
        self.path.unlink()
        self.rows = 0
        run.imported += written.written
        run.duplicates += written.duplicates
        run.expired += written.expired

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def events_import(
    *,
    path: Path,
    fmt: str,
    events_dir: Path,
    now: datetime,
    keep_from: date | None,
    chunk_rows: int = CHUNK_ROWS,
    max_problems: int = MAX_PROBLEMS,
    progress: ImportProgress | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> ImportRun:
    """Validate and import every event of the file, then recompute the rollups of its days.

    Valid events reach the lake every ``chunk_rows`` events. ``should_stop`` is checked after
    each record: when it answers True the import writes the events in hand, rolls up what it
    wrote and returns with ``interrupted`` set.
    """
    if not path.is_file():
        raise ImportFileError(f"No file at {path}.")
    if fmt not in FORMATS:
        raise ImportFileError(f"Unknown format {fmt!r}: one of {', '.join(FORMATS)}.")
    total = import_total(path, fmt)
    records = _jsonl_records(path) if fmt == "jsonl" else _parquet_records(path)
    run = ImportRun()
    events_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=events_dir, prefix=".import-") as scratch:
        staging = _Staging(scratch=Path(scratch), events_dir=events_dir, keep_from=keep_from)
        try:
            done = 0
            for where, done, raw in records:
                run.read += 1
                try:
                    if isinstance(raw, EventProblem):
                        raise raw
                    event = parse_event(_api_shape(raw), now=now)
                    # The lake wants the time itself; as_record's ISO text would be parsed back.
                    staging.add({**event.as_record(), "timestamp": event.timestamp})
                except EventProblem as problem:
                    run.rejected += 1
                    if len(run.problems) < max_problems:
                        run.problems.append(ImportProblem(where, problem.field, problem.detail))
                stop = should_stop()
                if stop or staging.rows + len(staging.group) >= chunk_rows:
                    staging.commit(run)
                    if progress:
                        progress("read", done, total)
                    if stop:
                        run.interrupted = True
                        break
                elif progress and run.read % 1000 == 0:
                    progress("read", done, total)
            else:
                staging.commit(run)
                if progress:
                    progress("read", total, total)
        finally:
            staging.close()
            floor = keep_from.isoformat() if keep_from else ""
            run.days = sorted(day for day in staging.days if day >= floor)
            for number, day in enumerate(run.days, start=1):
                rollup_days(events_dir=events_dir, days=[day])
                if progress:
                    progress("rollup", number, len(run.days))
    return run
