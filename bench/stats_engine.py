"""The statistics engine on an experiment's sufficient statistics, with dimension breakdowns.

An experiment on 10M creators, 3 variations (control and two treatments), 5 metrics — two means,
a conversion rate, a ratio (clicks per impression) and a CUPED-adjusted mean, the last one also
a guardrail with a non-inferiority test — broken down by 8 dimensions of 20 values each, plus the
overall result. Every slice gets the SRM check, every metric and treatment the Welch, sequential
and Bayesian analyses, each dimension Holm and Benjamini-Hochberg over its p-values, and every
slice and treatment a decision. Inputs are sufficient statistics (what the rollups give), built
before timing; the figure is the engine's own time, median of several runs, in this process.

Target (issue 8): analysis of 10M creators x 5 metrics from rollups in 5 s on 2 cores; the
engine's part must be a negligible share of it.
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass

import numpy as np

from academy.stats import (
    ArmEstimate,
    CupedStats,
    Guardrail,
    PrimaryMetric,
    RatioStats,
    SampleStats,
    bayesian_test,
    benjamini_hochberg,
    cuped_estimates,
    decide,
    estimate,
    holm_bonferroni,
    non_inferiority_test,
    sequential_test,
    srm_check,
    welch_test,
)
from bench.common import log, median, write_section

CREATORS = 10_000_000
VARIATIONS = 3
WEIGHTS = (1.0, 1.0, 1.0)
DIMENSIONS = 8
VALUES_PER_DIMENSION = 20
RUNS = 7
TARGET_SECONDS = 5.0
SEED = 8


@dataclass(frozen=True)
class Slice:
    """One slice's sufficient statistics: per metric, one entry per variation."""

    units: tuple[int, ...]
    watch_minutes: tuple[SampleStats, ...]
    lessons: tuple[SampleStats, ...]
    completion: tuple[SampleStats, ...]
    ctr: tuple[RatioStats, ...]
    sessions: tuple[CupedStats, ...]


def _sample(n: int, mean: float, variance: float) -> SampleStats:
    return SampleStats(n=n, sum=n * mean, sum_squares=(n - 1) * variance + n * mean * mean)


def _slice(rng: np.random.Generator, creators: int) -> Slice:
    units = tuple(int(u) for u in rng.multinomial(creators, [1 / VARIATIONS] * VARIATIONS))
    lift = (0.0, 0.01, 0.03)
    watch, lessons, completion, ctr, sessions = [], [], [], [], []
    for n, effect in zip(units, lift, strict=True):
        noise = 1 + rng.normal(0, 0.005)
        watch.append(_sample(n, 42.0 * (1 + effect) * noise, 30.0**2))
        lessons.append(_sample(n, 1.6 * noise, 2.1))
        rate = 0.18 * (1 + effect) * noise
        completion.append(SampleStats(n=n, sum=n * rate, sum_squares=n * rate))
        impressions, clicks = 40.0, 40.0 * 0.07 * (1 + effect) * noise
        var_x, var_y = 900.0, 9.0
        cov = 0.6 * math.sqrt(var_x * var_y)
        ctr.append(
            RatioStats(
                n=n,
                numerator_sum=n * clicks,
                numerator_sum_squares=(n - 1) * var_y + n * clicks**2,
                denominator_sum=n * impressions,
                denominator_sum_squares=(n - 1) * var_x + n * impressions**2,
                cross_sum=(n - 1) * cov + n * clicks * impressions,
            )
        )
        post, pre, var = 5.0 * (1 - effect / 3) * noise, 5.0, 16.0
        sessions.append(
            CupedStats(
                n=n,
                sum=n * post,
                sum_squares=(n - 1) * var + n * post**2,
                pre_sum=n * pre,
                pre_sum_squares=(n - 1) * var + n * pre**2,
                cross_sum=(n - 1) * 0.7 * var + n * post * pre,
            )
        )
    return Slice(
        units=units,
        watch_minutes=tuple(watch),
        lessons=tuple(lessons),
        completion=tuple(completion),
        ctr=tuple(ctr),
        sessions=tuple(sessions),
    )


def _analyse(part: Slice) -> tuple[list[float], int]:
    """The full analysis of one slice; returns its p-values and the number of comparisons."""
    srm = srm_check(part.units, WEIGHTS)
    per_metric: dict[str, tuple[ArmEstimate, ...]] = {
        "watch_minutes": tuple(estimate(s) for s in part.watch_minutes),
        "lessons": tuple(estimate(s) for s in part.lessons),
        "completion": tuple(estimate(s) for s in part.completion),
        "ctr": tuple(estimate(s) for s in part.ctr),
        "sessions": cuped_estimates(part.sessions).estimates,
    }
    p_values: list[float] = []
    comparisons = 0
    for treatment in range(1, VARIATIONS):
        primary = []
        for name, arms in per_metric.items():
            fixed = welch_test(arms[0], arms[treatment])
            sequential_test(arms[0], arms[treatment], tuning_parameter=CREATORS)
            bayesian_test(arms[0], arms[treatment])
            p_values.append(fixed.p_value)
            primary.append(PrimaryMetric(name, fixed))
            comparisons += 1
        sessions = per_metric["sessions"]
        guardrail = Guardrail(
            "sessions", non_inferiority_test(sessions[0], sessions[treatment], margin=0.01)
        )
        decide(primary=primary[:1], guardrails=[guardrail], srm=srm)
    return p_values, comparisons


def one_run(overall: Slice, slices: list[list[Slice]]) -> dict[str, float]:
    started = time.perf_counter()
    _p_values, overall_comparisons = _analyse(overall)
    overall_seconds = time.perf_counter() - started
    comparisons = 0
    started = time.perf_counter()
    for dimension in slices:
        p_values: list[float] = []
        for part in dimension:
            found, count = _analyse(part)
            p_values.extend(found)
            comparisons += count
        holm_bonferroni(p_values)
        benjamini_hochberg(p_values)
    breakdown_seconds = time.perf_counter() - started
    return {
        "overall_seconds": overall_seconds,
        "overall_comparisons": overall_comparisons,
        "breakdown_seconds": breakdown_seconds,
        "breakdown_comparisons": comparisons,
    }


def main() -> None:
    rng = np.random.default_rng(SEED)
    overall = _slice(rng, CREATORS)
    slices = []
    for _dimension in range(DIMENSIONS):
        shares = rng.dirichlet(np.full(VALUES_PER_DIMENSION, 2.0))
        slices.append([_slice(rng, max(int(CREATORS * s), 300)) for s in shares])
    runs = []
    loads = [os.getloadavg()[0]]
    for number in range(RUNS):
        log(f"stats engine, run {number + 1} of {RUNS}")
        runs.append(one_run(overall, slices))
        loads.append(os.getloadavg()[0])
    med = {key: median([run[key] for run in runs]) for key in runs[0]}
    total = med["overall_seconds"] + med["breakdown_seconds"]
    per_comparison_us = med["breakdown_seconds"] / med["breakdown_comparisons"] * 1e6
    share = 100 * med["overall_seconds"] / TARGET_SECONDS
    summary = {
        "overall_ms": round(med["overall_seconds"] * 1e3, 2),
        "breakdown_s": round(med["breakdown_seconds"], 3),
        "comparisons": int(med["breakdown_comparisons"]),
        "per_comparison_us": round(per_comparison_us, 1),
    }
    write_section(
        "stats_engine",
        f"""
### Experiment statistics engine (`academy.stats`)

{CREATORS:,} creators, {VARIATIONS} variations, 5 metrics (two means, a conversion rate, a ratio,
a CUPED-adjusted mean that is also a non-inferiority guardrail), sufficient statistics in. Per
slice: SRM check, estimates, and for each treatment Welch, sequential and Bayesian tests, the
guardrail test and a decision; Holm and Benjamini-Hochberg over each dimension's p-values.
Medians of {RUNS} runs, one process; load average during the runs {min(loads):.1f} to
{max(loads):.1f} (other work on the machine slows every figure here).

| workload | slices | metric × treatment comparisons | engine time | per comparison |
| --- | ---: | ---: | ---: | ---: |
| overall result | 1 | {int(med["overall_comparisons"])} | {med["overall_seconds"] * 1e3:.2f} ms | |
| {DIMENSIONS} dimensions × {VALUES_PER_DIMENSION} values | {DIMENSIONS * VALUES_PER_DIMENSION} \
| {int(med["breakdown_comparisons"]):,} | {med["breakdown_seconds"]:.3f} s \
| {per_comparison_us:.0f} µs |

The engine's part of the overall analysis is {share:.3f} % of the {TARGET_SECONDS:.0f} s target
(issue 8); with every breakdown it is {total:.2f} s. It costs the same at 10M creators as at
100: the work is per variation and metric, not per creator.
""",
    )
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
