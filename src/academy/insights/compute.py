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

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from academy.events.query import QueryEngine

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
    """The same aggregates over every segment together (distinct creators counted once)."""
    alias = segments.alias
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
        dau = dau_sum / days
        mau = counts.get("mau", 0)
        return {
            "dau": dau,
            "wau": counts.get("wau", 0),
            "mau": mau,
            "stickiness": ratio(dau, mau),
        }

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
    for row in [*rows, total, *daily]:
        row["ctr"] = ratio(row["clicks"], row["impressions"])
    rows = [row for row in rows if row["impressions"] or row["clicks"]]
    daily = [row for row in daily if row["impressions"] or row["clicks"]]
    series = _series(daily, "ctr", slice_.breakdown, period)
    # A day without impressions has no CTR rather than 0.
    breakdown = slice_.breakdown or "entry_point"
    shown = {(row["day"], row[breakdown]) for row in daily}
    for point in series:
        if (point["day"], point[breakdown]) not in shown:
            point["value"] = None
    return Answer(rows=rows, headline=total, series=series)


def lessons(engine: QueryEngine, period: Period, slice_: Slice) -> Answer:
    rows, total, daily = _event_counts(
        engine, period, slice_, ("lesson_starts", "lesson_completes"), "lesson_starts"
    )
    for row in [*rows, total, *daily]:
        row["completion_rate"] = ratio(row["lesson_completes"], row["lesson_starts"])
    return Answer(
        rows=rows, headline=total, series=_series(daily, "lesson_starts", slice_.breakdown, period)
    )


# --- learning and content: per (creator, item) from creator_lesson_daily ------------------


def _item_filter(slice_: Slice) -> tuple[Slice, str, list[Any]]:
    """The item filters as SQL over ``les`` (the other filters stay in the slice)."""
    filters = dict(slice_.filters)
    conditions, params = [], []
    for key in ("item_kind", "item_id"):
        if key in filters:
            conditions.append(f"les.{key} = ?")
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
    engine: QueryEngine,
    period: Period,
    slice_: Slice,
    steps: Sequence[Step],
    window: timedelta,
    order: str,
) -> Answer:
    """Creators reaching each step (see the funnel metrics); ``events`` is the period's lake.

    Any order needs only each step's first event per creator (the window opens at the earliest
    of them, so each step's first event inside it is its first event at all): one aggregation.
    Strict order needs every event of steps 2..n of the creators who entered, inside their
    window: those are kept in a temporary table, step 1 is an aggregation.
    """
    slice_, item_condition, item_params = _item_filter_on(slice_, "e")
    context = {key: value for key, value in slice_.filters.items() if key in CONTEXT}
    creator_filters = {k: v for k, v in slice_.filters.items() if k not in CONTEXT}
    count = len(steps)
    matches, match_params = [], []
    for step in steps:
        condition = "e.name = ?"
        match_params.append(step.name)
        if step.entry_point:
            condition += " AND e.entry_point = ?"
            match_params.append(step.entry_point)
        matches.append(f"({condition})")
    where = ["e.creator_id <> ''", *([item_condition] if item_condition else [])]
    where_params: list[Any] = [*item_params]
    for key, value in sorted(context.items()):
        if value == NOT_SET:
            where.append(f"(e.{key} IS NULL OR e.{key} = '')")
        else:
            where.append(f"e.{key} = ?")
            where_params.append(value)
    seconds = int(window.total_seconds())
    breakdown = slice_.breakdown
    # The context of the entering event, only for a breakdown by it (min_by costs a scan's worth).
    kept = [breakdown] if breakdown in CONTEXT else []
    contexts = "".join(f", min_by(e.{key}, e.timestamp) AS {key}" for key in kept)
    if order == "strict":
        engine.query(
            f"""CREATE OR REPLACE TEMP TABLE funnel_entered AS
            SELECT e.creator_id AS creator_id, MIN(e.timestamp) AS t0{contexts}
            FROM events e WHERE {" AND ".join([*where, matches[0]])}
            GROUP BY e.creator_id""",
            [*where_params, *match_params[: len(match_params) - _tail_params(steps, 1)]],
        )
        later = " OR ".join(matches[1:])
        flags = ", ".join(
            f"CASE WHEN {matches[k]} THEN 1 ELSE 0 END AS m{k + 1}" for k in range(1, count)
        )
        engine.query(
            f"""CREATE OR REPLACE TEMP TABLE funnel_events AS
            SELECT e.creator_id AS creator_id, e.timestamp AS ts, {flags}
            FROM events e JOIN funnel_entered s ON s.creator_id = e.creator_id
            WHERE {" AND ".join(where)} AND ({later})
              AND e.timestamp >= s.t0 AND e.timestamp <= s.t0 + to_seconds({seconds})""",
            [
                *_params_after(steps, match_params, 1),
                *where_params,
                *_params_after(steps, match_params, 1),
            ],
        )
        ctes = ["s1 AS (SELECT creator_id, t0 AS t FROM funnel_entered)"]
        for k in range(2, count + 1):
            ctes.append(
                f"s{k} AS (SELECT p.creator_id, MIN(f.ts) AS t FROM s{k - 1} p "
                f"JOIN funnel_events f ON f.creator_id = p.creator_id AND f.m{k} = 1 "
                f"AND f.ts >= p.t GROUP BY p.creator_id)"
            )
        joins = " ".join(
            f"LEFT JOIN s{k} ON s{k}.creator_id = s1.creator_id" for k in range(1, count + 1)
        )
        base = (
            f"WITH {', '.join(ctes)}, reached AS (SELECT f.creator_id AS creator_id, "
            f"f.t0 AS t0, {', '.join(f's{k}.t AS t{k}' for k in range(1, count + 1))}"
            f"{''.join(f', f.{key} AS {key}' for key in kept)} "
            f"FROM funnel_entered f {joins.replace('= s1.creator_id', '= f.creator_id')})"
        )
        done = {k: f"t{k} IS NOT NULL" for k in range(1, count + 1)}
        elapsed = {k: f"t{k} - t0" for k in range(1, count + 1)}
        base_params: list[Any] = []
    else:
        firsts = ", ".join(
            f"MIN(CASE WHEN {matches[k]} THEN e.timestamp END) AS f{k + 1}" for k in range(count)
        )
        firsts_params = list(match_params)
        every = " OR ".join(matches)
        anchor = "LEAST(" + ", ".join(f"f{k}" for k in range(1, count + 1)) + ")"
        inside = ", ".join(
            f"CASE WHEN f{k} <= t0 + to_seconds({seconds}) THEN f{k} END AS t{k}"
            for k in range(1, count + 1)
        )
        base = (
            f"WITH firsts AS (SELECT e.creator_id AS creator_id, {firsts}{contexts} "
            f"FROM events e WHERE {' AND '.join(where)} AND ({every}) GROUP BY e.creator_id), "
            f"anchored AS (SELECT *, {anchor} AS t0 FROM firsts), "
            f"reached AS (SELECT creator_id, t0, {inside}{''.join(f', {key}' for key in kept)} "
            "FROM anchored)"
        )
        base_params = [*firsts_params, *where_params, *match_params]
        done = {
            k: " AND ".join(f"t{j} IS NOT NULL" for j in range(1, k + 1))
            for k in range(1, count + 1)
        }
        elapsed = {
            k: "GREATEST(" + ", ".join(f"t{j}" for j in range(1, k + 1)) + ") - t0"
            if k > 1
            else "t1 - t0"
            for k in range(1, count + 1)
        }
    segments = Segments("r", Slice(breakdown, slice_.experiment, creator_filters))
    aggregates = ", ".join(
        f"COUNT(CASE WHEN {done[k]} THEN 1 END) AS reached_{k}, "
        f"PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY CASE WHEN {done[k]} "
        f"THEN epoch({elapsed[k]}) END) AS seconds_{k}"
        for k in range(1, count + 1)
    )

    def run(grouped: bool) -> list[dict[str, Any]]:
        segment = f"{segments.raw} AS segment, " if grouped else ""
        group = "GROUP BY segment ORDER BY segment" if grouped else ""
        sql = (
            f"{base} SELECT {segment}{aggregates} FROM {segments.source('reached')} "
            f"{segments.clause()} {group}"
        )
        rows: list[dict[str, Any]] = engine.arrow(
            sql, [*base_params, *segments.join_params, *segments.where_params]
        ).to_pylist()
        return rows

    def step_rows(row: dict[str, Any], segment: Any = None) -> list[dict[str, Any]]:
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

    total = run(False)[0]
    if breakdown:
        rows = [item for row in run(True) for item in step_rows(row, row["segment"])]
    else:
        rows = step_rows(total)
    headline = {
        "entered": total["reached_1"],
        "converted": total[f"reached_{count}"],
        "conversion": ratio(total[f"reached_{count}"], total["reached_1"]),
        "median_seconds": total[f"seconds_{count}"] if count > 1 else None,
    }
    engine.query("DROP TABLE IF EXISTS funnel_events")
    engine.query("DROP TABLE IF EXISTS funnel_entered")
    return Answer(rows=rows, headline=headline, series=[])


def _tail_params(steps: Sequence[Step], first: int) -> int:
    """How many match parameters the steps from index ``first`` on take."""
    return sum(2 if step.entry_point else 1 for step in steps[first:])


def _params_after(steps: Sequence[Step], params: Sequence[Any], first: int) -> list[Any]:
    """The match parameters of the steps from index ``first`` on."""
    return list(params[len(params) - _tail_params(steps, first) :])


def _item_filter_on(slice_: Slice, alias: str) -> tuple[Slice, str, list[Any]]:
    filters = dict(slice_.filters)
    conditions, params = [], []
    for key in ("item_kind", "item_id"):
        if key in filters:
            conditions.append(f"{alias}.{key} = ?")
            params.append(filters.pop(key))
    return Slice(slice_.breakdown, slice_.experiment, filters), " AND ".join(conditions), params
