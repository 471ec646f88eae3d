"""Reading the insights tiles: ``tile(key, query)`` answers one tile for a period and the
previous one, from the rollups, cached until the rollup files it read change.

The console pages and the JSON API both call ``tile``, so they show the same numbers.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from academy.core import clock
from academy.core.errors import NotFound, ValidationFailed
from academy.events.query import DuckDBEngine, lake_files, rollup_files
from academy.events.rollups import month_of
from academy.events.taxonomy import BY_NAME, ENTRY_POINTS
from academy.insights import bitmaps as insights_bitmaps
from academy.insights import compute, creator_counts, lesson_pairs, segment_sets
from academy.insights.compute import Answer, Period, Slice, Step
from academy.insights.dimensions import (
    SCHEMAS,
    dimension_path,
    dimension_snapshot,
    ensure_dimensions,
    register_dimensions,
)
from academy.insights.funnel_dimension import CreatorDimension
from academy.insights.funnel_store import StepEvents
from academy.insights.tiles import (
    BREAKDOWNS,
    CONTEXT_BREAKDOWNS,
    DASHBOARDS,
    MAX_DAYS,
    TILES,
    Column,
    TileQuery,
    TileResult,
    TileSpec,
)
from academy.search.analytics import (
    ContentGaps,
    QueryStats,
    content_gaps,
    gaps_from_stats,
)
from academy.search.models import SearchDocument

CACHE_SECONDS = 24 * 3600
CACHE_PREFIX = "insights:tile:"
MAX_STEPS = 8
MAX_OFFSETS = 8
MAX_WINDOW_HOURS = 90 * 24
MAX_LIMIT = 500
CONTEXT_FILTERS = ("region", "language", "platform", "entry_point")
ITEM_FILTERS = ("item_kind", "item_id")
# Which filters each tile accepts (the dimensions its source has).
FILTERS: dict[str, tuple[str, ...]] = {
    "reach": (*CONTEXT_FILTERS, "follower_tier"),
    "active_creators": (*CONTEXT_FILTERS, "follower_tier"),
    "north_star": (*CONTEXT_FILTERS, "follower_tier"),
    "entry_point_ctr": (*CONTEXT_FILTERS, "follower_tier"),
    "lessons": (*CONTEXT_FILTERS, "follower_tier"),
    "watch_percentage": (*CONTEXT_FILTERS, "follower_tier", *ITEM_FILTERS),
    "course_completion": (*CONTEXT_FILTERS, "follower_tier", "item_id"),
    "retention": ("follower_tier",),
    "funnel": (*CONTEXT_FILTERS, "follower_tier", *ITEM_FILTERS),
    "content_performance": (*CONTEXT_FILTERS, "follower_tier", *ITEM_FILTERS),
    "search_gaps": (),
}


def events_dir() -> Path:
    return Path(settings.ACADEMY_EVENTS_DIR)


def tiles_for(dashboard: str) -> list[TileSpec]:
    """The tiles of one dashboard, in order."""
    if dashboard not in DASHBOARDS:
        raise NotFound(
            _("There is no dashboard “%(dashboard)s”: one of %(dashboards)s.")
            % {"dashboard": dashboard, "dashboards": ", ".join(DASHBOARDS)}
        )
    return [spec for spec in TILES.values() if spec.dashboard == dashboard]


def tile_spec(key: str) -> TileSpec:
    spec = TILES.get(key)
    if spec is None:
        raise NotFound(
            _("There is no tile “%(key)s”: one of %(keys)s.")
            % {"key": key, "keys": ", ".join(TILES)}
        )
    return spec


# --- validation -----------------------------------------------------------------------------


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, errors={field: message})


def check_query(spec: TileSpec, query: TileQuery) -> dict[str, Any]:
    """Raise ValidationFailed for a query the tile cannot answer; return its parsed params."""
    if query.end < query.start:
        raise _invalid("end", _("The end date is before the start date."))
    if query.days > MAX_DAYS:
        raise _invalid(
            "end", _("Choose at most %(days)d days between start and end.") % {"days": MAX_DAYS}
        )
    if query.breakdown is not None:
        if query.breakdown not in BREAKDOWNS:
            raise _invalid(
                "breakdown",
                _("Unknown breakdown “%(breakdown)s”: one of %(breakdowns)s.")
                % {"breakdown": query.breakdown, "breakdowns": ", ".join(BREAKDOWNS)},
            )
        if query.breakdown not in spec.breakdowns:
            raise _invalid(
                "breakdown",
                _("%(tile)s cannot be broken down by %(breakdown)s.")
                % {"tile": spec.title, "breakdown": query.breakdown}
                if spec.breakdowns
                else _("%(tile)s has no breakdowns.") % {"tile": spec.title},
            )
        if query.breakdown == "experiment":
            if not query.experiment:
                raise _invalid(
                    "experiment", _("Name the experiment whose variants to break down by.")
                )
            from academy.experiments.models import Experiment

            if not Experiment.objects.filter(key=query.experiment).exists():
                raise _invalid(
                    "experiment",
                    _("There is no experiment “%(key)s”.") % {"key": query.experiment},
                )
    allowed = FILTERS[spec.key]
    for dimension, value in query.filters.items():
        if dimension not in allowed:
            raise _invalid(
                f"filter.{dimension}",
                _("%(tile)s cannot be filtered by %(dimension)s.")
                % {"tile": spec.title, "dimension": dimension}
                if allowed
                else _("%(tile)s has no filters.") % {"tile": spec.title},
            )
        if not isinstance(value, str) or not value or len(value) > 100:
            raise _invalid(
                f"filter.{dimension}", _("A filter needs a value (up to 100 characters).")
            )
    unknown = set(query.params) - set(spec.params)
    if unknown:
        raise _invalid(
            sorted(unknown)[0],
            _("%(tile)s has no parameter “%(param)s”.")
            % {"tile": spec.title, "param": sorted(unknown)[0]},
        )
    params = {**spec.params, **query.params}
    parser = PARSERS.get(spec.key)
    return parser(params) if parser else params


def _integer(params: Mapping[str, Any], key: str, low: int, high: int) -> int:
    try:
        value = int(params[key])
    except (TypeError, ValueError):
        raise _invalid(key, _("“%(key)s” must be a whole number.") % {"key": key}) from None
    if not low <= value <= high:
        raise _invalid(
            key,
            _("“%(key)s” must be from %(low)d to %(high)d.")
            % {"key": key, "low": low, "high": high},
        )
    return value


def _listed(value: Any) -> list[str]:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list | tuple):
        return [str(part).strip() for part in value]
    return []


def parse_steps(value: Any) -> list[Step]:
    """Funnel steps: ``event`` or ``event@entry_point``, comma-separated or as a list."""
    steps = []
    for text in _listed(value):
        name, _at, entry_point = text.partition("@")
        if name not in BY_NAME:
            raise _invalid(
                "steps",
                _("Funnel step “%(step)s”: unknown event “%(name)s”.")
                % {"step": text, "name": name},
            )
        if entry_point and entry_point not in ENTRY_POINTS:
            raise _invalid(
                "steps",
                _("Funnel step “%(step)s”: unknown entry point “%(entry_point)s”.")
                % {"step": text, "entry_point": entry_point},
            )
        steps.append(Step(name=name, entry_point=entry_point))
    if not 2 <= len(steps) <= MAX_STEPS:
        raise _invalid(
            "steps",
            _("A funnel needs from 2 to %(most)d steps, such as impression,click.")
            % {"most": MAX_STEPS},
        )
    return steps


def _funnel_params(params: dict[str, Any]) -> dict[str, Any]:
    order = params.get("order")
    if order not in ("strict", "any"):
        raise _invalid("order", _("The step order is “strict” or “any”."))
    return {
        "steps": parse_steps(params.get("steps")),
        "window_hours": _integer(params, "window_hours", 1, MAX_WINDOW_HOURS),
        "order": order,
    }


def _retention_params(params: dict[str, Any]) -> dict[str, Any]:
    offsets = []
    for text in _listed(params.get("days")):
        try:
            offsets.append(int(text))
        except ValueError:
            raise _invalid("days", _("Retention days are whole numbers, such as 1,7,28.")) from None
    if not offsets or len(offsets) > MAX_OFFSETS or not all(1 <= n <= 365 for n in offsets):
        raise _invalid(
            "days",
            _("Give from 1 to %(most)d retention days from 1 to 365, such as 1,7,28.")
            % {"most": MAX_OFFSETS},
        )
    return {"days": sorted(set(offsets))}


def _limit_params(params: dict[str, Any]) -> dict[str, Any]:
    return {"limit": _integer(params, "limit", 1, MAX_LIMIT)}


PARSERS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "funnel": _funnel_params,
    "retention": _retention_params,
    "content_performance": _limit_params,
    "search_gaps": _limit_params,
}


# --- sources and their version ----------------------------------------------------------------


DISTINCT_TILES = ("reach", "active_creators", "north_star")
SEARCH_ROLLUPS = ("search_query_daily", "search_click_daily")
# Tiles creator_item_monthly answers without a breakdown.
MONTHLY_ITEM_TILES = ("watch_percentage", "content_performance", "course_completion")
# Retention reads all history: the first day any rollup could hold.
LONG_AGO = "1970-01-01"
COUNT_TILES = ("entry_point_ctr", "lessons")


def _needs_context(query: TileQuery, key: str) -> bool:
    """Whether the query splits or filters by the events' context (region, entry point…)."""
    breakdown = query.breakdown or ("entry_point" if key == "entry_point_ctr" else None)
    return breakdown in CONTEXT_FILTERS or any(name in CONTEXT_FILTERS for name in query.filters)


def _needs_creator(query: TileQuery) -> bool:
    """Whether the query splits or filters by the creator dimension."""
    return query.breakdown in ("follower_tier", "experiment") or "follower_tier" in query.filters


def _segment_rollup(key: str, query: TileQuery) -> str:
    """The smallest rollup that answers a segment tile exactly: one row per creator and day
    without context, per creator and segment with it, per segment (no creators) for event
    counts by context alone."""
    context = _needs_context(query, key)
    if key in COUNT_TILES and not _needs_creator(query):
        return "segment_daily"
    return "creator_segment_daily" if context else "creator_daily"


def _days_of(directory: Path, rollup: str, first: str | None, last: str) -> set[str]:
    return set(rollup_files(directory, rollup, start=first, end=last))


def _monthly_current(
    directory: Path, monthly: str, source: str, first: str | None, last: str
) -> bool:
    """Whether every month with ``source`` days from ``first`` to ``last`` has its ``monthly``
    file, written after those days' files (a lake rolled up before the monthly rollups existed,
    or a run stopped between the days and the months, falls back to the daily rollups)."""
    written: dict[str, int] = {}
    for day, path in rollup_files(directory, source, start=first, end=last).items():
        month = month_of(day)
        written[month] = max(written.get(month, 0), path.stat().st_mtime_ns)
    start = month_of(first) if first else None
    months = rollup_files(directory, monthly, start=start, end=last)
    return all(
        month in months and months[month].stat().st_mtime_ns >= newest
        for month, newest in written.items()
    )


def _bitmaps_answer(key: str, query: TileQuery, first: str, last: str, directory: Path) -> bool:
    """Whether creator_monthly answers a distinct-creator tile: the query needs no context
    (creator_daily would answer it) and the months are current."""
    if key not in (*DISTINCT_TILES, "retention") or _needs_context(query, key):
        return False
    return _monthly_current(directory, "creator_monthly", "creator_daily", first, last)


def _pairs_rollup(query: TileQuery, key: str, first: str, last: str, directory: Path) -> str:
    """creator_item_lesson_daily (one row per creator, item and day) unless the query needs the
    context, or some day of the period lacks it (rolled up before it existed)."""
    if not _needs_context(query, key) and _days_of(
        directory, "creator_lesson_daily", first, last
    ) <= _days_of(directory, "creator_item_lesson_daily", first, last):
        return "creator_item_lesson_daily"
    return "creator_lesson_daily"


def _search_days(directory: Path, period: Period) -> list[str] | None:
    """The period's lake days when the search rollups have every one of them (search gaps then
    read them instead of the lake, for the same days), else None."""
    days = list(lake_files(directory, [day.isoformat() for day in period.days]))
    for rollup in SEARCH_ROLLUPS:
        if not set(days) <= _days_of(directory, rollup, period.first, period.last):
            return None
    return days


def _from_segment_sets(key: str, query: TileQuery, period: Period, directory: Path) -> bool:
    """Whether the tile is answered from the segment sets (``academy.insights.segment_sets``):
    reach, the North Star or active creators by a context column without filters, while the
    lake still has every day the rollups have (the sets come from the lake's events)."""
    tiles = ("reach", "north_star", "active_creators")
    if key not in tiles or query.breakdown not in CONTEXT_BREAKDOWNS or query.filters:
        return False
    # Active creators' monthly window reaches 29 days before the period's end.
    first = min(period.start, period.end - timedelta(days=29))
    days = [first + timedelta(days=n) for n in range((period.end - first).days + 1)]
    rolled_up = _days_of(directory, "creator_segment_daily", first.isoformat(), period.last)
    return rolled_up <= set(lake_files(directory, [day.isoformat() for day in days]))


def _kept_filter(key: str, query: TileQuery) -> tuple[str, str] | None:
    """The one filter (column, value) a tile answers as that value of a breakdown by its
    column, without another breakdown: a context filter of reach, the North Star and active
    creators (segment sets), a follower-tier filter of CTR and lessons (creator counts), either
    of watch percentage and course completion, item filters besides (lesson pairs). None for
    any other query."""
    kept = [
        (column, value)
        for column, value in query.filters.items()
        if column in (*CONTEXT_FILTERS, "follower_tier")
    ]
    others = set(query.filters) - {column for column, _value in kept}
    if len(kept) != 1 or query.breakdown not in (None, kept[0][0]):
        return None
    by_tier = kept[0][0] == "follower_tier"
    if key in lesson_pairs.TILES and others <= set(ITEM_FILTERS):
        return kept[0]
    if others:
        return None
    if by_tier and key == "lessons":
        return kept[0]
    if by_tier and key == "entry_point_ctr" and query.breakdown == kept[0][0]:
        # Without a breakdown, CTR is broken down by entry point (the counts have no context).
        return kept[0]
    if not by_tier and key in ("reach", "north_star", "active_creators"):
        return kept[0]
    return None


def _dimension(directory: Path) -> CreatorDimension:
    """The creator dimension by step-store key (read only by the tiles that need it)."""
    return CreatorDimension.read(directory, dimension_snapshot(directory))


def _as_kept(
    key: str, query: TileQuery, period: Period, directory: Path, column: str, value: str
) -> Answer | None:
    """A tile filtered on ``column`` = ``value`` from its breakdown by ``column`` with only that
    value kept: its row, headline and series are the filtered tile's (without the column
    unless the query breaks down by it). None when the arrays cannot answer or the value has no
    row (the SQL answers then)."""
    by_column = dataclasses.replace(query, breakdown=column, filters={})
    found: Answer | None = None

    if key in lesson_pairs.TILES:
        items = {name: text for name, text in query.filters.items() if name in ITEM_FILTERS}
        found = lesson_pairs.answer(
            key,
            directory,
            period,
            Slice(column, None, items),
            partial(_dimension, directory),
            value,
        )
    elif key in creator_counts.TILES and column == "follower_tier":
        found = creator_counts.answer(
            key, directory, period, Slice(column), partial(_dimension, directory), value
        )
    elif _from_segment_sets(key, by_column, period, directory):
        found = segment_sets.TILES[key](directory, period, column, value)
    if found is None:
        return None
    rows = [row for row in found.rows if row[column] == value]
    if len(rows) != 1:
        return None
    kept = query.breakdown is not None

    def without(row: dict[str, Any]) -> dict[str, Any]:
        return {name: item for name, item in row.items() if kept or name != column}

    headline = {name: item for name, item in rows[0].items() if name != column}
    series = [without(point) for point in found.series if point[column] == value]
    return Answer(rows=[without(rows[0])], headline=headline, series=series)


def _sources(
    key: str, period: Period, query: TileQuery, directory: Path
) -> tuple[list[tuple[str, str | None, str, str]], bool]:
    """(rollup, first day or None, last day, relation) each period reads, and whether it
    reads the lake (search gaps read their rollups for the lake's days: the lake's files are
    part of their version)."""
    rollups, lake = _sql_sources(key, period, query, directory)
    if _kept_filter(key, query) is None:
        return rollups, lake
    # Answered from the segment sets (the lake's events), the lesson pairs (creator_lesson_daily)
    # or the creator counts (creator_daily), else by the SQL: all of them are its version.
    if key in lesson_pairs.TILES:
        rollups.append(("creator_lesson_daily", period.first, period.last, "lesson_pairs"))
    return rollups, True


def _sql_sources(
    key: str, period: Period, query: TileQuery, directory: Path
) -> tuple[list[tuple[str, str | None, str, str]], bool]:
    if _from_segment_sets(key, query, period, directory):
        # Read from the lake's events (through the step store): the lake's files are the version.
        return [], True
    if key in (*DISTINCT_TILES, *COUNT_TILES):
        first = period.first
        if key == "active_creators":
            first = min(period.start, period.end - timedelta(days=29)).isoformat()
        sources: list[tuple[str, str | None, str, str]] = [
            (_segment_rollup(key, query), first, period.last, "seg")
        ]
        if _bitmaps_answer(key, query, first, period.last, directory):
            # creator_daily stays registered: a breakdown with more than ten values needs its
            # event counts to rank them.
            sources.append(("creator_monthly", month_of(first), period.last, "mon"))
        return sources, False
    if lesson_pairs.answers(key, query.breakdown, query.filters):
        # The lesson pairs are creator_lesson_daily's rows (and the SQL reads it when they lag).
        return [("creator_lesson_daily", period.first, period.last, "les")], False
    if key in ("watch_percentage", "course_completion", "content_performance"):
        rollup = _pairs_rollup(query, key, period.first, period.last, directory)
        if (
            key in MONTHLY_ITEM_TILES
            and rollup == "creator_item_lesson_daily"
            and query.breakdown is None
            and _monthly_current(
                directory, "creator_item_monthly", rollup, period.first, period.last
            )
        ):
            return [("creator_item_monthly", month_of(period.first), period.last, "pm")], False
        return [(rollup, period.first, period.last, "les")], False
    if key == "retention":
        if _bitmaps_answer(key, query, LONG_AGO, period.last, directory):
            return [("creator_monthly", None, period.last, "mon")], False
        return [("creator_daily", None, period.last, "act")], False
    if key == "search_gaps" and _search_days(directory, period) is not None:
        # The lake's files count too: search gaps read the days the lake still has.
        return [(rollup, period.first, period.last, rollup) for rollup in SEARCH_ROLLUPS], True
    return [], True  # funnel, search gaps before their rollups: the lake


def source_version(key: str, query: TileQuery, periods: list[Period], directory: Path) -> str:
    """A fingerprint of every file the tile reads (path, size, modification time)."""
    files: set[Path] = {dimension_path(directory, name) for name in SCHEMAS}
    for period in periods:
        rollups, lake = _sources(key, period, query, directory)
        for rollup, first, last, _relation in rollups:
            files |= set(rollup_files(directory, rollup, start=first, end=last).values())
        if lake:
            days = [day.isoformat() for day in period.days]
            for paths in lake_files(directory, days).values():
                files |= set(paths)
    digest = hashlib.sha256()
    for path in sorted(files):
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue
        digest.update(f"{path}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:20]


def funnel_dimension(directory: Path, slice_: Slice) -> CreatorDimension | None:
    """The creator dimension by step-store key, when the funnel's breakdown or filters need
    it."""
    if slice_.breakdown not in ("follower_tier", "experiment") and not any(
        key not in compute.EVENT_FILTERS for key in slice_.filters
    ):
        return None
    return _dimension(directory)


def _answer(key: str, period: Period, query: TileQuery, params: dict[str, Any]) -> Answer:
    directory = events_dir()
    if key == "search_gaps":
        days = _search_days(directory, period)
        if days is not None:
            return search_gaps(directory, period, days, params["limit"])
        return _search_gaps(directory, period, params["limit"])
    kept = _kept_filter(key, query)
    if kept is not None:
        from_value = _as_kept(key, query, period, directory, *kept)
        if from_value is not None:
            return from_value
    if (
        key == "entry_point_ctr"
        and query.breakdown is None
        and set(query.filters) == {"follower_tier"}
    ):
        by_entry_point = creator_counts.ctr_by_entry_point(
            directory,
            period,
            query.filters["follower_tier"],
            partial(_dimension, directory),
        )
        if by_entry_point is not None:
            return by_entry_point
    if _from_segment_sets(key, query, period, directory):
        by_value: Answer = segment_sets.TILES[key](directory, period, str(query.breakdown))
        return by_value
    for by_key in (lesson_pairs, creator_counts):
        # Rollups by step-store key (academy.insights.keyed_rollups), while they are current.
        if by_key.answers(key, query.breakdown, query.filters):
            from_arrays: Answer | None = by_key.answer(
                key,
                directory,
                period,
                Slice(query.breakdown, query.experiment, dict(query.filters)),
                partial(_dimension, directory),
            )
            if from_arrays is not None:
                return from_arrays
    rollups, lake = _sources(key, period, query, directory)
    bitmaps = any(rollup == "creator_monthly" for rollup, *_ in rollups)
    items_by_month = any(rollup == "creator_item_monthly" for rollup, *_ in rollups)
    daily_rows = any(rollup == "creator_daily" and name == "seg" for rollup, *_, name in rollups)
    slice_ = Slice(query.breakdown, query.experiment, dict(query.filters), daily_rows)
    if key == "funnel":
        steps: list[Step] = params["steps"]
        events = StepEvents(
            None, directory, [day.isoformat() for day in period.days], [s.name for s in steps]
        )
        try:
            return compute.funnel(
                events,
                slice_,
                steps,
                timedelta(hours=params["window_hours"]),
                params["order"],
                funnel_dimension(directory, slice_),
            )
        except compute.TooManyValues as error:
            raise _invalid(
                "breakdown",
                _("“%(breakdown)s” has too many distinct values to break a funnel down by.")
                % {"breakdown": error.args[0]},
            ) from error
    with DuckDBEngine() as engine:
        # No progress bar on the server's stderr.
        engine.connection.execute("SET enable_progress_bar = false")
        register_dimensions(engine, directory)
        for rollup, first, last, name in rollups:
            engine.register_rollup(directory, rollup, start=first, end=last, name=name)
        if lake:
            engine.register_lake(directory, days=[day.isoformat() for day in period.days])
        if key == "retention":
            if bitmaps:
                return insights_bitmaps.retention(engine, period, slice_, params["days"])
            return compute.retention(engine, period, slice_, params["days"])
        if key == "content_performance":
            content = (
                insights_bitmaps.content_performance
                if items_by_month
                else compute.content_performance
            )
            return _with_titles(content(engine, period, slice_, params["limit"]))
        if key == "watch_percentage" and items_by_month:
            return insights_bitmaps.watch_percentage(engine, period, slice_)
        if key == "course_completion" and items_by_month:
            return insights_bitmaps.course_completion(engine, period, slice_)
        if bitmaps:
            try:
                from_bitmaps: Answer = getattr(insights_bitmaps, key)(engine, period, slice_)
            except insights_bitmaps.TooManySegments:
                pass
            else:
                return from_bitmaps
        function: Callable[..., Answer] = getattr(compute, key)
        return function(engine, period, slice_)


def _with_titles(answer: Answer) -> Answer:
    """Each item's title (in its original language, from search's index) beside its id, so the
    table and the chart name what creators watched; an item no longer published is named by its
    key (``lesson:42``)."""
    keys = {f"{row['item_kind']}:{row['item_id']}" for row in answer.rows}
    titles = dict(
        SearchDocument.objects.filter(item__in=keys, is_original=True).values_list("item", "title")
    )
    rows = []
    for row in answer.rows:
        item = f"{row['item_kind']}:{row['item_id']}"
        rows.append({"title": titles.get(item) or item, **row})
    return dataclasses.replace(answer, rows=rows)


def _search_gaps(directory: Path, period: Period, limit: int) -> Answer:
    gaps = content_gaps(events_dir=directory, start=period.start, end=period.end, limit=limit)
    return _gaps_answer(gaps)


# Search's query statistics (academy.search.analytics.QUERY) over the search rollups: a row
# of search_query_daily stands for ``searches`` identical searches.
SEARCH_STATS = r"""
WITH searches AS (
    SELECT request_id, lower(regexp_replace(trim(query_text), '\s+', ' ', 'g')) AS query,
           results, searches AS n
    FROM search_query_daily
    WHERE day IN ({days})
), opened AS (
    -- Only requests that are searches of the period can join.
    SELECT request_id, COUNT(DISTINCT item) AS clicks
    FROM search_click_daily
    WHERE day IN ({days}) AND request_id <> ''
      AND request_id IN (SELECT request_id FROM searches)
    GROUP BY request_id
)
SELECT s.query,
       SUM(s.n) AS searches,
       SUM(CASE WHEN s.results = 0 THEN s.n ELSE 0 END) AS zero_result,
       SUM(CASE WHEN o.clicks > 0 THEN s.n ELSE 0 END) AS clicked,
       COALESCE(SUM(o.clicks * s.n), 0) AS clicks
FROM searches s LEFT JOIN opened o ON o.request_id = s.request_id
WHERE s.query IS NOT NULL AND s.query <> ''
GROUP BY s.query
ORDER BY searches DESC, query
"""


def search_gaps(directory: Path, period: Period, days: list[str], limit: int) -> Answer:
    """Search's content gaps (``search.analytics.content_gaps``) for the lake's ``days`` of the
    period, from the search rollups: the same statistics and lists, without reading the lake."""
    if not days:
        stats: list[QueryStats] = []
    else:
        with DuckDBEngine() as engine:
            engine.connection.execute("SET enable_progress_bar = false")
            for rollup in SEARCH_ROLLUPS:
                engine.register_rollup(directory, rollup, start=days[0], end=days[-1])
            marks = ", ".join("?" for _ in days)
            rows = engine.query(SEARCH_STATS.format(days=marks), [*days, *days])
        stats = [QueryStats(str(q), int(s), int(z), int(c), int(n)) for q, s, z, c, n in rows]
    gaps = gaps_from_stats(stats, period.start, period.end, limit)
    return _gaps_answer(gaps)


def _gaps_answer(gaps: ContentGaps) -> Answer:
    rows: list[dict[str, Any]] = []
    for kind, items in (("zero_results", gaps.zero_results), ("low_click", gaps.low_click)):
        for item in items:
            rows.append(
                {
                    "gap": kind,
                    "query": item.query,
                    "searches": item.searches,
                    "zero_result": item.zero_result,
                    "clicked": item.clicked,
                    "ctr": item.ctr,
                }
            )
    return Answer(
        rows=rows,
        headline={
            "searches": gaps.searches,
            "zero_result": gaps.zero_result,
            "zero_result_rate": compute.ratio(gaps.zero_result, gaps.searches),
            "ctr": gaps.ctr if gaps.searches else None,
            "queries": gaps.queries,
        },
        series=[],
    )


# --- the tile -------------------------------------------------------------------------------


def _cache_key(key: str, query: TileQuery, version: str) -> str:
    described = json.dumps(
        {
            "key": key,
            "start": query.start.isoformat(),
            "end": query.end.isoformat(),
            "compare": query.compare,
            "breakdown": query.breakdown,
            "experiment": query.experiment,
            "filters": dict(sorted(query.filters.items())),
            "params": {name: str(value) for name, value in sorted(query.params.items())},
            "version": version,
        },
        sort_keys=True,
    )
    return CACHE_PREFIX + hashlib.sha256(described.encode()).hexdigest()


def tile(key: str, query: TileQuery) -> TileResult:
    """One tile's answer for ``query`` (and its previous period when ``compare``).

    Raises NotFound for an unknown tile and ValidationFailed for a query it cannot answer.
    Cached: the cache key holds the version of every rollup file read, so recomputing a day's
    rollup (or a new snapshot of the creator dimension) gives a fresh answer.
    """
    spec = tile_spec(key)
    params = check_query(spec, query)
    directory = events_dir()
    if query.breakdown in ("follower_tier", "experiment") or "follower_tier" in query.filters:
        ensure_dimensions(directory)
    period = Period(query.start, query.end)
    previous_query = query.previous()
    previous = Period(previous_query.start, previous_query.end)
    periods = [period, previous] if query.compare else [period]
    version = source_version(key, query, periods, directory)
    cache_key = _cache_key(key, query, version)
    stored: dict[str, Any] | None = cache.get(cache_key)
    if stored is None:
        current = _answer(key, period, query, params)
        before = _answer(key, previous, query, params) if query.compare else None
        stored = {"current": current, "previous": before, "computed_at": clock.now()}
        cache.set(cache_key, stored, CACHE_SECONDS)
    current, before = stored["current"], stored["previous"]
    series = [point | {"period": "current"} for point in current.series]
    if before is not None:
        # Previous-period points are shifted onto the current period's days, so both lines
        # share the x axis; "previous_day" keeps the day they were measured on.
        shift = timedelta(days=query.days)
        for point in before.series:
            moved = point | {"period": "previous"}
            if isinstance(point.get("day"), date) and key != "retention":
                moved["previous_day"] = point["day"]
                moved["day"] = point["day"] + shift
            series.append(moved)
    return TileResult(
        key=key,
        title=spec.title,
        description=spec.description,
        query=query,
        chart=spec.chart,
        columns=columns(spec, query, params),
        rows=current.rows,
        previous_rows=before.rows if before else [],
        headline=current.headline,
        previous_headline=before.headline if before else {},
        series=series,
        computed_at=stored["computed_at"],
        source_version=version,
        metrics=spec.metrics,
    )


# --- columns --------------------------------------------------------------------------------

BREAKDOWN_LABELS = {
    "region": gettext_lazy("Region"),
    "language": gettext_lazy("Language"),
    "follower_tier": gettext_lazy("Follower tier"),
    "platform": gettext_lazy("Platform"),
    "entry_point": gettext_lazy("Entry point"),
    "experiment": gettext_lazy("Variant"),
}


def columns(spec: TileSpec, query: TileQuery, params: dict[str, Any]) -> tuple[Column, ...]:
    """The table columns of a tile's rows, for the page and the CSV export."""
    breakdown = query.breakdown
    if spec.key == "entry_point_ctr":
        breakdown = breakdown or "entry_point"
    lead = (Column(breakdown, BREAKDOWN_LABELS[breakdown], "dimension"),) if breakdown else ()
    label = gettext_lazy
    if spec.key == "retention":
        offsets: list[int] = params["days"]
        return (
            Column("week", label("Cohort week"), "week"),
            *lead,
            Column("creators", label("Creators"), "count"),
            *(
                column
                for n in offsets
                for column in (
                    Column(f"day_{n}", label("Day %(n)d") % {"n": n}, "percent"),
                    Column(f"day_{n}_unbounded", label("Day %(n)d or later") % {"n": n}, "percent"),
                )
            ),
        )
    if spec.key == "funnel":
        return (
            *lead,
            Column("step", label("Step"), "number"),
            Column("event", label("Event"), "dimension"),
            Column("creators", label("Creators"), "count"),
            Column("step_conversion", label("From previous step"), "percent"),
            Column("overall_conversion", label("From first step"), "percent"),
            Column("median_seconds", label("Median time to convert"), "seconds"),
        )
    if spec.key == "content_performance":
        return (
            Column("title", label("Title"), "dimension"),
            Column("item_kind", label("Kind"), "dimension"),
            Column("item_id", label("Item"), "dimension"),
            Column("viewers", label("Viewers"), "count"),
            Column("completed_viewers", label("Completed"), "count"),
            Column("completion_rate", label("Completion rate"), "percent"),
            Column("average_watch_percentage", label("Average watch %"), "number"),
            Column("drop_off_point", label("Drop-off point (%)"), "number"),
        )
    if spec.key == "search_gaps":
        return (
            Column("gap", label("Gap"), "dimension"),
            Column("query", label("Query"), "dimension"),
            Column("searches", label("Searches"), "count"),
            Column("zero_result", label("No results"), "count"),
            Column("clicked", label("Clicked"), "count"),
            Column("ctr", label("CTR"), "percent"),
        )
    body: dict[str, tuple[Column, ...]] = {
        "reach": (Column("reach", label("Creators reached"), "count"),),
        "active_creators": (
            Column("dau", label("Average DAU"), "number"),
            Column("wau", label("WAU"), "count"),
            Column("mau", label("MAU"), "count"),
            Column("stickiness", label("DAU / MAU"), "percent"),
        ),
        "north_star": (
            Column("learning_creators", label("Learning creators"), "count"),
            Column("reach", label("Creators reached"), "count"),
            Column("clicking_creators", label("Clicking creators"), "count"),
            Column("starting_creators", label("Starting creators"), "count"),
            Column("reach_click_rate", label("Reach → click"), "percent"),
            Column("click_start_rate", label("Click → start"), "percent"),
            Column("start_complete_rate", label("Start → complete"), "percent"),
        ),
        "entry_point_ctr": (
            Column("impressions", label("Impressions"), "count"),
            Column("clicks", label("Clicks"), "count"),
            Column("ctr", label("CTR"), "percent"),
        ),
        "lessons": (
            Column("lesson_starts", label("Lesson starts"), "count"),
            Column("lesson_completes", label("Lesson completions"), "count"),
            Column("completion_rate", label("Completion rate"), "percent"),
        ),
        "watch_percentage": (
            Column("pairs", label("Creator–lesson pairs"), "count"),
            Column("average_watch_percentage", label("Average watch %"), "number"),
        ),
        "course_completion": (
            Column("enrollments", label("Enrollments"), "count"),
            Column("completions", label("Courses completed"), "count"),
            Column("course_completion_rate", label("Completion rate"), "percent"),
        ),
    }
    return (*lead, *body[spec.key])
