"""The creator dimension by step-store key: funnels broken down by follower tier or experiment
variant (and filtered by tier) equal the SQL join with the snapshot, whether the dimension comes
from the aligned files, from the snapshot when they are stale or gone, or for keys numbered after
the files were aligned."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa  # type: ignore[import-untyped]
import pytest

from academy.insights.dimensions import dimension_snapshot, write_table
from academy.insights.funnel_dimension import (
    ASSIGNMENTS,
    DIRECTORY,
    TIERS,
    CreatorDimension,
    dimension_erase,
)
from academy.insights.funnel_store import CreatorKeys, funnel_steps_prepare, store_dir
from academy.insights.services import funnel_dimension_align
from academy.insights.tests.helpers import write_lake
from academy.insights.tests.test_funnel_store import (
    assert_every_variant_equals_the_lake_sql,
    random_events,
    step_events,
)

pytestmark = pytest.mark.django_db


def write_snapshot(events_dir: Path, creators: list[str], *, shift: int = 0) -> None:
    """Every third creator has no row; tiers and variations depend on ``shift``."""
    listed = [creator for n, creator in enumerate(creators) if n % 3 != 2]
    tiers = ["nano", "micro", "", "macro"]
    write_table(
        events_dir,
        "creators",
        pa.table(
            {
                "creator_id": listed,
                "follower_tier": [tiers[(n + shift) % 4] for n in range(len(listed))],
            }
        ),
    )
    assigned = creators[shift % 2 :: 2]
    write_table(
        events_dir,
        "assignments",
        pa.table(
            {
                "creator_id": [*assigned, *assigned[:3]],
                "experiment": ["card"] * len(assigned) + ["other"] * len(assigned[:3]),
                "variation": ["a" if (n + shift) % 3 else "b" for n in range(len(assigned))]
                + ["a"] * len(assigned[:3]),
            }
        ),
    )


def tiers_by_key(events_dir: Path) -> list[str | None]:
    dimension = CreatorDimension.read(events_dir, dimension_snapshot(events_dir))
    return [dimension.tier_values[code] if code >= 0 else None for code in dimension.tier_codes]


def aligned_files(events_dir: Path) -> list[Path]:
    return [store_dir(events_dir) / DIRECTORY / name for name in (TIERS, ASSIGNMENTS)]


def test_funnels_by_tier_and_variant_from_the_aligned_files_equal_the_sql(
    events_dir: Path,
) -> None:
    events = random_events(11)
    later = random_events(12, creators=12)
    creators = sorted({e["creator_id"] for e in [*events, *later]} - {""})
    write_lake(events_dir, events)
    write_snapshot(events_dir, creators)
    funnel_steps_prepare(events_dir=events_dir)
    assert funnel_dimension_align(events_dir)["aligned_keys"] == len(CreatorKeys.read(events_dir))
    assert all(path.exists() for path in aligned_files(events_dir))
    dimension = CreatorDimension.read(events_dir, dimension_snapshot(events_dir))
    assert len(dimension.tier_codes) == len(CreatorKeys.read(events_dir))
    assert_every_variant_equals_the_lake_sql(events_dir)

    # New creators' events, not in the store yet: keys beyond the aligned ones, matched with the
    # snapshot by id while the aligned files stay current.
    write_lake(events_dir, [*events, *later])
    assert step_events(events_dir).bound > len(dimension.tier_codes)
    assert_every_variant_equals_the_lake_sql(events_dir)
    # Prepared: numbered in the store, still beyond the aligned files until the next alignment.
    funnel_steps_prepare(events_dir=events_dir)
    assert len(CreatorKeys.read(events_dir)) > len(dimension.tier_codes)
    assert_every_variant_equals_the_lake_sql(events_dir)


def test_a_changed_snapshot_is_read_instead_of_the_stale_aligned_files(events_dir: Path) -> None:
    events = random_events(13)
    creators = sorted({e["creator_id"] for e in events} - {""})
    write_lake(events_dir, events)
    write_snapshot(events_dir, creators)
    funnel_steps_prepare(events_dir=events_dir)
    funnel_dimension_align(events_dir)
    before = tiers_by_key(events_dir)
    write_snapshot(events_dir, creators, shift=1)
    after = tiers_by_key(events_dir)
    assert before != after
    assert len(before) == len(after) == len(CreatorKeys.read(events_dir))
    assert_every_variant_equals_the_lake_sql(events_dir)


def test_erasure_deletes_the_aligned_files_and_funnels_read_the_snapshot(
    events_dir: Path,
) -> None:
    events = random_events(14)
    write_lake(events_dir, events)
    write_snapshot(events_dir, sorted({e["creator_id"] for e in events} - {""}))
    funnel_steps_prepare(events_dir=events_dir)
    funnel_dimension_align(events_dir)
    assert dimension_erase(events_dir=events_dir) == 2
    assert not any(path.exists() for path in aligned_files(events_dir))
    assert dimension_erase(events_dir=events_dir) == 0
    assert_every_variant_equals_the_lake_sql(events_dir)
