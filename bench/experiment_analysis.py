"""Experiment analysis from the rollups: 10M exposed creators x 5 metrics (issue 8).

Synthetic data written by DuckDB straight to Parquet, in the layout the event store uses, and
cached under `var/bench/experiment_analysis/<creators>/`:

- `exposures.parquet`: every creator's variation (control / treatment, 50/50), first exposure
  day (spread over 14 days) and dimensions (12 regions, 6 languages, 4 follower tiers,
  3 platforms);
- `rollups/creator_daily/date=…/part.parquet` for 42 days (14 before the first exposure, 14 of
  exposures, 14 after): each creator is active on a given day with probability 1/8, with
  impressions, clicks, lesson starts and completions, enrolls and "not interested" taps drawn
  from a hash of (creator, day).

Five metrics on creator_daily: lessons completed per creator (mean, CUPED), completed a lesson
(proportion, CUPED), card CTR (ratio clicks / impressions), active days (mean, CUPED), and
"not interested" taps per creator (a guardrail, capped at the 99th percentile), all with 7-day
windows. Timed: the pipeline's query (`sufficient_statistics`) plus the statistics (`analyze`:
every comparison, CUPED, Bayesian, dimension slices, the cumulative series, power, decision),
in this process, median of 3 runs, with the process's peak RSS — twice: as the daily refresh
(from the state of the analysis of the day before, computed once and kept beside the data) and
from scratch (no state).

`python -m bench.experiment_analysis --quick` runs on 1M creators and does not write the
results file.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb

from academy.events.query import DuckDBEngine
from academy.experiments.pipeline import (
    Aggregates,
    Count,
    ExperimentSpec,
    MetricSpec,
    Variation,
    analyze,
    sufficient_statistics,
    unit_columns,
)
from academy.experiments.window_state import WindowState
from bench.common import ROOT, log, median, write_section

CREATORS = 10_000_000
QUICK_CREATORS = 1_000_000
RUNS = 3
TARGET_SECONDS = 5.0
FIRST_DAY = date(2026, 9, 1)
PRE_DAYS = 14
EXPOSURE_DAYS = 14
POST_DAYS = 14
ACTIVE_ONE_IN = 8
CACHE = ROOT / "var" / "bench" / "experiment_analysis"

METRICS = (
    MetricSpec(
        key="lessons_completed",
        name="Lessons completed",
        kind="mean",
        numerator=Count("lesson_completes"),
    ),
    MetricSpec(
        key="completed_a_lesson",
        name="Completed a lesson",
        kind="proportion",
        numerator=Count("lesson_completes"),
    ),
    MetricSpec(
        key="card_ctr",
        name="Card CTR",
        kind="ratio",
        numerator=Count("clicks"),
        denominator=Count("impressions"),
    ),
    MetricSpec(key="active_days", name="Active days", kind="mean", numerator=Count("active_days")),
    MetricSpec(
        key="not_interested",
        name="Not interested taps",
        kind="mean",
        numerator=Count("not_interested"),
        capping="percentile",
        cap_value=0.99,
        lower_is_better=True,
        guardrail=True,
    ),
)
SPEC = ExperimentSpec(
    key="bench",
    variations=(Variation("control", "Control", 0.5), Variation("treatment", "Treatment", 0.5)),
    primary=METRICS[:4],
    guardrails=METRICS[4:],
    tuning_parameter=CREATORS,
)
AS_OF = FIRST_DAY + timedelta(days=PRE_DAYS + EXPOSURE_DAYS + POST_DAYS - 1)
WINDOW_SUMS = len(unit_columns(METRICS))
# The daily refresh is timed on the last day of exposures, its heaviest: every creator is
# exposed, the day adds to the windows of half of them and starts those of the day's cohort.
REFRESH_DAY = FIRST_DAY + timedelta(days=PRE_DAYS + EXPOSURE_DAYS - 1)


def _generate(directory: Path, creators: int) -> None:
    """Exposures and 42 days of creator_daily rollups, written by DuckDB."""
    directory.mkdir(parents=True, exist_ok=True)
    database = duckdb.connect(config={"threads": os.cpu_count() or 1})
    first_exposure = FIRST_DAY + timedelta(days=PRE_DAYS)
    creator_id = "'c' || lpad(CAST(i AS VARCHAR), 9, '0')"
    target = directory / "exposures.parquet"
    database.execute(
        f"""
        COPY (
            SELECT {creator_id} AS creator_id,
                   CASE WHEN hash(i, 'variation') % 2 = 0 THEN 'control' ELSE 'treatment' END
                       AS variation,
                   DATE '{first_exposure.isoformat()}' + CAST(hash(i, 'day') % {EXPOSURE_DAYS}
                       AS INTEGER) AS exposure_day,
                   'R' || CAST(hash(i, 'region') % 12 AS VARCHAR) AS region,
                   'L' || CAST(hash(i, 'language') % 6 AS VARCHAR) AS language,
                   ['small', 'medium', 'large', 'star'][1 + CAST(hash(i, 'tier') % 4 AS BIGINT)]
                       AS follower_tier,
                   ['web', 'ios', 'android'][1 + CAST(hash(i, 'platform') % 3 AS BIGINT)]
                       AS platform
            FROM range({creators}) AS t(i)
        ) TO '{target.as_posix()}.tmp' (FORMAT PARQUET)
        """  # noqa: S608 - generated numbers and our own paths
    )
    os.replace(f"{target}.tmp", target)
    for offset in range(PRE_DAYS + EXPOSURE_DAYS + POST_DAYS):
        day = FIRST_DAY + timedelta(days=offset)
        path = directory / "rollups" / "creator_daily" / f"date={day.isoformat()}"
        path.mkdir(parents=True, exist_ok=True)
        # Treated creators complete a little more after exposure: an effect to find.
        database.execute(
            f"""
            COPY (
                SELECT '{day.isoformat()}' AS day, {creator_id} AS creator_id,
                       CAST(impressions + clicks + completes + 1 AS BIGINT) AS events,
                       CAST(impressions AS BIGINT) AS impressions,
                       CAST(clicks AS BIGINT) AS clicks,
                       CAST(completes + (h % 2) AS BIGINT) AS lesson_starts,
                       CAST(completes AS BIGINT) AS lesson_completes,
                       CAST(0 AS BIGINT) AS quiz_submits,
                       CAST(h % 50 = 0 AS BIGINT) AS enrolls,
                       CAST(h % 23 = 0 AS BIGINT) AS not_interested
                FROM (
                    SELECT i, h, h % 9 AS impressions, (h // 9) % 3 AS clicks,
                           CASE WHEN (h // 27) % 10 < 3 THEN 1 ELSE 0 END AS completes
                    FROM (SELECT i, hash(i, {offset}) AS h FROM range({creators}) AS t(i))
                    WHERE h % {ACTIVE_ONE_IN} = 0
                )
            ) TO '{path.as_posix()}/part.parquet.tmp' (FORMAT PARQUET)
            """  # noqa: S608 - generated numbers and our own paths
        )
        os.replace(path / "part.parquet.tmp", path / "part.parquet")
    database.close()
    (directory / "complete").write_text("ok\n")


def data(creators: int) -> Path:
    directory = CACHE / str(creators)
    if not (directory / "complete").exists():
        log(f"Generating {creators:,} creators under {directory} …")
        # In a child process, so its memory does not count in the timed process's peak RSS.
        subprocess.run(
            [sys.executable, "-m", "bench.experiment_analysis", "--generate", str(creators)],
            check=True,
            cwd=ROOT,
        )
    return directory


def _sums(directory: Path, as_of: date, state: Path | None) -> Aggregates:
    with DuckDBEngine(threads=os.cpu_count() or 1) as engine:
        return sufficient_statistics(
            engine,
            METRICS,
            exposures=directory / "exposures.parquet",
            events_dir=directory,
            as_of=as_of,
            state_dir=state,
        )


def yesterdays_state(directory: Path) -> Path:
    """The analysis state as of the day before REFRESH_DAY (computed once, kept with the data)."""
    day = REFRESH_DAY - timedelta(days=1)
    state = directory / f"state-{day.isoformat()}"
    if WindowState.load(state) is None:
        log("Analysing as of the day before, for the daily refresh's state …")
        _sums(directory, day, state)
    return state


def run_once(directory: Path, state: Path | None, as_of: date) -> tuple[float, float, float, int]:
    """(query seconds, statistics seconds, CPU seconds of all threads, creators analysed).

    With `state`, a copy of it is the refresh's starting point (copied before the clock starts).
    """
    working = None
    if state is not None:
        working = directory / "state-working"
        shutil.rmtree(working, ignore_errors=True)
        shutil.copytree(state, working)
    cpu = time.process_time()
    started = time.perf_counter()
    aggregates = _sums(directory, as_of, working)
    if state is not None and not aggregates.state_reused:
        raise RuntimeError("the daily refresh did not reuse yesterday's state")
    queried = time.perf_counter()
    results = analyze(SPEC, aggregates, as_of=as_of, computed_at=datetime.now(UTC))
    finished = time.perf_counter()
    creators = sum(v.creators for v in results.variations)
    return queried - started, finished - queried, time.process_time() - cpu, creators


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1M creators, no results file")
    parser.add_argument("--generate", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv if argv is not None else [])
    if args.generate:
        _generate(CACHE / str(args.generate), args.generate)
        return
    creators = QUICK_CREATORS if args.quick else CREATORS
    directory = data(creators)
    rows = (
        duckdb.connect()
        .execute(
            "SELECT COUNT(*) FROM read_parquet("  # noqa: S608
            f"'{directory.as_posix()}/rollups/creator_daily/*/part.parquet')"
        )
        .fetchall()
    )
    rollup_rows = int(rows[0][0])
    state = yesterdays_state(directory)
    load = os.getloadavg()
    refresh = measure(directory, state, REFRESH_DAY, "daily refresh")
    scratch = measure(directory, None, REFRESH_DAY, "from scratch")
    whole = measure(directory, None, AS_OF, "from scratch, 14 days after the last exposure")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cores = os.cpu_count() or 1
    verdict = "meets" if refresh.total <= TARGET_SECONDS else "misses"
    log(
        f"daily refresh {refresh.total:.2f} s (target {TARGET_SECONDS} s: {verdict}); "
        f"from scratch {scratch.total:.2f} s, {whole.total:.2f} s at the end; "
        f"peak RSS {peak:.0f} MiB"
    )
    if args.quick:
        return

    def row(name: str, timing: Timing) -> str:
        return (
            f"| {name} | {timing.query:.2f} s | {timing.statistics:.2f} s | "
            f"**{timing.total:.2f} s** | {timing.cpu:.1f} s |"
        )

    write_section(
        "experiment_analysis",
        f"""
### Experiment analysis from rollups (`python -m bench.experiment_analysis`)

{creators:,} exposed creators × 5 metrics (lessons completed per creator, completed a lesson,
card CTR as a ratio, active days — each with CUPED where it applies — and a guardrail capped at
its 99th percentile, 7-day windows), 2 variations, 4 dimensions; {rollup_rows:,} creator_daily
rows over {PRE_DAYS + EXPOSURE_DAYS + POST_DAYS} days. The window sums of every exposed creator
come from DuckDB queries over the rollups and are added up by cell in numpy, then
`academy.stats` computes every comparison, slice and day of the cumulative series. Median of
{RUNS} runs in one process, {cores} cores; load average before the runs
{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}.

- **Daily refresh** — how the scheduled analysis runs each day: yesterday's window sums (the
  experiment's `WindowState`) plus the one new day of rollups, and every day of the windows of
  the creators exposed that day. Target ≤ {TARGET_SECONDS:.0f} s: **{verdict}**.
- **From scratch** — the first analysis, or after a metric changed or an old day was rolled up
  again: every rollup day in the windows is read.

| analysis | query (rollups ⋈ exposures) | statistics (`analyze`) | total | CPU, all threads |
| --- | --- | --- | --- | --- |
{row(f"daily refresh, as of {REFRESH_DAY} (the last day of exposures)", refresh)}
{row(f"from scratch, as of {REFRESH_DAY}", scratch)}
{row(f"from scratch, as of {AS_OF} (every day of every window)", whole)}

Peak RSS {peak:.0f} MiB (the state is {WINDOW_SUMS} float32 arrays of one value per creator and
an int32 array of their cells).
From scratch, the cost is the join of {rollup_rows:,} rollup rows with the exposures on the
creator id and the grouping of what it finds by creator; the refresh joins one day.
""",
    )


@dataclass(frozen=True)
class Timing:
    query: float
    statistics: float
    total: float
    cpu: float


def measure(directory: Path, state: Path | None, as_of: date, label: str) -> Timing:
    timings = []
    for run in range(RUNS):
        query, stats, cpu, exposed = run_once(directory, state, as_of)
        timings.append((query, stats, cpu))
        log(
            f"{label}, run {run + 1}: query {query:.2f} s + statistics {stats:.2f} s, "
            f"CPU {cpu:.1f} s ({exposed:,} creators)"
        )
    return Timing(
        query=median([q for q, _, _ in timings]),
        statistics=median([s for _, s, _ in timings]),
        total=median([q + s for q, s, _ in timings]),
        cpu=median([c for _, _, c in timings]),
    )


if __name__ == "__main__":
    main(sys.argv[1:])
