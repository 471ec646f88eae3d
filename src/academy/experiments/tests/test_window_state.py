"""The daily refresh reuses yesterday's window sums and gives the same numbers as starting again.

Each test writes a small lake through the real capture log, compaction and rollups (the helpers
of test_pipeline), analyses it as of one day with a state directory, then as of a later day —
with more creators exposed, a day rolled up again, a changed metric or a damaged state — and
compares every sum with an analysis that has no state.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from academy.events.capture import CaptureLog
from academy.events.lake import compact
from academy.events.query import DuckDBEngine
from academy.events.rollups import rollup_days
from academy.experiments import pipeline
from academy.experiments.pipeline import Aggregates, MetricSpec, sufficient_statistics
from academy.experiments.tests.test_pipeline import (
    AS_OF,
    COMPLETIONS,
    EXPOSURE_DAYS,
    METRICS,
    Creator,
    event,
    exposures,
    make_creators,
    write_lake,
)
from academy.experiments.window_state import WindowState

YESTERDAY = AS_OF - timedelta(days=1)


def analyse(
    lake: Path,
    creators: list[Creator],
    as_of: object,
    state: Path | None,
    metrics: tuple[MetricSpec, ...] = METRICS,
) -> Aggregates:
    with DuckDBEngine(threads=1) as engine:
        return sufficient_statistics(
            engine,
            metrics,
            exposures=exposures(creators),
            events_dir=lake,
            as_of=as_of,  # type: ignore[arg-type]
            state_dir=state,
        )


def assert_same(got: Aggregates, expected: Aggregates) -> None:
    assert got.columns == expected.columns
    assert got.caps == pytest.approx(expected.caps)
    assert got.by_day.keys() == expected.by_day.keys()
    for variation, days in expected.by_day.items():
        assert days.keys() == got.by_day[variation].keys()
        for day, sums in days.items():
            np.testing.assert_allclose(got.by_day[variation][day], sums, rtol=1e-12)
    assert got.by_dimension.keys() == expected.by_dimension.keys()
    for dimension, values in expected.by_dimension.items():
        for value, by_variation in values.items():
            for variation, sums in by_variation.items():
                np.testing.assert_allclose(
                    got.by_dimension[dimension][value][variation], sums, rtol=1e-12
                )


@pytest.fixture
def lake(tmp_path: Path) -> tuple[Path, list[Creator]]:
    creators = make_creators(count=90)
    return write_lake(tmp_path / "events", creators), creators


def test_the_next_day_reuses_the_state_and_adds_the_new_day_and_new_creators(
    lake: tuple[Path, list[Creator]], tmp_path: Path
) -> None:
    directory, creators = lake
    state = tmp_path / "state"
    # Yesterday, two thirds of the creators had been exposed; today the others are too.
    earlier = creators[:60]
    first = analyse(directory, earlier, YESTERDAY, state)
    assert not first.state_reused
    assert WindowState.load(state) is not None

    today = analyse(directory, creators, AS_OF, state)
    assert today.state_reused
    assert_same(today, analyse(directory, creators, AS_OF, None))
    assert WindowState.load(state).as_of == AS_OF  # type: ignore[union-attr]
    # The day after, with nothing new but the day, it is reused again.
    assert analyse(directory, creators, AS_OF, state).state_reused


def test_a_day_rolled_up_again_with_late_events_is_read_again(
    lake: tuple[Path, list[Creator]], tmp_path: Path
) -> None:
    directory, creators = lake
    state = tmp_path / "state"
    analyse(directory, creators, YESTERDAY, state)
    before = analyse(directory, creators, AS_OF, None)

    # Late completions arrive for the first exposure day and that day is rolled up again.
    late_day = EXPOSURE_DAYS[0]
    log = CaptureLog(directory / "capture")
    exposed_that_day = [c for c in creators if c.exposed == late_day]
    log.append(
        [
            event(900_000 + n, c.id, "lesson_complete", late_day, "course_page")
            for n, c in enumerate(exposed_that_day)
        ]
    )
    log.seal()
    compact(events_dir=directory)
    rollup_days(events_dir=directory, days=[late_day.isoformat()])

    refreshed = analyse(directory, creators, AS_OF, state)
    assert not refreshed.state_reused
    from_scratch = analyse(directory, creators, AS_OF, None)
    assert_same(refreshed, from_scratch)
    index = from_scratch.index(COMPLETIONS.key, "v")
    late = sum(from_scratch.total(v)[index] - before.total(v)[index] for v in from_scratch.by_day)
    assert late == len(exposed_that_day)


def test_a_changed_metric_a_damaged_state_or_other_exposures_start_again(
    lake: tuple[Path, list[Creator]], tmp_path: Path
) -> None:
    directory, creators = lake
    state = tmp_path / "state"
    analyse(directory, creators, YESTERDAY, state)

    wider = (COMPLETIONS.__class__(**{**COMPLETIONS.__dict__, "window_days": 5}),)
    changed = analyse(directory, creators, AS_OF, state, metrics=wider)
    assert not changed.state_reused
    assert_same(changed, analyse(directory, creators, AS_OF, None, metrics=wider))

    # A manifest naming arrays that are not there.
    manifest = json.loads((state / "manifest.json").read_text())
    (state / "manifest.json").write_text(json.dumps({**manifest, "token": "another run"}))
    assert WindowState.load(state) is None
    assert not analyse(directory, creators, AS_OF, state, metrics=wider).state_reused

    # A creator erased from the front of the exposures: the rows no longer line up.
    remaining = creators[1:]
    after_erasure = analyse(directory, remaining, AS_OF, state, metrics=wider)
    assert not after_erasure.state_reused
    assert_same(after_erasure, analyse(directory, remaining, AS_OF, None, metrics=wider))


def test_analysing_an_earlier_day_leaves_the_later_state_alone(
    lake: tuple[Path, list[Creator]], tmp_path: Path
) -> None:
    directory, creators = lake
    state = tmp_path / "state"
    analyse(directory, creators, AS_OF, state)
    earlier = analyse(directory, creators, YESTERDAY, state)
    assert not earlier.state_reused
    assert_same(earlier, analyse(directory, creators, YESTERDAY, None))
    assert WindowState.load(state).as_of == AS_OF  # type: ignore[union-attr]


def test_cells_added_up_in_slices_on_two_threads_give_the_same_sums(
    lake: tuple[Path, list[Creator]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory, creators = lake
    expected = analyse(directory, creators, AS_OF, None)
    # Slices of 16 creators (90 here), shared by two threads as at 10M creators.
    monkeypatch.setattr(pipeline, "CELL_SLICE", 16)
    with DuckDBEngine(threads=2) as engine:
        got = sufficient_statistics(
            engine, METRICS, exposures=exposures(creators), events_dir=directory, as_of=AS_OF
        )
    assert_same(got, expected)


@settings(max_examples=500, deadline=None)
@given(
    values=st.lists(
        # Mostly zeros, as a week's "not interested" taps; negative values take the other path.
        st.one_of(st.just(0.0), st.integers(-80, 10_000).map(lambda n: n / 8)),
        min_size=1,
        max_size=300,
    ),
    q=st.floats(0, 1),
)
def test_percentile_caps_are_numpys_quantile_to_the_last_bit(values: list[float], q: float) -> None:
    array = np.asarray(values, dtype=np.float32)
    assert pipeline._quantile(array, q) == float(np.quantile(array.astype(np.float64), q))


def test_cell_sums_equal_a_plain_sum_per_cell_when_most_creators_have_no_value() -> None:
    # 5,000 creators in 7 cells; most have nothing in most windows, as in a real week.
    rng = np.random.default_rng(7)
    creators, cells = 5_000, 7
    names = pipeline.unit_columns(METRICS)
    sums = {
        name: (rng.poisson(2.0, creators) * (rng.random(creators) < share)).astype(np.float32)
        for name, share in zip(names, np.linspace(0.05, 0.9, len(names)), strict=True)
    }
    cell_of_unit = rng.integers(0, cells, creators)
    caps = pipeline._percentile_caps(METRICS, sums)

    got = pipeline._cell_sums(METRICS, sums, cell_of_unit, cells, caps, workers=2)

    # Every creator's value of every metric sum, added per cell with np.add.at.
    roles = pipeline._window_sums(METRICS)[1]
    expected = np.zeros_like(got)
    column = 0
    for metric, columns in zip(METRICS, roles, strict=True):
        values = pipeline._values(metric, columns, sums)
        cap = pipeline._cap(metric, caps)
        v = np.minimum(values["v"], cap) if cap is not None else values["v"]
        if metric.kind == "ratio":
            x = values["x"]
            products = [v, v * v, x, x * x, x * v]
        else:
            products = [v, v * v]
            if metric.cuped:
                p = np.minimum(values["p"], cap) if cap is not None else values["p"]
                products += [p, p * p, v * p]
        for product in products:
            np.add.at(expected[:, column], cell_of_unit, product)
            column += 1
    assert column == got.shape[1]
    np.testing.assert_allclose(got, expected, rtol=1e-12)
