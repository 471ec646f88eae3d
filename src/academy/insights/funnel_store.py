"""The funnels' step store: each lake day's signed-in events as arrays — creator key, time and
context — in blocks by event name and entry point, so a funnel reads only its steps' events and
decodes no Parquet (reading them from the lake took 1.5-6.5 s per funnel tile at 100M events).

``<events dir>/funnel_steps/date=YYYY-MM-DD/part.arrow`` is an uncompressed Arrow IPC file of
one record batch, memory-mapped when read. Its rows are ``creator`` (an int64 key), ``micros``
(the timestamp in µs since the epoch) and the context (``region``, ``language``, ``platform``,
``item_kind``, ``item_id``, dictionary-encoded; a missing value is ''), grouped in blocks by
event name and entry point (the metadata lists each block's rows): first each creator's first
events of the day (every one at their earliest instant), then their first events of each item
kind those lack (every one at the kind's earliest instant), then the rest, each sorted by
creator and time. Keys come from ``funnel_steps/creators.arrow`` (row n is the external id
whose key is n), shared by every day so a period's days line up by key; a key never passes to
another creator.

A day's file records the lake files it was built from (name, size, modification time).
``StepEvents`` reads it only while those files are unchanged, and reads the day's other lake
files (compacted since, or a day never prepared) from the lake: answers never depend on the
store, only their speed. ``funnel_steps_prepare`` (the insights task every 15 minutes and
`academy insights prepare`) rebuilds each day whose file misses a lake file or is stale, deletes
days the lake no longer has (the store keeps no raw event longer than the lake) and forgets the
ids of keys no day uses. ``steps_export`` and ``steps_erase`` are its part of export and
erasure.
"""

from __future__ import annotations

import json
import shutil
from bisect import bisect_right
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property, partial
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]

from academy.events.query import DAY, DuckDBEngine, check_day, lake_files
from academy.files import durable_replace, exclusive_lock

STORE = "funnel_steps"
DAY_FILE = "part.arrow"
KEYS_FILE = "creators.arrow"
LOCK_FILE = "prepare.lock"
# Recorded in each day file; a file of another version is rebuilt and not read. 2: the item
# kinds' first events apart.
VERSION = 2
METADATA = b"academy.funnel_steps"
CONTEXT = ("region", "language", "platform", "item_kind", "item_id")
# What a funnel filters or breaks its step events down by: the context and the entry point.
CONTEXT_COLUMNS = (*CONTEXT, "entry_point")

Keys = npt.NDArray[np.int64]
# No time: later than every event.
NEVER = np.iinfo(np.int64).max
Integers = npt.NDArray[np.integer[Any]]
# A context column of some rows: each row's code and the value of each code.
Coded = tuple[Integers, Sequence[str]]


def store_dir(events_dir: Path) -> Path:
    return events_dir / STORE


def day_path(events_dir: Path, day: str) -> Path:
    return store_dir(events_dir) / f"date={check_day(day)}" / DAY_FILE


def write_arrow(target: Path, data: pa.RecordBatch | pa.Table) -> None:
    """Replace ``target`` durably with ``data`` as an uncompressed Arrow IPC file."""
    with (
        durable_replace(target) as temporary,
        pa.OSFile(temporary.as_posix(), "wb") as sink,
        pa.ipc.new_file(sink, data.schema) as writer,
    ):
        writer.write(data)


def _mapped(path: Path) -> Any:
    return pa.ipc.open_file(pa.memory_map(path.as_posix()))


def open_arrow(path: Path, key: bytes) -> tuple[pa.Table, dict[str, Any]] | None:
    """A file of ``write_arrow``, memory-mapped, and the JSON in its schema's metadata under
    ``key``; None if there is no such file."""
    try:
        table = _mapped(path).read_all()
    except (FileNotFoundError, pa.ArrowInvalid):
        return None
    return table, json.loads((table.schema.metadata or {}).get(key, b"{}"))


def writer_lock(events_dir: Path) -> AbstractContextManager[None]:
    """One writer of the store at a time across processes: the task, the command, erasure."""
    return exclusive_lock(store_dir(events_dir) / LOCK_FILE)


# --- creator keys ------------------------------------------------------------------------------


class CreatorKeys:
    """``creators.arrow``: row n holds the external id of the creator whose key is n, null once
    forgotten. Keys are only added, after the ids they number and before any day file uses
    them, so keys read after a day file cover every key it holds."""

    def __init__(self, ids: pa.Array) -> None:
        self.ids = ids

    @classmethod
    def read(cls, events_dir: Path) -> CreatorKeys:
        path = store_dir(events_dir) / KEYS_FILE
        if not path.exists():
            return cls(pa.array([], pa.string()))
        column = _mapped(path).read_all().column("creator_id")
        # One batch: its memory-mapped array as it is (combining would copy every id).
        return cls(column.chunk(0) if column.num_chunks == 1 else column.combine_chunks())

    def __len__(self) -> int:
        return len(self.ids)

    def lookup(self, ids: pa.Array) -> Keys:
        """The key of each of ``ids`` (distinct external ids); -1 for one without a key."""
        keys = np.full(len(ids), -1, dtype=np.int64)
        if len(ids) and len(self.ids):
            # Every key's id is probed against the wanted ones: a hash table of the (usually
            # few) wanted ids rather than of every creator.
            found = pc.index_in(self.ids, value_set=ids)
            rows = np.flatnonzero(found.is_valid().to_numpy(zero_copy_only=False))
            keys[found.filter(found.is_valid()).to_numpy()] = rows
        return keys

    def with_new(self, ids: pa.Array) -> tuple[CreatorKeys, Keys]:
        """These keys and a new key for each of ``ids`` (distinct) that has none; their keys."""
        keys = self.lookup(ids)
        missing = np.flatnonzero(keys < 0)
        if not len(missing):
            return self, keys
        keys[missing] = np.arange(len(self), len(self) + len(missing))
        added = ids.take(pa.array(missing)).cast(pa.string())
        return CreatorKeys(pa.concat_arrays([self.ids.cast(pa.string()), added])), keys

    def forget(self, unused: npt.NDArray[np.bool_]) -> CreatorKeys:
        """These keys with the ids of the ``unused`` ones (a mask over keys) forgotten."""
        nulls = pa.nulls(len(self), pa.string())
        return CreatorKeys(pc.if_else(pa.array(unused), nulls, self.ids.cast(pa.string())))

    def write(self, events_dir: Path) -> None:
        batch = pa.RecordBatch.from_pydict({"creator_id": self.ids.cast(pa.string())})
        write_arrow(store_dir(events_dir) / KEYS_FILE, batch)


# --- day files ---------------------------------------------------------------------------------


def _fingerprint(paths: Sequence[Path]) -> dict[str, list[int]]:
    found = {}
    for path in paths:
        stat = path.stat()
        found[path.name] = [stat.st_size, stat.st_mtime_ns]
    return found


@dataclass(frozen=True)
class Block:
    """A day file's rows of one event name and entry point: from ``start``, ``firsts`` rows of
    each creator's first events of the day, ``kinds`` rows of their first events of each other
    item kind, then ``rest`` more; ``last``: the latest time."""

    name: str
    entry_point: str
    start: int
    firsts: int
    kinds: int
    rest: int
    last: int


class DayFile:
    """One day of the store, memory-mapped: one record batch, its blocks in the metadata."""

    def __init__(self, path: Path, reader: Any, metadata: dict[str, Any]) -> None:
        self.day = path.parent.name.removeprefix("date=")
        self.blocks = [Block(*block) for block in metadata["blocks"]]
        self.lake_files: dict[str, list[int]] = metadata["lake_files"]
        self.keys: int = metadata["keys"]
        self._reader = reader
        self._coded: dict[str, Coded] = {}
        self._allowed: dict[tuple[str, str], npt.NDArray[np.bool_]] = {}

    @classmethod
    def open(cls, path: Path) -> DayFile | None:
        """The day file at ``path``; None if there is none or it is of another version."""
        try:
            reader = _mapped(path)
        except (FileNotFoundError, pa.ArrowInvalid):
            return None
        metadata = json.loads((reader.schema.metadata or {}).get(METADATA, b"{}"))
        return cls(path, reader, metadata) if metadata.get("version") == VERSION else None

    @cached_property
    def batch(self) -> Any:
        return self._reader.get_batch(0)

    @cached_property
    def creator(self) -> Keys:
        return self.batch.column("creator").to_numpy()  # type: ignore[no-any-return]

    @cached_property
    def micros(self) -> npt.NDArray[np.int64]:
        return self.batch.column("micros").to_numpy()  # type: ignore[no-any-return]

    def coded(self, column: str) -> Coded:
        """A context column: each row's code and the value of each code."""
        if column not in self._coded:
            values = self.batch.column(column)
            self._coded[column] = (values.indices.to_numpy(), values.dictionary.to_pylist())
        return self._coded[column]

    def allowed(self, column: str, value: str) -> npt.NDArray[np.bool_]:
        """Per code of a context column, whether it is ``value``."""
        if (column, value) not in self._allowed:
            _codes, values = self.coded(column)
            self._allowed[column, value] = np.array([text == value for text in values], bool)
        return self._allowed[column, value]

    def chunk(self, block: Block, segment: str) -> Chunk:
        """A block's ``first`` events, its first events of other item ``kinds``, or the
        ``rest``."""
        bounds = np.cumsum([block.start, block.firsts, block.kinds, block.rest])
        index = ("first", "kinds", "rest").index(segment)
        start, stop = int(bounds[index]), int(bounds[index + 1])

        def coded(column: str) -> Coded:
            if column == "entry_point":
                return np.zeros(stop - start, dtype=np.int8), [block.entry_point]
            codes, values = self.coded(column)
            return codes[start:stop], values

        def allowed(column: str, value: str) -> npt.NDArray[np.bool_]:
            if column == "entry_point":
                return np.array([block.entry_point == value])
            return self.allowed(column, value)

        return Chunk(self.creator[start:stop], self.micros[start:stop], coded, allowed)


def _listing(paths: Sequence[Path]) -> str:
    return "[" + ", ".join("'" + path.as_posix().replace("'", "''") + "'" for path in paths) + "]"


def _lake_rows(
    engine: DuckDBEngine,
    paths: Sequence[Path],
    names: Sequence[str] | None,
    *,
    creators: str = "",
    order: str = "",
) -> pa.Table:
    """Signed-in events of lake files: creator_id, name, entry_point, micros and the context
    ('' for a missing value); only events named ``names`` unless None. With ``creators`` (a
    relation of creator_id and creator) each event's creator key instead of its creator_id."""
    context = "".join(f", COALESCE(e.{column}, '') AS {column}" for column in CONTEXT)
    named = f" AND e.name IN ({', '.join('?' for _ in names)})" if names is not None else ""
    who = "k.creator" if creators else "e.creator_id"
    joined = f"JOIN {creators} k ON k.creator_id = e.creator_id" if creators else ""
    return engine.arrow(
        f"SELECT {who}, e.name, COALESCE(e.entry_point, '') AS entry_point, "  # noqa: S608
        f"epoch_us(e.timestamp) AS micros{context} "
        f"FROM read_parquet({_listing(paths)}, hive_partitioning = false) e {joined} "
        f"WHERE e.creator_id <> '' AND e.name IS NOT NULL{named} {order}",
        list(names or []),
    ).combine_chunks()


def _narrow_dictionary(column: pa.Array) -> pa.Array:
    """``column`` dictionary-encoded with the narrowest index type its values allow."""
    encoded = pc.dictionary_encode(column)
    size = len(encoded.dictionary)
    index = pa.int8() if size < 2**7 else pa.int16() if size < 2**15 else pa.int32()
    return pa.DictionaryArray.from_arrays(encoded.indices.cast(index), encoded.dictionary)


def _column(table: pa.Table, name: str) -> pa.Array:
    return table.column(name).combine_chunks()


def _day_batch(
    engine: DuckDBEngine, paths: Sequence[Path], keys: CreatorKeys
) -> tuple[pa.RecordBatch, CreatorKeys]:
    """A day's store file (one record batch, rows in block order, blocks and the lake files in
    its metadata) from its lake files, and the keys grown by its new creators."""
    fingerprint = _fingerprint(paths)
    ids = engine.arrow(
        f"SELECT DISTINCT creator_id FROM read_parquet({_listing(paths)}, "  # noqa: S608
        "hive_partitioning = false) WHERE creator_id <> '' ORDER BY creator_id"
    )
    keys, numbered = keys.with_new(_column(ids, "creator_id"))
    engine.connection.register("funnel_creators", ids.append_column("creator", pa.array(numbered)))
    try:
        rows = _lake_rows(engine, paths, None, creators="funnel_creators")
    finally:
        engine.connection.unregister("funnel_creators")
    names = pc.dictionary_encode(_column(rows, "name"))
    entry_points = pc.dictionary_encode(_column(rows, "entry_point"))
    block = names.indices.to_numpy().astype(np.int64) * len(entry_points.dictionary)
    block += entry_points.indices.to_numpy()
    creator = _column(rows, "creator").to_numpy()
    micros = _column(rows, "micros").to_numpy()
    order = _by_block_creator_time(block, creator, micros)
    block, creator, micros = block[order], creator[order], micros[order]
    opens = np.ones(len(block), dtype=bool)
    opens[1:] = block[1:] != block[:-1]
    starts = opens.copy()
    starts[1:] |= creator[1:] != creator[:-1]
    # A creator's first events: every one at their earliest instant of the day in the block,
    # so that a tie with it is never only among the rest.
    run = np.cumsum(starts) - 1
    first = micros == micros[np.flatnonzero(starts)][run]
    # Their first events of each other item kind (all at that kind's earliest instant), so a
    # funnel filtered by item kind reads no other events for creators whose first ones are of
    # another kind. Rows are by time within a creator's run: a (run, kind)'s first row is its
    # earliest.
    kinds = pc.dictionary_encode(_column(rows, "item_kind")).indices.to_numpy()[order]
    of_kind = run.astype(np.int64) * (int(kinds.max(initial=0)) + 1) + kinds
    _values, earliest, inverse = np.unique(of_kind, return_index=True, return_inverse=True)
    kind_first = (micros == micros[earliest][inverse]) & ~first
    segment = np.where(first, 0, np.where(kind_first, 1, 2)).astype(np.int8)
    # Each block's rows: its creators' first events, their kinds' first events, then the rest
    # (each by creator, time).
    bounds = [*np.flatnonzero(opens).tolist(), len(block)]
    blocks: list[list[Any]] = []
    parts, offset = [], 0
    for start, end in pairwise(bounds):
        row = int(order[start])
        within = segment[start:end]
        counts = np.bincount(within, minlength=3).tolist()
        last = int(micros[start:end].max())
        name, entry_point = names[row].as_py(), entry_points[row].as_py()
        blocks.append([name, entry_point, offset, *counts, last])
        parts.append(order[start:end][np.argsort(within, kind="stable")])
        offset += end - start
    taken = pa.array(np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64))
    metadata = {
        "version": VERSION,
        "blocks": blocks,
        "lake_files": fingerprint,
        "keys": len(keys),
        "built_at": datetime.now(UTC).isoformat(),
    }
    batch = pa.RecordBatch.from_pydict(
        {
            "creator": _column(rows, "creator").take(taken),
            "micros": _column(rows, "micros").take(taken),
            **{c: _narrow_dictionary(_column(rows, c)).take(taken) for c in CONTEXT},
        }
    )
    return batch.replace_schema_metadata({METADATA: json.dumps(metadata).encode()}), keys


def _by_block_creator_time(
    block: Integers, creator: Integers, micros: npt.NDArray[np.int64]
) -> Integers:
    """The order of rows by block, creator and time. Creator and time within the day packed in
    one int64 sort much faster than a three-key lexsort (0.6 s instead of 2 s for a day)."""
    if not len(block):
        return np.zeros(0, dtype=np.int64)
    since = micros - micros.min()
    if since.max() < 2**37 and creator.max() < 2**26:
        by_creator = np.argsort((creator.astype(np.int64) << 37) | since)
    else:
        by_creator = np.lexsort((micros, creator))
    by_block = np.argsort(block[by_creator], kind="stable")
    return by_creator[by_block]


def _current(stored: DayFile, fingerprint: dict[str, list[int]]) -> bool:
    """Whether every lake file ``stored`` was built from is unchanged."""
    return all(fingerprint.get(name) == value for name, value in stored.lake_files.items())


# --- reading a period --------------------------------------------------------------------------


@dataclass(frozen=True)
class Chunk:
    """Events of one step from one source: creator keys, times, and their context columns
    (``coded``; ``allowed``: per code of a column, whether it is a value)."""

    keys: Keys
    micros: npt.NDArray[np.int64]
    coded: Callable[[str], Coded]
    allowed: Callable[[str, str], npt.NDArray[np.bool_]]

    def matching(self, wanted: Mapping[str, str]) -> npt.NDArray[np.bool_]:
        """Which events have every ``wanted`` context value."""
        rows: npt.NDArray[np.bool_] | None = None
        for column, value in wanted.items():
            codes, _values = self.coded(column)
            matches = self.allowed(column, value)[codes]
            rows = matches if rows is None else rows & matches
        return np.ones(len(self.keys), dtype=bool) if rows is None else rows


@dataclass(frozen=True)
class Part:
    """A step's events of one stored day and entry point: ``first`` holds each creator's first
    events (all at their earliest instant), ``kinds`` reads their first events of each item kind
    their first events lack (all at that kind's earliest instant), ``rest`` the others, the
    latest at ``last`` (events read from the lake are all in ``first``, without the others)."""

    first: Chunk
    kinds: Callable[[], Chunk] | None
    rest: Callable[[], Chunk] | None
    last: int


class StepEvents:
    """The events named ``names`` (None: every event) on ``days``: from the store where it is
    current for a lake file, from the lake for the others (read here with ``engine``, or one
    started only then; numbered with the store's keys and, for creators without one, keys
    beyond every stored key)."""

    def __init__(
        self,
        engine: DuckDBEngine | None,
        events_dir: Path,
        days: Sequence[str],
        names: Sequence[str] | None,
    ) -> None:
        self.days: list[DayFile] = []
        unread: list[Path] = []
        for day, paths in lake_files(events_dir, days).items():
            stored = DayFile.open(day_path(events_dir, day))
            if stored is not None and _current(stored, _fingerprint(paths)):
                self.days.append(stored)
                unread.extend(path for path in paths if path.name not in stored.lake_files)
            else:
                unread.extend(paths)
        # Read after the day files, the keys cover every key they hold.
        self.creator_keys = CreatorKeys.read(events_dir)
        self.bound = max([len(self.creator_keys), *(stored.keys for stored in self.days)])
        self.lake: pa.Table | None = None
        self.unnumbered = pa.array([], pa.string())
        if unread:
            named = None if names is None else sorted(set(names))
            if engine is not None:
                self._read_lake(_lake_rows(engine, unread, named))
                return
            # Only now an engine of its own: starting one costs more than a funnel from the store.
            with DuckDBEngine() as own:
                own.connection.execute("SET enable_progress_bar = false")
                self._read_lake(_lake_rows(own, unread, named))

    def _read_lake(self, rows: pa.Table) -> None:
        ids = pc.dictionary_encode(_column(rows, "creator_id"))
        keys = self.creator_keys.lookup(ids.dictionary)
        missing = np.flatnonzero(keys < 0)
        keys[missing] = self.bound + np.arange(len(missing))
        self.unnumbered = ids.dictionary.take(pa.array(missing))
        self.bound += len(missing)
        self.lake = rows.append_column("creator", pa.array(keys[ids.indices.to_numpy()]))

    def parts(self, name: str, entry_point: str) -> list[Part]:
        """Events named ``name`` (at ``entry_point`` unless ''), in parts: per stored day and
        entry point, each creator's first events and the rest; the lake's all in one."""
        found = []
        for stored in self.days:
            for block in stored.blocks:
                if block.name == name and (not entry_point or block.entry_point == entry_point):
                    kinds = partial(stored.chunk, block, "kinds") if block.kinds else None
                    rest = partial(stored.chunk, block, "rest") if block.rest else None
                    found.append(Part(stored.chunk(block, "first"), kinds, rest, block.last))
        if self.lake is not None:
            matches = pc.equal(self.lake.column("name"), name)
            if entry_point:
                matches = pc.and_(matches, pc.equal(self.lake.column("entry_point"), entry_point))
            rows = self.lake.filter(matches)
            if rows.num_rows:
                found.append(Part(_lake_chunk(rows), None, None, NEVER))
        return found

    def ids_of(self, keys: Integers) -> pa.Array:
        """The external id of each key (null for a forgotten one)."""
        numbered = self.bound - len(self.unnumbered)
        every = pa.concat_arrays(
            [
                self.creator_keys.ids.cast(pa.string()),
                pa.nulls(numbered - len(self.creator_keys), pa.string()),
                self.unnumbered.cast(pa.string()),
            ]
        )
        return every.take(pa.array(keys))


def _lake_chunk(rows: pa.Table) -> Chunk:
    encoded = {column: pc.dictionary_encode(_column(rows, column)) for column in CONTEXT_COLUMNS}

    def coded(column: str) -> Coded:
        return encoded[column].indices.to_numpy(), encoded[column].dictionary.to_pylist()

    def allowed(column: str, value: str) -> npt.NDArray[np.bool_]:
        return np.array([text == value for text in coded(column)[1]], dtype=bool)

    return Chunk(
        _column(rows, "creator").to_numpy(), _column(rows, "micros").to_numpy(), coded, allowed
    )


# --- preparing ---------------------------------------------------------------------------------


def funnel_steps_prepare(
    *, events_dir: Path, progress: Callable[[int, int], None] | None = None
) -> dict[str, int]:
    """Build the store's days that miss a lake file or are stale, delete the days the lake no
    longer has and forget the ids of keys no day uses; what it did, by count."""
    with writer_lock(events_dir):
        lake = lake_files(events_dir)
        todo = []
        for day, paths in lake.items():
            stored = DayFile.open(day_path(events_dir, day))
            if stored is None or stored.lake_files != _fingerprint(paths):
                todo.append(day)
        keys = CreatorKeys.read(events_dir)
        with DuckDBEngine() as engine:
            for done, day in enumerate(todo, start=1):
                batch, grown = _day_batch(engine, lake[day], keys)
                if grown is not keys:
                    grown.write(events_dir)
                    keys = grown
                write_arrow(day_path(events_dir, day), batch)
                if progress:
                    progress(done, len(todo))
        deleted = 0
        for folder in sorted(store_dir(events_dir).glob("date=*")):
            day = folder.name.removeprefix("date=")
            if DAY.match(day) and day not in lake:
                shutil.rmtree(folder)
                deleted += 1
        forgotten = _forget_unused(events_dir, keys, list(lake))
    return {"days_built": len(todo), "days_deleted": deleted, "keys_forgotten": forgotten}


def _forget_unused(events_dir: Path, keys: CreatorKeys, days: Sequence[str]) -> int:
    """Forget the ids of keys no day file holds (creators erased, or past the lake's
    retention); their keys are not used again."""
    used = np.zeros(len(keys), dtype=bool)
    for day in days:
        stored = DayFile.open(day_path(events_dir, day))
        if stored is not None:
            used[stored.creator] = True
    unused = ~used & keys.ids.is_valid().to_numpy(zero_copy_only=False)
    if unused.any():
        keys.forget(unused).write(events_dir)
    return int(unused.sum())


# --- export and erasure ------------------------------------------------------------------------


def _holding(events_dir: Path, key: int) -> Iterator[tuple[DayFile, Keys]]:
    """Each day file with events of ``key``, and their rows."""
    for path in sorted(store_dir(events_dir).glob(f"date=*/{DAY_FILE}")):
        stored = DayFile.open(path)
        if stored is not None:
            rows = np.flatnonzero(stored.creator == key)
            if len(rows):
                yield stored, rows


def key_of(events_dir: Path, external_id: str) -> int | None:
    """The creator's key, None if they have none."""
    key = int(CreatorKeys.read(events_dir).lookup(pa.array([external_id], pa.string()))[0])
    return key if key >= 0 else None


def steps_export(*, events_dir: Path, external_id: str) -> list[dict[str, Any]]:
    """The creator's events as the store keeps them."""
    key = key_of(events_dir, external_id)
    if key is None:
        return []
    found = []
    for stored, rows in _holding(events_dir, key):
        starts = [block.start for block in stored.blocks]
        context = {column: stored.coded(column) for column in CONTEXT}
        for row in rows.tolist():
            block = stored.blocks[bisect_right(starts, row) - 1]
            micros = int(stored.micros[row])
            at = datetime.fromtimestamp(micros // 1_000_000, UTC)
            found.append(
                {
                    "day": stored.day,
                    "name": block.name,
                    "entry_point": block.entry_point,
                    "timestamp": at.replace(microsecond=micros % 1_000_000).isoformat(),
                    **{column: values[codes[row]] for column, (codes, values) in context.items()},
                }
            )
    return found


def steps_erase(*, events_dir: Path, external_id: str) -> int:
    """Forget the creator's key and delete every day file holding their events (the next
    prepare rebuilds those days from the lake, which erasure has cleaned); events removed."""
    with writer_lock(events_dir):
        key = key_of(events_dir, external_id)
        if key is None:
            return 0
        removed = 0
        for stored, rows in list(_holding(events_dir, key)):
            removed += len(rows)
            # The day's folder: its file and what is derived from it (the segment sets).
            shutil.rmtree(day_path(events_dir, stored.day).parent)
        keys = CreatorKeys.read(events_dir)
        forgotten = np.zeros(len(keys), dtype=bool)
        forgotten[key] = True
        keys.forget(forgotten).write(events_dir)
    return removed
