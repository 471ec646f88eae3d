"""A creator's experiment assignments are in their export and gone after erasure."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from academy.experiments.models import Assignment
from academy.experiments.services import (
    analysis_state_dir,
    experiment_start,
    flags_for_creator,
)
from academy.experiments.tests.factories import make_creators, make_experiment
from academy.privacy.services import creator_erase, creator_export

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock", "events_dir")]

CLOCK_START = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def test_assignments_are_exported_and_erased() -> None:
    experiment_start(experiment=make_experiment())
    creator, other = make_creators(2)
    (assigned,) = flags_for_creator(creator=creator).assignments
    flags_for_creator(creator=other)
    exported = creator_export(creator=creator)["stores"]["experiments"]
    assert exported == {
        "assignments": [
            {
                "experiment__key": "card-2026",
                "variation": assigned.variation,
                "bucket_version": 0,
                "assigned_at": CLOCK_START,
            }
        ]
    }
    receipt = creator_erase(creator=creator)
    assert receipt.removed["experiments"] == 1
    assert not Assignment.objects.filter(creator__external_id="c0").exists()
    assert Assignment.objects.filter(creator=other).count() == 1


def test_erasure_deletes_the_analysis_states_of_the_creators_experiments() -> None:
    experiment_start(experiment=make_experiment())
    (creator,) = make_creators(1)
    flags_for_creator(creator=creator)
    for key in ("card-2026", "another-experiment"):
        analysis_state_dir(key).mkdir(parents=True)
        (analysis_state_dir(key) / "manifest.json").write_text("{}")
    creator_erase(creator=creator)
    assert not analysis_state_dir("card-2026").exists()
    assert (analysis_state_dir("another-experiment") / "manifest.json").exists()
