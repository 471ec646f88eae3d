"""Insights tiles over the 100M-event lake: every tile, cold cache, for a 7-day and a 28-day range
with the previous-period comparison. Target (insights issue): every tile ≤ 1 s at 100M events.

Reuses the lake of `bench.event_rollups` (cached under `var/bench/event_rollups/`, generated
only if missing) and its rollups; rollups the lake does not have yet (the insights ones) are
computed once for every day, and the monthly ones for every month, and kept. The creator
dimension (follower tier, experiment variation) is a synthetic snapshot of the lake's ~1M
creators. Each tile is timed in this
process with Django's cache cleared before every call, `RUNS` times; the median and the worst
run are reported.

Funnels read the funnels' step store (`academy.insights.funnel_store`), built once for every
lake day and kept like the rollups. `--compare-funnels` instead checks that funnels answered from
it equal the SQL over the lake they replaced (`insights/tests/reference_funnel.py`): every
variant there (orders, step lists, windows, breakdowns, filters) for both ranges and their
previous periods.

`uv run --frozen python -m bench.insights_tiles --quick` runs on the 1M-event lake (it does not
rewrite docs/BENCHMARKS.md); `--only TEXT` times only the tiles whose label contains TEXT.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from rich.progress import Progress

from bench.common import log, median, write_section
from bench.event_rollups import CREATORS, DAYS, EVENTS, FIRST_DAY, lake_for

RUNS = 3
QUICK_EVENTS = 1_000_000
TARGET_SECONDS = 1.0
# The experiment of the synthetic creator dimension (`ensure_dimensions`).
EXPERIMENT = "card"
# The tiles timed, each with the query a dashboard sends by default, plus the product
# manager's two questions (the card's CTR by region; card click → lesson completion).
CASES: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("reach", "reach", {}),
    ("active_creators", "active_creators", {}),
    ("north_star", "north_star", {}),
    ("entry_point_ctr", "entry_point_ctr", {}),
    (
        "entry_point_ctr by region, For You card",
        "entry_point_ctr",
        {"breakdown": "region", "filters": {"entry_point": "for_you_card"}},
    ),
    ("lessons", "lessons", {}),
    ("watch_percentage", "watch_percentage", {}),
    ("course_completion", "course_completion", {}),
    ("retention", "retention", {}),
    ("funnel (default steps, strict)", "funnel", {}),
    (
        "funnel card click → lesson complete, any order",
        "funnel",
        {"params": {"steps": "click@for_you_card,lesson_start,lesson_complete", "order": "any"}},
    ),
    ("funnel by region", "funnel", {"breakdown": "region"}),
    ("funnel by follower tier", "funnel", {"breakdown": "follower_tier"}),
    (
        "funnel by experiment variant",
        "funnel",
        {"breakdown": "experiment", "experiment": EXPERIMENT},
    ),
    (
        "funnel by entry point, lessons only",
        "funnel",
        {"breakdown": "entry_point", "filters": {"item_kind": "lesson"}},
    ),
    (
        "funnel, nano creators only",
        "funnel",
        {"filters": {"follower_tier": "nano"}},
    ),
    ("content_performance", "content_performance", {}),
    ("search_gaps", "search_gaps", {}),
    ("reach by follower tier", "reach", {"breakdown": "follower_tier"}),
)
RANGES = (7, 28)


def _setup_django(data_dir: Path) -> None:
    """Django on a fresh database in ``data_dir`` (content performance names items from search's
    index, which is empty here), unless DATABASE_URL names one."""
    import django
    from django.core.management import call_command

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "academy.config.settings.base")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{data_dir / 'academy.sqlite3'}")
    django.setup()
    call_command("migrate", verbosity=0)
    _create_experiment()


def _create_experiment() -> None:
    """The experiment the synthetic dimension assigns creators to (variations a and b), for the
    breakdown by experiment variant."""
    from academy.experiments.models import Experiment
    from academy.experiments.services import (
        ExperimentInput,
        VariationInput,
        experiment_create,
        flag_create,
    )

    if Experiment.objects.filter(key=EXPERIMENT).exists():
        return
    flag = flag_create(key=EXPERIMENT, value_type="string", default_value="a")
    variations = [VariationInput(key=key, name=key.upper(), value=key) for key in ("a", "b")]
    data = ExperimentInput(name="Card", hypothesis="", variations=variations, weights=[0.5, 0.5])
    experiment_create(key=EXPERIMENT, flag=flag, data=data)


def ensure_rollups(events_dir: Path) -> None:
    """Compute every rollup the lake's days do not have yet (kept for the next runs), then the
    monthly rollups of the months that miss one or whose days were just rolled up."""
    from academy.events.query import lake_days, rollup_target
    from academy.events.rollups import MONTHLY, ROLLUPS, month_of, rollup_months

    days = lake_days(events_dir)
    missing = [
        (day, name)
        for day in days
        for name in ROLLUPS
        if not rollup_target(events_dir, name, day).exists()
    ]
    months = {month_of(day) for day, _name in missing} | {
        month_of(day)
        for day in days
        for name in MONTHLY
        if not rollup_target(events_dir, name, month_of(day)).exists()
    }
    if missing:
        _compute_days(events_dir, missing)
    if months:
        log(f"computing the monthly rollups of {len(months)} months")
        rollup_months(events_dir=events_dir, months=sorted(months))


def _compute_days(events_dir: Path, missing: list[tuple[str, str]]) -> None:
    from academy.events.query import DuckDBEngine, rollup_target
    from academy.events.rollups import ROLLUPS

    with DuckDBEngine() as engine, Progress() as progress:
        task = progress.add_task("computing the missing rollups", total=len(missing))
        registered = None
        for day, name in missing:
            if registered != day:
                engine.register_lake(events_dir, days=[day])
                registered = day
            engine.write_parquet(ROLLUPS[name], rollup_target(events_dir, name, day))
            progress.advance(task)


def ensure_funnel_steps(events_dir: Path) -> None:
    """Build the funnels' step store for the lake days that lack it (kept for the next runs)."""
    from academy.insights.creator_counts import creator_counts_prepare
    from academy.insights.funnel_store import funnel_steps_prepare
    from academy.insights.lesson_pairs import lesson_pairs_prepare
    from academy.insights.segment_sets import segment_sets_prepare

    with Progress() as progress:
        task = progress.add_task("building the funnel step store", total=None)
        started = time.perf_counter()
        done = funnel_steps_prepare(
            events_dir=events_dir,
            progress=lambda finished, total: progress.update(task, completed=finished, total=total),
        )
    if done["days_built"]:
        seconds = time.perf_counter() - started
        log(f"built {done['days_built']} days of funnel steps in {seconds:.0f} s")
    started = time.perf_counter()
    written = segment_sets_prepare(events_dir=events_dir)
    if written:
        log(f"built {written} days of segment sets in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    written = lesson_pairs_prepare(events_dir=events_dir)
    if written:
        log(f"built {written} days of lesson pairs in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    written = creator_counts_prepare(events_dir=events_dir)
    if written:
        log(f"built {written} days of creator counts in {time.perf_counter() - started:.0f} s")


def _bytes(paths: Iterable[Path]) -> int:
    return sum(path.stat().st_size for path in paths if path.is_file())


def compare_funnels(events_dir: Path) -> int:
    """Funnels from the step store against the SQL over the lake; the number that differ."""
    from academy.events.query import DuckDBEngine
    from academy.insights.compute import Period
    from academy.insights.dimensions import register_dimensions
    from academy.insights.tests.reference_funnel import VARIANTS, funnel_both

    last = date.fromisoformat(FIRST_DAY) + timedelta(days=DAYS - 1)
    periods = []
    for days in RANGES:
        current = Period(last - timedelta(days=days - 1), last)
        periods += [
            current,
            Period(current.start - timedelta(days=days), current.start - timedelta(days=1)),
        ]
    differ = 0
    with DuckDBEngine() as engine:
        register_dimensions(engine, events_dir)
        for period in periods:
            for variant in VARIANTS:
                new, old = funnel_both(engine, events_dir, period, variant)
                same = (new.rows, new.headline) == (old.rows, old.headline)
                differ += not same
                print(
                    json.dumps(
                        {
                            "period": [period.first, period.last],
                            "variant": variant,
                            "same": same,
                            "headline": new.headline,
                            "rows": len(new.rows),
                        }
                    ),
                    flush=True,
                )
                if not same:
                    log(f"differs: {variant} {period}\n  new {new.rows}\n  old {old.rows}")
    log(f"{len(periods) * len(VARIANTS) - differ} of {len(periods) * len(VARIANTS)} funnels equal")
    return differ


def ensure_dimensions(events_dir: Path) -> None:
    """A synthetic creator dimension for the lake's creators (written once)."""
    from academy.insights.dimensions import dimension_path
    from academy.insights.services import funnel_dimension_align

    creators = dimension_path(events_dir, "creators")
    assignments = dimension_path(events_dir, "assignments")
    if not (creators.exists() and assignments.exists()):
        _write_synthetic_dimension(creators, assignments)
    # By the step store's keys, as the insights tasks keep it.
    funnel_dimension_align(events_dir)


def _write_synthetic_dimension(creators: Path, assignments: Path) -> None:
    import duckdb

    for path in (creators, assignments):
        path.parent.mkdir(parents=True, exist_ok=True)
    connection = duckdb.connect()
    tiers = "['starter', 'nano', 'micro', 'mid', 'macro']"
    connection.execute(
        f"COPY (SELECT 'creator-' || n AS creator_id, "  # noqa: S608
        f"{tiers}[1 + CAST(floor(5 * pow((hash(n) % 1000) / 1000.0, 2)) AS BIGINT)] "
        f"AS follower_tier FROM range({CREATORS}) AS numbers(n)) "
        f"TO '{creators.as_posix()}' (FORMAT PARQUET)"
    )
    connection.execute(
        f"COPY (SELECT 'creator-' || n AS creator_id, '{EXPERIMENT}' AS experiment, "  # noqa: S608
        "CASE n % 3 WHEN 0 THEN 'a' ELSE 'b' END AS variation "
        f"FROM range({CREATORS}) AS numbers(n) WHERE n % 3 < 2) "
        f"TO '{assignments.as_posix()}' (FORMAT PARQUET)"
    )
    connection.close()


def breakdown_cases() -> list[tuple[str, str, dict[str, Any]]]:
    """Every tile with each breakdown it offers (the experiment's variants for ``experiment``)."""
    from academy.insights.tiles import TILES

    return [
        (
            f"{key} by {breakdown}",
            key,
            {"breakdown": breakdown}
            | ({"experiment": EXPERIMENT} if breakdown == "experiment" else {}),
        )
        for key, spec in TILES.items()
        for breakdown in spec.breakdowns
    ]


# One value of each filter (the benchmark lake has them), and the product question's pattern: a
# filter with a breakdown by another column.
FILTER_VALUES = {
    "region": "BR",
    "entry_point": "for_you_card",
    "follower_tier": "nano",
    "item_kind": "lesson",
}
JOINT = ("entry_point", "region")


def filter_cases() -> list[tuple[str, str, dict[str, Any]]]:
    """Every tile with each filter of FILTER_VALUES it accepts, and with the entry-point filter
    broken down by region."""
    from academy.insights.selectors import FILTERS

    cases: list[tuple[str, str, dict[str, Any]]] = []
    for key, accepted in FILTERS.items():
        for column, value in FILTER_VALUES.items():
            if column in accepted:
                cases.append((f"{key} where {column}", key, {"filters": {column: value}}))
        if JOINT[0] in accepted and key != "content_performance":
            cases.append(
                (
                    f"{key} where {JOINT[0]} by {JOINT[1]}",
                    key,
                    {"filters": {JOINT[0]: FILTER_VALUES[JOINT[0]]}, "breakdown": JOINT[1]},
                )
            )
    return cases


def time_tiles(
    events_dir: Path,
    runs: int,
    only: str = "",
    cases: tuple[tuple[str, str, dict[str, Any]], ...]
    | list[tuple[str, str, dict[str, Any]]] = CASES,
    ranges: tuple[int, ...] = RANGES,
) -> list[dict[str, Any]]:
    from django.core.cache import cache
    from django.test import override_settings

    from academy.insights.selectors import tile
    from academy.insights.tiles import TileQuery

    last = date.fromisoformat(FIRST_DAY) + timedelta(days=DAYS - 1)
    results = []
    cases = [case for case in cases if only in case[0]]
    with override_settings(ACADEMY_EVENTS_DIR=events_dir), Progress() as progress:
        task = progress.add_task("timing the tiles", total=len(cases) * len(ranges) * runs)
        for label, key, options in cases:
            for days in ranges:
                query = TileQuery(start=last - timedelta(days=days - 1), end=last, **options)
                seconds = []
                for _ in range(runs):
                    cache.clear()
                    started = time.perf_counter()
                    result = tile(key, query)
                    seconds.append(time.perf_counter() - started)
                    progress.advance(task)
                results.append(
                    {
                        "tile": label,
                        "days": days,
                        "seconds": seconds,
                        "median": median(seconds),
                        "max": max(seconds),
                        "rows": len(result.rows),
                        "headline": {
                            name: value
                            for name, value in result.headline.items()
                            if isinstance(value, int | float)
                        },
                    }
                )
    return results


def main(events: int = EVENTS, runs: int = RUNS, only: str = "", compare: bool = False) -> None:
    with tempfile.TemporaryDirectory(prefix="insights-bench-") as data_dir:
        _setup_django(Path(data_dir))
        _run(events, runs, only, compare)


def _run(events: int, runs: int, only: str, compare: bool) -> None:
    events_dir = lake_for(events)
    ensure_rollups(events_dir)
    ensure_funnel_steps(events_dir)
    ensure_dimensions(events_dir)
    if compare:
        raise SystemExit(1 if compare_funnels(events_dir) else 0)
    load_before = os.getloadavg()[0]
    results = time_tiles(events_dir, runs, only)
    # Every breakdown of every tile, as many runs (the cache cleared before each).
    broken_down = time_tiles(events_dir, runs, only, breakdown_cases())
    # Every filter of every tile, over 28 days.
    filtered = time_tiles(events_dir, runs, only, filter_cases(), ranges=(RANGES[-1],))
    load_after = os.getloadavg()[0]
    for result in [*results, *broken_down, *filtered]:
        print(json.dumps(result, default=str))
    if events != EVENTS or only:
        log("Quick or partial run: docs/BENCHMARKS.md keeps the full 100M figures.")
        return
    rows = []
    for label, _key, _options in CASES:
        cells = []
        for days in RANGES:
            found = next(r for r in results if r["tile"] == label and r["days"] == days)
            verdict = "" if found["max"] <= TARGET_SECONDS else " ✗"
            cells.append(f"{found['median']:.2f} / {found['max']:.2f}{verdict}")
            cells.append(BEFORE.get(label, ("—", "—"))[RANGES.index(days)])
        rows.append(f"| {label} | {' | '.join(cells)} |")
    met = sum(1 for r in results if r["max"] <= TARGET_SECONDS)
    breakdown_table = _breakdown_table(broken_down)
    broken_met = sum(1 for r in broken_down if r["max"] <= TARGET_SECONDS)
    filter_table = _filter_table(filtered)
    filtered_met = sum(1 for r in filtered if r["max"] <= TARGET_SECONDS)
    from academy.insights.creator_counts import CREATOR_COUNTS, ENTRY_COUNTS
    from academy.insights.lesson_pairs import LESSON_PAIRS
    from academy.insights.segment_sets import SETS_FILE

    sets = _bytes((events_dir / "funnel_steps").glob(f"*/{SETS_FILE}"))
    keyed = _bytes((events_dir / "funnel_steps").glob(f"*/{LESSON_PAIRS.file_name}"))
    for counts in (CREATOR_COUNTS, ENTRY_COUNTS):
        keyed += _bytes((events_dir / "funnel_steps").glob(f"*/{counts.file_name}"))
    store = _bytes((events_dir / "funnel_steps").rglob("*")) - sets - keyed
    store_gb, sets_gb, keyed_gb = f"{store / 1e9:.1f}", f"{sets / 1e9:.1f}", f"{keyed / 1e9:.1f}"
    lake_gb = f"{_bytes((events_dir / 'lake').rglob('*')) / 1e9:.1f}"
    write_section(
        "insights_tiles",
        f"""
### Insights tiles over 100M events (`academy.insights.selectors.tile`, cold cache)

The 100M-event lake of the rollups benchmark ({DAYS} days, ~{CREATORS:,} creators) and its
rollups, including the insights ones, and a synthetic creator dimension. Each tile answered for
the last 7 and the last 28 days of the lake **with the previous period** (so two periods are
computed), the cache cleared before every call, {runs} runs each: median / worst run in
seconds. {met} of {len(results)} timings met the ≤ {TARGET_SECONDS:.0f} s target. The 1-minute
load average was {load_before:.1f} before and {load_after:.1f} after (2 is this benchmark alone
on 2 cores; more means other work shared them). *Before* is the median of the same benchmark
before issue 9's rollups (2026-11-30, load 0.4 → 2.4).

| tile | 7 days + previous 7 | before | 28 days + previous 28 | before |
| --- | ---: | ---: | ---: | ---: |
{chr(10).join(rows)}

**Every breakdown of every tile**, each answered {runs} times (cache cleared) for the last 7
and the last 28 days with their previous periods: the **worst** run in seconds, 7 days / 28
days. {broken_met} of {len(broken_down)} timings met the target (✗ marks a miss; — a breakdown
the tile does not offer). Reach, active creators and the North Star by region, language,
platform or entry point read the segment sets (per day, value and measure, the keys of the
creators; built from the step store, {sets_gb} GB). By follower tier or experiment variant,
every tile but retention reads rollups by step-store key — each day's `creator_daily` and
`creator_lesson_daily` rows with integer creator keys, the creator dimension an array by key
({keyed_gb} GB) — and watch percentage and course completion read those lesson pairs by any
breakdown.

{breakdown_table}

**Every filter of every tile**, each answered {runs} times (cache cleared) for the last 28 days
with the previous 28: the worst run in seconds. {filtered_met} of {len(filtered)} met the
target. One value per filter (region BR, entry point For You card, follower tier nano, item
kind lesson), and the entry-point filter with a breakdown by region (the product question's
pattern). One context filter on reach, the North Star, active creators, watch percentage or
course completion is answered as that value of a breakdown by its column (segment sets, lesson
pairs); the other filtered queries read the SQL over their rollup (docs/METRICS.md,
"Filters").

{filter_table}

What each tile reads (docs/METRICS.md, "Speed"): reach, active creators, the North Star and
retention read `creator_monthly`, one row per creator and month with bitmaps of their days;
watch percentage and content performance read `creator_item_monthly`, the month's
(creator, item) rows marked with each pair's days, grouping only the pairs a period cuts;
course completion reads `creator_item_lesson_daily`; search gaps read `search_query_daily` and
`search_click_daily`; CTR and lessons read `segment_daily`. Funnels read the funnel step store
(every lake day's events as memory-mapped arrays of creator key and time in blocks by event and
entry point, each creator's first event of a day apart), built once for the lake's 30 days
({store_gb} GB beside the lake's {lake_gb} GB); before it they read the lake's Parquet: 3.96 /
6.53 s strict and 1.54 / 3.05 s in any order (medians, 2026-11-30, machine speed 0.22 s).
Search gaps find no queries here: the benchmark lake's `search` events carry no query text, so
that tile's timing is reading the rollups.
""",
    )


def _breakdown_table(results: list[dict[str, Any]]) -> str:
    from academy.insights.tiles import BREAKDOWNS

    tiles = list(dict.fromkeys(r["tile"].split(" by ")[0] for r in results))
    lines = [
        "| tile | " + " | ".join(name.replace("_", " ") for name in BREAKDOWNS) + " |",
        "| --- | " + " | ".join("---:" for _ in BREAKDOWNS) + " |",
    ]
    for key in tiles:
        cells = []
        for breakdown in BREAKDOWNS:
            found = [r for r in results if r["tile"] == f"{key} by {breakdown}"]
            if not found:
                cells.append("—")
                continue
            worst = max(r["max"] for r in found)
            times = " / ".join(f"{r['max']:.2f}" for r in sorted(found, key=lambda r: r["days"]))
            cells.append(times + (" ✗" if worst > TARGET_SECONDS else ""))
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _filter_table(results: list[dict[str, Any]]) -> str:
    columns = [*(f"where {column}" for column in FILTER_VALUES), f"where {JOINT[0]} by {JOINT[1]}"]
    names = [
        *(f"{column.replace('_', ' ')} = {value}" for column, value in FILTER_VALUES.items()),
        f"{JOINT[0].replace('_', ' ')} = {FILTER_VALUES[JOINT[0]]}, by {JOINT[1]}",
    ]
    tiles = list(dict.fromkeys(r["tile"].split(" where ")[0] for r in results))
    lines = [
        "| tile | " + " | ".join(names) + " |",
        "| --- | " + " | ".join("---:" for _ in names) + " |",
    ]
    for key in tiles:
        cells = []
        for column in columns:
            found = next((r for r in results if r["tile"] == f"{key} {column}"), None)
            if found is None:
                cells.append("—")
            else:
                miss = " ✗" if found["max"] > TARGET_SECONDS else ""
                cells.append(f"{found['max']:.2f}{miss}")
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


# Medians before issue 9's rollups (docs/BENCHMARKS.md of 2026-11-30): 7 days, 28 days.
BEFORE: dict[str, tuple[str, str]] = {
    "reach": ("0.49", "0.82"),
    "active_creators": ("1.28", "0.74"),
    "north_star": ("0.70", "1.12"),
    "entry_point_ctr": ("0.14", "0.15"),
    "entry_point_ctr by region, For You card": ("0.12", "0.14"),
    "lessons": ("0.10", "0.11"),
    "watch_percentage": ("2.09", "3.94"),
    "course_completion": ("0.47", "1.02"),
    "retention": ("2.21", "2.64"),
    "funnel (default steps, strict)": ("4.17", "9.09"),
    "funnel card click → lesson complete, any order": ("2.47", "3.81"),
    "content_performance": ("1.85", "4.02"),
    "search_gaps": ("1.27", "3.09"),
    "reach by follower tier": ("2.66", "4.48"),
}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="the 1M-event lake, no docs")
    parser.add_argument("--runs", type=int, default=RUNS, help="timed runs per tile and range")
    parser.add_argument("--only", default="", help="time only tiles whose label contains this")
    parser.add_argument(
        "--compare-funnels", action="store_true", help="check funnels against the lake's SQL"
    )
    arguments = parser.parse_args()
    main(
        QUICK_EVENTS if arguments.quick else EVENTS,
        arguments.runs,
        arguments.only,
        arguments.compare_funnels,
    )
