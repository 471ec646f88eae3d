"""The funnels' step store: funnels answered from it (or from the lake for files it lacks) equal
the SQL over the lake they replace, on random lakes and on the hand-computed one; it follows the
lake (new files, rewritten files, retention) and its part of export and erasure."""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]
import pytest

from academy.accounts.services import creator_upsert
from academy.events.privacy import events_erase
from academy.events.query import DuckDBEngine
from academy.events.retention import expire_raw_days
from academy.insights.compute import Period, Ranked, TooManyValues, epoch_seconds, median_seconds
from academy.insights.dimensions import register_dimensions, write_table
from academy.insights.funnel_store import (
    CreatorKeys,
    StepEvents,
    day_path,
    funnel_steps_prepare,
    steps_erase,
    steps_export,
)
from academy.insights.services import insights_prepare
from academy.insights.tests.helpers import ev, write_lake
from academy.insights.tests.reference_funnel import DEFAULT, VARIANTS, Variant, funnel_both
from academy.insights.tests.test_tiles import FUNNEL, funnel_rows
from academy.privacy.services import creator_erase, creator_export

pytestmark = pytest.mark.django_db

DAYS = [date(2026, 11, 16) + timedelta(days=n) for n in range(4)]
PERIODS = (Period(DAYS[0], DAYS[-1]), Period(DAYS[1], DAYS[2]))
NAMES = ("impression", "click", "lesson_start", "lesson_complete", "like")
ENTRY_POINTS = ("for_you_card", "search", "course_page", "")


def random_events(seed: int, creators: int = 40) -> list[dict[str, Any]]:
    """Creators with up to 30 events over DAYS (distinct seconds each), a few pairs of events at
    the same second with the same context, and anonymous events."""
    rng = random.Random(seed)
    events = []
    for number in range(creators):
        creator = f"{seed}-c{number}"
        region = rng.choice(["BR", "MX", ""])
        platform = rng.choice(["android", "ios"])
        language = rng.choice(["pt-br", "es"])
        for second in rng.sample(range(len(DAYS) * 86_400), rng.randint(0, 30)):
            day, rest = DAYS[second // 86_400], second % 86_400
            when = f"{day.isoformat()}T{rest // 3600:02d}:{rest // 60 % 60:02d}:{rest % 60:02d}"
            entry, kind = rng.choice(ENTRY_POINTS), rng.choice(["lesson", "course"])
            for _ in range(2 if rng.random() < 0.15 else 1):
                events.append(
                    ev(
                        rng.choice(NAMES),
                        when,
                        creator,
                        entry=entry,
                        kind=kind,
                        region=region,
                        platform=platform,
                        language=language,
                    )
                )
    events.extend(ev("impression", f"{day.isoformat()}T10:00:00", "") for day in DAYS)
    return events


def write_creator_dimension(events_dir: Path, creators: list[str]) -> None:
    tiers = ["nano", "micro", ""]
    write_table(
        events_dir,
        "creators",
        pa.table(
            {
                "creator_id": creators,
                "follower_tier": [tiers[n % 3] for n in range(len(creators))],
            }
        ),
    )
    assigned = creators[::2]
    write_table(
        events_dir,
        "assignments",
        pa.table(
            {
                "creator_id": assigned,
                "experiment": ["card"] * len(assigned),
                "variation": ["a" if n % 3 else "b" for n in range(len(assigned))],
            }
        ),
    )


def assert_every_variant_equals_the_lake_sql(events_dir: Path) -> None:
    with DuckDBEngine() as engine:
        register_dimensions(engine, events_dir)
        for period in PERIODS:
            for variant in VARIANTS:
                new, old = funnel_both(engine, events_dir, period, variant)
                assert (new.rows, new.headline) == (old.rows, old.headline), (period, variant)


def step_events(events_dir: Path) -> StepEvents:
    with DuckDBEngine() as engine:
        days = [day.isoformat() for day in DAYS]
        return StepEvents(engine, events_dir, days, list(NAMES))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_funnels_equal_the_lake_sql_from_the_lake_the_store_and_both(
    events_dir: Path, seed: int
) -> None:
    events = random_events(seed)
    write_lake(events_dir, events)
    write_creator_dimension(events_dir, sorted({e["creator_id"] for e in events} - {""}))
    assert_every_variant_equals_the_lake_sql(events_dir)  # nothing prepared: the lake
    funnel_steps_prepare(events_dir=events_dir)
    stored = step_events(events_dir)
    assert (len(stored.days), stored.lake) == (len(DAYS), None)
    assert_every_variant_equals_the_lake_sql(events_dir)
    # Events compacted since are in new lake files the store does not cover yet: read from the
    # lake beside the store, new creators numbered beyond the stored keys.
    write_lake(events_dir, random_events(seed + 100, creators=10) + random_events(seed)[:50])
    mixed = step_events(events_dir)
    assert len(mixed.days) == len(DAYS)
    assert mixed.lake is not None
    assert mixed.bound > len(CreatorKeys.read(events_dir))
    assert_every_variant_equals_the_lake_sql(events_dir)
    assert funnel_steps_prepare(events_dir=events_dir)["days_built"] == len(DAYS)
    assert step_events(events_dir).lake is None
    assert_every_variant_equals_the_lake_sql(events_dir)


def test_the_hand_computed_funnels_from_the_store(events_dir: Path) -> None:
    write_lake(events_dir, FUNNEL)
    prepared = insights_prepare(events_dir=events_dir)
    assert prepared["funnel_days_built"] == 2
    # Both days' creator counts, counts by entry point and lesson pairs by key.
    assert prepared["keyed_files_built"] == 6
    assert funnel_rows("strict") == [
        (5, 1.0, None),
        (3, 3 / 5, 3600.0),
        (1, 1 / 3, 360.0),
        (1, 1.0, 3600.0),
    ]
    assert funnel_rows("any") == [
        (5, 1.0, None),
        (4, 4 / 5, 3600.0),
        (2, 2 / 4, 1980.0),
        (2, 1.0, 3900.0),
    ]
    assert step_events(events_dir).lake is None


def test_a_rewritten_lake_file_is_read_from_the_lake_until_prepared_again(
    events_dir: Path,
) -> None:
    events = random_events(7)
    write_lake(events_dir, events)
    write_creator_dimension(events_dir, sorted({e["creator_id"] for e in events} - {""}))
    funnel_steps_prepare(events_dir=events_dir)
    erased = events_erase(events_dir=events_dir, external_id="7-c1")
    assert erased.lake > 0
    stale = step_events(events_dir)
    assert len(stale.days) < len(DAYS)
    assert stale.lake is not None
    assert_every_variant_equals_the_lake_sql(events_dir)
    assert funnel_steps_prepare(events_dir=events_dir)["days_built"] == len(erased.days_recomputed)
    assert step_events(events_dir).lake is None


def test_prepare_follows_retention_and_forgets_creators_no_day_holds(events_dir: Path) -> None:
    write_lake(
        events_dir,
        [
            ev("impression", "2026-11-16", "ana"),
            ev("impression", "2026-11-16", "bo"),
            ev("impression", "2026-11-17", "bo"),
            ev("impression", "2026-11-19", ""),  # a day without a signed-in event
        ],
    )
    assert funnel_steps_prepare(events_dir=events_dir)["days_built"] == 3
    assert CreatorKeys.read(events_dir).ids.to_pylist() == ["ana", "bo"]
    assert step_events(events_dir).lake is None
    expire_raw_days(events_dir=events_dir, keep_from=date(2026, 11, 17))
    done = funnel_steps_prepare(events_dir=events_dir)
    assert done == {"days_built": 0, "days_deleted": 1, "keys_forgotten": 1}
    assert not day_path(events_dir, "2026-11-16").exists()
    # Ana's key is not given to anyone else.
    write_lake(events_dir, [ev("impression", "2026-11-18", "cy")])
    funnel_steps_prepare(events_dir=events_dir)
    assert CreatorKeys.read(events_dir).ids.to_pylist() == [None, "bo", "cy"]


def test_export_and_erasure_of_the_store(events_dir: Path) -> None:
    write_lake(
        events_dir,
        [
            ev("impression", "2026-11-16T10:00:00", "ana", region="MX"),
            ev("click", "2026-11-17T11:30:00.250000", "ana", entry="search"),
            ev("impression", "2026-11-16T10:00:00", "bo"),
            ev("impression", "2026-11-18T10:00:00", "bo"),
        ],
    )
    funnel_steps_prepare(events_dir=events_dir)
    exported = steps_export(events_dir=events_dir, external_id="ana")
    assert [(row["name"], row["entry_point"], row["timestamp"]) for row in exported] == [
        ("impression", "for_you_card", "2026-11-16T10:00:00+00:00"),
        ("click", "search", "2026-11-17T11:30:00.250000+00:00"),
    ]
    assert exported[0]["region"] == "MX"
    assert steps_erase(events_dir=events_dir, external_id="ana") == 2
    # The days holding her events are gone (rebuilt by the next prepare), Bo's other day stays.
    assert [day_path(events_dir, f"2026-11-{n}").exists() for n in (16, 17, 18)] == [
        False,
        False,
        True,
    ]
    assert CreatorKeys.read(events_dir).ids.to_pylist() == [None, "bo"]
    assert steps_export(events_dir=events_dir, external_id="ana") == []
    assert steps_erase(events_dir=events_dir, external_id="ana") == 0


def test_seconds_and_medians_are_the_sql_ones_to_the_last_bit() -> None:
    rng = np.random.default_rng(5)
    with DuckDBEngine() as engine:
        for size in [*range(1, 41), 101, 1000, 4096]:
            start = rng.integers(1_700_000_000_000_000, 1_800_000_000_000_000, size)
            # Sub-second differences, up to weeks: seconds that are not exact in binary.
            later = start + rng.integers(0, 30 * 86_400_000_000, size)
            table = pa.table(
                {
                    "t0": pa.array(start, pa.timestamp("us", tz="UTC")),
                    "t1": pa.array(later, pa.timestamp("us", tz="UTC")),
                }
            )
            engine.connection.register("pairs", table)
            expected = engine.query("SELECT epoch(t1 - t0) FROM pairs")
            median = engine.query(
                "SELECT PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY epoch(t1 - t0)) FROM pairs"
            )[0][0]
            assert epoch_seconds(later - start).tolist() == [row[0] for row in expected]
            assert median_seconds(later - start) == median
    assert median_seconds(np.zeros(0, dtype=np.int64)) is None


def test_erasing_a_creator_erases_them_from_the_store(events_dir: Path) -> None:
    ana, _created = creator_upsert(external_id="ana")
    write_lake(
        events_dir,
        [ev("impression", "2026-11-16", "ana"), ev("impression", "2026-11-16", "bo")],
    )
    funnel_steps_prepare(events_dir=events_dir)
    export = creator_export(creator=ana)
    assert len(export["stores"]["insights"]["funnel_steps"]) == 1
    receipt = creator_erase(creator=ana)
    assert receipt.removed["insights"] == 1
    funnel_steps_prepare(events_dir=events_dir)
    assert CreatorKeys.read(events_dir).ids.to_pylist() == [None, "bo"]
    assert steps_export(events_dir=events_dir, external_id="ana") == []


def test_a_tie_at_the_entering_instant_counts_under_the_smallest_value(events_dir: Path) -> None:
    at = "2026-11-17T10:00:00"
    write_lake(
        events_dir,
        [
            # Ana's first impressions are two at the same instant, from two regions.
            ev("impression", at, "ana", region="MX", kind="lesson"),
            ev("impression", at, "ana", region="BR", kind="course"),
            ev("impression", "2026-11-17T11:00:00", "ana", region="AR", kind="lesson"),
            ev("click", "2026-11-17T12:00:00", "ana", region="BR"),
            ev("impression", at, "bo", region="MX"),
        ],
    )
    period = Period(DAYS[0], DAYS[-1])
    by_region: Variant = (DEFAULT, "strict", 24, "region", {})
    lessons_by_region: Variant = (DEFAULT, "strict", 24, "region", {"item_kind": "lesson"})
    for prepared in (False, True):
        if prepared:
            funnel_steps_prepare(events_dir=events_dir)
        with DuckDBEngine() as engine:
            new, old = funnel_both(engine, events_dir, period, by_region)
            assert new.rows == old.rows
            assert [(r["region"], r["creators"]) for r in new.rows if r["step"] == 1] == [
                ("BR", 1),
                ("MX", 1),
            ]
            new, old = funnel_both(engine, events_dir, period, lessons_by_region)
            assert new.rows == old.rows
            assert [(r["region"], r["creators"]) for r in new.rows if r["step"] == 1] == [("MX", 2)]


def test_a_context_with_more_values_than_the_packing_holds_is_refused(events_dir: Path) -> None:
    # Packed with the time, ranks need bits the period's span leaves free: 2 years need 46 bits
    # of the 62, so 2**17 values do not fit (2**16 - 1 do).
    events = StepEvents(None, events_dir, [], [])
    span = 2 * 366 * 86_400 * 1_000_000

    def lake(values: int) -> pa.Table:
        return pa.table(
            {
                "region": [f"r{n}" for n in range(values)],
                "micros": np.linspace(0, span, values).astype(np.int64),
            }
        )

    events.lake = lake(2**16 - 1)
    assert len(Ranked.of(events, "region").values) == 2**16 - 1
    events.lake = lake(2**17)
    with pytest.raises(TooManyValues):
        Ranked.of(events, "region")
