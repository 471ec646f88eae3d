"""The insights store in export and erasure: the creator dimension snapshot (follower tiers and
experiment variations) lists the creator's rows and loses them on erasure, also when a snapshot
read before the erasure committed is written after the eraser ran."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pytest

from academy.experiments.services import experiment_start, flags_for_creator
from academy.experiments.tests.factories import make_creators, make_experiment
from academy.insights.dimensions import (
    ASSIGNMENTS,
    CREATORS,
    SCHEMAS,
    dimension_path,
    write_dimensions,
)
from academy.privacy.services import creator_erase, creator_export

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

CLOCK_START = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def creator_ids(events_dir: Path, name: str) -> list[str]:
    return sorted(pq.read_table(dimension_path(events_dir, name))["creator_id"].to_pylist())


def snapshot_of_two_assigned_creators(events_dir: Path) -> dict[str, str]:
    """Creators c0 and c1, each assigned to one running experiment, in the written snapshot;
    the variation of each."""
    experiment_start(experiment=make_experiment())
    variations = {}
    for creator in make_creators(2):
        (assigned,) = flags_for_creator(creator=creator).assignments
        variations[creator.external_id] = assigned.variation
    write_dimensions(events_dir)
    return variations


def test_export_lists_the_creators_rows_of_the_dimension(events_dir: Path) -> None:
    variations = snapshot_of_two_assigned_creators(events_dir)
    (creator,) = make_creators(1)  # c0 again: creator_upsert returns the existing one
    exported = creator_export(creator=creator)["stores"]["insights"]["creator_dimension"]
    assert exported == {
        CREATORS: [{"creator_id": "c0", "follower_tier": creator.follower_tier}],
        ASSIGNMENTS: [
            {"creator_id": "c0", "experiment": "card-2026", "variation": variations["c0"]}
        ],
    }


def test_erasure_removes_the_creator_from_both_dimension_files(
    events_dir: Path, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    snapshot_of_two_assigned_creators(events_dir)
    (creator,) = make_creators(1)
    with django_capture_on_commit_callbacks(execute=True):
        receipt = creator_erase(creator=creator)
    assert receipt.removed["insights"] == 2  # one tier row, one assignment row
    assert creator_ids(events_dir, CREATORS) == ["c1"]
    assert creator_ids(events_dir, ASSIGNMENTS) == ["c1"]


def test_a_snapshot_read_before_the_erasure_committed_loses_the_creator_at_the_commit(
    events_dir: Path, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    snapshot_of_two_assigned_creators(events_dir)
    # What the 15-minute task read while the erasure was still uncommitted.
    stale = {name: dimension_path(events_dir, name).read_bytes() for name in SCHEMAS}
    (creator,) = make_creators(1)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        creator_erase(creator=creator)
    for name, content in stale.items():
        dimension_path(events_dir, name).write_bytes(content)
    assert creator_ids(events_dir, CREATORS) == ["c0", "c1"]
    for callback in callbacks:
        callback()
    assert creator_ids(events_dir, CREATORS) == ["c1"]
    assert creator_ids(events_dir, ASSIGNMENTS) == ["c1"]


def test_export_and_erasure_before_any_snapshot_find_nothing(events_dir: Path) -> None:
    (creator,) = make_creators(1)
    exported = creator_export(creator=creator)["stores"]["insights"]["creator_dimension"]
    assert exported == {CREATORS: [], ASSIGNMENTS: []}
    assert creator_erase(creator=creator).removed["insights"] == 0
    assert not dimension_path(events_dir, CREATORS).exists()
