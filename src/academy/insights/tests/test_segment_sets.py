"""Segment sets: reach, the North Star and active creators by a context column from per-day sets
of creator keys equal the SQL over ``creator_segment_daily`` they replace — from the lake alone,
from the step store with and without its sets files, and from both when lake files are newer
than the store — including a breakdown of more than ten values (the top ten and "(other)"),
missing values, and active creators' weekly and monthly windows."""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from academy.events.query import DuckDBEngine
from academy.insights import compute, segment_sets
from academy.insights.compute import Answer, Period, Slice
from academy.insights.funnel_store import funnel_steps_prepare, steps_erase
from academy.insights.segment_sets import segment_sets_prepare, sets_path
from academy.insights.selectors import tile
from academy.insights.tests.helpers import ev, write_lake
from academy.insights.tiles import TileQuery

pytestmark = pytest.mark.django_db

DAYS = [date(2026, 11, 16) + timedelta(days=n) for n in range(4)]
PERIODS = (Period(DAYS[0], DAYS[-1]), Period(DAYS[1], DAYS[2]), Period(DAYS[3], DAYS[3]))
COLUMNS = ("region", "language", "platform", "entry_point")
# Fourteen regions and a missing one: more than the ten a breakdown shows.
REGIONS = [*(f"R{n:02d}" for n in range(14)), ""]


def random_events(seed: int, creators: int = 60) -> list[dict[str, Any]]:
    """Creators over DAYS; some switch region, language or platform between events."""
    rng = random.Random(seed)
    events = []
    for number in range(creators):
        creator = f"{seed}-c{number}"
        home = rng.choice(REGIONS)
        for _ in range(rng.randint(1, 25)):
            day = rng.choice(DAYS)
            when = f"{day.isoformat()}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:00"
            events.append(
                ev(
                    rng.choice(["impression", "impression", "click", "lesson_start", "like"]),
                    when,
                    creator,
                    entry=rng.choice(["for_you_card", "search", "course_page", ""]),
                    region=home if rng.random() < 0.9 else rng.choice(REGIONS),
                    platform=rng.choice(["android", "ios", ""]),
                    language=rng.choice(["pt-br", "es"]),
                )
            )
    events.extend(ev("impression", f"{day.isoformat()}T10:00:00", "") for day in DAYS)
    return events


def from_rollups(events_dir: Path, period: Period, column: str, key: str = "reach") -> Answer:
    first = min(period.start, period.end - timedelta(days=29)).isoformat()
    with DuckDBEngine() as engine:
        engine.register_rollup(
            events_dir, "creator_segment_daily", start=first, end=period.last, name="seg"
        )
        return getattr(compute, key)(engine, period, Slice(column))  # type: ignore[no-any-return]


def assert_reach_equals_the_sql(events_dir: Path) -> None:
    """Reach, the North Star and active creators, every column and period, from the sets and
    from the SQL."""
    for key in ("reach", "north_star", "active_creators"):
        for period in PERIODS:
            for column in COLUMNS:
                new = getattr(segment_sets, key)(events_dir, period, column)
                old = from_rollups(events_dir, period, column, key)
                assert (new.rows, new.headline, new.series) == (
                    old.rows,
                    old.headline,
                    old.series,
                ), (key, period, column)


@pytest.mark.parametrize("seed", [1, 2])
def test_reach_by_context_from_the_sets_equals_the_sql(events_dir: Path, seed: int) -> None:
    events = random_events(seed)
    write_lake(events_dir, events)
    assert_reach_equals_the_sql(events_dir)  # nothing prepared: every day from the lake
    funnel_steps_prepare(events_dir=events_dir)
    assert_reach_equals_the_sql(events_dir)  # day files without sets files: computed from them
    assert segment_sets_prepare(events_dir=events_dir) == len(DAYS)
    assert all(sets_path(events_dir, day.isoformat()).exists() for day in DAYS)
    assert segment_sets_prepare(events_dir=events_dir) == 0
    assert_reach_equals_the_sql(events_dir)
    # Newer lake files the store lacks (new creators too): read from the lake beside the sets.
    write_lake(events_dir, [*events, *random_events(seed + 50, creators=20)])
    assert_reach_equals_the_sql(events_dir)
    funnel_steps_prepare(events_dir=events_dir)
    # The day files changed: their old sets files no longer match and are not read.
    assert_reach_equals_the_sql(events_dir)
    assert segment_sets_prepare(events_dir=events_dir) == len(DAYS)
    assert_reach_equals_the_sql(events_dir)


def test_the_reach_tile_reads_the_sets_and_gives_the_sql_answer(events_dir: Path) -> None:
    write_lake(events_dir, random_events(3))
    funnel_steps_prepare(events_dir=events_dir)
    segment_sets_prepare(events_dir=events_dir)
    period = PERIODS[0]
    query = TileQuery(start=period.start, end=period.end, breakdown="region", compare=False)
    answer = tile("reach", query)
    expected = from_rollups(events_dir, period, "region")
    assert (answer.rows, answer.headline) == (expected.rows, expected.headline)
    # Fourteen regions and the missing one: the top ten and the rest as "(other)".
    assert len(answer.rows) == 11
    assert "(other)" in {row["region"] for row in answer.rows}


def test_erasure_deletes_the_sets_with_the_day(events_dir: Path) -> None:
    write_lake(events_dir, random_events(4))
    funnel_steps_prepare(events_dir=events_dir)
    segment_sets_prepare(events_dir=events_dir)
    assert steps_erase(events_dir=events_dir, external_id="4-c0") > 0
    kept = [day for day in DAYS if sets_path(events_dir, day.isoformat()).exists()]
    assert len(kept) < len(DAYS)
    assert_reach_equals_the_sql(events_dir)


def test_active_creators_windows_reach_back_from_the_periods_last_day(events_dir: Path) -> None:
    last = date(2026, 11, 30)
    write_lake(
        events_dir,
        [
            ev("like", (last - timedelta(days=6)).isoformat(), "ana", region="BR"),
            ev("like", last.isoformat(), "bo", region="BR"),
            ev("like", (last - timedelta(days=7)).isoformat(), "ed", region="BR"),
            ev("like", (last - timedelta(days=29)).isoformat(), "cy", region="MX"),
            ev("like", (last - timedelta(days=30)).isoformat(), "di", region="AR"),
        ],
    )
    funnel_steps_prepare(events_dir=events_dir)
    segment_sets_prepare(events_dir=events_dir)
    period = Period(last, last)
    answer = segment_sets.active_creators(events_dir, period, "region")
    assert answer == from_rollups(events_dir, period, "region", "active_creators")
    # The week is the last 7 days (Bo, Ana), the month the last 30 (Ed and Cy too, not Di).
    assert [(row["region"], row["dau"], row["wau"], row["mau"]) for row in answer.rows] == [
        ("BR", 1.0, 2, 3),
        ("MX", 0.0, 0, 1),
    ]
    assert (answer.headline["wau"], answer.headline["mau"]) == (2, 4)
