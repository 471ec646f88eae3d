"""The simulator against the real database, capture log and lake."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest
from django.test import override_settings

from academy.accounts.models import Creator
from academy.core.errors import ValidationFailed
from academy.core.tests.helpers import SetTime
from academy.events.lake import compact
from academy.events.rollups import ROLLUPS, rollup_days
from academy.learning.models import BadgeAward, Certificate, Enrollment, LessonProgress
from academy.simulation.selectors import simulation_catalog
from academy.simulation.services import SimulationResult, simulation_run
from academy.simulation.tests.factories import make_simulation_catalog

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog(db: None) -> None:
    make_simulation_catalog()


def lake_rows(events_dir: Path, query: str) -> list[tuple[Any, ...]]:
    files = (events_dir / "lake").as_posix()
    return (
        duckdb.connect()
        .execute(query.format(lake=f"read_parquet('{files}/*/*.parquet', hive_partitioning=0)"))
        .fetchall()
    )


def rollup_rows(events_dir: Path, rollup: str) -> list[tuple[Any, ...]]:
    path = (events_dir / "rollups" / rollup).as_posix()
    return (
        duckdb.connect()
        .execute(
            f"SELECT * FROM read_parquet('{path}/*/*.parquet', hive_partitioning = false) "  # noqa: S608
            "ORDER BY ALL"
        )
        .fetchall()
    )


def test_the_catalogue_reaches_the_engine_with_the_ids_events_carry(catalog: None) -> None:
    engine_catalog = simulation_catalog()
    kinds = [item.item_kind for item in engine_catalog.items]
    assert kinds.count("course") == 2
    assert kinds.count("lesson") == 7
    assert kinds.count("wiki") == 2
    course = next(item for item in engine_catalog.items if item.item_kind == "course")
    lessons = [item for item in engine_catalog.items if item.course == course.item_id]
    assert all(lesson.item_id.isdigit() for lesson in lessons)
    quiz = next(item for item in engine_catalog.items if item.format == "quiz")
    assert quiz.questions == 2
    assert "hooks" in engine_catalog.terms  # a title word people can search for


def test_capture_and_lake_sinks_land_the_same_events_and_rollups(
    catalog: None, frozen_clock: SetTime, tmp_path: Path
) -> None:
    through_capture, straight_to_lake = tmp_path / "capture-run", tmp_path / "lake-run"
    with override_settings(ACADEMY_EVENTS_DIR=through_capture):
        captured = simulation_run(creators=200, days=3, seed=9, sink="capture")
        compaction = compact(events_dir=through_capture)
        rollup_days(events_dir=through_capture, days=compaction.days)
    appended = simulation_run(
        creators=200, days=3, seed=9, sink="lake", events_dir=straight_to_lake, rollups=True
    )
    assert captured.report.events == appended.report.events > 1_000
    assert compaction.written == captured.report.events
    assert captured.days == appended.days
    every_event = (
        "SELECT * EXCLUDE (timestamp, experiments, properties), timestamp::VARCHAR, "
        "experiments::VARCHAR, properties::VARCHAR FROM {lake} ORDER BY uuid"
    )
    assert lake_rows(through_capture, every_event) == lake_rows(straight_to_lake, every_event)
    for rollup in ROLLUPS:
        assert rollup_rows(through_capture, rollup) == rollup_rows(straight_to_lake, rollup)


def learning_matches_events(events_dir: Path) -> None:
    def count(query: str) -> int:
        return int(lake_rows(events_dir, query)[0][0])

    simulated = {"creator__external_id__startswith": "sim-"}
    assert Enrollment.objects.filter(**simulated).count() == count(
        "SELECT count(DISTINCT (creator_id, item_id)) FROM {lake} WHERE name = 'enroll'"
    )
    assert LessonProgress.objects.filter(**simulated).count() == count(
        "SELECT count(DISTINCT (creator_id, item_id)) FROM {lake} WHERE name = 'lesson_start'"
    )
    assert LessonProgress.objects.filter(**simulated, completed_at__isnull=False).count() == count(
        "SELECT count(*) FROM {lake} WHERE name = 'lesson_complete'"
    )
    badges = count("SELECT count(*) FROM {lake} WHERE name = 'badge_earned'")
    assert BadgeAward.objects.filter(**simulated).count() == badges
    assert Certificate.objects.filter(**simulated).count() == badges
    assert Enrollment.objects.filter(**simulated, completed_at__isnull=False).count() == badges


def test_learning_tables_hold_what_the_events_say(
    catalog: None, frozen_clock: SetTime, events_dir: Path
) -> None:
    result = simulation_run(creators=300, days=4, seed=2, sink="lake", events_dir=events_dir)
    assert result.report.lesson_completions > 20
    assert result.report.events_by_name["badge_earned"] > 0
    learning_matches_events(events_dir)
    first = LessonProgress.objects.filter(completed_at__isnull=False).first()
    assert first is not None
    assert first.watch_percent >= 90


def test_a_stopped_run_writes_whole_chunks_and_stays_consistent(
    catalog: None, frozen_clock: SetTime, events_dir: Path
) -> None:
    asked = []

    def stop_after_two_days() -> bool:
        asked.append(True)
        return len(asked) > 2

    result = simulation_run(
        creators=300, days=5, seed=2, sink="lake", events_dir=events_dir,
        should_stop=stop_after_two_days,
    )  # fmt: skip
    assert result.report.stopped
    assert result.report.days_completed == 2
    assert len(result.days) <= 3  # two simulated days (they straddle midnight UTC)
    stored = lake_rows(events_dir, "SELECT count(*) FROM {lake}")[0][0]
    assert stored == result.report.events > 0
    learning_matches_events(events_dir)


def test_a_rerun_reuses_the_creators_and_repeats_the_same_history(
    catalog: None, frozen_clock: SetTime, events_dir: Path
) -> None:
    first = simulation_run(creators=150, days=2, seed=4, sink="lake", events_dir=events_dir)
    pks = set(Creator.objects.values_list("pk", flat=True))
    enrolments = Enrollment.objects.count()
    again = simulation_run(creators=150, days=2, seed=4, sink="lake", events_dir=events_dir)
    assert (first.creators_created, again.creators_created, again.creators_reused) == (150, 0, 150)
    assert set(Creator.objects.values_list("pk", flat=True)) == pks
    assert Enrollment.objects.count() == enrolments
    # The same seed at the same moment is the same history: the lake counts it once.
    assert again.report.events == first.report.events
    assert lake_rows(events_dir, "SELECT count(*) FROM {lake}")[0][0] == first.report.events
    onboarded = Creator.objects.filter(onboarded_at__isnull=False)
    assert 0 < onboarded.count() < 150
    assert all(creator.goals and creator.level for creator in onboarded)
    assert not Creator.objects.filter(onboarded_at__isnull=True).exclude(goals=[]).exists()
    creator = Creator.objects.get(external_id="sim-0000000")
    assert creator.region
    assert creator.follower_tier
    assert creator.timezone


def result_errors(**arguments: Any) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as raised:
        simulation_run(**{"creators": 10, "days": 2, "seed": 1, **arguments})
    return raised.value.errors


def test_bad_arguments_are_refused_before_anything_is_written(catalog: None) -> None:
    assert set(result_errors(creators=0)) == {"creators"}
    assert "1,000,000" in result_errors(creators=2_000_000)["creators"]
    assert set(result_errors(days=400, policy="best", sink="kafka")) == {"days", "policy", "sink"}
    assert "popularity" in result_errors(policy="best")["policy"]
    assert set(result_errors(seed=-1)) == {"seed"}
    assert not Creator.objects.exists()


def test_without_published_content_the_run_says_what_to_do(db: None) -> None:
    with pytest.raises(ValidationFailed, match="academy content load"):
        simulation_run(creators=10, days=2, seed=1)
    assert not Creator.objects.exists()


def test_the_result_names_the_days_to_roll_up(
    catalog: None, frozen_clock: SetTime, events_dir: Path
) -> None:
    result: SimulationResult = simulation_run(
        creators=100, days=2, seed=3, sink="lake", events_dir=events_dir, rollups=True
    )
    assert result.rolled_up
    rolled = sorted(
        path.name.removeprefix("date=")
        for path in (events_dir / "rollups" / "creator_daily").glob("date=*")
    )
    assert rolled == result.days
