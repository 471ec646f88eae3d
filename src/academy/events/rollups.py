"""Pre-aggregated rollups of the lake, recomputed per day for the days that changed.

``<events dir>/rollups/<rollup>/date=YYYY-MM-DD/part.parquet``, one file per rollup and day,
replaced atomically. The SQL is portable (``COUNT(CASE …)``, ``SUM``, ``CAST``, no
engine-specific functions) and runs through the query layer, so DuckDB here and Spark on a
cluster compute the same rows from the same lake (``tests/test_spark_parity.py``). A run computes
the coarser rollups of a day from a finer one's file (``FROM_ROLLUP``) rather than from the lake;
``ROLLUPS`` holds every daily rollup's SQL over the lake alone, which gives the same rows.
"""

from __future__ import annotations

import os
import queue
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from pathlib import Path

import pyarrow as pa  # type: ignore[import-untyped]

from academy.events.query import (
    LAKE,
    DuckDBEngine,
    QueryEngine,
    check_day,
    check_relation,
    default_engine,
    lake_days,
    rollup_target,
)

__all__ = [
    "KEYS",
    "MONTHLY",
    "ROLLUPS",
    "RollupRun",
    "lake_days",
    "month_of",
    "read_rollup",
    "rollup_days",
    "rollup_months",
]

# Counted per row: (event name, column).
COUNTED = (
    ("impression", "impressions"),
    ("click", "clicks"),
    ("lesson_start", "lesson_starts"),
    ("lesson_complete", "lesson_completes"),
    ("quiz_submit", "quiz_submits"),
    ("enroll", "enrolls"),
    ("not_interested", "not_interested"),
)


def _count_if(condition: str, column: str) -> str:
    """COUNT of a CASE without ELSE counts the matching rows and is a BIGINT in every engine (a
    SUM of CASE is a HUGEINT in DuckDB, which Parquet stores as a float); sums are cast back."""
    return f"COUNT(CASE WHEN {condition} THEN 1 END) AS {column}"


COUNTS = ", ".join(_count_if(f"name = '{name}'", column) for name, column in COUNTED)

# The grouping keys of each rollup: one row per distinct key.
KEYS: dict[str, tuple[str, ...]] = {
    # What each creator did with each item, by entry point: CTR, completion, content performance.
    "creator_item_daily": ("day", "creator_id", "item_kind", "item_id", "entry_point"),
    # One row per active creator and day: DAU/WAU/MAU, retention, per-creator metrics.
    "creator_daily": ("day", "creator_id"),
    # Entry points by segment: CTR per entry point with breakdowns, and distinct creators.
    "entry_point_daily": ("day", "entry_point", "region", "language", "platform"),
    # Each creator's activity by entry point and context: insights tiles with breakdowns
    # (reach, DAU/WAU/MAU, North Star, CTR, lessons) count distinct creators per segment.
    "creator_segment_daily": (
        "day", "creator_id", "entry_point", "region", "language", "platform",
    ),
    # Signed-in creators' events by entry point and context (entry_point_daily without the
    # anonymous events): event counts of insights tiles by segment, without a creator's detail.
    "segment_daily": ("day", "entry_point", "region", "language", "platform"),
    # What each creator did with each lesson or course, with context: watch percentage, content
    # performance, drop-off point, course completion.
    "creator_lesson_daily": (
        "day", "creator_id", "item_kind", "item_id", "entry_point", "region", "language",
        "platform",
    ),
    # creator_lesson_daily without the context: one row per creator, item and day, so a tile
    # without a context breakdown or filter groups 2-3 times fewer rows (watch percentage,
    # content performance, course completion) and a day's pairs are its rows.
    "creator_item_lesson_daily": ("day", "creator_id", "item_kind", "item_id"),
    # Each search (one row per request and query text as typed, with its results) and each item
    # opened from a search request: the search gaps tile, without reading the lake.
    "search_query_daily": ("day", "creator_id", "request_id", "query_text", "results"),
    "search_click_daily": ("day", "creator_id", "request_id", "item"),
    # One row per creator and month (``day`` is the month's first day), from creator_daily:
    # bitmaps of the month's days (bit n-1 = day n) on which the creator was active, reached,
    # clicked, started and completed a lesson. Distinct creators of any period, DAU/WAU/MAU and
    # retention are bit tests on ~1 row per creator and month instead of one per creator and day.
    "creator_monthly": ("day", "creator_id"),
    # creator_item_lesson_daily's rows of a month in one file (``month`` its first day, ``day``
    # each row's), sorted by day, with ``pair_days``: the bitmap of the month's days on which
    # the row's (creator, item) pair has a row. Watch percentage and content performance of a
    # period inside a month group only the pairs with several rows in it.
    "creator_item_monthly": ("month", "day", "creator_id", "item_kind", "item_id"),
}  # fmt: skip
# The events creator_lesson_daily keeps; `percent` of a lesson_progress is read from its
# properties (get_json_object: Spark's function, a macro on DuckDB), unreadable values as NULL.
LESSON_EVENTS = ("lesson_start", "lesson_progress", "lesson_complete", "enroll", "badge_earned")
PERCENT = "TRY_CAST(get_json_object(properties, '$.percent') AS DOUBLE)"
SEARCH_QUERY = "get_json_object(properties, '$.query')"
SEARCH_RESULTS = "TRY_CAST(get_json_object(properties, '$.results') AS BIGINT)"


def _grouped(keys: tuple[str, ...]) -> str:
    return ", ".join(keys)


def _summed(columns: tuple[str, ...]) -> str:
    return ", ".join(f"CAST(SUM({column}) AS BIGINT) AS {column}" for column in columns)


COUNT_COLUMNS = tuple(column for _, column in COUNTED)
SUMS = _summed(COUNT_COLUMNS)
BADGES = _count_if("name = 'badge_earned'", "badges")
# creator_lesson_daily's counts, in its column order (max_percent comes after the first two).
LESSON_COUNTS = ("lesson_starts", "progress_events", "lesson_completes", "enrolls", "badges")

# The rollups computed from the lake. Each scans the day's events on its own: loading a day's
# events into a DuckDB table once costs more (1.3 s of CPU for a day of the 100M-event benchmark)
# than the scans it saves (~0.1 s each).
FROM_LAKE: dict[str, str] = {
    # Anonymous events (no creator_id) count for entry points only.
    "creator_item_daily": f"""
        SELECT {_grouped(KEYS["creator_item_daily"])}, COUNT(*) AS events, {COUNTS}
        FROM {LAKE}
        WHERE creator_id <> ''
        GROUP BY {_grouped(KEYS["creator_item_daily"])}
    """,
    "creator_segment_daily": f"""
        SELECT {_grouped(KEYS["creator_segment_daily"])}, COUNT(*) AS events, {COUNTS},
               {BADGES}
        FROM {LAKE}
        WHERE creator_id <> ''
        GROUP BY {_grouped(KEYS["creator_segment_daily"])}
    """,
    # What each creator did with each lesson or course, with context; max_percent is the
    # furthest heartbeat (clamped to 0 to 100), NULL without a readable one. The percent is read
    # once per event (as a column below) rather than in each place the clamp uses it.
    "creator_lesson_daily": f"""
        SELECT {_grouped(KEYS["creator_lesson_daily"])},
               {_count_if("name = 'lesson_start'", "lesson_starts")},
               {_count_if("name = 'lesson_progress'", "progress_events")},
               MAX(CASE WHEN percent > 100 THEN 100.0
                        WHEN percent < 0 THEN 0.0
                        ELSE percent END) AS max_percent,
               {_count_if("name = 'lesson_complete'", "lesson_completes")},
               {_count_if("name = 'enroll'", "enrolls")},
               {BADGES}
        FROM (
            SELECT {_grouped(KEYS["creator_lesson_daily"])}, name,
                   CASE WHEN name = 'lesson_progress' THEN {PERCENT} END AS percent
            FROM {LAKE}
            WHERE creator_id <> ''
              AND name IN ({", ".join(f"'{name}'" for name in LESSON_EVENTS)})
        ) AS lesson_events
        GROUP BY {_grouped(KEYS["creator_lesson_daily"])}
    """,
    # Search's content gaps (academy.search.analytics) read `search` events' query and results
    # and the items opened from each request; anonymous searches count there, so they are kept
    # (creator_id ''). The query text is kept as typed (readers fold case and spaces); searches
    # without one never count there and are left out.
    "search_query_daily": f"""
        SELECT day, COALESCE(creator_id, '') AS creator_id, request_id,
               {SEARCH_QUERY} AS query_text, {SEARCH_RESULTS} AS results,
               COUNT(*) AS searches
        FROM {LAKE}
        WHERE name = 'search' AND {SEARCH_QUERY} IS NOT NULL
        GROUP BY day, COALESCE(creator_id, ''), request_id, {SEARCH_QUERY}, {SEARCH_RESULTS}
    """,
    "search_click_daily": f"""
        SELECT day, COALESCE(creator_id, '') AS creator_id, request_id,
               item_kind || ':' || item_id AS item, COUNT(*) AS clicks
        FROM {LAKE}
        WHERE request_id <> ''
          AND (name = 'search_click' OR (name = 'click' AND entry_point = 'search'))
        GROUP BY day, COALESCE(creator_id, ''), request_id, item_kind || ':' || item_id
    """,
}

# The rollups computed from a finer rollup of the same day — its rows grouped again, a fraction
# of the day's events — instead of from the lake: (source rollup, SQL in which ``{source}``
# stands for the source's rows). Counts are sums of the source's counts and max_percent the
# maximum of its maxima; distinct creators are the source's rows, as it is keyed by creator.
FROM_ROLLUP: dict[str, tuple[str, str]] = {
    "creator_daily": (
        "creator_segment_daily",
        f"""
        SELECT {_grouped(KEYS["creator_daily"])}, CAST(SUM(events) AS BIGINT) AS events, {SUMS}
        FROM {{source}}
        GROUP BY {_grouped(KEYS["creator_daily"])}
        """,
    ),
    # Per creator first, then per segment: each creator's rows are creator_segment_daily's, the
    # anonymous events (no or an empty creator_id) are grouped from the lake, so counting the
    # rows with a creator counts distinct creators.
    "entry_point_daily": (
        "creator_segment_daily",
        f"""
        SELECT {_grouped(KEYS["entry_point_daily"])}, CAST(SUM(events) AS BIGINT) AS events,
               {_count_if("creator_id <> ''", "creators")}, {SUMS}
        FROM (
            SELECT {_grouped(KEYS["entry_point_daily"])}, creator_id, events,
                   {_grouped(COUNT_COLUMNS)}
            FROM {{source}}
            UNION ALL
            SELECT {_grouped(KEYS["entry_point_daily"])}, creator_id, COUNT(*) AS events,
                   {COUNTS}
            FROM {LAKE}
            WHERE creator_id = '' OR creator_id IS NULL
            GROUP BY {_grouped(KEYS["entry_point_daily"])}, creator_id
        ) AS per_creator
        GROUP BY {_grouped(KEYS["entry_point_daily"])}
        """,
    ),
    # Signed-in creators' events by segment (entry_point_daily without the anonymous events).
    "segment_daily": (
        "creator_segment_daily",
        f"""
        SELECT {_grouped(KEYS["segment_daily"])}, CAST(SUM(events) AS BIGINT) AS events, {SUMS},
               CAST(SUM(badges) AS BIGINT) AS badges
        FROM {{source}}
        GROUP BY {_grouped(KEYS["segment_daily"])}
        """,
    ),
    # creator_lesson_daily without the context: its counts summed, max_percent the maximum.
    "creator_item_lesson_daily": (
        "creator_lesson_daily",
        f"""
        SELECT {_grouped(KEYS["creator_item_lesson_daily"])},
               {_summed(LESSON_COUNTS[:2])}, MAX(max_percent) AS max_percent,
               {_summed(LESSON_COUNTS[2:])}
        FROM {{source}}
        GROUP BY {_grouped(KEYS["creator_item_lesson_daily"])}
        """,
    ),
}


def _over_lake(name: str) -> str:
    """A rollup's SQL over the lake alone (a rollup of a rollup reads its source as a subquery):
    what readers run for a rollup's columns without files, and what the parity test compares."""
    if name not in FROM_ROLLUP:
        return FROM_LAKE[name]
    source, sql = FROM_ROLLUP[name]
    return sql.format(source=f"({_over_lake(source)}) AS {source}")


# Every daily rollup's SQL over the lake relation (its rows for any set of days).
ROLLUPS: dict[str, str] = {
    name: _over_lake(name)
    for name in (
        "creator_item_daily",
        "creator_daily",
        "entry_point_daily",
        "creator_segment_daily",
        "segment_daily",
        "creator_lesson_daily",
        "creator_item_lesson_daily",
        "search_query_daily",
        "search_click_daily",
    )
}

# Rollups of rollups, one file per month (at the month's first day): (source rollup, SQL over
# the source's days of that month). Recomputed by every run for the months of its days, once
# the days' source files are written, so they always agree with the daily files they come from.
DAY_OF_MONTH_BIT = "POWER(2, CAST(SUBSTRING(day, 9, 2) AS INT) - 1)"
MONTHLY: dict[str, tuple[str, str]] = {
    # creator_daily has one row per creator and day, so the sum of each day's bit is the OR.
    "creator_monthly": (
        "creator_daily",
        f"""
        SELECT SUBSTRING(day, 1, 8) || '01' AS day, creator_id,
               CAST(SUM({DAY_OF_MONTH_BIT}) AS BIGINT) AS active_days,
               CAST(SUM(CASE WHEN impressions > 0 THEN {DAY_OF_MONTH_BIT} ELSE 0 END)
                    AS BIGINT) AS impression_days,
               CAST(SUM(CASE WHEN clicks > 0 THEN {DAY_OF_MONTH_BIT} ELSE 0 END)
                    AS BIGINT) AS click_days,
               CAST(SUM(CASE WHEN lesson_starts > 0 THEN {DAY_OF_MONTH_BIT} ELSE 0 END)
                    AS BIGINT) AS start_days,
               CAST(SUM(CASE WHEN lesson_completes > 0 THEN {DAY_OF_MONTH_BIT} ELSE 0 END)
                    AS BIGINT) AS complete_days
        FROM creator_daily
        GROUP BY SUBSTRING(day, 1, 8) || '01', creator_id
        """,
    ),
    # creator_item_lesson_daily's rows of the month, each with its (creator, item) pair's month:
    # the bitmap of the days on which the pair has a row, its number of rows, whether the row
    # is its first, and its totals (furthest percent, views — starts and heartbeats —,
    # completions, enrolments, badges). A period holding all of a pair's days reads its first
    # row, a period holding one of them reads that row; only the pairs with several rows in a
    # period that cuts through their month are grouped. The file holds the pairs of one row
    # first, then the others, each by day: a period reads the row groups of its days, and only
    # the second part's for the pairs it may have to group. (The totals are a grouping joined
    # back to the rows: a window over the pairs took twice as long.)
    "creator_item_monthly": (
        "creator_item_lesson_daily",
        f"""
        SELECT * FROM (
            SELECT SUBSTRING(d.day, 1, 8) || '01' AS month, d.day, d.creator_id, d.item_kind,
                   d.item_id, d.lesson_starts, d.progress_events, d.max_percent,
                   d.lesson_completes, d.enrolls, d.badges, p.pair_days, p.pair_rows,
                   d.day = p.first_day AS pair_first, p.pair_max_percent, p.pair_views,
                   p.pair_completes, p.pair_enrolls, p.pair_badges
            FROM creator_item_lesson_daily d
            JOIN (
                SELECT creator_id, item_kind, item_id,
                       CAST(SUM({DAY_OF_MONTH_BIT}) AS BIGINT) AS pair_days,
                       COUNT(*) AS pair_rows, MIN(day) AS first_day,
                       MAX(max_percent) AS pair_max_percent,
                       CAST(SUM(lesson_starts + progress_events) AS BIGINT) AS pair_views,
                       CAST(SUM(lesson_completes) AS BIGINT) AS pair_completes,
                       CAST(SUM(enrolls) AS BIGINT) AS pair_enrolls,
                       CAST(SUM(badges) AS BIGINT) AS pair_badges
                FROM creator_item_lesson_daily
                GROUP BY creator_id, item_kind, item_id
            ) AS p
              ON d.creator_id = p.creator_id
             AND d.item_kind IS NOT DISTINCT FROM p.item_kind
             AND d.item_id IS NOT DISTINCT FROM p.item_id
        ) AS rows_of_the_month
        ORDER BY CASE WHEN pair_rows > 1 THEN 1 ELSE 0 END, day
        """,
    ),
}


def month_of(day: str) -> str:
    """The first day of ``day``'s month: where its monthly rollups live."""
    return check_day(day)[:8] + "01"


def _month_end(month: str) -> str:
    first = date.fromisoformat(month)
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return (following - timedelta(days=1)).isoformat()


def _rollup_month(
    engine: QueryEngine, *, events_dir: Path, month: str, name: str
) -> dict[str, int]:
    source, sql = MONTHLY[name]
    target = rollup_target(events_dir, name, month)
    if engine.register_rollup(events_dir, source, start=month, end=_month_end(month)):
        return {name: engine.write_parquet(sql, target)}
    target.unlink(missing_ok=True)
    return {name: 0}


def rollup_months(
    *, events_dir: Path, months: list[str], engine: QueryEngine | None = None
) -> dict[str, int]:
    """Recompute every monthly rollup of ``months`` (first days) from its daily source files;
    a month whose source has no day loses its file. Returns the rows written per rollup."""
    rows = dict.fromkeys(MONTHLY, 0)
    owned = engine is None
    engine = engine or DuckDBEngine()
    try:
        for month in sorted({month_of(month) for month in months}):
            for name in MONTHLY:
                written = _rollup_month(engine, events_dir=events_dir, month=month, name=name)
                rows[name] += written[name]
    finally:
        if owned:
            engine.close()
    return rows


# The daily rollups in the groups one task computes for one day: a rollup from the lake, then
# the rollups computed from its file. The groups the monthly rollups read come first, so that
# the months are recomputed while the other groups' days still run.
_MONTHLY_SOURCES = {source for source, _sql in MONTHLY.values()}
GROUPS: list[tuple[str, ...]] = sorted(
    (
        (name, *(derived for derived, (source, _sql) in FROM_ROLLUP.items() if source == name))
        for name in FROM_LAKE
    ),
    key=_MONTHLY_SOURCES.isdisjoint,
)


def _rollup_group(
    engine: QueryEngine, *, events_dir: Path, day: str, group: tuple[str, ...]
) -> dict[str, int]:
    """Write one group of ``day``'s rollups (see GROUPS): the first from the lake, then the
    others from the first's file, registered under its name. A day without events is left."""
    rows = dict.fromkeys(group, 0)
    if not engine.register_lake(events_dir, days=[day]):
        return rows
    source, *derived = group
    rows[source] = engine.write_parquet(FROM_LAKE[source], rollup_target(events_dir, source, day))
    if derived:
        engine.register_rollup(events_dir, source, start=day, end=day)
    for name in derived:
        query = FROM_ROLLUP[name][1].format(source=source)
        rows[name] = engine.write_parquet(query, rollup_target(events_dir, name, day))
    return rows


def _parallelism(tasks: int) -> tuple[int, int]:
    """(tasks run side by side, DuckDB threads) for the default engine.

    One thread per task, as many tasks at once as there are cores: DuckDB's parallel hash
    aggregation and Parquet writer cost about a quarter more CPU than a single thread (measured
    on the 100M-event benchmark), while days and groups are independent.
    """
    cores = os.cpu_count() or 1
    workers = max(1, min(cores, tasks))
    return workers, max(1, cores // workers)


@dataclass(frozen=True)
class RollupRun:
    days: list[str]
    rows: dict[str, int]


@dataclass(frozen=True)
class _Task:
    work: Callable[[QueryEngine], dict[str, int]]
    day: int | None = None  # the day's index in the run; None for a month
    feeds_months: bool = False


def rollup_days(
    *,
    events_dir: Path,
    days: list[str],
    engine: QueryEngine | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> RollupRun:
    """Recompute every rollup for ``days`` from the lake (a day without events is skipped), then
    the monthly rollups of the days' months from the daily files.

    Each rollup of each day is written to its own file, replaced atomically, so an interrupted
    run leaves every file either as it was or recomputed. With ``engine`` the days run one after
    another on it; by default DuckDB runs as many groups of a day's rollups (``GROUPS``) at a
    time as there are cores, and each month as soon as the rollups it reads are written.
    ``progress(done, total)`` is called after each day.
    """
    days = [check_day(day) for day in days]
    rows = dict.fromkeys([*ROLLUPS, *MONTHLY], 0)
    groups_left = [len(GROUPS)] * len(days)

    def add(counts: dict[str, int], day: int | None) -> None:
        for name, count in counts.items():
            rows[name] += count
        if day is not None:
            groups_left[day] -= 1
            if progress and not groups_left[day]:
                progress(groups_left.count(0), len(days))

    if engine is not None:
        for index, day in enumerate(days):
            for group in GROUPS:
                add(_rollup_group(engine, events_dir=events_dir, day=day, group=group), index)
        rows.update(rollup_months(events_dir=events_dir, months=days, engine=engine))
        return RollupRun(days=days, rows=rows)
    ready = deque(
        _Task(
            partial(_rollup_group, events_dir=events_dir, day=day, group=group),
            day=index,
            feeds_months=not _MONTHLY_SOURCES.isdisjoint(group),
        )
        for group in GROUPS
        for index, day in enumerate(days)
    )
    months = [
        _Task(partial(_rollup_month, events_dir=events_dir, month=month, name=name))
        for month in sorted({month_of(day) for day in days})
        for name in MONTHLY
    ]
    feeding = sum(task.feeds_months for task in ready)
    workers, threads = _parallelism(len(ready))
    with DuckDBEngine(threads=threads) as database:
        engines = [database.cursor() for _ in range(workers)]
        idle: queue.SimpleQueue[DuckDBEngine] = queue.SimpleQueue()
        for cursor in engines:
            idle.put(cursor)

        def run(task: _Task) -> dict[str, int]:
            cursor = idle.get()
            try:
                return task.work(cursor)
            finally:
                idle.put(cursor)

        running: dict[Future[dict[str, int]], _Task] = {}
        try:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                try:
                    while ready or running or months:
                        if not feeding:
                            # Every file the months read is written: they go next.
                            ready.extendleft(reversed(months))
                            months = []
                        while ready and len(running) < workers:
                            task = ready.popleft()
                            running[pool.submit(run, task)] = task
                        finished, _ = wait(running, return_when=FIRST_COMPLETED)
                        for future in finished:
                            task = running.pop(future)
                            add(future.result(), task.day)
                            feeding -= task.feeds_months
                except BaseException:
                    # Ctrl-C or a failed task: stop the others too. Each rollup file is replaced
                    # atomically, so every file is left as it was or recomputed.
                    for cursor in engines:
                        cursor.interrupt()
                    raise
        finally:
            for cursor in engines:
                cursor.close()
    return RollupRun(days=days, rows=rows)


def read_rollup(
    *,
    events_dir: Path,
    rollup: str,
    start: str | None = None,
    end: str | None = None,
    engine: QueryEngine | None = None,
) -> pa.Table:
    """A rollup's rows from day ``start`` to ``end`` (inclusive, either open), ordered by its
    keys, as an Arrow table — how dashboards and analyses read a date range."""
    if rollup not in KEYS:
        raise ValueError(f"unknown rollup {rollup!r}: one of {', '.join(KEYS)}")
    owned = engine is None
    engine = engine or default_engine()
    try:
        engine.register_rollup(events_dir, rollup, start=start, end=end)
        # NULLS LAST spelled out: engines differ in where they put NULLs by default.
        order = ", ".join(f"{key} NULLS LAST" for key in KEYS[rollup])
        return engine.arrow(f"SELECT * FROM {check_relation(rollup)} ORDER BY {order}")
    finally:
        if owned:
            engine.close()
