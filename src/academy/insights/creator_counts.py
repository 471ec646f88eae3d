"""Reach, the North Star, CTR, lessons and active creators by follower tier or experiment
variant from each day's ``creator_daily`` rows by step-store key: a creator's segment is an
array lookup of the creator dimension by key, so a period's counts are ``bincount`` calls
instead of a SQL join of every creator-day's external id with the 1M-creator snapshot (CTR by
follower tier for 28 days and the previous 28 took 1.4-2.1 s that way at 100M events).

``<events dir>/funnel_steps/date=YYYY-MM-DD/counts.arrow`` (``academy.insights.keyed_rollups``):
one row per creator active that day — ``creator`` (key) and their ``impressions``, ``clicks``,
``lesson_starts`` and ``lesson_completes``. ``entry_counts.arrow``, from ``creator_segment_daily``:
one row per creator and entry point — ``creator``, ``entry`` (a code into the metadata's
``entry_points``), ``impressions`` and ``clicks`` — for CTR by entry point filtered by follower
tier.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]

from academy.insights.compute import (
    NOT_SET,
    TOP_VALUES,
    Answer,
    Period,
    Slice,
    _north_star_rates,
    _series,
    activity_summary,
    ctr_answer,
    lessons_answer,
)
from academy.insights.creator_segments import add, by_key, ranked, weights
from academy.insights.funnel_dimension import CreatorDimension
from academy.insights.funnel_store import CreatorKeys, StepEvents
from academy.insights.keyed_rollups import Built, KeyedRollup, numpy_column

MEASURES = ("impressions", "clicks", "lesson_starts", "lesson_completes")
BREAKDOWNS = ("follower_tier", "experiment")

Int64s = npt.NDArray[np.int64]


def build_counts(rollup: pa.Table, keys: CreatorKeys) -> Built:
    """A day's file from its ``creator_daily`` rows; None if a creator has no key."""
    ids = rollup.column("creator_id").combine_chunks()
    found = keys.lookup(ids)
    if (found < 0).any():
        return None
    columns = {"creator": pa.array(found, pa.int32())}
    for measure in MEASURES:
        columns[measure] = _narrowed(rollup.column(measure).combine_chunks())
    return pa.table(columns), {}


def _narrowed(counts: pa.Array) -> pa.Array:
    """Counts as int32 when they fit (half the bytes to read), else int64."""
    largest = pc.max(counts).as_py()
    return counts.cast(pa.int32() if largest is None or largest < 2**31 else pa.int64())


CREATOR_COUNTS = KeyedRollup(
    "creator_daily", "counts.arrow", b"academy.creator_counts", 1, build_counts
)


def build_entry_counts(rollup: pa.Table, keys: CreatorKeys) -> Built:
    """A day's impressions and clicks per creator and entry point from its
    ``creator_segment_daily`` rows; None if a creator has no key."""
    grouped = rollup.group_by(["creator_id", "entry_point"]).aggregate(
        [("impressions", "sum"), ("clicks", "sum")]
    )
    ids = pc.dictionary_encode(grouped.column("creator_id").combine_chunks())
    found = keys.lookup(ids.dictionary)
    if (found < 0).any():
        return None
    entry = pc.dictionary_encode(grouped.column("entry_point").combine_chunks())
    columns = {
        "creator": pa.array(found[ids.indices.to_numpy()], pa.int32()),
        "entry": entry.indices.cast(pa.int16() if len(entry.dictionary) < 2**15 else pa.int32()),
    }
    for measure in ("impressions", "clicks"):
        columns[measure] = _narrowed(grouped.column(f"{measure}_sum").combine_chunks())
    return pa.table(columns), {"entry_points": entry.dictionary.to_pylist()}


# CTR by entry point filtered by follower tier: the creator counts have no entry point.
ENTRY_COUNTS = KeyedRollup(
    "creator_segment_daily", "entry_counts.arrow", b"academy.entry_counts", 1, build_entry_counts
)


def creator_counts_prepare(*, events_dir: Path) -> int:
    """Write the files of every stored day whose rollups changed since (or that lacks them); the
    number written."""
    return CREATOR_COUNTS.prepare(events_dir) + ENTRY_COUNTS.prepare(events_dir)


def ctr_by_entry_point(
    events_dir: Path,
    period: Period,
    tier: str,
    dimension: Callable[[], CreatorDimension],
) -> Answer | None:
    """``compute.entry_point_ctr`` (by entry point) filtered by follower tier, from the days'
    impressions and clicks per creator and entry point; None when a day's file is missing or
    stale (the SQL answers then)."""
    opened = ENTRY_COUNTS.read(events_dir, period.first, period.last)
    if opened is None:
        return None
    # Read after the files: every key they hold is below its bound.
    keys = StepEvents(None, events_dir, [], None)
    codes, _names = by_key(dimension(), keys, "follower_tier", None, tier)
    days = []
    ranking: dict[str, int] = {}
    for day, table, metadata in opened:
        mine = np.flatnonzero(codes[numpy_column(table, "creator")] == 0)
        names = [value or NOT_SET for value in metadata["entry_points"]]
        entry = numpy_column(table, "entry")[mine]
        counts = {
            column: np.bincount(entry, numpy_column(table, column)[mine], minlength=len(names))
            for column in ("impressions", "clicks")
        }
        present = np.bincount(entry, minlength=len(names)) > 0
        days.append((date.fromisoformat(day), names, counts, present))
        for code in np.flatnonzero(present).tolist():
            add(ranking, {names[code]: int(counts["impressions"][code])})
    segments, segment_of = ranked(ranking)
    per_segment = {name: {"impressions": 0, "clicks": 0} for name in segments}
    total = {"impressions": 0, "clicks": 0}
    daily: list[dict[str, Any]] = []
    for when, names, counts, present in days:
        points: dict[str, dict[str, Any]] = {}
        for code in np.flatnonzero(present).tolist():
            segment = segment_of(names[code])
            point = points.setdefault(
                segment, {"entry_point": segment, "day": when, "impressions": 0, "clicks": 0}
            )
            for column in ("impressions", "clicks"):
                point[column] += int(counts[column][code])
                per_segment[segment][column] += int(counts[column][code])
                total[column] += int(counts[column][code])
        daily.extend(points[segment] for segment in sorted(points))
    rows = [{"entry_point": name} | per_segment[name] for name in segments]
    return ctr_answer(rows, total, daily, "entry_point", period)


@dataclass(frozen=True)
class DayCounts:
    day: date
    table: pa.Table

    def column(self, name: str) -> npt.NDArray[Any]:
        found: npt.NDArray[Any] = numpy_column(self.table, name)
        return found


class Segmented:
    """The days from ``first`` to ``last`` and each key's segment code (into ``names``; -1 for
    none) by follower tier or experiment variant."""

    def __init__(self, days: list[DayCounts], codes: Int64s, names: list[str]) -> None:
        self.days = days
        self.codes = codes
        self.names = names

    @classmethod
    def read(
        cls,
        events_dir: Path,
        first: date,
        last: date,
        slice_: Slice,
        dimension: Callable[[], CreatorDimension],
        keep: str | None = None,
    ) -> Segmented | None:
        opened = CREATOR_COUNTS.read(events_dir, first.isoformat(), last.isoformat())
        if opened is None:
            return None
        days = [DayCounts(date.fromisoformat(day), table) for day, table, _meta in opened]
        # Read after the files: every key they hold is below its bound.
        keys = StepEvents(None, events_dir, [], None)
        breakdown = str(slice_.breakdown)
        codes, names = by_key(dimension(), keys, breakdown, slice_.experiment, keep)
        return cls(days, codes, names)

    def between(self, first: date, last: date) -> list[DayCounts]:
        return [day for day in self.days if first <= day.day <= last]

    def segments(self, day: DayCounts) -> Int64s:
        found: Int64s = self.codes[day.column("creator")]
        return found


def event_counts(
    found: Segmented, period: Period, breakdown: str, columns: Sequence[str], weight: str
) -> tuple[list[dict[str, Any]], dict[str, Any], list[dict[str, Any]]]:
    """``compute._event_counts`` by follower tier or experiment variant: the sums of
    ``columns`` per segment (ranked by ``weight`` when there are more than ten), in total (every
    creator) and per day and segment."""
    days = found.between(period.start, period.end)
    ranking: dict[str, int] = {}
    for day in days:
        add(ranking, weights(found.segments(day), found.names, day.column(weight)))
    names, segment_of = ranked(ranking)
    # Codes into names; no segment (-1, the appended last) and unranked ones: len(names).
    index = {name: code for code, name in enumerate(names)}
    remap = [index[segment_of(name)] if name in ranking else len(names) for name in found.names]
    remap_codes = np.array([*remap, len(names)], dtype=np.int64)
    per_segment = {name: dict.fromkeys(columns, 0) for name in names}
    total = dict.fromkeys(columns, 0)
    daily: list[dict[str, Any]] = []
    for day in days:
        segment = remap_codes[found.segments(day)]
        rows = np.bincount(segment, minlength=len(names) + 1)
        sums = {
            column: np.bincount(segment, day.column(column), minlength=len(names) + 1)
            for column in columns
        }
        for column in columns:
            # Every creator, those in no segment (an experiment's unassigned) too.
            total[column] += int(sums[column].sum())
        for code in np.flatnonzero(rows[: len(names)]).tolist():
            point: dict[str, Any] = {breakdown: names[code], "day": day.day}
            for column in columns:
                point[column] = int(sums[column][code])
                per_segment[names[code]][column] += point[column]
            daily.append(point)
    present = {point[breakdown] for point in daily}
    rows_out = [{breakdown: name} | per_segment[name] for name in names if name in present]
    return rows_out, total, daily


def entry_point_ctr(found: Segmented, period: Period, breakdown: str) -> Answer:
    rows, total, daily = event_counts(
        found, period, breakdown, ("impressions", "clicks"), "impressions"
    )
    return ctr_answer(rows, total, daily, breakdown, period)


def lessons(found: Segmented, period: Period, breakdown: str) -> Answer:
    rows, total, daily = event_counts(
        found, period, breakdown, ("lesson_starts", "lesson_completes"), "lesson_starts"
    )
    return lessons_answer(rows, total, daily, breakdown, period)


class TooManySegments(Exception):
    """More than ten segments: the top ten need a ranking the bitmaps' SQL has (it answers)."""


def active_creators(found: Segmented, period: Period, breakdown: str) -> Answer:
    """``bitmaps.active_creators`` by follower tier or experiment variant: DAU per day and
    segment, WAU and MAU over the 7 and 30 days ending on the period's last day, per segment
    (its creators) and in total (every creator)."""
    count = len(found.names)
    daily: list[dict[str, Any]] = []
    dau_sums = np.zeros(count, dtype=np.int64)
    dau_total = 0
    in_period: set[int] = set()
    for day in found.between(period.start, period.end):
        segment = found.segments(day)
        creators = np.bincount(segment + 1, minlength=count + 1)[1:]
        dau_total += len(segment)
        dau_sums += creators
        for code in np.flatnonzero(creators).tolist():
            daily.append(
                {"day": day.day, breakdown: found.names[code], "creators": int(creators[code])}
            )
            in_period.add(code)
    bound = len(found.codes)
    windows: dict[str, Int64s] = {}
    totals: dict[str, int] = {}
    for name, length in (("wau", 7), ("mau", 30)):
        active = np.zeros(bound, dtype=bool)
        for day in found.between(period.end - timedelta(days=length - 1), period.end):
            active[day.column("creator")] = True
        keys = np.flatnonzero(active)
        totals[name] = len(keys)
        windows[name] = np.bincount(found.codes[keys] + 1, minlength=count + 1)[1:]
    in_windows = set(np.flatnonzero(windows["mau"]).tolist())
    if len(in_period) > TOP_VALUES or len(in_windows) > TOP_VALUES:
        raise TooManySegments
    rows = [
        {
            breakdown: found.names[code],
            **activity_summary(
                int(dau_sums[code]),
                len(period.days),
                {name: int(counts[code]) for name, counts in windows.items() if counts[code]},
            ),
        }
        for code in sorted(in_period | in_windows, key=lambda code: found.names[code])
    ]
    return Answer(
        rows=rows,
        headline=activity_summary(dau_total, len(period.days), totals),
        series=_series(daily, "creators", breakdown, period),
    )


def distinct_creators(
    found: Segmented, period: Period, breakdown: str, outputs: dict[str, str], daily_output: str
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """``bitmaps._creator_rows`` by follower tier or experiment variant: for each of
    ``outputs`` the creators with some of its measure in the period — in total (every creator),
    per segment with an active creator, and (``daily_output`` only) per day and segment with one
    active that day."""
    count, bound = len(found.names), len(found.codes)
    active = np.zeros(bound, dtype=bool)
    marks = {output: np.zeros(bound, dtype=bool) for output in outputs}
    daily: list[dict[str, Any]] = []
    for day in found.between(period.start, period.end):
        keys = day.column("creator")
        active[keys] = True
        for output, measure in outputs.items():
            marks[output][keys[day.column(measure) > 0]] = True
        segment = found.segments(day) + 1
        active_today = np.bincount(segment, minlength=count + 1)[1:]
        measured = day.column(outputs[daily_output]) > 0
        counted = np.bincount(segment[measured], minlength=count + 1)[1:]
        for code in np.flatnonzero(active_today).tolist():
            point = {"day": day.day, breakdown: found.names[code], daily_output: int(counted[code])}
            daily.append(point)

    def per_segment(mark: npt.NDArray[np.bool_]) -> Int64s:
        segments: Int64s = np.bincount(found.codes[mark] + 1, minlength=count + 1)[1:]
        return segments

    present = np.flatnonzero(per_segment(active)).tolist()
    if len(present) > TOP_VALUES:
        raise TooManySegments
    counts = {output: per_segment(mark) for output, mark in marks.items()}
    rows = [
        {breakdown: found.names[code], **{output: int(counts[output][code]) for output in outputs}}
        for code in sorted(present, key=lambda code: found.names[code])
    ]
    total = {output: int(mark.sum()) for output, mark in marks.items()}
    return total, rows, daily


def reach(found: Segmented, period: Period, breakdown: str) -> Answer:
    total, rows, daily = distinct_creators(
        found, period, breakdown, {"reach": "impressions"}, "reach"
    )
    return Answer(rows=rows, headline=total, series=_series(daily, "reach", breakdown, period))


# The North Star's outputs and the measures they count (as NORTH_STAR_OUTER).
NORTH_STAR = {
    "learning_creators": "lesson_completes",
    "reach": "impressions",
    "clicking_creators": "clicks",
    "starting_creators": "lesson_starts",
}


def north_star(found: Segmented, period: Period, breakdown: str) -> Answer:
    total, rows, daily = distinct_creators(
        found, period, breakdown, NORTH_STAR, "learning_creators"
    )
    return Answer(
        rows=[_north_star_rates(row) for row in rows],
        headline=_north_star_rates(total),
        series=_series(daily, "learning_creators", breakdown, period),
    )


TILES: dict[str, Callable[[Segmented, Period, str], Answer]] = {
    "reach": reach,
    "north_star": north_star,
    "entry_point_ctr": entry_point_ctr,
    "lessons": lessons,
    "active_creators": active_creators,
}


def answers(key: str, breakdown: str | None, filters: Any) -> bool:
    """Whether these files can answer the tile: reach, the North Star, CTR, lessons or active
    creators by follower tier or experiment variant, without filters."""
    return key in TILES and breakdown in BREAKDOWNS and not filters


def answer(
    key: str,
    events_dir: Path,
    period: Period,
    slice_: Slice,
    dimension: Callable[[], CreatorDimension],
    keep: str | None = None,
) -> Answer | None:
    """The tile (with ``keep``, only that value of the breakdown) from the files of the days it
    reads (for active creators, from 29 days before the period's last day); None when one is
    missing or stale, or a breakdown of distinct creators has more than ten segments (the SQL,
    which ranks them, answers then)."""
    first = period.start
    if key == "active_creators":
        first = min(period.start, period.end - timedelta(days=29))
    found = Segmented.read(events_dir, first, period.end, slice_, dimension, keep)
    if found is None:
        return None
    try:
        return TILES[key](found, period, str(slice_.breakdown))
    except TooManySegments:
        return None
