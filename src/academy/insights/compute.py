"""The tiles' SQL: each tile's rows, headline and series for one period, from the rollups (and,
for funnels, the lake's step events). Django-free; ``selectors`` validates, caches and wraps.

Every function takes an engine on which the relations it needs are registered by ``register``
and a ``Period``; the SQL reads the relations ``seg`` (creator_segment_daily), ``les``
(creator_lesson_daily), ``act`` (creator_daily), ``events`` (the lake), ``creators_dim`` and
``assignments_dim`` (the creator dimension, see ``academy.insights.dimensions``).
"""

# ruff: noqa: S608 — the SQL is built from fixed identifiers (rollup columns, breakdown names
# from a closed list); every value a caller chooses is a ``?`` parameter.
from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow.compute as pc  # type: ignore[import-untyped]

from academy.events.query import QueryEngine
from academy.insights.funnel_dimension import CreatorDimension
from academy.insights.funnel_store import NEVER, Chunk, Part, StepEvents

NOT_SET = "(not set)"
OTHER = "(other)"
TOP_VALUES = 10
CONTEXT = ("region", "language", "platform", "entry_point")


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @property
    def first(self) -> str:
        return self.start.isoformat()

    @property
    def last(self) -> str:
        return self.end.isoformat()

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]


@dataclass(frozen=True)
class Slice:
    """How a tile's rows are split and filtered."""

    breakdown: str | None = None
    experiment: str | None = None
    filters: Mapping[str, str] = field(default_factory=dict)
    # ``seg`` holds one row per creator and day (creator_daily): per-day distinct creators are
    # plain row counts, no per-creator grouping needed.
    daily_rows: bool = False


@dataclass
class Answer:
    rows: list[dict[str, Any]]
    headline: dict[str, Any]
    series: list[dict[str, Any]]


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if not denominator or numerator is None:
        return None
    return float(numerator) / float(denominator)


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


class Segments:
    """The SQL of a breakdown and the filters over a relation aliased ``alias``."""

    def __init__(self, alias: str, slice_: Slice, *, top: Sequence[str] | None = None) -> None:
        self.alias = alias
        self.slice = slice_
        self.top = top
        self.joins: list[str] = []
        self.join_params: list[Any] = []
        self.where: list[str] = []
        self.where_params: list[Any] = []
        breakdown = slice_.breakdown
        if breakdown in CONTEXT:
            raw = f"COALESCE(NULLIF({alias}.{breakdown}, ''), '{NOT_SET}')"
        elif breakdown == "follower_tier":
            self.joins.append(f"LEFT JOIN creators_dim cd ON cd.creator_id = {alias}.creator_id")
            raw = f"COALESCE(NULLIF(cd.follower_tier, ''), '{NOT_SET}')"
        elif breakdown == "experiment":
            # Only the creators assigned to the experiment: a variation is the segment.
            self.joins.append(
                f"JOIN assignments_dim ad ON ad.creator_id = {alias}.creator_id "
                "AND ad.experiment = ?"
            )
            self.join_params.append(slice_.experiment)
            raw = "ad.variation"
        else:
            raw = "'all'"
        self.raw = raw
        for dimension, value in sorted(slice_.filters.items()):
            if dimension == "follower_tier":
                if "cd" not in " ".join(self.joins):
                    self.joins.append(
                        f"LEFT JOIN creators_dim cd ON cd.creator_id = {alias}.creator_id"
                    )
                column = "cd.follower_tier"
            else:
                column = f"{alias}.{dimension}"
            if value == NOT_SET:
                self.where.append(f"({column} IS NULL OR {column} = '')")
            else:
                self.where.append(f"{column} = ?")
                self.where_params.append(value)

    @property
    def expression(self) -> str:
        if self.top is None:
            return self.raw
        if not self.top:
            return f"'{OTHER}'"
        marks = ", ".join("?" for _ in self.top)
        return f"CASE WHEN {self.raw} IN ({marks}) THEN {self.raw} ELSE '{OTHER}' END"

    @property
    def expression_params(self) -> list[Any]:
        return list(self.top) if self.top else []

    def clause(self, extra: str = "") -> str:
        conditions = [*self.where, *([extra] if extra else [])]
        return ("WHERE " + " AND ".join(conditions)) if conditions else ""

    def source(self, relation: str) -> str:
        return f"{relation} {self.alias} {' '.join(self.joins)}"


def top_values(
    engine: QueryEngine, relation: str, alias: str, slice_: Slice, period: Period, weight: str
) -> list[str] | None:
    """The breakdown's most frequent values (by ``weight``) when there are more than
    TOP_VALUES of them; None when every value fits."""
    if slice_.breakdown is None:
        return None
    segments = Segments(alias, slice_)
    rows = engine.query(
        f"SELECT {segments.raw} AS segment, SUM({weight}) AS weight "
        f"FROM {segments.source(relation)} "
        f"{segments.clause(f'{alias}.day BETWEEN ? AND ?')} "
        "GROUP BY segment ORDER BY weight DESC, segment",
        [*segments.join_params, *segments.where_params, period.first, period.last],
    )
    if len(rows) <= TOP_VALUES:
        return None
    return [str(row[0]) for row in rows[:TOP_VALUES]]


def _segments(
    engine: QueryEngine, relation: str, alias: str, slice_: Slice, period: Period, weight: str
) -> Segments:
    return Segments(alias, slice_, top=top_values(engine, relation, alias, slice_, period, weight))


def _grouped_query(
    engine: QueryEngine,
    segments: Segments,
    relation: str,
    *,
    per_creator: str,
    outer: str,
    period: Period,
    by_day: bool = False,
    extra_where: str = "",
) -> list[dict[str, Any]]:
    """Rows of ``outer`` aggregates over per-(segment[, day], creator) sums ``per_creator``."""
    alias = segments.alias
    day = f"{alias}.day AS day, " if by_day else ""
    day_group = "day, " if by_day else ""
    condition = f"{alias}.day BETWEEN ? AND ?" + (f" AND {extra_where}" if extra_where else "")
    if by_day and segments.slice.daily_rows:
        # One row per creator and day already: the per-creator sums are the row's values.
        per_creator = re.sub(r"SUM\((\w+\.\w+)\)", r"\1", per_creator)
        group = ""
    else:
        group = f"GROUP BY {day_group}segment, {alias}.creator_id"
    sql = f"""
        SELECT {day_group}segment, {outer}
        FROM (
            SELECT {day}{segments.expression} AS segment, {alias}.creator_id AS creator_id,
                   {per_creator}
            FROM {segments.source(relation)}
            {segments.clause(condition)}
            {group}
        ) AS per_creator
        GROUP BY {day_group}segment
        ORDER BY {day_group}segment
    """
    params = [
        *segments.expression_params,
        *segments.join_params,
        *segments.where_params,
        period.first,
        period.last,
    ]
    table = engine.arrow(sql, params)
    return table.to_pylist()  # type: ignore[no-any-return]


def _total_query(
    engine: QueryEngine,
    segments: Segments,
    relation: str,
    *,
    per_creator: str,
    outer: str,
    period: Period,
) -> dict[str, Any]:
    """The same aggregates over every creator (distinct creators counted once): the headline
    does not depend on the breakdown — with one by experiment variant, the creators not assigned
    count here and in no segment."""
    alias = segments.alias
    segments = Segments(alias, Slice(None, None, segments.slice.filters))
    sql = f"""
        SELECT {outer}
        FROM (
            SELECT {alias}.creator_id AS creator_id, {per_creator}
            FROM {segments.source(relation)}
            {segments.clause(f"{alias}.day BETWEEN ? AND ?")}
            GROUP BY {alias}.creator_id
        ) AS per_creator
    """
    params = [*segments.join_params, *segments.where_params, period.first, period.last]
    rows: list[dict[str, Any]] = engine.arrow(sql, params).to_pylist()
    return rows[0]


def _labelled(rows: list[dict[str, Any]], breakdown: str | None) -> list[dict[str, Any]]:
    """Rows keyed by the breakdown's name instead of ``segment`` (dropped without one)."""
    labelled = []
    for row in rows:
        segment = row.pop("segment")
        if breakdown:
            row = {breakdown: segment, **row}
        if "day" in row:
            row["day"] = _as_date(row["day"])
        labelled.append(row)
    return labelled


def _series(
    rows: list[dict[str, Any]], value: str, breakdown: str | None, period: Period
) -> list[dict[str, Any]]:
    """One point per day (and segment), days without rows as zero."""
    found = {(row["day"], row.get(breakdown) if breakdown else None): row for row in rows}
    segments = sorted({key[1] for key in found}, key=str) if breakdown else [None]
    points = []
    for segment in segments:
        for day in period.days:
            row = found.get((day, segment))
            point: dict[str, Any] = {"day": day, "value": row[value] if row else 0}
            if breakdown:
                point[breakdown] = segment
            points.append(point)
    return points


# --- overview -------------------------------------------------------------------------------

REACH_PER_CREATOR = "SUM(seg.impressions) AS impressions"
REACH_OUTER = "COUNT(CASE WHEN impressions > 0 THEN 1 END) AS reach"


def reach(engine: QueryEngine, period: Period, slice_: Slice) -> Answer:
    segments = _segments(engine, "seg", "seg", slice_, period, "seg.impressions")
    total = _total_query(
        engine, segments, "seg", per_creator=REACH_PER_CREATOR, outer=REACH_OUTER, period=period
    )
    rows = (
        _grouped_query(
            engine, segments, "seg", per_creator=REACH_PER_CREATOR, outer=REACH_OUTER,
            period=period,
        )
        if slice_.breakdown
        else [{"segment": None, **total}]
    )  # fmt: skip
    daily = _grouped_query(
        engine,
        segments,
        "seg",
        per_creator=REACH_PER_CREATOR,
        outer=REACH_OUTER,
        period=period,
        by_day=True,
    )
    breakdown = slice_.breakdown
    return Answer(
        rows=_labelled(rows, breakdown),
        headline={"reach": total["reach"]},
        series=_series(_labelled(daily, breakdown), "reach", breakdown, period),
    )


def active_creators(engine: QueryEngine, period: Period, slice_: Slice) -> Answer:
    """DAU per day over the period; WAU and MAU over the 7 and 30 days ending on its last day
    (``seg`` must be registered from 29 days before the period's start)."""
    breakdown = slice_.breakdown
    segments = _segments(engine, "seg", "seg", slice_, period, "seg.events")
    per_creator = "SUM(seg.events) AS events"
    outer = "COUNT(*) AS creators"
    daily = _labelled(
        _grouped_query(
            engine, segments, "seg", per_creator=per_creator, outer=outer, period=period,
            by_day=True,
        ),
        breakdown,
    )  # fmt: skip
    week = Period(period.end - timedelta(days=6), period.end)
    month = Period(period.end - timedelta(days=29), period.end)
    days = len(period.days)

    def windows(grouped: bool) -> dict[Any, dict[str, Any]]:
        found: dict[Any, dict[str, Any]] = {}
        for name, window in (("wau", week), ("mau", month)):
            if grouped:
                rows = _labelled(
                    _grouped_query(
                        engine, segments, "seg", per_creator=per_creator, outer=outer,
                        period=window,
                    ),
                    breakdown,
                )  # fmt: skip
                for row in rows:
                    found.setdefault(row[breakdown] if breakdown else None, {})[name] = row[
                        "creators"
                    ]
            else:
                total = _total_query(
                    engine, segments, "seg", per_creator=per_creator, outer=outer, period=window
                )
                found.setdefault(None, {})[name] = total["creators"]
        return found

    def summary(dau_sum: int, counts: dict[str, Any]) -> dict[str, Any]:
        return activity_summary(dau_sum, days, counts)

    total_daily = (
        _grouped_query(
            engine,
            Segments("seg", Slice(None, None, slice_.filters, slice_.daily_rows)),
            "seg",
            per_creator=per_creator,
            outer=outer,
            period=period,
            by_day=True,
        )
        if breakdown
        else daily
    )
    headline = summary(sum(row["creators"] for row in total_daily), windows(False)[None])
    if breakdown:
        per_segment = windows(True)
        dau_sums: dict[Any, int] = {}
        for row in daily:
            dau_sums[row[breakdown]] = dau_sums.get(row[breakdown], 0) + row["creators"]
        keys = sorted(set(dau_sums) | set(per_segment), key=str)
        rows = [
            {breakdown: key, **summary(dau_sums.get(key, 0), per_segment.get(key, {}))}
            for key in keys
        ]
    else:
        rows = [headline.copy()]
    return Answer(
        rows=rows, headline=headline, series=_series(daily, "creators", breakdown, period)
    )


NORTH_STAR_PER_CREATOR = (
    "SUM(seg.impressions) AS impressions, SUM(seg.clicks) AS clicks, "
    "SUM(seg.lesson_starts) AS lesson_starts, SUM(seg.lesson_completes) AS lesson_completes"
)
NORTH_STAR_OUTER = (
    "COUNT(CASE WHEN lesson_completes > 0 THEN 1 END) AS learning_creators, "
    "COUNT(CASE WHEN impressions > 0 THEN 1 END) AS reach, "
    "COUNT(CASE WHEN clicks > 0 THEN 1 END) AS clicking_creators, "
    "COUNT(CASE WHEN lesson_starts > 0 THEN 1 END) AS starting_creators"
)


def _north_star_rates(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **row,
        "reach_click_rate": ratio(row["clicking_creators"], row["reach"]),
        "click_start_rate": ratio(row["starting_creators"], row["clicking_creators"]),
        "start_complete_rate": ratio(row["learning_creators"], row["starting_creators"]),
    }


def north_star(engine: QueryEngine, period: Period, slice_: Slice) -> Answer:
    breakdown = slice_.breakdown
    segments = _segments(engine, "seg", "seg", slice_, period, "seg.events")
    kwargs: dict[str, Any] = {
        "per_creator": NORTH_STAR_PER_CREATOR,
        "outer": NORTH_STAR_OUTER,
        "period": period,
    }
    total = _total_query(engine, segments, "seg", **kwargs)
    rows = (
        _labelled(_grouped_query(engine, segments, "seg", **kwargs), breakdown)
        if breakdown
        else [dict(total)]
    )
    daily = _labelled(_grouped_query(engine, segments, "seg", by_day=True, **kwargs), breakdown)
    return Answer(
        rows=[_north_star_rates(row) for row in rows],
        headline=_north_star_rates(total),
        series=_series(daily, "learning_creators", breakdown, period),
    )


# --- entry points and learning: event counts per segment -----------------------------------


def _event_counts(
    engine: QueryEngine,
    period: Period,
    slice_: Slice,
    columns: Sequence[str],
    weight: str,
) -> tuple[list[dict[str, Any]], dict[str, Any], list[dict[str, Any]]]:
    """Sums of event-count columns of ``seg`` per segment, in total and per day and segment."""
    segments = _segments(engine, "seg", "seg", slice_, period, f"seg.{weight}")
    sums = ", ".join(f"CAST(SUM(seg.{column}) AS BIGINT) AS {column}" for column in columns)
    condition = segments.clause("seg.day BETWEEN ? AND ?")
    params = [
        *segments.expression_params,
        *segments.join_params,
        *segments.where_params,
        period.first,
        period.last,
    ]
    by_day: list[dict[str, Any]] = engine.arrow(
        f"SELECT seg.day AS day, {segments.expression} AS segment, {sums} "
        f"FROM {segments.source('seg')} {condition} "
        "GROUP BY seg.day, segment ORDER BY day, segment",
        params,
    ).to_pylist()
    daily = _labelled(by_day, slice_.breakdown)
    per_segment: dict[Any, dict[str, Any]] = {}
    total = dict.fromkeys(columns, 0)
    for row in daily:
        key = row.get(slice_.breakdown) if slice_.breakdown else None
        target = per_segment.setdefault(key, dict.fromkeys(columns, 0))
        for column in columns:
            target[column] += row[column] or 0
            total[column] += row[column] or 0
    if slice_.breakdown == "experiment":
        # The headline counts every creator; the segments only those assigned.
        every = Segments("seg", Slice(None, None, slice_.filters))
        found = engine.arrow(
            f"SELECT {sums} FROM {every.source('seg')} {every.clause('seg.day BETWEEN ? AND ?')}",
            [*every.join_params, *every.where_params, period.first, period.last],
        ).to_pylist()[0]
        total = {column: found[column] or 0 for column in columns}
    rows = [
        ({slice_.breakdown: key} if slice_.breakdown else {}) | values
        for key, values in sorted(per_segment.items(), key=lambda item: str(item[0]))
    ]
    return rows, total, daily


def entry_point_ctr(engine: QueryEngine, period: Period, slice_: Slice) -> Answer:
    """Per entry point unless another breakdown is asked for."""
    slice_ = Slice(
        slice_.breakdown or "entry_point", slice_.experiment, slice_.filters, slice_.daily_rows
    )
    rows, total, daily = _event_counts(
        engine, period, slice_, ("impressions", "clicks"), "impressions"
    )
    return ctr_answer(rows, total, daily, str(slice_.breakdown), period)


def ctr_answer(
    rows: list[dict[str, Any]],
    total: dict[str, Any],
    daily: list[dict[str, Any]],
    breakdown: str,
    period: Period,
) -> Answer:
    """The CTR tile from impressions and clicks per segment, in total and per day and segment."""
    for row in [*rows, total, *daily]:
        row["ctr"] = ratio(row["clicks"], row["impressions"])
    rows = [row for row in rows if row["impressions"] or row["clicks"]]
    daily = [row for row in daily if row["impressions"] or row["clicks"]]
    series = _series(daily, "ctr", breakdown, period)
    # A day without impressions has no CTR rather than 0.
    shown = {(row["day"], row[breakdown]) for row in daily}
    for point in series:
        if (point["day"], point[breakdown]) not in shown:
            point["value"] = None
    return Answer(rows=rows, headline=total, series=series)


def lessons(engine: QueryEngine, period: Period, slice_: Slice) -> Answer:
    rows, total, daily = _event_counts(
        engine, period, slice_, ("lesson_starts", "lesson_completes"), "lesson_starts"
    )
    return lessons_answer(rows, total, daily, slice_.breakdown, period)


def lessons_answer(
    rows: list[dict[str, Any]],
    total: dict[str, Any],
    daily: list[dict[str, Any]],
    breakdown: str | None,
    period: Period,
) -> Answer:
    """The lessons tile from lesson starts and completions per segment, in total and per day
    and segment."""
    for row in [*rows, total, *daily]:
        row["completion_rate"] = ratio(row["lesson_completes"], row["lesson_starts"])
    return Answer(
        rows=rows, headline=total, series=_series(daily, "lesson_starts", breakdown, period)
    )


def activity_summary(dau_sum: int, days: int, windows: Mapping[str, int]) -> dict[str, Any]:
    """Active creators: the average DAU over ``days`` days, WAU and MAU (``windows``) and
    stickiness (DAU / MAU)."""
    dau = dau_sum / days
    mau = windows.get("mau", 0)
    return {"dau": dau, "wau": windows.get("wau", 0), "mau": mau, "stickiness": ratio(dau, mau)}


# --- learning and content: per (creator, item) from creator_lesson_daily ------------------


def _item_filter(slice_: Slice, alias: str = "les") -> tuple[Slice, str, list[Any]]:
    """The item filters as SQL over ``alias`` (the other filters stay in the slice)."""
    filters = dict(slice_.filters)
    conditions, params = [], []
    for key in ("item_kind", "item_id"):
        if key in filters:
            conditions.append(f"{alias}.{key} = ?")
            params.append(filters.pop(key))
    return Slice(slice_.breakdown, slice_.experiment, filters), " AND ".join(conditions), params


def _pairs(
    engine: QueryEngine,
    period: Period,
    slice_: Slice,
    *,
    sums: str,
    outer: str,
    by_day: bool,
    grouped: bool,
    condition: str = "",
) -> list[dict[str, Any]]:
    """Aggregates ``outer`` over (creator, item[, segment][, day]) pairs of ``les``."""
    slice_, item_condition, item_params = _item_filter(slice_)
    segments = (
        _segments(engine, "les", "les", slice_, period, "les.lesson_starts")
        if grouped
        else Segments("les", Slice(None, None, slice_.filters))
    )
    conditions = ["les.day BETWEEN ? AND ?"]
    if item_condition:
        conditions.append(item_condition)
    if condition:
        conditions.append(condition)
    day = "les.day AS day, " if by_day else ""
    day_group = "day, " if by_day else ""
    segment = f"{segments.expression} AS segment, " if grouped else ""
    segment_group = "segment, " if grouped else ""
    sql = f"""
        SELECT {day_group}{segment_group}{outer}
        FROM (
            SELECT {day}{segment}les.creator_id AS creator_id, les.item_kind AS item_kind,
                   les.item_id AS item_id, {sums}
            FROM {segments.source("les")}
            {segments.clause(" AND ".join(conditions))}
            GROUP BY {day_group}{segment_group}les.creator_id, les.item_kind, les.item_id
        ) AS pairs
        {"GROUP BY " + (day_group + segment_group).rstrip(", ") if by_day or grouped else ""}
    """
    params = [
        *(segments.expression_params if grouped else []),
        *segments.join_params,
        *segments.where_params,
        period.first,
        period.last,
        *item_params,
    ]
    rows: list[dict[str, Any]] = engine.arrow(sql, params).to_pylist()
    if grouped:
        return _labelled(rows, slice_.breakdown)
    for row in rows:
        if "day" in row:
            row["day"] = _as_date(row["day"])
    return rows


def _sorted_rows(rows: list[dict[str, Any]], breakdown: str | None) -> list[dict[str, Any]]:
    if not breakdown:
        return rows
    return sorted(rows, key=lambda row: str(row[breakdown]))


WATCH_SUMS = "MAX(les.max_percent) AS max_percent"
WATCH_OUTER = "COUNT(max_percent) AS pairs, AVG(max_percent) AS average_watch_percentage"


def watch_percentage(engine: QueryEngine, period: Period, slice_: Slice) -> Answer:
    kwargs: dict[str, Any] = {
        "sums": WATCH_SUMS,
        "outer": WATCH_OUTER,
        "condition": "les.max_percent IS NOT NULL",
    }
    breakdown = slice_.breakdown
    total = _pairs(engine, period, slice_, by_day=False, grouped=False, **kwargs)[0]
    rows = (
        _pairs(engine, period, slice_, by_day=False, grouped=True, **kwargs)
        if breakdown
        else [total]
    )
    daily = _pairs(engine, period, slice_, by_day=True, grouped=bool(breakdown), **kwargs)
    series = _series(daily, "average_watch_percentage", breakdown, period)
    shown = {(row["day"], row.get(breakdown or "")) for row in daily}
    for point in series:
        if (point["day"], point.get(breakdown or "")) not in shown:
            point["value"] = None
    return Answer(rows=_sorted_rows(rows, breakdown), headline=total, series=series)


COURSE_SUMS = "SUM(les.enrolls) AS enrolls, SUM(les.badges) AS badges"
COURSE_OUTER = (
    "COUNT(CASE WHEN enrolls > 0 THEN 1 END) AS enrollments, "
    "COUNT(CASE WHEN badges > 0 THEN 1 END) AS completions, "
    "COUNT(CASE WHEN enrolls > 0 AND badges > 0 THEN 1 END) AS enrolled_and_completed"
)


def course_completion(engine: QueryEngine, period: Period, slice_: Slice) -> Answer:
    kwargs: dict[str, Any] = {
        "sums": COURSE_SUMS,
        "outer": COURSE_OUTER,
        "condition": "les.item_kind = 'course' AND (les.enrolls > 0 OR les.badges > 0)",
    }
    breakdown = slice_.breakdown
    total = _pairs(engine, period, slice_, by_day=False, grouped=False, **kwargs)[0]
    rows = (
        _pairs(engine, period, slice_, by_day=False, grouped=True, **kwargs)
        if breakdown
        else [dict(total)]
    )
    daily = _pairs(engine, period, slice_, by_day=True, grouped=bool(breakdown), **kwargs)
    for row in [*rows, total]:
        row["course_completion_rate"] = ratio(row["enrolled_and_completed"], row["enrollments"])
    return Answer(
        rows=_sorted_rows(rows, breakdown),
        headline=total,
        series=_series(daily, "completions", breakdown, period),
    )


def content_performance(engine: QueryEngine, period: Period, slice_: Slice, limit: int) -> Answer:
    slice_, item_condition, item_params = _item_filter(slice_)
    segments = Segments("les", Slice(None, None, slice_.filters))
    conditions = ["les.day BETWEEN ? AND ?", *([item_condition] if item_condition else [])]
    sql = f"""
        WITH pairs AS (
            SELECT les.item_kind AS item_kind, les.item_id AS item_id, les.creator_id,
                   SUM(les.lesson_starts) + SUM(les.progress_events) AS views,
                   SUM(les.lesson_completes) AS completes, MAX(les.max_percent) AS max_percent
            FROM {segments.source("les")}
            {segments.clause(" AND ".join(conditions))}
            GROUP BY les.item_kind, les.item_id, les.creator_id
        )
        SELECT item_kind, item_id,
               COUNT(CASE WHEN views > 0 THEN 1 END) AS viewers,
               COUNT(CASE WHEN views > 0 AND completes > 0 THEN 1 END) AS completed_viewers,
               CAST(SUM(completes) AS BIGINT) AS lesson_completes,
               AVG(CASE WHEN views > 0 THEN max_percent END) AS average_watch_percentage,
               PERCENTILE_CONT(0.5) WITHIN GROUP (
                   ORDER BY CASE WHEN views > 0 AND completes = 0 THEN max_percent END
               ) AS drop_off_point
        FROM pairs
        GROUP BY item_kind, item_id
        HAVING COUNT(CASE WHEN views > 0 THEN 1 END) > 0
        ORDER BY viewers DESC, item_kind, item_id
    """
    params = [*segments.join_params, *segments.where_params, period.first, period.last]
    every: list[dict[str, Any]] = engine.arrow(sql, [*params, *item_params]).to_pylist()
    return content_answer(every, limit)


def content_answer(every: list[dict[str, Any]], limit: int) -> Answer:
    """The content tile from its per-item rows (most viewed first)."""
    for row in every:
        row["completion_rate"] = ratio(row["completed_viewers"], row["viewers"])
    viewers = sum(row["viewers"] for row in every)
    completed = sum(row["completed_viewers"] for row in every)
    return Answer(
        rows=every[:limit],
        headline={
            "items": len(every),
            "viewers": viewers,
            "completion_rate": ratio(completed, viewers),
        },
        series=[],
    )


# --- retention ------------------------------------------------------------------------------


def retention(engine: QueryEngine, period: Period, slice_: Slice, offsets: Sequence[int]) -> Answer:
    """Weekly cohorts of first activity (``act`` registered over all history up to the end)."""
    segments = Segments("act", Slice(slice_.breakdown, slice_.experiment, {}))
    filters = Segments("act", Slice(None, None, slice_.filters))
    joins = " ".join([*segments.joins, *filters.joins])
    flags = ", ".join(
        f"MAX(CASE WHEN a.offset_days = {n} THEN 1 ELSE 0 END) AS exact_{n}" for n in offsets
    )
    columns = ", ".join(
        f"COUNT(CASE WHEN first_day + {n} <= ? THEN 1 END) AS eligible_{n}, "
        f"COUNT(CASE WHEN first_day + {n} <= ? AND exact_{n} = 1 THEN 1 END) AS retained_{n}, "
        f"COUNT(CASE WHEN first_day + {n} <= ? AND last_offset >= {n} THEN 1 END) "
        f"AS unbounded_{n}"
        for n in offsets
    )
    sql = f"""
        WITH firsts AS (
            SELECT creator_id, MIN(CAST(day AS DATE)) AS first_day FROM act GROUP BY creator_id
        ), cohort AS (
            SELECT act.creator_id AS creator_id, f.first_day AS first_day,
                   {segments.raw} AS segment
            FROM firsts f JOIN (SELECT DISTINCT creator_id FROM act) act
                 ON act.creator_id = f.creator_id
            {joins}
            WHERE f.first_day BETWEEN CAST(? AS DATE) AND CAST(? AS DATE)
            {"AND " + " AND ".join(filters.where) if filters.where else ""}
        ), activity AS (
            SELECT c.creator_id, c.first_day, c.segment,
                   CAST(act.day AS DATE) - c.first_day AS offset_days
            FROM cohort c JOIN act ON act.creator_id = c.creator_id
            WHERE CAST(act.day AS DATE) <= CAST(? AS DATE)
        ), per_creator AS (
            SELECT a.creator_id, a.first_day, a.segment, MAX(a.offset_days) AS last_offset,
                   {flags}
            FROM activity a GROUP BY a.creator_id, a.first_day, a.segment
        )
        {retention_by_week(columns)}
    """
    end = period.end
    params = [
        *segments.join_params,
        *filters.join_params,
        period.first,
        period.last,
        *filters.where_params,
        period.last,
        *[end for _ in offsets for _ in range(3)],
    ]
    raw: list[dict[str, Any]] = engine.arrow(sql, params).to_pylist()
    return retention_answer(raw, slice_.breakdown, offsets)


def retention_by_week(columns: str) -> str:
    """The retention query's last step: per cohort week and segment, the creators and
    ``columns`` (sums over the ``per_creator`` relation's flags)."""
    return f"""SELECT date_trunc('week', first_day) AS week, segment, COUNT(*) AS creators,
               {columns}
        FROM per_creator
        GROUP BY week, segment
        ORDER BY week, segment"""


def retention_answer(
    raw: list[dict[str, Any]], breakdown: str | None, offsets: Sequence[int]
) -> Answer:
    """The retention tile from per (cohort week, segment) counts: ``creators`` and, for each
    offset n, ``eligible_n``, ``retained_n`` and ``unbounded_n``."""
    rows = []
    totals: dict[str, int] = {}
    for row in raw:
        out: dict[str, Any] = {"week": _as_date(row["week"])}
        if breakdown:
            out[breakdown] = row["segment"]
        out["creators"] = row["creators"]
        for n in offsets:
            eligible = row[f"eligible_{n}"]
            out[f"day_{n}"] = ratio(row[f"retained_{n}"], eligible)
            out[f"day_{n}_unbounded"] = ratio(row[f"unbounded_{n}"], eligible)
            out[f"eligible_{n}"] = eligible
            for key in ("eligible", "retained", "unbounded"):
                totals[f"{key}_{n}"] = totals.get(f"{key}_{n}", 0) + row[f"{key}_{n}"]
        totals["creators"] = totals.get("creators", 0) + row["creators"]
        rows.append(out)
    headline: dict[str, Any] = {"creators": totals.get("creators", 0)}
    for n in offsets:
        eligible = totals.get(f"eligible_{n}", 0)
        headline[f"day_{n}"] = ratio(totals.get(f"retained_{n}", 0), eligible)
        headline[f"day_{n}_unbounded"] = ratio(totals.get(f"unbounded_{n}", 0), eligible)
    series = [
        {"day": row["week"], "offset": n, "value": row[f"day_{n}"]}
        | ({breakdown: row[breakdown]} if breakdown else {})
        for row in rows
        for n in offsets
    ]
    return Answer(rows=rows, headline=headline, series=series)


# --- funnels --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    name: str
    entry_point: str = ""

    @property
    def label(self) -> str:
        return f"{self.name}@{self.entry_point}" if self.entry_point else self.name


def funnel(
    events: StepEvents,
    slice_: Slice,
    steps: Sequence[Step],
    window: timedelta,
    order: str,
    dimension: CreatorDimension | None = None,
) -> Answer:
    """Creators reaching each step (see the funnel metrics) in ``events``, the period's step
    events: each creator's time at each step from one vectorised pass per step (``reach_times``),
    then the counts and medians per segment. Segments and the follower-tier filter are arrays
    per creator too: the entering event's context, or the creator ``dimension`` by key (needed
    for follower tier and experiment variant)."""
    kept = {key: value for key, value in slice_.filters.items() if key in EVENT_FILTERS}
    creator_filters = {k: v for k, v in slice_.filters.items() if k not in EVENT_FILTERS}
    breakdown = slice_.breakdown
    times = reach_times(
        events,
        steps,
        window,
        order,
        filters=kept,
        context=breakdown if breakdown in CONTEXT else None,
    )
    done, elapsed = times.done_and_elapsed(order)
    tiers: tuple[npt.NDArray[np.int64], list[str]] | None = None
    if breakdown == "follower_tier" or creator_filters:
        if dimension is None:
            raise ValueError("A follower-tier breakdown or filter needs the creator dimension.")
        tiers = dimension.follower_tiers(events, times.keys)
    chosen: npt.NDArray[np.int64] | None = None
    for column, value in creator_filters.items():
        if column != "follower_tier" or tiers is None:
            raise ValueError(f"A funnel cannot filter creators by {column}.")
        codes, values = tiers
        allowed = np.array([_matches(text, value) for text in values] + [value == NOT_SET])
        chosen = np.flatnonzero(allowed[codes])
    members, labels = _funnel_segments(events, times, slice_, tiers, dimension, chosen)
    total = _step_totals(done, elapsed, members if breakdown else chosen)
    grouped = []
    if breakdown and members is not None:
        # Members in segment order (a stable sort of small codes is a radix sort), each step's
        # arrays gathered once in that order: a segment is then a slice of them.
        codes = labels.codes.astype(np.int32 if len(labels.values) >= 2**15 else np.int16)
        by_label = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[by_label], np.arange(len(labels.values) + 1))
        ordered = members[by_label]
        done_in_order = [reached[ordered] for reached in done]
        elapsed_in_order = [micros[ordered] for micros in elapsed]
        for code in sorted(
            range(len(labels.values)),
            key=lambda c: (labels.values[c] is None, str(labels.values[c])),
        ):
            within = slice(bounds[code], bounds[code + 1])
            if within.stop > within.start:
                segment = _step_totals(
                    [reached[within] for reached in done_in_order],
                    [micros[within] for micros in elapsed_in_order],
                    None,
                )
                grouped.append((labels.values[code], segment))
    return funnel_answer(steps, breakdown, total, grouped)


def _matches(text: str | None, wanted: str) -> bool:
    """Whether a creator's value passes a filter: NOT_SET stands for a missing or empty one."""
    return not text if wanted == NOT_SET else text == wanted


@dataclass(frozen=True)
class Labels:
    """A segment per member (a code into ``values``, the segments' names)."""

    codes: npt.NDArray[np.int64]
    values: list[str]


def _named(values: Sequence[str | None]) -> tuple[npt.NDArray[np.int64], list[str]]:
    """Codes of raw values into their segment names (missing or empty: NOT_SET, merged)."""
    names = sorted({value or NOT_SET for value in values})
    index = {name: code for code, name in enumerate(names)}
    return np.array([index[value or NOT_SET] for value in values], dtype=np.int64), names


def _funnel_segments(
    events: StepEvents,
    times: ReachTimes,
    slice_: Slice,
    tiers: tuple[npt.NDArray[np.int64], list[str]] | None,
    dimension: CreatorDimension | None,
    chosen: npt.NDArray[np.int64] | None,
) -> tuple[npt.NDArray[np.int64] | None, Labels]:
    """The breakdown's members (rows of ``times``, among ``chosen`` if given; a creator may be
    a member of several segments, or none) and each member's segment."""
    breakdown = slice_.breakdown
    rows = np.arange(len(times.keys)) if chosen is None else chosen
    if breakdown in CONTEXT and times.context is not None:
        # Every creator who entered has an entering event, so a value.
        remap, names = _named(times.values)
        return rows, Labels(remap[times.context[rows]], names)
    if breakdown == "follower_tier" and tiers is not None:
        codes, values = tiers
        remap, names = _named([*values, None])
        return rows, Labels(remap[codes[rows]], names)
    if breakdown == "experiment" and dimension is not None and slice_.experiment:
        positions, codes, values = dimension.variations(events, times.keys, slice_.experiment)
        if chosen is not None:
            kept = np.isin(positions, chosen)
            positions, codes = positions[kept], codes[kept]
        return positions, Labels(codes, values)
    return None, Labels(np.zeros(0, dtype=np.int64), [])


def funnel_answer(
    steps: Sequence[Step],
    breakdown: str | None,
    total: Mapping[str, Any],
    grouped: Sequence[tuple[Any, Mapping[str, Any]]],
) -> Answer:
    """The funnel tile from ``reached_k`` and ``seconds_k`` (the median) of each step, over all
    creators (``total``) and per segment of the breakdown (``grouped``)."""

    def step_rows(row: Mapping[str, Any], segment: Any = None) -> list[dict[str, Any]]:
        out = []
        entered = row["reached_1"]
        for k, step in enumerate(steps, start=1):
            creators = row[f"reached_{k}"]
            previous = row[f"reached_{k - 1}"] if k > 1 else creators
            item: dict[str, Any] = {}
            if breakdown:
                item[breakdown] = segment
            item |= {
                "step": k,
                "event": step.label,
                "creators": creators,
                "step_conversion": ratio(creators, previous),
                "overall_conversion": ratio(creators, entered),
                "median_seconds": row[f"seconds_{k}"] if k > 1 else None,
            }
            out.append(item)
        return out

    if breakdown:
        rows = [item for segment, row in grouped for item in step_rows(row, segment)]
    else:
        rows = step_rows(total)
    count = len(steps)
    headline = {
        "entered": total["reached_1"],
        "converted": total[f"reached_{count}"],
        "conversion": ratio(total[f"reached_{count}"], total["reached_1"]),
        "median_seconds": total[f"seconds_{count}"] if count > 1 else None,
    }
    return Answer(rows=rows, headline=headline, series=[])


# Filters a funnel applies to each step event (the others are the creator's).
EVENT_FILTERS = (*CONTEXT, "item_kind", "item_id")


@dataclass(frozen=True)
class ReachTimes:
    """Per creator key: when they entered (``t0``) and reached each step (µs since the epoch;
    NEVER if not), and the breakdown's context of their entering event (``context``, an index
    into ``values``), for the keys that have a ``t0``."""

    keys: npt.NDArray[np.int64]
    t0: npt.NDArray[np.int64]
    steps: list[npt.NDArray[np.int64]]
    context: npt.NDArray[np.int64] | None
    values: list[str]

    def done_and_elapsed(
        self, order: str
    ) -> tuple[list[npt.NDArray[np.bool_]], list[npt.NDArray[np.int64]]]:
        """Per step, which creators count as reaching it and their µs from entering the funnel
        (meaningful where they do): strict order, those with its time, to it; any order, those
        with steps 1..k, to the latest of them."""
        done, elapsed = [], []
        reached = np.ones(len(self.keys), dtype=bool)
        latest = self.t0
        for times in self.steps:
            at = times != NEVER
            if order == "strict":
                reached, latest = at, times
            else:
                reached = reached & at
                latest = np.maximum(latest, np.where(at, times, latest))
            done.append(reached)
            elapsed.append(latest - self.t0)
        return done, elapsed


MICROS_PER_DAY = 86_400_000_000


def epoch_seconds(micros: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
    """SQL's ``epoch(t1 - t0)`` of non-negative µs differences, to the last bit: the interval is
    whole days plus µs, and its epoch the days' seconds plus the µs over a million."""
    days = micros // MICROS_PER_DAY
    return (days * 86_400).astype(np.float64) + (micros - days * MICROS_PER_DAY) / 1_000_000


def median_seconds(micros: npt.NDArray[np.int64]) -> float | None:
    """SQL's ``PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY epoch(t1 - t0))`` of these µs
    differences, to the last bit: the middle value, or for an even count the two middle ones
    weighted as DuckDB weighs them; None for none. Only the middle values are converted to
    seconds (the conversion keeps the order)."""
    if not len(micros):
        return None
    position = (len(micros) - 1) * 0.5
    lower, upper = int(np.floor(position)), int(np.ceil(position))
    middle = epoch_seconds(np.partition(micros, [lower, upper])[[lower, upper]])
    low, high = float(middle[0]), float(middle[1])
    weight = position - lower
    return low if lower == upper else low * (1 - weight) + high * weight


def _step_totals(
    done: list[npt.NDArray[np.bool_]],
    elapsed: list[npt.NDArray[np.int64]],
    rows: npt.NDArray[np.int64] | None,
) -> dict[str, Any]:
    """``reached_k`` and ``seconds_k`` (the median) of each step over ``rows`` (None: all)."""
    totals: dict[str, Any] = {}
    for k, (reached, micros) in enumerate(zip(done, elapsed, strict=True), start=1):
        if rows is not None:
            reached, micros = reached[rows], micros[rows]
        totals[f"reached_{k}"] = int(reached.sum())
        totals[f"seconds_{k}"] = median_seconds(micros[reached])
    return totals


def reach_times(
    events: StepEvents,
    steps: Sequence[Step],
    window: timedelta,
    order: str,
    *,
    filters: Mapping[str, str],
    context: str | None,
) -> ReachTimes:
    """Each creator's funnel times (the metric's definition) over arrays indexed by creator key.

    Strict order: step 1 is the earliest step-1 event; step k the earliest step-k event at or
    after step k-1, if no later than step 1 plus the window. Any order: the window opens at the
    earliest event of any step; step k's time is its earliest event if inside the window.
    With a ``context`` column, the entering event's value comes from the same pass (``Ranked``).
    """
    wanted = {
        column: "" if value == NOT_SET and column in CONTEXT else value
        for column, value in filters.items()
    }
    strict = order == "strict"
    entering = steps[:1] if strict else steps
    ranked = Ranked.of(events, context) if context is not None else None
    earliest = [_earliest_after(events, step, None, wanted, ranked) for step in entering]
    first = np.minimum.reduce(earliest) if len(earliest) > 1 else earliest[0]
    chosen: npt.NDArray[np.int64] | None = None
    if ranked is not None:
        first, chosen = ranked.decode(first)
        earliest = [ranked.decode(times)[0] for times in earliest]
    t0 = first
    entered = t0 != NEVER
    limit = np.full(events.bound, np.iinfo(np.int64).min, dtype=np.int64)
    limit[entered] = t0[entered] + int(window.total_seconds()) * 1_000_000
    if strict:
        reached = [t0]
        for step in steps[1:]:
            # The earliest event at or after step k-1; past the window, none is inside it.
            after = _earliest_after(events, step, reached[-1], wanted)
            reached.append(np.where(after <= limit, after, NEVER))
    else:
        reached = [np.where(first <= limit, first, NEVER) for first in earliest]
    keys = np.flatnonzero(entered)
    return ReachTimes(
        keys=keys,
        t0=t0[keys],
        steps=[times[keys] for times in reached],
        context=None if chosen is None else chosen[keys],
        values=[] if ranked is None else ranked.values,
    )


class TooManyValues(ValueError):
    """A context column has too many distinct values for a funnel to break down by."""


class Ranked:
    """A context column's values in sorted order, and an event's time and its value's rank packed
    in one int64, ``(micros - base) << shift | rank``: the earliest packed value of a creator's
    events is their earliest time and, of the events at that instant, the smallest value (the
    tie rule of the funnel metrics), from one ``np.minimum.at`` — so the entering event's
    context costs no second pass over the events."""

    def __init__(self, column: str, values: list[str], base: int, shift: int) -> None:
        self.column = column
        self.values = values
        self.base = base
        self.shift = shift
        self._index = {value: rank for rank, value in enumerate(values)}
        # Each chunk's dictionary (a day's, the lake's) as ranks, by the dictionary's identity
        # (the dictionary is kept alongside so that its id cannot be reused).
        self._ranks: dict[int, tuple[Sequence[str], npt.NDArray[np.int64]]] = {}

    @classmethod
    def of(cls, events: StepEvents, column: str) -> Ranked:
        """The column's values over ``events`` and a packing that fits the period's times."""
        values = set()
        starts, ends = [], []
        for stored in events.days:
            if column == "entry_point":
                values |= {block.entry_point for block in stored.blocks}
            else:
                values |= set(stored.coded(column)[1])
            start = datetime.fromisoformat(stored.day).replace(tzinfo=UTC)
            starts.append(int(start.timestamp()) * 1_000_000)
            ends.append(starts[-1] + MICROS_PER_DAY)
        if events.lake is not None and events.lake.num_rows:
            values |= set(pc.unique(events.lake.column(column)).to_pylist())
            bounds = pc.min_max(events.lake.column("micros")).as_py()
            starts.append(bounds["min"])
            ends.append(bounds["max"] + 1)
        base = min(starts, default=0)
        shift = max(1, len(values).bit_length())
        # Packed values stay below 2**62 (and NEVER above them) while the span fits.
        if (max(ends, default=base) - base).bit_length() + shift > 62:
            raise TooManyValues(column)
        return cls(column, sorted(values), base, shift)

    def _ranks_of(self, values: Sequence[str]) -> npt.NDArray[np.int64]:
        found = self._ranks.get(id(values))
        if found is None:
            ranks = np.array([self._index[value] for value in values], dtype=np.int64)
            found = self._ranks[id(values)] = (values, ranks)
        return found[1]

    def pack(
        self, chunk: Chunk, rows: npt.NDArray[np.intp] | None, micros: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.int64]:
        """The chunk's picked events (``rows`` of it as indices, None: all; their ``micros``)
        packed with their rank."""
        codes, values = chunk.coded(self.column)
        ranks = self._ranks_of(values)[codes if rows is None else codes.take(rows)]
        packed: npt.NDArray[np.int64] = ((micros - self.base) << self.shift) | ranks
        return packed

    def decode(
        self, packed: npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Times (NEVER stays NEVER) and ranks (``len(values)`` for none) of packed values."""
        never = packed == NEVER
        micros = np.where(never, NEVER, (packed >> self.shift) + self.base)
        ranks = np.where(never, len(self.values), packed & ((1 << self.shift) - 1))
        return micros, ranks


Rows = npt.NDArray[np.bool_] | npt.NDArray[np.intp] | None
# Threads a funnel step's parts are read in (numpy's array operations release the GIL).
THREADS = min(2, os.cpu_count() or 1)
# A day's other events are found by bisection for at most one unsettled creator in this many
# of them, else read in one pass.
BISECT_BELOW = 16


def _candidates(
    parts: Sequence[Part],
    previous: npt.NDArray[np.int64] | None,
    wanted: Mapping[str, str],
) -> Iterator[tuple[Chunk, Rows]]:
    """The ``step`` events that can be a creator's earliest of their day kept by the filters
    and at or after ``previous`` (None: any time): each chunk and which of its rows (a mask or
    indices; None: all).

    A creator's first events of a stored day (all those at their earliest instant) settle the
    day if one qualifies. Filtered by item kind, so do their first events of that kind (the
    ``kinds`` segment holds each kind's first events a creator's first ones lack): a creator
    with none has no event of that kind that day. The day's other events count only for the
    creators none of whose candidates did — they came before ``previous`` while ``previous``
    is no later than the day's last event, or another filter dropped them — and only their rows
    are read (``_unsettled_rows``), so without filters or ``previous`` (step 1, any order) only
    the first events are.
    """
    kind = wanted.get("item_kind")
    for part in parts:
        first = part.first
        since = None if previous is None else previous[first.keys]
        qualifies = _qualifying(first, since, wanted)
        yield first, qualifies
        if qualifies is None or (part.rest is None and part.kinds is None):
            continue
        if kind is not None:
            # The kind's candidates settle their creators unless they failed.
            candidates: list[
                tuple[Chunk, npt.NDArray[np.bool_] | None, npt.NDArray[np.int64] | None]
            ] = [(first, qualifies, since)]
            if part.kinds is not None:
                kinds = part.kinds()
                kinds_since = None if previous is None else previous[kinds.keys]
                kinds_qualify = _qualifying(kinds, kinds_since, wanted)
                yield kinds, kinds_qualify
                candidates.append((kinds, kinds_qualify, kinds_since))
            early_keys = []
            for chunk, passed, bound in candidates:
                if len(wanted) == 1 and bound is None:
                    continue  # Every candidate of the kind passed.
                failed = chunk.matching({"item_kind": kind})
                if passed is not None:
                    failed &= ~passed
                if bound is not None:
                    failed &= bound <= part.last
                early_keys.append(chunk.keys[failed])
            early = np.unique(np.concatenate(early_keys)) if early_keys else np.zeros(0, np.int64)
            others = [part.rest]
        else:
            unsettled = ~qualifies
            if since is not None:
                unsettled &= since <= part.last
            early = first.keys[unsettled]
            # First rows are by creator: a creator's ties are neighbours.
            early = (
                early[np.concatenate(([True], early[1:] != early[:-1]))] if len(early) else early
            )
            others = [part.kinds, part.rest]
        if not len(early):
            continue
        for read in others:
            if read is not None:
                chunk = read()
                yield chunk, _unsettled_rows(chunk, early, previous, wanted)


def _unsettled_rows(
    chunk: Chunk,
    early: npt.NDArray[np.int64],
    previous: npt.NDArray[np.int64] | None,
    wanted: Mapping[str, str],
) -> Rows:
    """The rows of a chunk sorted by creator and time that qualify for the ``early`` creators
    (sorted, distinct): found by bisection, or every row in one pass when many are early (the
    other creators' rows are later than their candidates and change nothing)."""
    if len(early) * BISECT_BELOW >= len(chunk.keys):
        later = None if previous is None else previous[chunk.keys]
        return _qualifying(chunk, later, wanted)
    low = np.searchsorted(chunk.keys, early, side="left")
    runs = np.searchsorted(chunk.keys, early, side="right") - low
    offsets = np.repeat(low - np.cumsum(runs) + runs, runs)
    mine = offsets + np.arange(int(runs.sum()))
    later = None if previous is None else previous[chunk.keys[mine]]
    kept = _qualifying(chunk, later, wanted, mine)
    return mine if kept is None else mine[kept]


def _qualifying(
    chunk: Chunk,
    since: npt.NDArray[np.int64] | None,
    wanted: Mapping[str, str],
    rows: npt.NDArray[np.intp] | None = None,
) -> npt.NDArray[np.bool_] | None:
    """Which of the chunk's events (its ``rows``, else all) the filters keep and are at or
    after ``since`` (a bound per row); None: all of them."""
    micros = chunk.micros if rows is None else chunk.micros[rows]
    qualifies = None if since is None else micros >= since
    if wanted:
        matching = chunk.matching(wanted)
        matching = matching if rows is None else matching[rows]
        qualifies = matching if qualifies is None else qualifies & matching
    return qualifies


def _picked(
    chunk: Chunk, rows: Rows
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.intp] | None]:
    """The keys and times of a chunk's ``rows``, and those rows as indices (None: all)."""
    if rows is None:
        return chunk.keys, chunk.micros, None
    # A mask's rows found once for every column.
    picked: npt.NDArray[np.intp] = (
        np.flatnonzero(rows) if rows.dtype == np.bool_ else rows.astype(np.intp, copy=False)
    )
    return chunk.keys.take(picked), chunk.micros.take(picked), picked


def _earliest_after(
    events: StepEvents,
    step: Step,
    previous: npt.NDArray[np.int64] | None,
    wanted: Mapping[str, str],
    ranked: Ranked | None = None,
) -> npt.NDArray[np.int64]:
    """Per key, the earliest ``step`` event the filters keep, at or after ``previous`` (None:
    any time); NEVER for none. With ``ranked``, packed with its context value's rank."""

    def earliest(parts: Sequence[Part]) -> npt.NDArray[np.int64]:
        times = np.full(events.bound, NEVER, dtype=np.int64)
        for chunk, rows in _candidates(parts, previous, wanted):
            keys, micros, picked = _picked(chunk, rows)
            if ranked is not None:
                micros = ranked.pack(chunk, picked, micros)
            np.minimum.at(times, keys, micros)
        return times

    parts = events.parts(step.name, step.entry_point)
    threads = min(THREADS, len(parts))
    if threads < 2:
        return earliest(parts)
    # Every other part to each thread (the days alternate), the earliest of their earliest.
    with ThreadPoolExecutor(max_workers=threads) as pool:
        found = list(pool.map(earliest, [parts[number::threads] for number in range(threads)]))
    return np.minimum.reduce(found)  # type: ignore[no-any-return]
