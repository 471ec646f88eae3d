"""The analysis reads an experiment's exposures from the database once and then only what is new,
with the creators' attributes as they were when assigned."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pyarrow as pa  # type: ignore[import-untyped]
import pytest

from academy.accounts.services import creator_upsert
from academy.core.tests.helpers import SetTime
from academy.events.capture import CaptureLog
from academy.events.lake import compact
from academy.events.query import DuckDBEngine
from academy.experiments.exposures import experiment_exposures
from academy.experiments.models import Assignment, Experiment
from academy.experiments.services import experiment_start, flags_for_creator
from academy.experiments.tests.factories import make_creators, make_experiment
from academy.experiments.tests.test_pipeline import event

pytestmark = [pytest.mark.django_db]

CLOCK_START = datetime(2026, 11, 9, 8, 0, tzinfo=UTC)
FIRST, SECOND = date(2026, 11, 9), date(2026, 11, 10)


def assign(experiment: Experiment, prefix: str, count: int, day: date) -> None:
    for index, creator in enumerate(make_creators(count, prefix=prefix, region="BR")):
        Assignment.objects.create(
            creator=creator,
            experiment=experiment,
            variation=experiment.variation_keys[index % 2],
            bucket_version=experiment.bucket_version,
            assigned_at=datetime.combine(day, time(9), tzinfo=UTC) + timedelta(minutes=index),
            region=creator.region,
            language=creator.language,
            follower_tier=creator.follower_tier,
        )


def read(experiment: Experiment, as_of: date, directory: Path, events_dir: Path) -> pa.Table:
    with DuckDBEngine(threads=1) as engine:
        return experiment_exposures(
            experiment, as_of=as_of, engine=engine, directory=directory, events_dir=events_dir
        )


def parts(directory: Path) -> list[str]:
    return list(json.loads((directory / "manifest.json").read_text())["parts"])


@pytest.fixture
def experiment(events_dir: Path, frozen_clock: SetTime) -> Experiment:
    experiment = make_experiment()
    experiment_start(experiment=experiment)
    return experiment


def test_the_next_day_reads_only_new_assignments_and_equals_a_fresh_read(
    experiment: Experiment, events_dir: Path, tmp_path: Path
) -> None:
    kept = tmp_path / "kept"
    assign(experiment, "a", 10, FIRST)
    first = read(experiment, FIRST, kept, events_dir)
    assert first.num_rows == 10
    assert len(parts(kept)) == 1

    assign(experiment, "b", 5, SECOND)
    second = read(experiment, SECOND, kept, events_dir)
    assert len(parts(kept)) == 2  # the first day's rows were not read again
    assert second.column("creator_id").to_pylist()[:10] == first.column("creator_id").to_pylist()
    assert second.equals(read(experiment, SECOND, tmp_path / "fresh", events_dir))
    # An analysis of the first day again gets that day's rows and leaves what is kept.
    assert read(experiment, FIRST, kept, events_dir).equals(first)
    assert len(parts(kept)) == 2


def test_a_deleted_assignment_means_reading_everything_again(
    experiment: Experiment, events_dir: Path, tmp_path: Path
) -> None:
    kept = tmp_path / "kept"
    assign(experiment, "a", 10, FIRST)
    read(experiment, FIRST, kept, events_dir)
    Assignment.objects.filter(creator__external_id="a3").delete()
    assign(experiment, "b", 5, SECOND)
    table = read(experiment, SECOND, kept, events_dir)
    assert table.num_rows == 14
    assert "a3" not in table.column("creator_id").to_pylist()
    assert len(parts(kept)) == 1


def test_slices_use_the_attributes_a_creator_had_when_assigned_and_the_platform_of_that_day(
    experiment: Experiment, events_dir: Path, tmp_path: Path
) -> None:
    (creator,) = make_creators(1, prefix="m", region="MX")
    flags_for_creator(creator=creator)  # assigned (and exposed) as the product does
    log = CaptureLog(events_dir / "capture")
    record = event(1, "m0", "impression", FIRST, "for_you_card")
    record["timestamp"] = f"{FIRST.isoformat()}T08:30:00+00:00"
    record["platform"] = "ios"
    log.append([record])
    log.seal()
    compact(events_dir=events_dir)
    # Later the creator moves: the experiment's slices keep them where they were.
    creator_upsert(external_id="m0", region="BR")
    table = read(experiment, FIRST, tmp_path / "kept", events_dir)
    assert table.column("region").to_pylist() == ["MX"]
    assert table.column("platform").to_pylist() == ["ios"]
