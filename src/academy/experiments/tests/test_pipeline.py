"""The analysis pipeline against a small lake whose per-creator values are known.

Events go through the real capture log, compaction and rollups; the expected sums are computed
here with plain Python and numpy from the same per-creator event lists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy.stats import chisquare  # type: ignore[import-untyped]

from academy.events.capture import CaptureLog
from academy.events.lake import compact
from academy.events.query import DuckDBEngine
from academy.events.rollups import lake_days, rollup_days
from academy.experiments.analysis import OTHER, ExperimentResults
from academy.experiments.pipeline import (
    TOP_VALUES,
    Aggregates,
    Count,
    ExperimentSpec,
    MetricSpec,
    Variation,
    analyze,
    exposures_table,
    sufficient_statistics,
)
from academy.stats import (
    CupedStats,
    RatioStats,
    SampleStats,
    cuped_estimates,
    estimate,
    sequential_test,
)

FIRST_DAY = date(2026, 11, 1)
EXPOSURE_DAYS = [date(2026, 11, 10), date(2026, 11, 11), date(2026, 11, 12)]
AS_OF = date(2026, 11, 16)
REGIONS = [f"R{i}" for i in range(TOP_VALUES + 3)]  # more than the top values: some are "other"


@dataclass
class Creator:
    id: str
    variation: str
    exposed: date
    region: str
    # (event name, day, entry point) of every event.
    events: list[tuple[str, date, str]] = field(default_factory=list)

    def count(self, name: str, days: tuple[date, date], entry_point: str = "") -> int:
        return sum(
            1
            for event, day, entry in self.events
            if event == name
            and days[0] <= day <= days[1]
            and (not entry_point or entry == entry_point)
        )

    def window(self, window: int, delay: int = 0) -> tuple[date, date]:
        start = self.exposed + timedelta(days=delay)
        return start, min(start + timedelta(days=window - 1), AS_OF)

    def pre(self, window: int) -> tuple[date, date]:
        return self.exposed - timedelta(days=window), self.exposed - timedelta(days=1)


def event(n: int, creator: str, name: str, day: date, entry: str) -> dict[str, Any]:
    return {
        "uuid": f"00000000-0000-4000-8000-{n:012d}",
        "name": name,
        "timestamp": f"{day.isoformat()}T12:00:00+00:00",
        "creator_id": creator,
        "anonymous_id": "",
        "session_id": "",
        "entry_point": entry,
        "item_kind": "lesson",
        "item_id": "1",
        "request_id": "",
        "position": 0,
        "experiments": {},
        "region": "BR",
        "language": "en",
        "platform": "web",
        "app_version": "",
        "properties": {},
    }


def make_creators(count: int = 240, seed: int = 7, lift: float = 0.0) -> list[Creator]:
    rng = np.random.default_rng(seed)
    creators = []
    for i in range(count):
        variation = "control" if i % 2 == 0 else "treatment"
        creator = Creator(
            id=f"c{i:04d}",
            variation=variation,
            exposed=EXPOSURE_DAYS[i % len(EXPOSURE_DAYS)],
            region=REGIONS[int(rng.integers(len(REGIONS)))],
        )
        habit = rng.gamma(1.0, 1.0)  # a creator's own activity level: CUPED's covariate works
        for offset in range((AS_OF - FIRST_DAY).days + 3):  # two days after AS_OF too
            day = FIRST_DAY + timedelta(days=offset)
            boost = 1 + (lift if variation == "treatment" and day >= creator.exposed else 0.0)
            for _ in range(int(rng.poisson(0.4 * habit * boost))):
                creator.events.append(("lesson_complete", day, "course_page"))
            for _ in range(int(rng.poisson(1.5 * habit))):
                entry = "for_you_card" if rng.random() < 0.6 else "search"
                creator.events.append(("impression", day, entry))
                if rng.random() < 0.2 * boost:
                    creator.events.append(("click", day, entry))
        creators.append(creator)
    return creators


def write_lake(directory: Path, creators: list[Creator]) -> Path:
    log = CaptureLog(directory / "capture")
    rows = [
        event(n, c.id, name, day, entry)
        for n, (c, (name, day, entry)) in enumerate((c, e) for c in creators for e in c.events)
    ]
    log.append(rows)
    log.seal()
    compact(events_dir=directory)
    rollup_days(events_dir=directory, days=lake_days(directory))
    return directory


def exposures(creators: list[Creator]) -> Any:
    return exposures_table(
        [c.id for c in creators],
        [c.variation for c in creators],
        [c.exposed for c in creators],
        {
            "region": [c.region for c in creators],
            "language": ["en"] * len(creators),
            "follower_tier": ["small" if i % 3 else "large" for i in range(len(creators))],
            "platform": ["web"] * len(creators),
        },
    )


COMPLETIONS = MetricSpec(
    key="completions",
    name="Lessons completed",
    kind="mean",
    numerator=Count("lesson_completes"),
    window_days=3,
)
COMPLETED = MetricSpec(
    key="completed",
    name="Completed a lesson",
    kind="proportion",
    numerator=Count("lesson_completes"),
    window_days=3,
)
CTR = MetricSpec(
    key="for_you_ctr",
    name="For You CTR",
    kind="ratio",
    numerator=Count("clicks", entry_point="for_you_card"),
    denominator=Count("impressions", entry_point="for_you_card"),
    window_days=4,
    delay_days=1,
)
CAPPED = MetricSpec(
    key="impressions_capped",
    name="Impressions (capped at 4)",
    kind="mean",
    numerator=Count("impressions"),
    window_days=5,
    capping="absolute",
    cap_value=4.0,
)
P90 = MetricSpec(
    key="impressions_p90",
    name="Impressions (capped at the 90th percentile)",
    kind="mean",
    numerator=Count("impressions"),
    window_days=5,
    capping="percentile",
    cap_value=0.9,
)
ACTIVE = MetricSpec(
    key="active_days",
    name="Active days",
    kind="mean",
    numerator=Count("active_days"),
    window_days=5,
)
METRICS = (COMPLETIONS, COMPLETED, CTR, CAPPED, P90, ACTIVE)


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Creator]]:
    creators = make_creators()
    return write_lake(tmp_path_factory.mktemp("lake"), creators), creators


@pytest.fixture(scope="module")
def aggregates(lake: tuple[Path, list[Creator]]) -> Aggregates:
    directory, creators = lake
    with DuckDBEngine(threads=1) as engine:
        return sufficient_statistics(
            engine, METRICS, exposures=exposures(creators), events_dir=directory, as_of=AS_OF
        )


def sums(agg: Aggregates, metric: str, variation: str, *names: str) -> list[float]:
    total = agg.total(variation)
    return [float(total[agg.index(metric, name)]) for name in names]


def by_variation(creators: list[Creator], variation: str) -> list[Creator]:
    return [c for c in creators if c.variation == variation]


@pytest.mark.parametrize("variation", ["control", "treatment"])
def test_mean_metric_sums_and_cuped_covariate_equal_the_hand_computed_ones(
    lake: tuple[Path, list[Creator]], aggregates: Aggregates, variation: str
) -> None:
    group = by_variation(lake[1], variation)
    values = np.array([c.count("lesson_complete", c.window(3)) for c in group], float)
    pre = np.array([c.count("lesson_complete", c.pre(3)) for c in group], float)
    expected = CupedStats.from_values(values, pre)
    assert agg_n(aggregates, variation) == len(group) == expected.n
    got = sums(aggregates, "completions", variation, "v", "vv", "p", "pp", "vp")
    assert got == pytest.approx(
        [
            expected.sum,
            expected.sum_squares,
            expected.pre_sum,
            expected.pre_sum_squares,
            expected.cross_sum,
        ]
    )
    # Events before exposure and after the window are in the lake, but not in the values.
    assert values.sum() < sum(c.count("lesson_complete", (FIRST_DAY, AS_OF)) for c in group)


def agg_n(agg: Aggregates, variation: str) -> int:
    return int(agg.total(variation)[0])


def test_a_proportion_counts_creators_who_converted_in_the_window(
    lake: tuple[Path, list[Creator]], aggregates: Aggregates
) -> None:
    for variation in ("control", "treatment"):
        group = by_variation(lake[1], variation)
        converted = [c.count("lesson_complete", c.window(3)) >= 1 for c in group]
        before = [c.count("lesson_complete", c.pre(3)) >= 1 for c in group]
        v, vv, p = sums(aggregates, "completed", variation, "v", "vv", "p")
        assert v == vv == sum(converted)
        assert p == sum(before)


def test_a_ratio_per_entry_point_reads_the_item_rollup_with_its_delay(
    lake: tuple[Path, list[Creator]], aggregates: Aggregates
) -> None:
    for variation in ("control", "treatment"):
        group = by_variation(lake[1], variation)
        window = [c.window(4, delay=1) for c in group]
        clicks = [c.count("click", w, "for_you_card") for c, w in zip(group, window, strict=True)]
        shown = [
            c.count("impression", w, "for_you_card") for c, w in zip(group, window, strict=True)
        ]
        expected = RatioStats.from_values(clicks, shown)
        got = sums(aggregates, "for_you_ctr", variation, "y", "yy", "x", "xx", "xy")
        assert got == pytest.approx(
            [
                expected.numerator_sum,
                expected.numerator_sum_squares,
                expected.denominator_sum,
                expected.denominator_sum_squares,
                expected.cross_sum,
            ]
        )
        # Search impressions are not For You impressions.
        assert expected.denominator_sum < sum(
            c.count("impression", w) for c, w in zip(group, window, strict=True)
        )


def test_capping_at_a_value_and_at_a_percentile(
    lake: tuple[Path, list[Creator]], aggregates: Aggregates
) -> None:
    creators = lake[1]
    every = np.array([c.count("impression", c.window(5)) for c in creators], float)
    cap = float(np.quantile(every, 0.9))  # linear interpolation, as QUANTILE_CONT
    assert aggregates.caps["impressions_p90"] == pytest.approx(cap)
    assert every.max() > cap > 4  # the caps bite
    for variation in ("control", "treatment"):
        group = by_variation(creators, variation)
        raw = np.array([c.count("impression", c.window(5)) for c in group], float)
        assert sums(aggregates, "impressions_capped", variation, "v", "vv") == pytest.approx(
            [np.minimum(raw, 4).sum(), (np.minimum(raw, 4) ** 2).sum()]
        )
        assert sums(aggregates, "impressions_p90", variation, "v", "vv") == pytest.approx(
            [np.minimum(raw, cap).sum(), (np.minimum(raw, cap) ** 2).sum()]
        )


def test_active_days_count_days_with_any_event(
    lake: tuple[Path, list[Creator]], aggregates: Aggregates
) -> None:
    group = by_variation(lake[1], "treatment")
    expected = [
        len({day for _, day, _ in c.events if c.window(5)[0] <= day <= c.window(5)[1]})
        for c in group
    ]
    assert sums(aggregates, "active_days", "treatment", "v")[0] == sum(expected)


def test_the_window_boundary_day_is_in_and_the_day_after_and_before_are_out(
    tmp_path: Path,
) -> None:
    exposed = date(2026, 11, 10)
    creators = [
        Creator("a", "control", exposed, "R0", [("lesson_complete", exposed, "x")]),
        # Last day of a 3-day window: counted. The day before exposure: only the covariate.
        Creator(
            "b",
            "control",
            exposed,
            "R0",
            [
                ("lesson_complete", exposed + timedelta(days=2), "x"),
                ("lesson_complete", exposed - timedelta(days=1), "x"),
            ],
        ),
        # The day after the window: not counted.
        Creator(
            "c",
            "treatment",
            exposed,
            "R0",
            [
                ("lesson_complete", exposed + timedelta(days=3), "x"),
            ],
        ),
        # Exposed after the analysis day: not in the analysis at all.
        Creator(
            "d",
            "treatment",
            AS_OF + timedelta(days=1),
            "R0",
            [
                ("lesson_complete", AS_OF + timedelta(days=1), "x"),
            ],
        ),
        Creator("e", "treatment", exposed, "R0", []),  # no events: a zero
    ]
    write_lake(tmp_path, creators)
    with DuckDBEngine(threads=1) as engine:
        agg = sufficient_statistics(
            engine, (COMPLETIONS,), exposures=exposures(creators), events_dir=tmp_path, as_of=AS_OF
        )
    assert sums(agg, "completions", "control", "v", "p") == [2.0, 1.0]
    assert sums(agg, "completions", "treatment", "v", "p") == [0.0, 0.0]
    assert agg_n(agg, "treatment") == 2


SPEC = ExperimentSpec(
    key="card-test",
    variations=(Variation("control", "Control", 0.5), Variation("treatment", "New card", 0.5)),
    primary=(COMPLETIONS, CTR),
    guardrails=(
        MetricSpec(
            key="impressions_guard",
            name="Impressions",
            kind="mean",
            numerator=Count("impressions"),
            window_days=5,
            guardrail=True,
            guardrail_margin=0.5,
        ),
    ),
)


def run(directory: Path, creators: list[Creator], spec: ExperimentSpec = SPEC) -> ExperimentResults:
    with DuckDBEngine(threads=1) as engine:
        agg = sufficient_statistics(
            engine, spec.metrics, exposures=exposures(creators), events_dir=directory, as_of=AS_OF
        )
    return analyze(spec, agg, as_of=AS_OF, computed_at=datetime(2026, 11, 17, tzinfo=UTC))


def test_results_give_the_stats_engine_answers_and_round_trip_through_json(
    lake: tuple[Path, list[Creator]],
) -> None:
    directory, creators = lake
    results = run(directory, creators)
    assert ExperimentResults.from_json(results.to_json()) == results
    metric = results.metric("completions")
    assert metric is not None
    assert metric.role == "primary"
    assert not metric.error
    group = {v: by_variation(creators, v) for v in ("control", "treatment")}
    values = {
        v: np.array([c.count("lesson_complete", c.window(3)) for c in g], float)
        for v, g in group.items()
    }
    arms = {v: estimate(SampleStats.from_values(x)) for v, x in values.items()}
    expected = sequential_test(arms["control"], arms["treatment"])
    comparison = metric.comparisons[0]
    assert comparison.sequential.p_value == pytest.approx(expected.p_value)
    assert comparison.sequential.absolute.low == pytest.approx(expected.absolute.ci_low)
    assert comparison.treatment.value == pytest.approx(values["treatment"].mean())
    pre = {
        v: np.array([c.count("lesson_complete", c.pre(3)) for c in g], float)
        for v, g in group.items()
    }
    cuped = cuped_estimates(
        [CupedStats.from_values(values[v], pre[v]) for v in ("control", "treatment")]
    )
    assert comparison.cuped_variance_reduction == pytest.approx(cuped.variance_reduction[1])
    assert comparison.cuped_variance_reduction is not None
    assert comparison.cuped_variance_reduction > 0.05  # the covariate carries information
    assert results.srm is not None
    assert not results.srm.mismatch
    assert results.variations[0].creators + results.variations[1].creators == len(creators)
    guard = results.metric("impressions_guard")
    assert guard is not None
    assert guard.role == "guardrail"
    assert guard.comparisons[0].non_inferiority is not None
    assert [d.variation for d in results.decisions] == ["treatment"]
    # Holm over two primary metrics: never below the raw p-value.
    for key in ("completions", "for_you_ctr"):
        found = results.metric(key)
        assert found is not None
        c = found.comparisons[0]
        assert c.adjusted_p_value is not None
        assert c.adjusted_p_value >= (c.cuped_sequential or c.sequential).p_value


def test_dimensions_keep_the_top_values_and_sum_the_rest_into_other(
    lake: tuple[Path, list[Creator]],
) -> None:
    directory, creators = lake
    metric = run(directory, creators).metric("completions")
    assert metric is not None
    regions = [s for s in metric.dimensions if s.dimension == "region"]
    assert len(regions) == TOP_VALUES + 1
    assert regions[-1].value == OTHER
    counts = {r: sum(c.region == r for c in creators) for r in REGIONS}
    top = sorted(REGIONS, key=lambda r: (-counts[r], r))[:TOP_VALUES]
    assert [s.value for s in regions[:-1]] == top
    assert regions[-1].creators == sum(counts[r] for r in REGIONS if r not in top)
    assert sum(s.creators for s in regions) == len(creators)
    tiers = {s.value: s.creators for s in metric.dimensions if s.dimension == "follower_tier"}
    assert tiers == {"small": 160, "large": 80}
    for s in regions:
        for c in s.comparisons:
            assert c.adjusted_p_value >= c.p_value


def test_the_cumulative_series_ends_at_the_overall_result(
    lake: tuple[Path, list[Creator]],
) -> None:
    directory, creators = lake
    metric = run(directory, creators).metric("completions")
    assert metric is not None
    points = metric.cumulative[0].points
    assert [p.day for p in points] == EXPOSURE_DAYS + [
        date(2026, 11, 13) + timedelta(days=i) for i in range(4)
    ]
    # Cohorts accumulate: each exposure day adds its creators, later days add none.
    assert [p.control_creators for p in points[:3]] == [40, 80, 120]
    assert points[-1].absolute == metric.comparisons[0].sequential.absolute


def test_a_sample_ratio_mismatch_keeps_the_experiment_running(tmp_path: Path) -> None:
    creators = make_creators(count=300, lift=0.6)
    # Lose half of the treatment's exposures: the split is no longer 50/50.
    kept = [c for i, c in enumerate(creators) if c.variation == "control" or i % 4 == 1]
    write_lake(tmp_path, kept)
    results = run(tmp_path, kept)
    assert results.srm is not None
    assert results.srm.mismatch
    assert results.srm.observed == (150, 75)
    assert results.srm.p_value == pytest.approx(chisquare([150, 75]).pvalue)
    assert results.decisions[0].action == "keep_running"
    assert [r.code for r in results.decisions[0].reasons] == ["sample_ratio_mismatch"]


def test_a_variation_without_creators_reports_the_metric_error(tmp_path: Path) -> None:
    creators = [c for c in make_creators(count=20) if c.variation == "control"]
    write_lake(tmp_path, creators)
    results = run(tmp_path, creators)
    metric = results.metric("completions")
    assert metric is not None
    assert metric.comparisons == ()
    assert "unit" in metric.error
    assert results.decisions == ()
    assert results.warnings
