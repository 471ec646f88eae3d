"""Rollup days as arrays by the step store's creator keys: a day's rows of a per-creator rollup,
with each external id replaced by its key, in an uncompressed Arrow file beside the step store's
day file (memory-mapped when read). Tiles that split creators by follower tier or experiment
variant, or group (creator, item) pairs, then work on integers — an array lookup of the creator
dimension by key, a sort of packed integers — instead of joining and grouping string ids in SQL.

Each file records the rollup file it was built from (size, modification time) and is read only
while that file is unchanged: a period with a rolled-up day whose file is missing or stale is
answered by the SQL, so answers never depend on these files, only their speed. ``prepare`` writes
them after the step store's upkeep (the insights task every 15 minutes, `academy insights
prepare`); a day whose rollup names a creator the store has no key for yet waits for the next
upkeep. Only days the step store has get one, and deleting a day's folder (erasure, the lake's
retention) deletes them too.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from academy.events.query import rollup_files
from academy.insights.funnel_store import (
    DAY_FILE,
    CreatorKeys,
    day_path,
    open_arrow,
    store_dir,
    write_arrow,
    writer_lock,
)

# What a build returns: the table and its metadata, or None when a creator has no key yet.
Built = tuple[pa.Table, dict[str, Any]] | None


@dataclass(frozen=True)
class KeyedRollup:
    """One kind of file: which rollup it is built from, its name in the day's folder, and how."""

    rollup: str
    file_name: str
    metadata_key: bytes
    version: int
    build: Callable[[pa.Table, CreatorKeys], Built]

    def path(self, events_dir: Path, day: str) -> Path:
        return day_path(events_dir, day).parent / self.file_name

    def _current(self, metadata: dict[str, Any], rollup_path: Path) -> bool:
        return metadata.get("version") == self.version and metadata.get("rollup") == _fingerprint(
            rollup_path
        )

    def prepare(self, events_dir: Path) -> int:
        """Write the file of every stored day whose rollup changed since it was written (or
        that has none); the number written."""
        written = 0
        with writer_lock(events_dir):
            keys: CreatorKeys | None = None
            for day, rollup_path in rollup_files(events_dir, self.rollup).items():
                target = self.path(events_dir, day)
                if not (target.parent / DAY_FILE).exists():
                    continue
                opened = open_arrow(target, self.metadata_key)
                if opened is not None and self._current(opened[1], rollup_path):
                    continue
                if keys is None:
                    keys = CreatorKeys.read(events_dir)
                built = self.build(pq.read_table(rollup_path), keys)
                if built is None:
                    continue  # a creator the store has not numbered yet: the next upkeep
                table, metadata = built
                metadata |= {"version": self.version, "rollup": _fingerprint(rollup_path)}
                encoded = {self.metadata_key: json.dumps(metadata).encode()}
                write_arrow(target, table.replace_schema_metadata(encoded))
                written += 1
        return written

    def erase(self, events_dir: Path, key: int) -> int:
        """Delete every file holding the creator with ``key`` (before the step store forgets
        it; the next upkeep rebuilds those days from the erased rollups); the number deleted."""
        deleted = 0
        with writer_lock(events_dir):
            for path in sorted(store_dir(events_dir).glob(f"date=*/{self.file_name}")):
                opened = open_arrow(path, self.metadata_key)
                if opened is None or (numpy_column(opened[0], "creator") == key).any():
                    path.unlink()
                    deleted += 1
        return deleted

    def read(
        self, events_dir: Path, first: str, last: str
    ) -> list[tuple[str, pa.Table, dict[str, Any]]] | None:
        """The files of the rolled-up days from ``first`` to ``last`` (day, table, metadata);
        None when one is missing or stale."""
        found = []
        for day, rollup_path in rollup_files(
            events_dir, self.rollup, start=first, end=last
        ).items():
            opened = open_arrow(self.path(events_dir, day), self.metadata_key)
            if opened is None or not self._current(opened[1], rollup_path):
                return None
            found.append((day, *opened))
        return found


def _fingerprint(path: Path) -> list[int]:
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns]


def numpy_column(table: pa.Table, name: str) -> Any:
    """A column of a one-batch memory-mapped table as a numpy view (no copy)."""
    found = table.column(name)
    array = found.chunk(0) if found.num_chunks == 1 else found.combine_chunks()
    return array.to_numpy()
