"""Lesson pairs: watch percentage and course completion by any breakdown from the per-day arrays
equal the SQL over ``creator_lesson_daily`` they replace — by every context column (with more than
ten regions: the top ten and "(other)"), follower tier and experiment variant, with item filters,
over several periods — and are read only while they match the rollup they were built from."""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from academy.events.query import DuckDBEngine
from academy.insights import compute, lesson_pairs, selectors
from academy.insights.compute import Answer, Period, Slice
from academy.insights.dimensions import dimension_snapshot, register_dimensions
from academy.insights.funnel_dimension import CreatorDimension
from academy.insights.funnel_store import funnel_steps_prepare, steps_erase
from academy.insights.lesson_pairs import lesson_pairs_prepare, pairs_path
from academy.insights.segment_sets import segment_sets_prepare
from academy.insights.selectors import tile
from academy.insights.services import funnel_dimension_align
from academy.insights.tests.helpers import ev, write_lake
from academy.insights.tests.test_funnel_dimension import write_snapshot
from academy.insights.tiles import TileQuery

pytestmark = pytest.mark.django_db

DAYS = [date(2026, 11, 16) + timedelta(days=n) for n in range(4)]
PERIODS = (Period(DAYS[0], DAYS[-1]), Period(DAYS[1], DAYS[2]), Period(DAYS[3], DAYS[3]))
BREAKDOWNS = ("region", "language", "platform", "entry_point", "follower_tier", "experiment")
FILTERS: tuple[dict[str, str], ...] = ({}, {"item_kind": "lesson"}, {"item_id": "2"})
# Fourteen regions and a missing one: more than the ten a breakdown shows.
REGIONS = [*(f"R{n:02d}" for n in range(14)), ""]
LESSON_EVENTS = ("lesson_start", "lesson_progress", "lesson_progress", "lesson_complete")


def random_events(seed: int, creators: int = 50) -> list[dict[str, Any]]:
    """Lessons and courses watched over DAYS from several entry points and contexts; percents
    fractional, out of range or unreadable now and then."""
    rng = random.Random(seed)
    events = []
    for number in range(creators):
        creator = f"{seed}-c{number}"
        home = rng.choice(REGIONS)
        for _ in range(rng.randint(1, 20)):
            kind = rng.choice(["lesson", "lesson", "course"])
            name = rng.choice(
                [*LESSON_EVENTS, "enroll", "badge_earned"] if kind == "course" else LESSON_EVENTS
            )
            properties: dict[str, Any] = {}
            if name == "lesson_progress":
                properties["percent"] = rng.choice(
                    [rng.randint(0, 100), round(rng.uniform(0, 100), 2), 130, -5, "most"]
                )
            day = rng.choice(DAYS)
            events.append(
                ev(
                    name,
                    f"{day.isoformat()}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:00",
                    creator,
                    item=str(rng.randint(1, 4)),
                    kind=kind,
                    entry=rng.choice(["for_you_card", "search", "course_page", ""]),
                    region=home if rng.random() < 0.9 else rng.choice(REGIONS),
                    platform=rng.choice(["android", "ios", ""]),
                    language=rng.choice(["pt-br", "es"]),
                    properties=properties,
                )
            )
    return events


def comparable(answer: Answer) -> Any:
    """The answer's numbers, floats to 9 decimals (sums in another order)."""
    text = json.dumps([answer.rows, answer.headline, answer.series], default=str)
    return json.loads(text, parse_float=lambda value: round(float(value), 9))


def from_sql(events_dir: Path, key: str, period: Period, slice_: Slice) -> Answer:
    with DuckDBEngine() as engine:
        register_dimensions(engine, events_dir)
        engine.register_rollup(
            events_dir, "creator_lesson_daily", start=period.first, end=period.last, name="les"
        )
        return getattr(compute, key)(engine, period, slice_)  # type: ignore[no-any-return]


def from_pairs(events_dir: Path, key: str, period: Period, slice_: Slice) -> Answer | None:
    return lesson_pairs.answer(
        key,
        events_dir,
        period,
        slice_,
        lambda: CreatorDimension.read(events_dir, dimension_snapshot(events_dir)),
    )


def assert_pairs_equal_the_sql(events_dir: Path) -> None:
    for key in lesson_pairs.TILES:
        for period in PERIODS:
            for breakdown in BREAKDOWNS:
                for filters in FILTERS:
                    experiment = "card" if breakdown == "experiment" else None
                    slice_ = Slice(breakdown, experiment, filters)
                    new = from_pairs(events_dir, key, period, slice_)
                    assert new is not None, (key, period, breakdown)
                    old = from_sql(events_dir, key, period, slice_)
                    assert comparable(new) == comparable(old), (key, period, breakdown, filters)


def prepare(events_dir: Path, events: list[dict[str, Any]]) -> None:
    write_lake(events_dir, events)
    write_snapshot(events_dir, sorted({event["creator_id"] for event in events}))
    funnel_steps_prepare(events_dir=events_dir)
    funnel_dimension_align(events_dir)


@pytest.mark.parametrize("seed", [1, 2])
def test_watch_percentage_and_course_completion_from_the_pairs_equal_the_sql(
    events_dir: Path, seed: int
) -> None:
    events = random_events(seed)
    prepare(events_dir, events)
    # Not written yet: the SQL answers.
    assert from_pairs(events_dir, "watch_percentage", PERIODS[0], Slice("region")) is None
    assert lesson_pairs_prepare(events_dir=events_dir) == len(DAYS)
    assert lesson_pairs_prepare(events_dir=events_dir) == 0
    assert_pairs_equal_the_sql(events_dir)
    # New events roll the days up again: the files no longer match their rollups, are not read,
    # and the next upkeep rewrites them.
    prepare(events_dir, [*events, *random_events(seed + 50, creators=15)])
    assert from_pairs(events_dir, "course_completion", PERIODS[0], Slice("language")) is None
    assert lesson_pairs_prepare(events_dir=events_dir) == len(DAYS)
    assert_pairs_equal_the_sql(events_dir)


def test_the_watch_percentage_tile_reads_the_pairs_with_the_top_ten(events_dir: Path) -> None:
    prepare(events_dir, random_events(3))
    lesson_pairs_prepare(events_dir=events_dir)
    period = PERIODS[0]
    query = TileQuery(start=period.start, end=period.end, breakdown="region", compare=False)
    answer = tile("watch_percentage", query)
    expected = from_sql(events_dir, "watch_percentage", period, Slice("region"))
    assert comparable(Answer(answer.rows, answer.headline, [])) == comparable(
        Answer(expected.rows, expected.headline, [])
    )
    # Fourteen regions and the missing one: the top ten and the rest as "(other)".
    assert len(answer.rows) == 11
    assert "(other)" in {row["region"] for row in answer.rows}


def test_a_pair_counts_once_in_each_entry_point_it_was_watched_from(events_dir: Path) -> None:
    first, second = DAYS[0].isoformat(), DAYS[1].isoformat()
    prepare(
        events_dir,
        [
            ev("lesson_progress", first, "ana", entry="for_you_card", properties={"percent": 30}),
            ev("lesson_progress", second, "ana", entry="search", properties={"percent": 80}),
            ev("lesson_progress", second, "ana", entry="search", properties={"percent": 60}),
            ev("lesson_progress", first, "bo", entry="search", properties={"percent": 50}),
            # No percent: a start counts for no pair.
            ev("lesson_start", first, "cy", entry="wiki"),
        ],
    )
    lesson_pairs_prepare(events_dir=events_dir)
    answer = from_pairs(
        events_dir, "watch_percentage", Period(DAYS[0], DAYS[1]), Slice("entry_point")
    )
    assert answer is not None
    assert answer.rows == [
        {"entry_point": "for_you_card", "pairs": 1, "average_watch_percentage": 30.0},
        {"entry_point": "search", "pairs": 2, "average_watch_percentage": 65.0},
    ]
    # Ana's furthest over both entry points and days, and Bo's.
    assert answer.headline == {"pairs": 2, "average_watch_percentage": 65.0}
    points = {(p["day"], p["entry_point"]): p["value"] for p in answer.series}
    assert points == {
        (DAYS[0], "for_you_card"): 30.0,
        (DAYS[0], "search"): 50.0,
        (DAYS[1], "for_you_card"): None,
        (DAYS[1], "search"): 80.0,
    }


def test_erasure_deletes_the_pairs_with_the_day(events_dir: Path) -> None:
    prepare(events_dir, random_events(4))
    lesson_pairs_prepare(events_dir=events_dir)
    assert steps_erase(events_dir=events_dir, external_id="4-c0") > 0
    kept = [day for day in DAYS if pairs_path(events_dir, day.isoformat()).exists()]
    assert len(kept) < len(DAYS)


# --- one context filter, answered as that value of a breakdown by its column ------------------

CONTEXT_FILTERS = (("region", "R03"), ("region", "(not set)"), ("entry_point", "search"))
TIER_FILTERS = (("follower_tier", "nano"), ("follower_tier", "(not set)"))


def assert_filtered_equal_the_sql(
    events_dir: Path,
    keys: tuple[str, ...],
    rollup: str,
    kept_filters: tuple[tuple[str, str], ...] = CONTEXT_FILTERS,
) -> None:
    """Each tile filtered on one context value (alone, with the same breakdown, with an item
    filter for the item tiles) through ``selectors._answer`` equals the SQL over ``rollup``,
    most of them answered by the arrays."""
    answered: dict[str, int] = {}
    cases: dict[str, int] = {}
    for key in keys:
        for period in PERIODS:
            for column, value in kept_filters:
                items = [{}, {"item_kind": "lesson"}] if key in lesson_pairs.TILES else [{}]
                for extra in items:
                    # CTR without a breakdown is by entry point.
                    for breakdown in (None, column) if key != "entry_point_ctr" else (column,):
                        filters = {column: value, **extra}
                        query = TileQuery(
                            start=period.start, end=period.end, breakdown=breakdown,
                            filters=filters, compare=False,
                        )  # fmt: skip
                        new = selectors._answer(key, period, query, {})
                        # Answered by the arrays (not by the SQL it is compared with) unless
                        # the value has no row: counted below.
                        kept = selectors._as_kept(key, query, period, events_dir, column, value)
                        answered[key] = answered.get(key, 0) + (kept is not None)
                        cases[key] = cases.get(key, 0) + 1
                        first = min(period.start, period.end - timedelta(days=29))
                        with DuckDBEngine() as engine:
                            register_dimensions(engine, events_dir)
                            name = "les" if key in lesson_pairs.TILES else "seg"
                            engine.register_rollup(
                                events_dir, rollup, start=first.isoformat(), end=period.last,
                                name=name,
                            )  # fmt: skip
                            slice_ = Slice(breakdown, None, filters)
                            old = getattr(compute, key)(engine, period, slice_)
                        assert comparable(new) == comparable(old), (key, period, filters, breakdown)
    for key in keys:
        assert answered[key] >= cases[key] / 3, (key, answered, cases)


def test_one_context_filter_from_the_arrays_equals_the_sql(events_dir: Path) -> None:
    prepare(events_dir, random_events(5))
    funnel_steps_prepare(events_dir=events_dir)
    segment_sets_prepare(events_dir=events_dir)
    lesson_pairs_prepare(events_dir=events_dir)
    assert_filtered_equal_the_sql(events_dir, tuple(lesson_pairs.TILES), "creator_lesson_daily")
    assert_filtered_equal_the_sql(
        events_dir, ("reach", "north_star", "active_creators"), "creator_segment_daily"
    )
    # A follower-tier filter: the item tiles from the lesson pairs (CTR and lessons from the
    # creator counts: test_creator_counts).
    assert_filtered_equal_the_sql(
        events_dir, tuple(lesson_pairs.TILES), "creator_lesson_daily", TIER_FILTERS
    )
    # A value with no events has no row in the breakdown: the SQL answers, with zeros.
    query = TileQuery(
        start=PERIODS[0].start, end=PERIODS[0].end, filters={"region": "XX"}, compare=False
    )
    assert selectors._answer("reach", PERIODS[0], query, {}).headline == {"reach": 0}
