"""Creator counts by key: CTR, lessons and active creators by follower tier or experiment variant
from each day's ``creator_daily`` rows by step-store key equal the SQL joining the rollup with the
creator dimension — including active creators' weekly and monthly windows reaching before the
period — and are read only while they match their rollup; erasure deletes the files holding the
creator."""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from academy.events.query import DuckDBEngine
from academy.insights import compute, creator_counts, selectors
from academy.insights.compute import Answer, Period, Slice
from academy.insights.creator_counts import CREATOR_COUNTS, ENTRY_COUNTS, creator_counts_prepare
from academy.insights.dimensions import dimension_snapshot, register_dimensions
from academy.insights.funnel_dimension import CreatorDimension
from academy.insights.funnel_store import key_of
from academy.insights.lesson_pairs import LESSON_PAIRS, lesson_pairs_prepare
from academy.insights.selectors import tile
from academy.insights.tests.helpers import ev
from academy.insights.tests.test_lesson_pairs import (
    TIER_FILTERS,
    assert_filtered_equal_the_sql,
    comparable,
    prepare,
)
from academy.insights.tiles import TileQuery

pytestmark = pytest.mark.django_db

LAST = date(2026, 11, 19)
# Four days in a row, and two before: inside and just outside the 30-day window.
DAYS = [LAST - timedelta(days=n) for n in (0, 1, 2, 3, 9, 29, 30)]
PERIODS = (Period(LAST - timedelta(days=3), LAST), Period(LAST - timedelta(days=2), LAST))
BREAKDOWNS = ("follower_tier", "experiment")


def random_events(seed: int, creators: int = 40) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    events = []
    for number in range(creators):
        creator = f"{seed}-c{number}"
        for _ in range(rng.randint(1, 12)):
            day = rng.choice(DAYS)
            events.append(
                ev(
                    rng.choice(["impression", "impression", "click", "lesson_start", "like"]),
                    f"{day.isoformat()}T{rng.randrange(24):02d}:00:00",
                    creator,
                    entry=rng.choice(["for_you_card", "search"]),
                )
            )
    return events


def from_sql(events_dir: Path, key: str, period: Period, slice_: Slice) -> Answer:
    first = min(period.start, period.end - timedelta(days=29)).isoformat()
    with DuckDBEngine() as engine:
        register_dimensions(engine, events_dir)
        engine.register_rollup(
            events_dir, "creator_daily", start=first, end=period.last, name="seg"
        )
        return getattr(compute, key)(engine, period, slice_)  # type: ignore[no-any-return]


def from_counts(events_dir: Path, key: str, period: Period, slice_: Slice) -> Answer | None:
    return creator_counts.answer(
        key,
        events_dir,
        period,
        slice_,
        lambda: CreatorDimension.read(events_dir, dimension_snapshot(events_dir)),
    )


def assert_counts_equal_the_sql(events_dir: Path) -> None:
    for key in creator_counts.TILES:
        for period in PERIODS:
            for breakdown in BREAKDOWNS:
                slice_ = Slice(breakdown, "card" if breakdown == "experiment" else None)
                new = from_counts(events_dir, key, period, slice_)
                assert new is not None, (key, period, breakdown)
                old = from_sql(events_dir, key, period, slice_)
                assert comparable(new) == comparable(old), (key, period, breakdown)


@pytest.mark.parametrize("seed", [1, 2])
def test_ctr_lessons_and_active_creators_by_creator_equal_the_sql(
    events_dir: Path, seed: int
) -> None:
    events = random_events(seed)
    prepare(events_dir, events)
    assert from_counts(events_dir, "lessons", PERIODS[0], Slice("follower_tier")) is None
    assert creator_counts_prepare(events_dir=events_dir) == 2 * len(DAYS)
    assert creator_counts_prepare(events_dir=events_dir) == 0
    assert_counts_equal_the_sql(events_dir)
    # Rolled up again with new creators: stale until the next upkeep rewrites them.
    prepare(events_dir, [*events, *random_events(seed + 50, creators=10)])
    assert from_counts(events_dir, "lessons", PERIODS[0], Slice("follower_tier")) is None
    assert creator_counts_prepare(events_dir=events_dir) == 2 * len(DAYS)
    assert_counts_equal_the_sql(events_dir)


def test_the_ctr_tile_by_follower_tier_reads_the_counts(events_dir: Path) -> None:
    prepare(
        events_dir,
        [
            ev("impression", LAST.isoformat(), "ana"),
            ev("impression", LAST.isoformat(), "ana"),
            ev("click", LAST.isoformat(), "ana"),
            ev("impression", LAST.isoformat(), "bo"),
            ev("impression", LAST.isoformat(), "cy"),
        ],
    )
    creator_counts_prepare(events_dir=events_dir)
    query = TileQuery(start=LAST, end=LAST, breakdown="follower_tier", compare=False)
    answer = tile("entry_point_ctr", query)
    # write_snapshot: Ana nano, Bo micro, Cy has no row.
    assert [(row["follower_tier"], row["impressions"], row["clicks"]) for row in answer.rows] == [
        ("(not set)", 1, 0),
        ("micro", 1, 0),
        ("nano", 2, 1),
    ]
    assert answer.headline["ctr"] == pytest.approx(1 / 4)


def test_erasure_deletes_the_files_by_key_holding_the_creator(events_dir: Path) -> None:
    prepare(events_dir, random_events(4))
    creator_counts_prepare(events_dir=events_dir)
    lesson_pairs_prepare(events_dir=events_dir)
    key = key_of(events_dir, "4-c0")
    assert key is not None
    holding = [day for day in DAYS if CREATOR_COUNTS.path(events_dir, day.isoformat()).exists()]
    assert CREATOR_COUNTS.erase(events_dir, key) > 0
    assert ENTRY_COUNTS.erase(events_dir, key) > 0
    LESSON_PAIRS.erase(events_dir, key)
    kept = [day for day in DAYS if CREATOR_COUNTS.path(events_dir, day.isoformat()).exists()]
    assert 0 < len(kept) < len(holding)
    # What is left does not hold them.
    assert CREATOR_COUNTS.erase(events_dir, key) == 0


def test_ctr_and_lessons_filtered_by_follower_tier_from_the_counts_equal_the_sql(
    events_dir: Path,
) -> None:
    prepare(events_dir, random_events(6))
    creator_counts_prepare(events_dir=events_dir)
    assert_filtered_equal_the_sql(
        events_dir, ("entry_point_ctr", "lessons"), "creator_daily", TIER_FILTERS
    )


def test_ctr_by_entry_point_filtered_by_follower_tier_equals_the_sql(events_dir: Path) -> None:
    prepare(events_dir, random_events(7))
    # Not written yet: the SQL answers.
    assert creator_counts.ctr_by_entry_point(events_dir, PERIODS[0], "nano", dimension) is None
    creator_counts_prepare(events_dir=events_dir)
    for period in PERIODS:
        for tier in ("nano", "micro", "(not set)"):
            new = creator_counts.ctr_by_entry_point(events_dir, period, tier, dimension)
            assert new is not None
            old = from_sql_by_segment(
                events_dir, period, Slice(None, None, {"follower_tier": tier})
            )
            assert comparable(new) == comparable(old), (period, tier)
            assert new.rows, (period, tier)
            # The tile reads them.
            query = TileQuery(
                start=period.start, end=period.end, filters={"follower_tier": tier}, compare=False
            )
            answer = selectors._answer("entry_point_ctr", period, query, {})
            assert comparable(answer) == comparable(old)


def dimension() -> CreatorDimension:
    from django.conf import settings

    events_dir = Path(settings.ACADEMY_EVENTS_DIR)
    return CreatorDimension.read(events_dir, dimension_snapshot(events_dir))


def from_sql_by_segment(events_dir: Path, period: Period, slice_: Slice) -> Answer:
    with DuckDBEngine() as engine:
        register_dimensions(engine, events_dir)
        engine.register_rollup(
            events_dir, "creator_segment_daily", start=period.first, end=period.last, name="seg"
        )
        return compute.entry_point_ctr(engine, period, slice_)
