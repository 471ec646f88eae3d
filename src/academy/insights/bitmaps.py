"""Distinct-creator tiles from ``creator_monthly``: one row per creator and month whose bitmaps
say on which of the month's days the creator was active, reached, clicked, started and completed
a lesson (bit n-1 = day n). A period's distinct creators are the creators with a set bit among
its days; a day's are the rows with that day's bit set.

These give the same rows as ``compute``'s functions over ``creator_daily`` (the tests run both
paths on the same lakes), for the queries ``creator_daily`` answers: no context breakdown or
filter. The relation ``mon`` is creator_monthly over the months of the period (and, for active
creators, of its 30-day window; for retention, of all history up to the period's end).
"""

# ruff: noqa: S608 — month days and masks in the SQL are computed here from dates; every value a
# caller chooses (filters, experiment) is a ``?`` parameter.
from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from academy.events.query import QueryEngine
from academy.insights.compute import (
    NORTH_STAR_OUTER,
    TOP_VALUES,
    Answer,
    Period,
    Segments,
    Slice,
    _north_star_rates,
    _series,
    activity_summary,
    content_answer,
    ratio,
    retention_answer,
    retention_by_week,
)

# The bitmap columns and the names the per-creator relation gives them.
ACTIVE, IMPRESSIONS, CLICKS, STARTS, COMPLETES = (
    "active_days",
    "impression_days",
    "click_days",
    "start_days",
    "complete_days",
)


class TooManySegments(Exception):
    """The breakdown has more than TOP_VALUES values: the top values need the event counts of
    creator_daily, so the caller answers from there."""


def month_first(day: date) -> date:
    return day.replace(day=1)


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def masks(period: Period) -> list[tuple[str, int]]:
    """(month's first day, bitmask of the period's days in that month) for each month."""
    found = []
    month = month_first(period.start)
    while month <= period.end:
        last = _next_month(month) - timedelta(days=1)
        first_day = max(period.start, month).day
        last_day = min(period.end, last).day
        mask = ((1 << last_day) - 1) ^ ((1 << (first_day - 1)) - 1)
        found.append((month.isoformat(), mask))
        month = _next_month(month)
    return found


def _masked(column: str, months: list[tuple[str, int]], alias: str = "mon") -> str:
    if len(months) == 1:
        return f"({alias}.{column} & {months[0][1]})"
    cases = " ".join(f"WHEN '{month}' THEN {mask}" for month, mask in months)
    return f"({alias}.{column} & CASE {alias}.day {cases} ELSE 0 END)"


def _in_months(months: list[tuple[str, int]], alias: str = "mon") -> str:
    listed = ", ".join(f"'{month}'" for month, _mask in months)
    return f"{alias}.day IN ({listed})"


# Periods up to this long get a period-relative bitmap per creator (bit k = the period's day k,
# in a BIGINT), so the period's distinct creators and each day's come from one pass.
RELATIVE_DAYS = 62


def _relative(column: str, period: Period, months: list[tuple[str, int]]) -> str:
    """``column`` masked to the period and shifted so that bit k is the period's day k."""
    parts = []
    for month, mask in months:
        first = max(period.start, date.fromisoformat(month))
        right, left = first.day - 1, (first - period.start).days
        parts.append((month, f"(((mon.{column} & {mask}) >> {right}) << {left})"))
    if len(parts) == 1:
        return parts[0][1]
    cases = " ".join(f"WHEN '{month}' THEN {shifted}" for month, shifted in parts)
    return f"(CASE mon.day {cases} ELSE 0 END)"


def per_creator(period: Period, columns: Sequence[str]) -> str:
    """One row per creator active in ``period``: ``creator_id`` and each bitmap column masked to
    the period's days (OR-ed over its months); for a period of at most RELATIVE_DAYS days, bit k
    of each is the period's day k."""
    months = masks(period)
    relative = len(period.days) <= RELATIVE_DAYS

    def value(column: str) -> str:
        return _relative(column, period, months) if relative else _masked(column, months)

    active = _masked(ACTIVE, months)
    where = f"WHERE {_in_months(months)} AND {active} <> 0"
    if len(months) == 1:
        picked = ", ".join(f"{value(column)} AS {column}" for column in columns)
        return f"SELECT mon.creator_id AS creator_id, {picked} FROM mon {where}"
    picked = ", ".join(f"bit_or({value(column)}) AS {column}" for column in columns)
    return f"SELECT mon.creator_id AS creator_id, {picked} FROM mon {where} GROUP BY mon.creator_id"


def _day_counts(period: Period, column: str) -> str:
    """Per day k of the period (relative bitmaps): the active creators and those with ``column``."""
    return "".join(
        f", CAST(SUM(({ACTIVE} >> {k}) & 1) AS BIGINT) AS a{k}"
        f", CAST(SUM(({column} >> {k}) & 1) AS BIGINT) AS v{k}"
        for k in range(len(period.days))
    )


def _days_of_rows(
    rows: list[dict[str, Any]], period: Period, breakdown: str | None, name: str
) -> list[dict[str, Any]]:
    """Per-day points from the a{k}/v{k} counts: only days (and segments) with an active
    creator, as per-day rollup rows would give."""
    daily = []
    for row in rows:
        for k, day in enumerate(period.days):
            if row[f"a{k}"]:
                point: dict[str, Any] = {"day": day}
                if breakdown:
                    point[breakdown] = row["segment"]
                point[name] = row[f"v{k}"]
                daily.append(point)
    return daily


def _without_days(row: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in row.items() if not re.fullmatch(r"[av]\d+", key)}


def _creator_rows(
    engine: QueryEngine,
    period: Period,
    slice_: Slice,
    columns: Sequence[str],
    outer: str,
    daily: tuple[str, str] | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """``outer`` over the period's creators: in total, per segment (sorted) with a breakdown,
    and with ``daily`` = (column, name) the per-day points of ``name`` (creators with that day's
    bit of column), by segment with a breakdown. Raises TooManySegments for a breakdown with
    more than TOP_VALUES values."""
    breakdown = slice_.breakdown
    inline = daily is not None and len(period.days) <= RELATIVE_DAYS
    days = _day_counts(period, daily[0]) if daily is not None and inline else ""
    segments = Segments("pc", slice_)
    source = segments.source(f"({per_creator(period, columns)})")
    grouped: list[dict[str, Any]] = []
    if breakdown:
        grouped = engine.arrow(
            f"SELECT {segments.raw} AS segment, {outer}{days} FROM {source} "
            f"{segments.clause()} GROUP BY segment ORDER BY segment",
            [*segments.join_params, *segments.where_params],
        ).to_pylist()
        if len(grouped) > TOP_VALUES:
            raise TooManySegments
    total_segments = Segments("pc", Slice(None, None, slice_.filters))
    total_days = days if not breakdown else ""
    total: dict[str, Any] = engine.arrow(
        f"SELECT {outer}{total_days} "
        f"FROM {total_segments.source(f'({per_creator(period, columns)})')} "
        f"{total_segments.clause()}",
        [*total_segments.join_params, *total_segments.where_params],
    ).to_pylist()[0]
    points: list[dict[str, Any]] = []
    if daily is not None:
        column, name = daily
        if inline:
            points = _days_of_rows(grouped if breakdown else [total], period, breakdown, name)
        else:
            points = _daily(engine, period, slice_, column, name)
    rows = [{breakdown: row["segment"], **_without_days(row)} for row in grouped if breakdown]
    for row in rows:
        row.pop("segment", None)
    return _without_days(total), rows, points


def _daily(
    engine: QueryEngine, period: Period, slice_: Slice, column: str, name: str
) -> list[dict[str, Any]]:
    """Per day (and segment) of a long period: ``name`` = the creators with that day's bit of
    ``column`` set, counted over the months' rows."""
    months = masks(period)
    segments = Segments("mon", slice_)
    selected = ", ".join(
        f"COUNT(CASE WHEN mon.day = '{month_first(day).isoformat()}' "
        f"AND mon.{ACTIVE} & {1 << (day.day - 1)} <> 0 THEN 1 END) AS a{n}, "
        f"COUNT(CASE WHEN mon.day = '{month_first(day).isoformat()}' "
        f"AND mon.{column} & {1 << (day.day - 1)} <> 0 THEN 1 END) AS v{n}"
        for n, day in enumerate(period.days)
    )
    segment = f"{segments.raw} AS segment, " if slice_.breakdown else ""
    group = "GROUP BY segment" if slice_.breakdown else ""
    rows: list[dict[str, Any]] = engine.arrow(
        f"SELECT {segment}{selected} FROM {segments.source('mon')} "
        f"{segments.clause(_in_months(months))} {group}",
        [*segments.join_params, *segments.where_params],
    ).to_pylist()
    return _days_of_rows(rows, period, slice_.breakdown, name)


# --- overview -------------------------------------------------------------------------------


def reach(engine: QueryEngine, period: Period, slice_: Slice) -> Answer:
    outer = f"COUNT(CASE WHEN {IMPRESSIONS} <> 0 THEN 1 END) AS reach"
    total, grouped, daily = _creator_rows(
        engine, period, slice_, (ACTIVE, IMPRESSIONS), outer, (IMPRESSIONS, "reach")
    )
    breakdown = slice_.breakdown
    return Answer(
        rows=grouped if breakdown else [dict(total)],
        headline={"reach": total["reach"]},
        series=_series(daily, "reach", breakdown, period),
    )


def north_star(engine: QueryEngine, period: Period, slice_: Slice) -> Answer:
    outer = (
        NORTH_STAR_OUTER.replace("lesson_completes > 0", f"{COMPLETES} <> 0")
        .replace("impressions > 0", f"{IMPRESSIONS} <> 0")
        .replace("clicks > 0", f"{CLICKS} <> 0")
        .replace("lesson_starts > 0", f"{STARTS} <> 0")
    )
    columns = (ACTIVE, IMPRESSIONS, CLICKS, STARTS, COMPLETES)
    total, grouped, daily = _creator_rows(
        engine, period, slice_, columns, outer, (COMPLETES, "learning_creators")
    )
    breakdown = slice_.breakdown
    rows = grouped if breakdown else [dict(total)]
    return Answer(
        rows=[_north_star_rates(row) for row in rows],
        headline=_north_star_rates(total),
        series=_series(daily, "learning_creators", breakdown, period),
    )


def active_creators(engine: QueryEngine, period: Period, slice_: Slice) -> Answer:
    """DAU per day over the period; WAU and MAU over the 7 and 30 days ending on its last day
    (``mon`` must hold the months from 29 days before the period's start)."""
    breakdown = slice_.breakdown
    outer = "COUNT(*) AS creators"
    week = Period(period.end - timedelta(days=6), period.end)
    month = Period(period.end - timedelta(days=29), period.end)
    days = len(period.days)
    # With a breakdown, the period's segments decide its top values (as in compute).
    _total, _rows, daily = _creator_rows(
        engine, period, slice_, (ACTIVE,), outer, (ACTIVE, "creators")
    )

    def windows(grouped: bool) -> dict[Any, dict[str, Any]]:
        found: dict[Any, dict[str, Any]] = {}
        for name, window in (("wau", week), ("mau", month)):
            total, rows, _daily_points = _creator_rows(
                engine, window, slice_ if grouped else Slice(None, None, slice_.filters),
                (ACTIVE,), outer,
            )  # fmt: skip
            if grouped:
                for row in rows:
                    found.setdefault(row[breakdown] if breakdown else None, {})[name] = row[
                        "creators"
                    ]
            else:
                found.setdefault(None, {})[name] = total["creators"]
        return found

    def summary(dau_sum: int, counts: dict[str, Any]) -> dict[str, Any]:
        return activity_summary(dau_sum, days, counts)

    total_daily = (
        _creator_rows(
            engine, period, Slice(None, None, slice_.filters), (ACTIVE,), outer,
            (ACTIVE, "creators"),
        )[2]
        if breakdown
        else daily
    )  # fmt: skip
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


# --- retention ------------------------------------------------------------------------------


def retention(engine: QueryEngine, period: Period, slice_: Slice, offsets: Sequence[int]) -> Answer:
    """Weekly cohorts of first activity, as ``compute.retention`` (``mon`` registered over all
    history up to the period's end). A creator's first and last active day up to the end are
    the lowest and highest set bits of their first and last active months; day N after the
    first is one bit test."""
    end_month = month_first(period.end)
    end_mask = (1 << period.end.day) - 1
    segments = Segments("f", Slice(slice_.breakdown, slice_.experiment, {}))
    filters = Segments("f", Slice(None, None, slice_.filters))
    joins = " ".join([*segments.joins, *filters.joins])
    if len(period.days) <= RELATIVE_DAYS:
        return _short_retention(engine, period, slice_, offsets, segments, filters)
    # Activity up to the end: the end month's days after it are masked out.
    bits = (
        f"(CASE WHEN mon.day = '{end_month.isoformat()}' THEN mon.{ACTIVE} & {end_mask} "
        f"ELSE mon.{ACTIVE} END)"
    )
    flags = ", ".join(
        f"MAX(CASE WHEN a.month = date_trunc('month', c.first_day + {n}) "
        f"AND (a.bits >> (day(c.first_day + {n}) - 1)) & 1 = 1 THEN 1 ELSE 0 END) AS exact_{n}"
        for n in offsets
    )
    columns = ", ".join(
        f"COUNT(CASE WHEN first_day + {n} <= ? THEN 1 END) AS eligible_{n}, "
        f"COUNT(CASE WHEN first_day + {n} <= ? AND exact_{n} = 1 THEN 1 END) AS retained_{n}, "
        f"COUNT(CASE WHEN first_day + {n} <= ? AND last_offset >= {n} THEN 1 END) "
        f"AS unbounded_{n}"
        for n in offsets
    )
    sql = f"""
        WITH activity AS (
            SELECT mon.creator_id AS creator_id, CAST(mon.day AS DATE) AS month, {bits} AS bits
            FROM mon WHERE CAST(mon.day AS DATE) <= CAST(? AS DATE)
        ), firsts AS (
            SELECT creator_id,
                   MIN(month + CAST(log2(bits & -bits) AS INTEGER)) AS first_day,
                   MAX(month + CAST(floor(log2(bits)) AS INTEGER)) AS last_day
            FROM activity WHERE bits <> 0 GROUP BY creator_id
        ), cohort AS (
            SELECT f.creator_id AS creator_id, f.first_day AS first_day,
                   f.last_day - f.first_day AS last_offset, {segments.raw} AS segment
            FROM firsts f
            {joins}
            WHERE f.first_day BETWEEN CAST(? AS DATE) AND CAST(? AS DATE)
            {"AND " + " AND ".join(filters.where) if filters.where else ""}
        ), per_creator AS (
            SELECT c.creator_id, c.first_day, c.segment, c.last_offset, {flags}
            FROM cohort c JOIN activity a
                 ON a.creator_id = c.creator_id AND a.month >= date_trunc('month', c.first_day)
            GROUP BY c.creator_id, c.first_day, c.segment, c.last_offset
        )
        {retention_by_week(columns)}
    """
    end = period.end
    params = [
        period.last,
        *segments.join_params,
        *filters.join_params,
        period.first,
        period.last,
        *filters.where_params,
        *[end for _ in offsets for _ in range(3)],
    ]
    raw: list[dict[str, Any]] = engine.arrow(sql, params).to_pylist()
    return retention_answer(raw, slice_.breakdown, offsets)


def _short_retention(
    engine: QueryEngine,
    period: Period,
    slice_: Slice,
    offsets: Sequence[int],
    segments: Segments,
    filters: Segments,
) -> Answer:
    """Retention for a period of at most RELATIVE_DAYS days, in one pass over the creators:
    each creator's activity before the period (anyone with some is in no cohort of it) and a
    period-relative bitmap (bit k = the period's day k) whose lowest bit is the first day."""
    joins = " ".join([*segments.joins, *filters.joins])
    start_month = month_first(period.start).isoformat()
    end_month = month_first(period.end).isoformat()
    before_mask = (1 << (period.start.day - 1)) - 1
    months = masks(period)
    shifted = " ".join(
        f"WHEN '{month}' THEN "
        f"(((mon.{ACTIVE} & {mask}) >> {max(period.start, date.fromisoformat(month)).day - 1})"
        f" << {(max(period.start, date.fromisoformat(month)) - period.start).days})"
        for month, mask in months
    )
    columns = ", ".join(
        f"COUNT(CASE WHEN first_day + {n} <= ? THEN 1 END) AS eligible_{n}, "
        f"COUNT(CASE WHEN first_day + {n} <= ? "
        f"AND (rel >> LEAST(k0 + {n}, 63)) & 1 = 1 THEN 1 END) AS retained_{n}, "
        f"COUNT(CASE WHEN first_day + {n} <= ? AND k1 - k0 >= {n} THEN 1 END) "
        f"AS unbounded_{n}"
        for n in offsets
    )
    sql = f"""
        WITH per AS (
            SELECT mon.creator_id AS creator_id,
                   bit_or(CASE WHEN mon.day < '{start_month}' THEN mon.{ACTIVE}
                               WHEN mon.day = '{start_month}' THEN mon.{ACTIVE} & {before_mask}
                               ELSE 0 END) AS before,
                   bit_or(CASE mon.day {shifted} ELSE 0 END) AS rel
            FROM mon WHERE mon.day <= '{end_month}'
            GROUP BY mon.creator_id
        ), cohort AS (
            SELECT creator_id, rel,
                   CAST(log2(rel & -rel) AS INTEGER) AS k0,
                   CAST(floor(log2(rel)) AS INTEGER) AS k1
            FROM per WHERE before = 0 AND rel <> 0
        )
        SELECT date_trunc('week', f.first_day) AS week, {segments.raw} AS segment,
               COUNT(*) AS creators, {columns}
        FROM (SELECT *, CAST(? AS DATE) + k0 AS first_day FROM cohort) f
        {joins}
        {filters.clause()}
        GROUP BY week, segment
        ORDER BY week, segment
    """
    end = period.end
    params = [
        *[end for _ in offsets for _ in range(3)],
        period.first,
        *segments.join_params,
        *filters.join_params,
        *filters.where_params,
    ]
    raw: list[dict[str, Any]] = engine.arrow(sql, params).to_pylist()
    return retention_answer(raw, slice_.breakdown, offsets)


# --- watch percentage and content performance from creator_item_monthly ----------------------

ITEM_FILTERS = ("item_kind", "item_id")


# Each measure of a pair: (over its rows, grouped), (from one row), (from its first row's month).
PAIR_MEASURES = {
    "max_percent": ("MAX(pm.max_percent)", "pm.max_percent", "pm.pair_max_percent"),
    "viewed": (
        "bool_or(pm.lesson_starts + pm.progress_events > 0)",
        "pm.lesson_starts + pm.progress_events > 0",
        "pm.pair_views > 0",
    ),
    "completed": (
        "bool_or(pm.lesson_completes > 0)",
        "pm.lesson_completes > 0",
        "pm.pair_completes > 0",
    ),
    "completes": (
        "CAST(SUM(pm.lesson_completes) AS BIGINT)",
        "pm.lesson_completes",
        "pm.pair_completes",
    ),
    "enrolled": ("bool_or(pm.enrolls > 0)", "pm.enrolls > 0", "pm.pair_enrolls > 0"),
    "badged": ("bool_or(pm.badges > 0)", "pm.badges > 0", "pm.pair_badges > 0"),
}
CONTENT_MEASURES = ("max_percent", "viewed", "completed", "completes")


def per_pair(
    period: Period, measures: Sequence[str], *, creator: bool, item: bool, where: str = ""
) -> str:
    """One row per (creator, item) with a row in ``period`` (``?`` parameters: its first and
    last day, see _pair_params) and its ``measures`` over the period: its furthest percent,
    whether it was viewed (a start or a heartbeat) and completed, its completions; with the
    pair's ``creator_id`` and its ``item_kind`` and ``item_id`` if asked for. Inside one month,
    a pair whose days are all in the period is its first row's month columns, a pair with one
    row among the period's days is that row; only the others are grouped. ``where`` keeps only
    the rows of some pairs (a condition on the pair's item or creator)."""
    months = masks(period)
    keys = ("creator_id", "item_kind", "item_id")
    shown = [
        key for key in keys if (creator and key == "creator_id") or (item and key != "creator_id")
    ]
    columns = "".join(f"pm.{key} AS {key}, " for key in shown)

    def values(which: int) -> str:
        return ", ".join(f"{PAIR_MEASURES[name][which]} AS {name}" for name in measures)

    rows = "FROM pm WHERE pm.day BETWEEN ? AND ?" + (f" AND {where}" if where else "")
    grouped = (
        f"SELECT {columns}{values(0)} {rows} {{condition}} "
        f"GROUP BY {', '.join(f'pm.{key}' for key in keys)}"
    )
    if len(months) > 1:
        # A pair's bitmaps do not say whether it has rows in the other month: group them all.
        return grouped.format(condition="")
    mask = months[0][1]
    inside = f"pm.pair_days & {mask}"
    whole = f"SELECT {columns}{values(2)} {rows} AND pm.pair_first AND {inside} = pm.pair_days"
    # Only pairs of several rows can be cut by the period (and they are stored last).
    cut = f"pm.pair_rows > 1 AND {inside} <> pm.pair_days"
    single = f"SELECT {columns}{values(1)} {rows} AND {cut} AND bit_count({inside}) = 1"
    several = grouped.format(condition=f"AND {cut} AND bit_count({inside}) > 1")
    return f"{whole} UNION ALL {single} UNION ALL {several}"


def _pair_params(period: Period) -> list[Any]:
    return [period.first, period.last] * (1 if len(masks(period)) > 1 else 3)


def _item_filtered(slice_: Slice) -> bool:
    return any(key in slice_.filters for key in ITEM_FILTERS)


def _filtered(alias: str, slice_: Slice) -> tuple[Segments, str, list[Any]]:
    """The slice's filters over ``alias``: the creator's (follower tier) through Segments, the
    item's as conditions."""
    filters = {key: value for key, value in slice_.filters.items() if key not in ITEM_FILTERS}
    segments = Segments(alias, Slice(None, None, filters))
    conditions = [*segments.where]
    params = [*segments.join_params, *segments.where_params]
    for key in ITEM_FILTERS:
        if key in slice_.filters:
            conditions.append(f"{alias}.{key} = ?")
            params.append(slice_.filters[key])
    return segments, " AND ".join(conditions), params


def watch_percentage(engine: QueryEngine, period: Period, slice_: Slice) -> Answer:
    """As ``compute.watch_percentage`` without a breakdown."""
    segments, condition, params = _filtered("p", slice_)
    pairs = per_pair(
        period, ("max_percent",), creator=bool(segments.joins), item=_item_filtered(slice_)
    )
    where = " AND ".join(filter(None, ["p.max_percent IS NOT NULL", condition]))
    total: dict[str, Any] = engine.arrow(
        "SELECT COUNT(p.max_percent) AS pairs, AVG(p.max_percent) AS average_watch_percentage "
        f"FROM {segments.source(f'({pairs})')} WHERE {where}",
        [*_pair_params(period), *params],
    ).to_pylist()[0]
    # Each row is one pair on one day: a day's pairs are its rows with a percent.
    day_segments, day_condition, day_params = _filtered("pm", slice_)
    where = " AND ".join(
        filter(None, ["pm.day BETWEEN ? AND ?", "pm.max_percent IS NOT NULL", day_condition])
    )
    daily: list[dict[str, Any]] = engine.arrow(
        "SELECT pm.day AS day, COUNT(pm.max_percent) AS pairs, "
        "AVG(pm.max_percent) AS average_watch_percentage "
        f"FROM {day_segments.source('pm')} WHERE {where} GROUP BY pm.day",
        # Filters join the creator dimension without parameters: the dates come first.
        [period.first, period.last, *day_params],
    ).to_pylist()
    for row in daily:
        row["day"] = date.fromisoformat(str(row["day"]))
    series = _series(daily, "average_watch_percentage", None, period)
    shown = {row["day"] for row in daily}
    for point in series:
        if point["day"] not in shown:
            point["value"] = None
    return Answer(rows=[total], headline=total, series=series)


def content_performance(engine: QueryEngine, period: Period, slice_: Slice, limit: int) -> Answer:
    """As ``compute.content_performance``."""
    segments, condition, params = _filtered("p", slice_)
    pairs = per_pair(period, CONTENT_MEASURES, creator=bool(segments.joins), item=True)
    sql = f"""
        WITH pairs AS (
            SELECT p.* FROM {segments.source(f"({pairs})")}
            {"WHERE " + condition if condition else ""}
        )
        SELECT item_kind, item_id,
               COUNT(CASE WHEN viewed THEN 1 END) AS viewers,
               COUNT(CASE WHEN viewed AND completed THEN 1 END) AS completed_viewers,
               CAST(SUM(completes) AS BIGINT) AS lesson_completes,
               AVG(CASE WHEN viewed THEN max_percent END) AS average_watch_percentage,
               PERCENTILE_CONT(0.5) WITHIN GROUP (
                   ORDER BY CASE WHEN viewed AND NOT completed THEN max_percent END
               ) AS drop_off_point
        FROM pairs
        GROUP BY item_kind, item_id
        HAVING COUNT(CASE WHEN viewed THEN 1 END) > 0
        ORDER BY viewers DESC, item_kind, item_id
    """
    every: list[dict[str, Any]] = engine.arrow(sql, [*_pair_params(period), *params]).to_pylist()
    return content_answer(every, limit)


def course_completion(engine: QueryEngine, period: Period, slice_: Slice) -> Answer:
    """As ``compute.course_completion`` without a breakdown: (creator, course) pairs that
    enrolled or earned the badge in the period."""
    segments, condition, params = _filtered("p", slice_)
    courses = "pm.item_kind = 'course'"
    pairs = per_pair(
        period,
        ("enrolled", "badged"),
        creator=bool(segments.joins),
        item=_item_filtered(slice_),
        where=courses,
    )
    where = " AND ".join(filter(None, ["(p.enrolled OR p.badged)", condition]))
    counts = (
        "COUNT(CASE WHEN {e} THEN 1 END) AS enrollments, "
        "COUNT(CASE WHEN {b} THEN 1 END) AS completions, "
        "COUNT(CASE WHEN {e} AND {b} THEN 1 END) AS enrolled_and_completed"
    )
    total: dict[str, Any] = engine.arrow(
        f"SELECT {counts.format(e='p.enrolled', b='p.badged')} "
        f"FROM {segments.source(f'({pairs})')} WHERE {where}",
        [*_pair_params(period), *params],
    ).to_pylist()[0]
    # Each row is one pair on one day.
    day_segments, day_condition, day_params = _filtered("pm", slice_)
    day_where = " AND ".join(
        filter(
            None,
            [
                "pm.day BETWEEN ? AND ?",
                courses,
                "(pm.enrolls > 0 OR pm.badges > 0)",
                day_condition,
            ],
        )
    )
    daily: list[dict[str, Any]] = engine.arrow(
        f"SELECT pm.day AS day, {counts.format(e='pm.enrolls > 0', b='pm.badges > 0')} "
        f"FROM {day_segments.source('pm')} WHERE {day_where} GROUP BY pm.day",
        [period.first, period.last, *day_params],
    ).to_pylist()
    for row in daily:
        row["day"] = date.fromisoformat(str(row["day"]))
    rows = [dict(total)]
    for row in [*rows, total]:
        row["course_completion_rate"] = ratio(row["enrolled_and_completed"], row["enrollments"])
    return Answer(rows=rows, headline=total, series=_series(daily, "completions", None, period))
