"""Watch percentage and course completion by a breakdown from per-day arrays of lesson pairs:
each day's ``creator_lesson_daily`` rows numbered by the step store's creator keys, grouped once
per breakdown column, so a period's pairs are grouped by one sort of packed integers instead of
a SQL grouping of string ids (watch percentage by region for 28 days and the previous 28 took
6.6 s from ``creator_lesson_daily`` at 100M events).

``<events dir>/funnel_steps/date=YYYY-MM-DD/lessons.arrow``, beside the step store's day file,
is one uncompressed Arrow record batch, memory-mapped when read. Its rows are, per *view* — no
context (a row per creator and item), then one per context column (a row per creator, item and
that column's value) — ``creator`` (the step store's key), ``item`` and ``value`` (codes into
the metadata's lists), ``percent`` (a code into the day's sorted distinct furthest percents; -1
for none), ``flags`` (1: enrolled, 2: earned a badge) and ``starts`` (lesson starts). A view's rows
come in sections, each sorted by creator: a course's enrolments and badges (course completion
reads only these), the other rows with a percent, then — in the view without context only, whose
lesson starts rank follower tiers — the rest. The metadata holds each view's section sizes,
values, each value's lesson starts (which rank the values of a breakdown with more than ten)
and its day's pairs with a percent and their sum (a day's watch percentage per value).

Which files are read, and when they are written and deleted: ``academy.insights.keyed_rollups``.
A period's pairs are split into PARTS ranges of creator keys grouped in threads (no pair spans
two ranges, and numpy's sorts release the GIL).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]

from academy.insights.compute import (
    NOT_SET,
    Answer,
    Period,
    Slice,
    _series,
    ratio,
)
from academy.insights.creator_segments import add, ranked, weights
from academy.insights.creator_segments import by_key as creator_segments_by_key
from academy.insights.funnel_dimension import CreatorDimension
from academy.insights.funnel_store import CreatorKeys, StepEvents
from academy.insights.keyed_rollups import KeyedRollup, numpy_column

PAIRS_FILE = "lessons.arrow"
METADATA = b"academy.lesson_pairs"
VERSION = 1
ROLLUP = "creator_lesson_daily"
# "" is the view without context.
VIEWS = ("", "region", "language", "platform", "entry_point")
ENROLLED, BADGED = 1, 2
# What joins an item's kind and id in one dictionary string; no kind holds it.
ITEM_SEPARATOR = "\x1f"

Array = npt.NDArray[Any]
Int64s = npt.NDArray[np.int64]
_T = TypeVar("_T")
# Ranges of creator keys a period's pairs are split into, each grouped on its own (in threads).
PARTS = 4


def pairs_path(events_dir: Path, day: str) -> Path:
    return LESSON_PAIRS.path(events_dir, day)


# --- building -----------------------------------------------------------------------------------


def _codes(column: pa.ChunkedArray) -> tuple[Int64s, list[str]]:
    encoded = pc.dictionary_encode(column.combine_chunks())
    return encoded.indices.to_numpy().astype(np.int64), encoded.dictionary.to_pylist()


def _grouped(keys: Sequence[Int64s]) -> tuple[Int64s, Int64s]:
    """The order that sorts rows by ``keys`` (the first most significant) and where each group
    of equal keys starts in it."""
    order = np.lexsort(tuple(reversed(keys))).astype(np.int64)
    starts = np.ones(len(order), dtype=bool)
    for key in keys:
        ordered = key[order]
        starts[1:] &= ordered[1:] == ordered[:-1]
    return order, np.flatnonzero(~starts | (np.arange(len(order)) == 0))


def _narrow(column: Array) -> pa.DataType:
    """The smallest of int16, int32 and int64 that holds every value."""
    for kind, numpy_kind in ((pa.int16(), np.int16), (pa.int32(), np.int32)):
        limits = np.iinfo(numpy_kind)
        if not len(column) or (column.min() >= limits.min and column.max() <= limits.max):
            return kind
    return pa.int64()


def build_pairs(rollup: pa.Table, keys: CreatorKeys) -> tuple[pa.Table, dict[str, Any]] | None:
    """A day's file from its ``creator_lesson_daily`` rows; None if a creator has no key."""
    ids = pc.dictionary_encode(rollup.column("creator_id").combine_chunks())
    found = keys.lookup(ids.dictionary)
    if (found < 0).any():
        return None
    creator = found[ids.indices.to_numpy()]
    joined = pc.binary_join_element_wise(
        rollup.column("item_kind"), rollup.column("item_id"), ITEM_SEPARATOR
    )
    item, items = _codes(joined)
    raw_percent = rollup.column("max_percent").to_numpy(zero_copy_only=False).astype(np.float64)
    known = ~np.isnan(raw_percent)
    percents = np.unique(raw_percent[known])
    percent = np.full(len(raw_percent), -1, dtype=np.int64)
    percent[known] = np.searchsorted(percents, raw_percent[known])
    flags = (rollup.column("enrolls").to_numpy() > 0) * ENROLLED + (
        rollup.column("badges").to_numpy() > 0
    ) * BADGED
    starts = rollup.column("lesson_starts").to_numpy()
    courses = np.array([text.split(ITEM_SEPARATOR)[0] == "course" for text in items] + [False])
    parts: dict[str, list[Array]] = {name: [] for name in ("creator", "item", "value")}
    parts |= {"percent": [], "flags": [], "starts": []}
    views: dict[str, dict[str, Any]] = {}
    start = 0
    for view in VIEWS:
        if view:
            value, values = _codes(rollup.column(view))
        else:
            value, values = np.zeros(len(creator), dtype=np.int64), [""]
        order, groups = _grouped([creator, item, value])
        per_group = {
            "creator": creator[order][groups],
            "item": item[order][groups],
            "value": value[order][groups],
            # Codes follow the percents' order, and none (-1) is below every one.
            "percent": np.maximum.reduceat(percent[order], groups) if len(order) else percent,
            "flags": np.bitwise_or.reduceat(flags[order], groups) if len(order) else flags,
            "starts": np.add.reduceat(starts[order], groups) if len(order) else starts,
        }
        weights = np.bincount(per_group["value"], per_group["starts"], minlength=len(values))
        in_course = courses[per_group["item"]] & (per_group["flags"] > 0)
        watched = per_group["percent"] >= 0
        # A course's enrolments and badges first (course completion reads only those), then
        # the other rows with a percent (watch percentage reads those too), then the rest, which
        # only the view without context keeps (its lesson starts rank follower tiers).
        sections = [in_course, ~in_course & watched, ~in_course & ~watched]
        order = np.concatenate(
            [np.flatnonzero(rows) for rows in sections[: 3 if view == "" else 2]]
        )
        per_group = {name: column[order] for name, column in per_group.items()}
        for name, column in per_group.items():
            parts[name].append(column)
        stop = start + len(per_group["creator"])
        # Each value's pairs with a percent and their sum, as a day's watch percentage counts.
        mine = per_group["percent"] >= 0
        value = per_group["value"][mine]
        views[view] = {
            "start": start,
            "courses": int(in_course.sum()),
            "watched": int(in_course.sum() + sections[1].sum()),
            "stop": stop,
            "values": values,
            "weights": [int(weight) for weight in weights],
            "watch_pairs": [int(n) for n in np.bincount(value, minlength=len(values))],
            "watch_sums": [
                float(total)
                for total in np.bincount(
                    value, percents[per_group["percent"][mine]], minlength=len(values)
                )
            ],
        }
        start = stop
    columns = {name: np.concatenate(found) for name, found in parts.items()}
    types = {"creator": pa.int32(), "item": pa.int32(), "value": _narrow(columns["value"])}
    types |= {"percent": _narrow(columns["percent"]), "flags": pa.uint8()}
    types["starts"] = _narrow(columns["starts"])
    table = pa.table({name: pa.array(columns[name], types[name]) for name in types})
    metadata = {
        "version": VERSION,
        "items": items,
        "percents": [float(value) for value in percents],
        "views": views,
    }
    return table, metadata


LESSON_PAIRS = KeyedRollup(ROLLUP, PAIRS_FILE, METADATA, VERSION, build_pairs)


def lesson_pairs_prepare(*, events_dir: Path) -> int:
    """Write the file of every stored day whose rollup changed since (or that lacks one); the
    number written."""
    return LESSON_PAIRS.prepare(events_dir)


# --- reading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DayPairs:
    """One day's rows of one view, and how its codes map to the period's."""

    day: date
    rows: pa.Table
    # The first ``courses`` rows are a course's enrolments and badges, the first ``watched``
    # those and the other rows with a percent.
    courses: int
    watched: int
    values: list[str]
    weights: list[int]
    # Per value, the day's pairs with a percent and the sum of their percents.
    watch_pairs: list[int]
    watch_sums: list[float]
    item_remap: Int64s
    # Ends with -1: a row without a percent (-1) takes it.
    percent_remap: Int64s

    def column(self, name: str) -> Array:
        values: Array = numpy_column(self.rows, name)
        return values


class PeriodPairs:
    """The rows of one view (``""`` or a context column) of a period's days, with items and
    percents coded alike across days; ``read`` gives None when a rolled-up day has no current
    file."""

    def __init__(
        self, days: list[DayPairs], items: list[str], percents: npt.NDArray[np.float64]
    ) -> None:
        self.days = days
        self.items = items
        self.percents = percents

    @classmethod
    def read(cls, events_dir: Path, period: Period, view: str) -> PeriodPairs | None:
        opened_days = LESSON_PAIRS.read(events_dir, period.first, period.last)
        if opened_days is None:
            return None
        items = sorted({item for *_, metadata in opened_days for item in metadata["items"]})
        item_index = {item: code for code, item in enumerate(items)}
        every_percent = [value for *_, metadata in opened_days for value in metadata["percents"]]
        percents = np.unique(np.array(every_percent, dtype=np.float64))
        days = []
        for day, table, metadata in opened_days:
            place = metadata["views"][view]
            day_percents = np.array(metadata["percents"], dtype=np.float64)
            days.append(
                DayPairs(
                    day=date.fromisoformat(day),
                    rows=table.slice(place["start"], place["stop"] - place["start"]),
                    courses=place["courses"],
                    watched=place["watched"],
                    values=place["values"],
                    weights=place["weights"],
                    watch_pairs=place["watch_pairs"],
                    watch_sums=place["watch_sums"],
                    item_remap=np.array([item_index[item] for item in metadata["items"]], np.int64),
                    percent_remap=np.append(np.searchsorted(percents, day_percents), -1),
                )
            )
        return cls(days, items, percents)

    def item_mask(self, filters: Mapping[str, str], *, kind: str | None = None) -> Array:
        """Per item code, whether it passes the item filters (and is of ``kind``)."""
        allowed = []
        for text in self.items:
            item_kind, _separator, item_id = text.partition(ITEM_SEPARATOR)
            allowed.append(
                filters.get("item_kind", item_kind) == item_kind
                and filters.get("item_id", item_id) == item_id
                and (kind is None or item_kind == kind)
            )
        return np.array(allowed, dtype=bool)


# --- segments -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Segmenting:
    """The breakdown's segments (``names``, sorted) and each row's: by its value's code
    (``value_codes``, a context column) or its creator's key (``by_key``). Code
    ``len(names)`` is no segment (an experiment's unassigned creators: they count in the total
    only)."""

    names: list[str]
    value_codes: Callable[[DayPairs], Int64s] | None
    by_key: Int64s | None
    # Whether no two values share a segment: a day's rows are then distinct per segment.
    distinct: bool

    def of(self, day: DayPairs, rows: Array | slice) -> Int64s:
        """The segment of each of ``rows`` (indices or a slice of the day's)."""
        if self.by_key is not None:
            found: Int64s = self.by_key[day.column("creator")[rows]]
        else:
            assert self.value_codes is not None
            found = self.value_codes(day)[day.column("value")[rows]]
        return found


def context_segments(pairs: PeriodPairs, keep: str | None = None) -> Segmenting:
    """A context column's values (NOT_SET for empty); the top ten and OTHER when there are
    more. With ``keep`` (a filter on the column), that value alone: the other rows are in no
    segment."""
    found: dict[str, int] = {}
    for day in pairs.days:
        for value, weight in zip(day.values, day.weights, strict=True):
            add(found, {value or NOT_SET: weight})
    names, segment_of = ranked(found)
    if keep is not None:
        names, segment_of = [keep], lambda name: name
    index = {name: code for code, name in enumerate(names)}

    def value_codes(day: DayPairs) -> Int64s:
        codes = [index.get(segment_of(value or NOT_SET), len(names)) for value in day.values]
        return np.array(codes, np.int64)

    distinct = keep is not None or len(names) == len(found)
    return Segmenting(names, value_codes, None, distinct=distinct)


def creator_segments(
    pairs: PeriodPairs,
    keys: StepEvents,
    dimension: CreatorDimension,
    breakdown: str,
    experiment: str | None,
    keep: str | None = None,
) -> Segmenting:
    """Follower tier (NOT_SET for a creator without one) or the variation of ``experiment``
    (its assigned creators only), by key from the creator dimension (with ``keep``, that
    segment alone)."""
    codes, raw_names = creator_segments_by_key(dimension, keys, breakdown, experiment, keep)
    found: dict[str, int] = {}
    for day in pairs.days:
        add(found, weights(codes[day.column("creator")], raw_names, day.column("starts")))
    names, segment_of = ranked(found)
    index = {name: code for code, name in enumerate(names)}
    # The names no row has, and no code (-1, the appended last), are in no segment.
    remap = [index[segment_of(name)] if name in found else len(names) for name in raw_names]
    by_key: Int64s = np.array([*remap, len(names)], np.int64)[codes]
    return Segmenting(names, None, by_key, distinct=len(names) == len(found))


# --- packing ------------------------------------------------------------------------------------


class Unpackable(Exception):
    """The period's codes need more than 63 bits together (the SQL answers instead)."""


def _bits(count: int) -> int:
    return max(int(count - 1).bit_length(), 1)


@dataclass(frozen=True)
class Packing:
    """Creator, item, segment and a low code (percent or flags) in one int64, in that order of
    significance: one sort groups a period's pairs per segment, each group's largest code last,
    and each pair's groups next to each other."""

    item_bits: int
    segment_bits: int
    low_bits: int

    @classmethod
    def of(cls, creators: int, items: int, segments: int, low: int) -> Packing:
        packing = cls(_bits(items), _bits(segments), _bits(low))
        if _bits(creators) + packing.item_bits + packing.segment_bits + packing.low_bits > 63:
            raise Unpackable
        return packing

    def segment(self, packed: Int64s) -> Int64s:
        found: Int64s = (packed >> self.low_bits) & ((1 << self.segment_bits) - 1)
        return found

    def low(self, packed: Int64s) -> Int64s:
        found: Int64s = packed & ((1 << self.low_bits) - 1)
        return found

    def pair(self, packed: Int64s) -> Int64s:
        found: Int64s = packed >> (self.segment_bits + self.low_bits)
        return found


def _narrowed(rows: Array | slice, start: int, stop: int) -> Array | slice:
    """Rows ``start`` to ``stop`` of an index array or a slice (of step 1)."""
    if isinstance(rows, slice):
        return slice(rows.start + start, rows.start + stop)
    return rows[start:stop]


def _in_parts(
    work: Callable[[list[tuple[DayPairs, Array | slice]]], _T], parts: list[Any]
) -> list[_T]:
    """``work`` on each part, in threads (numpy's sorts and array operations release the GIL:
    on 2 cores, 1.6-1.9 times faster than one after the other)."""
    with ThreadPoolExecutor(max_workers=min(len(parts), os.cpu_count() or 1)) as pool:
        return list(pool.map(work, parts))


def _length(rows: Array | slice, size: int) -> int:
    """How many rows an index array or a slice picks of ``size``."""
    return len(range(*rows.indices(size))) if isinstance(rows, slice) else len(rows)


def _group_lasts(packed: Int64s, low_bits: int, *, in_place: bool = False) -> Int64s:
    """Each group's (equal but for the low bits) largest value, in order; ``in_place`` sorts
    ``packed`` itself."""
    if in_place:
        packed.sort()
    else:
        packed = np.sort(packed)
    groups = packed >> low_bits
    last = np.ones(len(packed), dtype=bool)
    last[:-1] = groups[1:] != groups[:-1]
    found: Int64s = packed[last]
    return found


def _runs(values: Int64s) -> Int64s:
    """Where each run of equal (sorted) values starts."""
    starts = np.ones(len(values), dtype=bool)
    starts[1:] = values[1:] != values[:-1]
    found: Int64s = np.flatnonzero(starts)
    return found


# --- tiles --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Breakdown:
    """A breakdown tile's rows (its view's), segments, item filters and packing."""

    name: str
    pairs: PeriodPairs
    segmenting: Segmenting
    filters: Mapping[str, str]
    creators: int

    @classmethod
    def read(
        cls,
        events_dir: Path,
        period: Period,
        slice_: Slice,
        dimension: Callable[[], CreatorDimension],
        keep: str | None = None,
    ) -> Breakdown | None:
        """None when a rolled-up day of the period has no current file. ``keep``: only that
        value of the breakdown (a filter on its column)."""
        breakdown = str(slice_.breakdown)
        view = breakdown if breakdown in VIEWS else ""
        pairs = PeriodPairs.read(events_dir, period, view)
        if pairs is None:
            return None
        # Read after the period's files: every key they hold is below its bound.
        keys = StepEvents(None, events_dir, [], None)
        segmenting = (
            context_segments(pairs, keep)
            if view
            else creator_segments(pairs, keys, dimension(), breakdown, slice_.experiment, keep)
        )
        return cls(breakdown, pairs, segmenting, slice_.filters, keys.bound)

    def packing(self, low: int) -> Packing:
        segments = len(self.segmenting.names) + 1
        return Packing.of(self.creators, len(self.pairs.items), segments, low)

    def parts(
        self, rows_of: Callable[[DayPairs], list[Array | slice]]
    ) -> list[list[tuple[DayPairs, Array | slice]]]:
        """The chosen rows (index arrays or slices) of every day, split into PARTS ranges of
        creator keys: a day's rows are sorted by creator (in each of its sections), so each
        range is a slice of them, and no (creator, item) pair spans two parts."""
        cuts = [self.creators * number // PARTS for number in range(1, PARTS)]
        parts: list[list[tuple[DayPairs, Array | slice]]] = [[] for _ in range(PARTS)]
        for day in self.pairs.days:
            for rows in rows_of(day):
                bounds = [0, *np.searchsorted(day.column("creator")[rows], cuts).tolist()]
                bounds.append(_length(rows, day.rows.num_rows))
                for number, (start, stop) in enumerate(itertools.pairwise(bounds)):
                    if stop > start:
                        parts[number].append((day, _narrowed(rows, start, stop)))
        return parts

    def pack(
        self, packing: Packing, rows: list[tuple[DayPairs, Array | slice]], low_of: str
    ) -> tuple[Int64s, list[tuple[DayPairs, slice]]]:
        """Some rows of the days packed (``low_of`` the low code's column) in one array, and
        where each day's are in it."""
        sizes = [_length(picked, day.rows.num_rows) for day, picked in rows]
        packed = np.empty(sum(sizes), dtype=np.int64)
        scratch = np.empty(max(sizes, default=0), dtype=np.int64)
        where: dict[date, slice] = {}
        start = 0
        for (day, picked), length in zip(rows, sizes, strict=True):
            out, gathered = packed[start : start + length], scratch[:length]
            np.copyto(out, day.column("creator")[picked])
            out <<= packing.item_bits
            out |= np.take(day.item_remap, day.column("item")[picked], out=gathered)
            out <<= packing.segment_bits
            out |= self.segmenting.of(day, picked)
            out <<= packing.low_bits
            if low_of == "percent":
                out |= np.take(day.percent_remap, day.column("percent")[picked], out=gathered)
            else:
                out |= day.column(low_of)[picked]
            # A day's pieces are next to each other.
            earlier = where.get(day.day, slice(start, start))
            where[day.day] = slice(earlier.start, start + length)
            start += length
        by_day = {day.day: day for day, _picked in rows}
        return packed, [(by_day[when], place) for when, place in where.items()]

    def labelled(self, segment: int, row: dict[str, Any]) -> dict[str, Any]:
        return {self.name: self.segmenting.names[segment], **row}


@dataclass(frozen=True)
class WatchPart:
    """A part's figures: per day and per segment (pairs, sum of percents), and its pairs'
    furthest percents over every segment (the headline)."""

    daily: dict[date, tuple[Int64s, npt.NDArray[np.float64]]]
    pairs: Int64s
    sums: npt.NDArray[np.float64]
    total_pairs: int
    total_sum: float


def _watch_row(pairs: int, total: float) -> dict[str, Any]:
    return {"pairs": pairs, "average_watch_percentage": total / pairs if pairs else None}


def _watch_sums(
    packed: Int64s, packing: Packing, percents: npt.NDArray[np.float64], count: int
) -> tuple[Int64s, npt.NDArray[np.float64]]:
    """Per segment (and no segment, last), its packed pairs and the sum of their percents."""
    segment = packing.segment(packed)
    pairs: Int64s = np.bincount(segment, minlength=count + 1)
    # With weights the counts are float64 already (no copy).
    weights = percents[packing.low(packed)]
    sums = np.bincount(segment, weights, minlength=count + 1).astype(np.float64, copy=False)
    return pairs, sums


def _watch_rows(
    breakdown: Breakdown, pairs: Int64s, sums: npt.NDArray[np.float64]
) -> list[dict[str, Any]]:
    """A row per segment with pairs."""
    count = len(breakdown.segmenting.names)
    return [
        breakdown.labelled(code, _watch_row(int(pairs[code]), float(sums[code])))
        for code in np.flatnonzero(pairs[:count]).tolist()
    ]


def watch_percentage(breakdown: Breakdown, period: Period) -> Answer:
    """``compute.watch_percentage`` with a breakdown and item filters only: per segment, the
    (creator, item) pairs with a percent and the average of each one's furthest."""
    percents, names = breakdown.pairs.percents, breakdown.segmenting.names
    count = len(names)
    packing = breakdown.packing(len(percents))
    allowed = breakdown.pairs.item_mask(breakdown.filters)
    filtered = not allowed.all()

    def watched(day: DayPairs) -> list[Array | slice]:
        if filtered:
            items = allowed[day.item_remap][day.column("item")[: day.watched]]
            return [np.flatnonzero(items & (day.column("percent")[: day.watched] >= 0))]
        # A course row may have no percent; every other row before ``watched`` has one.
        return [
            np.flatnonzero(day.column("percent")[: day.courses] >= 0),
            slice(day.courses, day.watched),
        ]

    value_codes = breakdown.segmenting.value_codes
    # Each value its own segment: a day's figures per value were counted when it was written.
    counted = value_codes is not None and breakdown.segmenting.distinct and not filtered

    def part(rows: list[tuple[DayPairs, Array | slice]]) -> WatchPart:
        packed, days = breakdown.pack(packing, rows, "percent")
        daily = {}
        if not counted:
            for day, place in days:
                mine = packed[place]
                if not breakdown.segmenting.distinct:
                    # Values merged into one segment (OTHER): a pair may have several rows in it.
                    mine = _group_lasts(mine, packing.low_bits)
                daily[day.day] = _watch_sums(mine, packing, percents, count)
        # The days' figures are taken: the array is sorted in place.
        lasts = _group_lasts(packed, packing.low_bits, in_place=True)
        pairs, sums = _watch_sums(lasts, packing, percents, count)
        # A pair's segments are next to each other: its furthest percent is their largest.
        furthest = (
            np.maximum.reduceat(packing.low(lasts), _runs(packing.pair(lasts)))
            if len(lasts)
            else lasts
        )
        return WatchPart(daily, pairs, sums, len(furthest), float(percents[furthest].sum()))

    found = _in_parts(part, breakdown.parts(watched))
    daily: list[dict[str, Any]] = []
    for day in breakdown.pairs.days:
        pairs = np.zeros(count + 1, np.int64)
        sums = np.zeros(count + 1, np.float64)
        if counted:
            assert value_codes is not None
            pairs[value_codes(day)] = day.watch_pairs
            sums[value_codes(day)] = day.watch_sums
        for one in found:
            if day.day in one.daily:
                pairs += one.daily[day.day][0]
                sums += one.daily[day.day][1]
        daily.extend({"day": day.day, **row} for row in _watch_rows(breakdown, pairs, sums))
    rows = _watch_rows(
        breakdown,
        np.sum([one.pairs for one in found], axis=0),
        np.sum([one.sums for one in found], axis=0),
    )
    total = _watch_row(sum(one.total_pairs for one in found), sum(one.total_sum for one in found))
    series = _series(daily, "average_watch_percentage", breakdown.name, period)
    shown = {(row["day"], row[breakdown.name]) for row in daily}
    for point in series:
        if (point["day"], point[breakdown.name]) not in shown:
            point["value"] = None
    return Answer(rows=rows, headline=total, series=series)


def _distinct(packed: Int64s, packing: Packing, count: int) -> tuple[Int64s, int]:
    """Per segment, the distinct (creator, item) pairs of ``packed``; and over every segment."""
    groups = np.unique(packed >> packing.low_bits)
    per_segment: Int64s = np.bincount(
        groups & ((1 << packing.segment_bits) - 1), minlength=count + 1
    )
    pairs = groups >> packing.segment_bits
    return per_segment, len(_runs(pairs))


def _course_counts(packed: Int64s, packing: Packing, count: int) -> dict[str, Any]:
    """Per segment (and the total last), the pairs that enrolled, earned the badge, and both."""
    counts: dict[str, Any] = {}
    for name, flag in (("enrollments", ENROLLED), ("completions", BADGED), ("either", 0)):
        mine = packed[(packed & flag) > 0] if flag else packed
        per_segment, total = _distinct(mine, packing, count)
        counts[name] = np.append(per_segment[:count], total)
    either = counts.pop("either")
    counts["enrolled_and_completed"] = counts["enrollments"] + counts["completions"] - either
    return counts


def _course_row(counts: dict[str, Any], segment: int) -> dict[str, Any]:
    row: dict[str, Any] = {name: int(found[segment]) for name, found in counts.items()}
    row["course_completion_rate"] = ratio(row["enrolled_and_completed"], row["enrollments"])
    return row


def course_completion(breakdown: Breakdown, period: Period) -> Answer:
    """``compute.course_completion`` with a breakdown and item filters only: per segment, the
    (creator, item) pairs of a course that enrolled, that earned its badge, and both."""
    count = len(breakdown.segmenting.names)
    packing = breakdown.packing((ENROLLED | BADGED) + 1)
    allowed = breakdown.pairs.item_mask(breakdown.filters, kind="course")

    def in_course(day: DayPairs) -> list[Array | slice]:
        return [np.flatnonzero(allowed[day.item_remap][day.column("item")[: day.courses]])]

    # Few rows (a course's enrolments and badges): in one part.
    chosen = [(day, rows) for day in breakdown.pairs.days for rows in in_course(day)]
    packed, days = breakdown.pack(packing, chosen, "flags")
    daily = []
    for day, place in days:
        found = _course_counts(packed[place], packing, count)
        present = found["enrollments"][:count] + found["completions"][:count]
        for code in np.flatnonzero(present).tolist():
            daily.append({"day": day.day, **breakdown.labelled(code, _course_row(found, code))})
    counts = _course_counts(packed, packing, count)
    present = np.flatnonzero(counts["enrollments"][:count] + counts["completions"][:count]).tolist()
    return Answer(
        rows=[breakdown.labelled(code, _course_row(counts, code)) for code in present],
        headline=_course_row(counts, count),
        series=_series(daily, "completions", breakdown.name, period),
    )


TILES = {"watch_percentage": watch_percentage, "course_completion": course_completion}


def answers(key: str, breakdown: str | None, filters: Mapping[str, str]) -> bool:
    """Whether these files can answer the tile: watch percentage or course completion with a
    breakdown and no filter but the item's."""
    return key in TILES and breakdown is not None and set(filters) <= {"item_kind", "item_id"}


def answer(
    key: str,
    events_dir: Path,
    period: Period,
    slice_: Slice,
    dimension: Callable[[], CreatorDimension],
    keep: str | None = None,
) -> Answer | None:
    """The tile from the period's files (with ``keep``, only that value of the breakdown); None
    when a rolled-up day has no current file or the codes do not fit in 63 bits (the SQL
    answers then)."""
    found = Breakdown.read(events_dir, period, slice_, dimension, keep)
    if found is None:
        return None
    try:
        return TILES[key](found, period)
    except Unpackable:
        return None
