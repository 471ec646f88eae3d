"""The creator dimension by the funnel step store's creator keys, so a funnel's breakdown by
follower tier or experiment variant (and its follower-tier filter) is an array lookup per creator
instead of a join of the reached creators' external ids with the 1M-creator snapshot (0.3 s per
period at 100M events, most of it hashing a million ids).

``<events dir>/funnel_steps/dimension/tiers.arrow``: ``follower_tier`` (dictionary-encoded, null
for a creator the snapshot lacks), row n for key n, for the keys there were when it was built.
``…/dimension/assignments.arrow``: ``creator`` (key), ``experiment``, ``variation``. Both record
the snapshot files (``academy.insights.dimensions``) they were built from by size and
modification time and are read only while those are unchanged; otherwise, and for keys added
since, the snapshot is read and matched here. A key never passes to another creator, so an
older file stays right for the keys it has. ``dimension_align`` writes them after the snapshot
and after the step store's upkeep (the insights tasks, `academy insights prepare`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from academy.insights.funnel_store import (
    CreatorKeys,
    Integers,
    StepEvents,
    open_arrow,
    store_dir,
    write_arrow,
)

DIRECTORY = "dimension"
TIERS = "tiers.arrow"
ASSIGNMENTS = "assignments.arrow"
METADATA = b"academy.funnel_dimension"
VERSION = 1


@dataclass(frozen=True)
class Snapshot:
    """The creator dimension's two files (``academy.insights.dimensions.dimension_path``)."""

    creators: Path
    assignments: Path

    def fingerprint(self) -> list[list[int]] | None:
        """Size and modification time of each file; None if one is missing."""
        try:
            stats = [self.creators.stat(), self.assignments.stat()]
        except FileNotFoundError:
            return None
        return [[stat.st_size, stat.st_mtime_ns] for stat in stats]

    def read(self) -> tuple[pa.Table, pa.Table]:
        """Both files as tables (empty ones for missing files)."""
        tables = []
        for path, columns in (
            (self.creators, ("creator_id", "follower_tier")),
            (self.assignments, ("creator_id", "experiment", "variation")),
        ):
            if path.exists():
                tables.append(pq.read_table(path, columns=list(columns)))
            else:
                tables.append(pa.table({name: pa.array([], pa.string()) for name in columns}))
        return tables[0], tables[1]


def _dictionary(column: pa.ChunkedArray | pa.Array) -> pa.DictionaryArray:
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    return pc.dictionary_encode(array.cast(pa.string()))


class CreatorDimension:
    """Follower tier per key (``tier_codes``, -1 for none, into ``tier_values``) for the first
    ``len(tier_codes)`` keys, and the assignments of keyed creators (``assigned``: rows of
    ``creator``, ``experiment``, ``variation``)."""

    def __init__(self, tiers: pa.DictionaryArray, assigned: pa.Table, snapshot: Snapshot) -> None:
        self.tier_codes: npt.NDArray[np.int64] = (
            tiers.indices.fill_null(-1).to_numpy().astype(np.int64)
        )
        self.tier_values: list[str] = tiers.dictionary.to_pylist()
        self.assigned = assigned
        self.snapshot = snapshot
        self._tables: tuple[pa.Table, pa.Table] | None = None

    @classmethod
    def build(cls, keys: CreatorKeys, snapshot: Snapshot) -> CreatorDimension:
        """Match the snapshot's external ids with every key's."""
        creators, assignments = snapshot.read()
        at = pc.index_in(keys.ids.cast(pa.string()), value_set=creators.column("creator_id"))
        tiers = _dictionary(creators.column("follower_tier").take(at))
        key = pc.index_in(assignments.column("creator_id"), value_set=keys.ids.cast(pa.string()))
        kept = key.is_valid()
        assigned = pa.table(
            {
                "creator": key.filter(kept).cast(pa.int64()),
                "experiment": _dictionary(assignments.column("experiment").filter(kept)),
                "variation": _dictionary(assignments.column("variation").filter(kept)),
            }
        )
        return cls(tiers, assigned, snapshot)

    @classmethod
    def read(cls, events_dir: Path, snapshot: Snapshot) -> CreatorDimension:
        """The aligned files while they match the snapshot, else the snapshot matched now."""
        fingerprint = snapshot.fingerprint()
        directory = store_dir(events_dir) / DIRECTORY
        opened = [open_arrow(directory / name, METADATA) for name in (TIERS, ASSIGNMENTS)]
        if fingerprint is not None and all(
            found is not None
            and found[1].get("version") == VERSION
            and found[1].get("snapshot") == fingerprint
            for found in opened
        ):
            tiers, assigned = (found[0] for found in opened if found is not None)
            column = tiers.column("follower_tier")
            return cls(
                column.chunk(0) if column.num_chunks == 1 else column.combine_chunks(),
                assigned,
                snapshot,
            )
        return cls.build(CreatorKeys.read(events_dir), snapshot)

    def _snapshot_tables(self) -> tuple[pa.Table, pa.Table]:
        if self._tables is None:
            self._tables = self.snapshot.read()
        return self._tables

    def _unaligned(self, keys: Integers) -> npt.NDArray[np.bool_]:
        unaligned: npt.NDArray[np.bool_] = keys >= len(self.tier_codes)
        return unaligned

    def follower_tiers(
        self, events: StepEvents, keys: Integers
    ) -> tuple[npt.NDArray[np.int64], list[str]]:
        """Each key's tier as a code into the returned values; -1 for none."""
        codes = np.full(len(keys), -1, dtype=np.int64)
        aligned = ~self._unaligned(keys)
        codes[aligned] = self.tier_codes[keys[aligned]]
        values = list(self.tier_values)
        later = np.flatnonzero(~aligned)
        if len(later):
            # Keys numbered since the files were aligned, or only in lake files the store lacks.
            creators, _assignments = self._snapshot_tables()
            at = pc.index_in(events.ids_of(keys[later]), value_set=creators.column("creator_id"))
            found = _dictionary(creators.column("follower_tier").take(at))
            # A null index (no tier) is -1, and the remap's last entry is -1.
            remap = np.array(
                [*(_code(values, value) for value in found.dictionary.to_pylist()), -1],
                dtype=np.int64,
            )
            codes[later] = remap[found.indices.fill_null(-1).to_numpy()]
        return codes, values

    def variations(
        self, events: StepEvents, keys: Integers, experiment: str
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], list[str]]:
        """The creators of ``keys`` (sorted, distinct) assigned to ``experiment``: their positions
        in ``keys`` (one per assignment) and their variation as a code into the returned
        values."""
        rows = self.assigned.filter(pc.equal(self.assigned.column("experiment"), experiment))
        variation = _dictionary(rows.column("variation"))
        values = variation.dictionary.to_pylist()
        creator = rows.column("creator").to_numpy()
        at = np.searchsorted(keys, creator)
        found = at < len(keys)
        found[found] &= keys[at[found]] == creator[found]
        positions = [at[found]]
        codes = [variation.indices.to_numpy().astype(np.int64)[found]]
        later = np.flatnonzero(self._unaligned(keys))
        if len(later):
            _creators, assignments = self._snapshot_tables()
            mine = assignments.filter(pc.equal(assignments.column("experiment"), experiment))
            at_later = pc.index_in(mine.column("creator_id"), value_set=events.ids_of(keys[later]))
            hit = at_later.is_valid()
            extra = _dictionary(mine.column("variation").filter(hit))
            remap = np.array(
                [*(_code(values, value) for value in extra.dictionary.to_pylist()), -1],
                dtype=np.int64,
            )
            positions.append(later[at_later.filter(hit).to_numpy()])
            codes.append(remap[extra.indices.to_numpy()])
        return np.concatenate(positions), np.concatenate(codes), values


def _code(values: list[str], value: str) -> int:
    """The code of ``value`` in ``values``, appended if new."""
    if value not in values:
        values.append(value)
    return values.index(value)


def dimension_align(*, events_dir: Path, snapshot: Snapshot) -> dict[str, Any]:
    """Write the creator dimension by key for the store's keys and the snapshot as they are."""
    fingerprint = snapshot.fingerprint()
    if fingerprint is None:
        return {"aligned_keys": 0}
    keys = CreatorKeys.read(events_dir)
    dimension = CreatorDimension.build(keys, snapshot)
    metadata = {METADATA: json.dumps({"version": VERSION, "snapshot": fingerprint}).encode()}
    directory = store_dir(events_dir) / DIRECTORY
    tiers = pa.table(
        {
            "follower_tier": pa.DictionaryArray.from_arrays(
                pa.array(dimension.tier_codes, mask=dimension.tier_codes < 0).cast(pa.int32()),
                pa.array(dimension.tier_values, pa.string()),
            )
        }
    )
    write_arrow(directory / TIERS, tiers.replace_schema_metadata(metadata))
    write_arrow(directory / ASSIGNMENTS, dimension.assigned.replace_schema_metadata(metadata))
    return {"aligned_keys": len(keys)}


def dimension_erase(*, events_dir: Path) -> int:
    """Delete the aligned files (rebuilt at the next upkeep; until then the snapshot is read)."""
    deleted = 0
    for name in (TIERS, ASSIGNMENTS):
        path = store_dir(events_dir) / DIRECTORY / name
        if path.exists():
            path.unlink()
            deleted += 1
    return deleted
