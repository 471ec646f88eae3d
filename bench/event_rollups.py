"""Rollup time and memory over a 100M-event lake: `rollup_days()` for every day of the lake.

A synthetic lake in the real layout and schema (`events/lake/date=YYYY-MM-DD/*.parquet`, the
lake's COLUMNS): 30 days, ~1M creators with skewed activity (a few heavy, a long tail), ~2,000
items, the 8 entry points and the event mix of a feed product. It is generated once with DuckDB
straight to Parquet, cached under `var/bench/` and reused. Each run recomputes every rollup of
every day in a fresh process, timing `rollup_days()` and reading that process's peak RSS, with
the machine's speed (`cpu_reference_seconds()`) before each run. Then, in fresh processes again,
each rollup of the lake's middle day on one DuckDB thread, timed in CPU seconds: the figure that
stays put while other work shares the machine. Targets (events issue): ≤ 60 s and ≤ 4 GB for
100M events.

`uv run --frozen python -m bench.event_rollups --events 1000000` is a quick run (it does not
rewrite docs/BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
from rich.progress import Progress

from academy.events.lake import COLUMNS
from bench.common import ROOT, cpu_reference_seconds, log, median, write_section

EVENTS = 100_000_000
DAYS = 30
FIRST_DAY = "2026-10-01"
CREATORS = 1_000_000
ITEMS = 2_000
RUNS = 3
TARGET_SECONDS = 60.0
TARGET_BYTES = 4 * 2**30
CACHE_DIR = ROOT / "var" / "bench" / "event_rollups"

# Share of events per name and per entry point, roughly what a feed product records.
NAMES = (
    ("impression", 0.55), ("lesson_progress", 0.15), ("click", 0.08), ("lesson_start", 0.05),
    ("lesson_complete", 0.03), ("like", 0.03), ("quiz_submit", 0.02), ("search", 0.02),
    ("enroll", 0.01), ("save", 0.01), ("share", 0.01), ("not_interested", 0.01),
    ("search_click", 0.01), ("exposure", 0.01),
)  # fmt: skip
ENTRY_POINTS = (
    ("for_you_card", 0.45), ("academy_home", 0.12), ("course_page", 0.12), ("search", 0.12),
    ("hashtag", 0.08), ("wiki", 0.05), ("notification", 0.04), ("direct", 0.02),
)  # fmt: skip
REGIONS = ("BR", "MX", "US", "CO", "AR", "ES", "ID", "PH", "IN", "GB")
LANGUAGES = ("pt-br", "es", "en")
PLATFORMS = ("android", "ios", "web")


def _pick(shares: tuple[tuple[str, float], ...], draw: str) -> str:
    """A CASE that maps a uniform draw in [0, 1) onto values by their share."""
    cases, edge = [], 0.0
    for value, share in shares[:-1]:
        edge += share
        cases.append(f"WHEN {draw} < {edge:.4f} THEN '{value}'")
    return f"CASE {' '.join(cases)} ELSE '{shares[-1][0]}' END"


def _choose(values: tuple[str, ...], index: str) -> str:
    return "[" + ", ".join(f"'{value}'" for value in values) + f"][1 + ({index}) % {len(values)}]"


def _day_query(day: int, first: int, count: int) -> str:
    """One day of events, in sessions of 16 events by one creator.

    A session's creator is drawn with pow(u, 3) over ~1M creators (the top 1% of creators own a
    fifth of the sessions; about a sixth of all creators are active on a given day). Impressions
    are spread over the items (pow(u, 2): popular items dominate); the session's other events
    (clicks, lesson starts, progress, completions, …) are about its one focus item. Region,
    language, platform and app version follow the creator; 5% of sessions are anonymous.
    """
    return f"""
        WITH draws AS (
            SELECT n, n // 16 AS session, random() AS name_draw, random() AS entry_draw,
                   CAST(floor({ITEMS} * pow(random(), 2)) AS BIGINT) AS shown_item,
                   CAST(floor({ITEMS} * pow((hash(n // 16 + 1) % 1000003) / 1000003.0, 2))
                        AS BIGINT) AS focus_item,
                   CAST(floor({CREATORS} * pow((hash(n // 16) % 1000003) / 1000003.0, 3))
                        AS BIGINT) AS creator,
                   hash(n // 16 + 2) % 100 < 5 AS anonymous,
                   CAST(floor(random() * 86000) AS BIGINT) AS session_second
            FROM range({first}, {first + count}) AS numbers(n)
        ), events AS (
            SELECT *, {_pick(NAMES, "name_draw")} AS name,
                   {_pick(ENTRY_POINTS, "entry_draw")} AS entry_point
            FROM draws
        ), shaped AS (
            SELECT *, CASE WHEN name IN ('impression', 'search', 'exposure') THEN shown_item
                           ELSE focus_item END AS item
            FROM events
        )
        SELECT gen_random_uuid()::VARCHAR AS uuid,
               name,
               TIMESTAMPTZ '{FIRST_DAY} 00:00:00+00' + INTERVAL ({day}) DAY
                   + to_seconds(least(86399, session_second + (n % 16) * 20)) AS timestamp,
               CASE WHEN anonymous THEN '' ELSE 'creator-' || creator END AS creator_id,
               CASE WHEN anonymous THEN 'device-' || creator ELSE '' END AS anonymous_id,
               's-' || session AS session_id,
               entry_point,
               CASE WHEN item % 20 < 14 THEN 'lesson' WHEN item % 20 < 17 THEN 'course'
                    WHEN item % 20 < 19 THEN 'wiki' ELSE 'live' END AS item_kind,
               CAST(item AS VARCHAR) AS item_id,
               CASE WHEN entry_point IN ('for_you_card', 'academy_home', 'search', 'hashtag')
                    THEN 'r-' || (n // 8) ELSE '' END AS request_id,
               CAST(n % 8 AS INTEGER) AS position,
               CAST(CASE creator % 3 WHEN 0 THEN '{{"card":"a"}}' WHEN 1 THEN '{{"card":"b"}}'
                    ELSE '{{}}' END AS JSON) AS experiments,
               {_choose(REGIONS, "creator")} AS region,
               {_choose(LANGUAGES, "creator // 7")} AS language,
               {_choose(PLATFORMS, "creator // 11")} AS platform,
               '31.' || (creator % 5) AS app_version,
               CAST(CASE WHEN name = 'lesson_progress'
                         THEN '{{"percent":' || (n % 101) || '}}' ELSE '{{}}' END AS JSON)
                   AS properties
        FROM shaped
    """  # noqa: S608


def lake_for(events: int) -> Path:
    """The cached events directory holding a lake of ``events`` events, generated if missing."""
    events_dir = CACHE_DIR / f"{events}-events"
    if (events_dir / "complete.json").exists():
        return events_dir
    partial = events_dir.with_name(events_dir.name + ".partial")
    # A run interrupted while generating leaves only a .partial folder: start it over.
    shutil.rmtree(partial, ignore_errors=True)
    shutil.rmtree(events_dir, ignore_errors=True)
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    connection.execute("SET preserve_insertion_order = false")
    names = list(COLUMNS)
    per_day = -(-events // DAYS)
    started = time.perf_counter()
    with Progress() as progress:
        task = progress.add_task(f"generating a lake of {events:,} events", total=events)
        first = 0
        for day in range(DAYS):
            count = min(per_day, events - first)
            if count <= 0:
                break
            date = connection.execute(
                f"SELECT strftime(DATE '{FIRST_DAY}' + INTERVAL ({day}) DAY, '%Y-%m-%d')"
            ).fetchone()[0]  # type: ignore[index]
            target = partial / "lake" / f"date={date}"
            target.mkdir(parents=True)
            connection.execute(
                f"COPY (SELECT {', '.join(names)} "  # noqa: S608
                f"FROM ({_day_query(day, first, count)})) "
                f"TO '{(target / 'part-bench-0.parquet').as_posix()}' "
                "(FORMAT PARQUET, COMPRESSION SNAPPY)"
            )
            first += count
            progress.update(task, completed=first)
    connection.close()
    size = sum(path.stat().st_size for path in partial.rglob("*.parquet"))
    (partial / "complete.json").write_text(
        json.dumps(
            {"events": events, "bytes": size, "seconds": round(time.perf_counter() - started)}
        )
    )
    partial.rename(events_dir)
    return events_dir


def _child(events_dir: Path) -> None:
    """One timed run in this (fresh) process: wall and CPU seconds, peak RSS, rollup rows, and
    when the last day's daily rollups were written (the months' may run alongside or after)."""
    from academy.events.rollups import lake_days, rollup_days

    days = lake_days(events_dir)
    days_written: list[float] = []

    def progress(done: int, total: int) -> None:
        if done == total:
            days_written.append(time.perf_counter() - started)

    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    run = rollup_days(events_dir=events_dir, days=days, progress=progress)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    peak = after.ru_maxrss * 1024  # KiB on Linux
    load = os.getloadavg()[0]
    result = {
        "seconds": seconds,
        "days_seconds": days_written[0],
        "cpu": cpu,
        "peak_bytes": peak,
        "load": load,
        "rows": run.rows,
    }
    print(json.dumps(result))


def _day_child(events_dir: Path) -> None:
    """The CPU seconds of each rollup of the lake's middle day (and of its month's monthly
    rollups) on one DuckDB thread in this thread: the steady figure on a shared machine."""
    from academy.events.query import DuckDBEngine
    from academy.events.rollups import lake_days, rollup_days

    class TimedEngine(DuckDBEngine):
        def __init__(self) -> None:
            super().__init__(threads=1)
            self.cpu: dict[str, float] = {}

        def write_parquet(self, sql: str, target: Path, params: Sequence[Any] = ()) -> int:
            started = time.process_time()
            try:
                return super().write_parquet(sql, target, params)
            finally:
                rollup = target.parent.parent.name
                self.cpu[rollup] = self.cpu.get(rollup, 0.0) + time.process_time() - started

    days = lake_days(events_dir)
    day = days[len(days) // 2]
    with TimedEngine() as engine:
        run = rollup_days(events_dir=events_dir, days=[day], engine=engine)
    print(json.dumps({"day": day, "cpu": engine.cpu, "rows": run.rows}))


def _run_child(events_dir: Path, flag: str) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, "-m", "bench.event_rollups", flag, str(events_dir)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def timed_run(events_dir: Path) -> dict[str, Any]:
    """A full run in a fresh process, with the machine's speed (cpu_reference_seconds) just
    before it."""
    speed = cpu_reference_seconds()
    return {**_run_child(events_dir, "--child"), "cpu_reference": speed}


def day_profile(events_dir: Path, runs: int) -> tuple[str, dict[str, float], dict[str, int]]:
    """The median CPU seconds of each rollup of one day over ``runs`` fresh processes, the day
    and its rows per rollup."""
    results = [_run_child(events_dir, "--day-child") for _ in range(runs)]
    cpu = {name: median([result["cpu"][name] for result in results]) for name in results[0]["rows"]}
    return results[0]["day"], cpu, results[0]["rows"]


def main(events: int = EVENTS, runs: int = RUNS, day_runs: int = RUNS) -> None:
    events_dir = lake_for(events)
    stored = json.loads((events_dir / "complete.json").read_text())
    results = []
    with Progress() as progress:
        task = progress.add_task(f"rolling up {events:,} events", total=runs)
        for _ in range(runs):
            results.append(timed_run(events_dir))
            progress.advance(task)
    profile = day_profile(events_dir, day_runs) if day_runs else None
    elapsed = median([result["seconds"] for result in results])
    days_elapsed = median([result["days_seconds"] for result in results])
    cpu = median([result["cpu"] for result in results])
    peak = median([result["peak_bytes"] for result in results])
    loads = [result["load"] for result in results]
    speeds = [result["cpu_reference"] for result in results]
    rows: dict[str, int] = results[-1]["rows"]
    summary = {
        "events": events,
        "runs": runs,
        "seconds": [round(result["seconds"], 1) for result in results],
        "median_seconds": round(elapsed, 1),
        "median_days_seconds": round(days_elapsed, 1),
        "median_cpu_seconds": round(cpu, 1),
        "peak_rss_gib": round(peak / 2**30, 2),
        "load_averages": [round(load, 1) for load in loads],
        "cpu_reference_seconds": [round(speed, 2) for speed in speeds],
        "events_per_second": round(events / elapsed),
        "lake_gib": round(stored["bytes"] / 2**30, 2),
        "rollup_rows": rows,
    }
    if profile:
        summary["one_day"] = {"day": profile[0], "cpu_seconds": profile[1]}
    print(json.dumps(summary))
    if events != EVENTS:
        log("Quick run: docs/BENCHMARKS.md keeps the 100M figure.")
        return
    time_verdict = "met" if elapsed <= TARGET_SECONDS else "missed"
    memory_verdict = "met" if peak <= TARGET_BYTES else "missed"
    one_day = ""
    if profile:
        day, day_cpu, day_rows = profile
        table = "\n".join(
            f"| {name} | {seconds:.2f} s | {day_rows[name]:,} |"
            for name, seconds in day_cpu.items()
        )
        one_day = f"""
One day ({day}, {events // DAYS:,} events), every rollup on one DuckDB thread in a fresh
process, medians of {day_runs} runs (CPU seconds; the monthly rollups are their whole month's,
recomputed from the daily files):

| rollup | CPU | rows |
| --- | ---: | ---: |
{table}
"""
    write_section(
        "event_rollups",
        f"""
### Rollups over 100M events (`rollup_days()` for every day of the lake)

{events:,} events over {DAYS} days ({stored["bytes"] / 2**30:.1f} GiB of Parquet, Snappy),
~{CREATORS:,} creators with skewed activity (~140k active a day), ~{ITEMS:,} items, 8 entry
points; every rollup written for every day and the monthly ones for the month, as many tasks (a
day's group of rollups, or a month's rollup) at a time as there are cores, one DuckDB thread each;
the month's rollups run once its days' sources are written, alongside the other days' rollups.
Each run is a fresh process (lake files in the page cache); memory is that process's peak RSS.
Medians of {runs} runs: {", ".join(f"{result['seconds']:.1f}" for result in results)} s wall,
the machine's speed just before each (a 5M-step Python loop, 0.16 s fast … 0.41 s slow)
{", ".join(f"{speed:.2f}" for speed in speeds)} s. The 1-minute load average at the end of each
run was {", ".join(f"{load:.1f}" for load in loads)} (about 2 is this benchmark alone on the 2
cores; more means other work shared them).

| metric | result | target |
| --- | ---: | --- |
| time (wall) | {elapsed:.1f} s | ≤ {TARGET_SECONDS:.0f} s ({time_verdict}) |
| … when the last day's daily rollups were written | {days_elapsed:.1f} s | |
| CPU time (all threads) | {cpu:.1f} s | |
| peak memory (RSS) | {peak / 2**30:.2f} GiB | ≤ {TARGET_BYTES / 2**30:.0f} GiB ({memory_verdict}) |
| events rolled up per second | {events / elapsed:,.0f} | |
| rollup rows written | {", ".join(f"{name} {count:,}" for name, count in rows.items())} | |
{one_day}""",
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=EVENTS, help="events in the lake")
    parser.add_argument("--runs", type=int, default=RUNS, help="timed runs (median reported)")
    parser.add_argument(
        "--day-runs", type=int, default=RUNS, help="runs of the one-day profile (0: none)"
    )
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--day-child", type=Path, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        _child(arguments.child)
    elif arguments.day_child:
        _day_child(arguments.day_child)
    else:
        main(arguments.events, arguments.runs, arguments.day_runs)
