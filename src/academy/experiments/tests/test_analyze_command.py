"""`academy experiments analyze` and the daily refresh: dated snapshots from the real lake."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from academy.core.tests.helpers import SetTime
from academy.events.capture import CaptureLog
from academy.events.lake import compact
from academy.events.rollups import lake_days, rollup_days
from academy.experiments.models import Assignment, Experiment, ExperimentSnapshot
from academy.experiments.selectors import experiment_results, experiment_snapshots
from academy.experiments.services import experiment_analyze, experiment_start
from academy.experiments.tasks import refresh_experiment_snapshots
from academy.experiments.tests.factories import make_creators, make_experiment
from academy.experiments.tests.test_pipeline import event

pytestmark = [pytest.mark.django_db]

CLOCK_START = datetime(2026, 11, 9, 8, 0, tzinfo=UTC)
EXPOSED = [date(2026, 11, 9), date(2026, 11, 10)]


@pytest.fixture
def experiment(events_dir: Path, frozen_clock: SetTime) -> Experiment:
    """A running experiment with 80 exposed creators and a week of their events in the lake."""
    experiment = make_experiment(
        primary_metrics=["completed_lesson", "lesson_completions"],
        guardrail_metrics=["not_interested_rate"],
    )
    experiment_start(experiment=experiment)
    rng = np.random.default_rng(3)
    creators = make_creators(80, region="BR")
    rows = []
    for index, creator in enumerate(creators):
        variation = experiment.variation_keys[index % 2]
        exposed = EXPOSED[index % 2]
        Assignment.objects.create(
            creator=creator,
            experiment=experiment,
            variation=variation,
            bucket_version=experiment.bucket_version,
            assigned_at=datetime.combine(exposed, datetime.min.time(), tzinfo=UTC)
            + timedelta(hours=9),
        )
        if creator.external_id != "c1":  # c1 did nothing on its exposure day
            rows.append((creator.external_id, "impression", exposed))
        for offset in range(-3, 8):
            day = exposed + timedelta(days=offset)
            if creator.external_id == "c1" and day == exposed:
                continue
            for name, rate in (
                ("lesson_complete", 0.5),
                ("impression", 3),
                ("not_interested", 0.1),
            ):
                for _ in range(int(rng.poisson(rate))):
                    rows.append((creator.external_id, name, day))
    log = CaptureLog(events_dir / "capture")
    records = []
    for n, (creator_id, name, day) in enumerate(rows):
        record = event(n, creator_id, name, day, "for_you_card")
        record["platform"] = "ios" if int(creator_id[1:]) % 3 == 0 else "android"
        records.append(record)
    log.append(records)
    log.seal()
    compact(events_dir=events_dir)
    rollup_days(events_dir=events_dir, days=lake_days(events_dir))
    frozen_clock(datetime(2026, 11, 18, 7, 0, tzinfo=UTC))
    return experiment


def analyze(*args: str) -> str:
    out = StringIO()
    call_command("experiments", "analyze", *args, stdout=out)
    return out.getvalue()


def test_analyze_stores_a_snapshot_and_prints_the_results(experiment: Experiment) -> None:
    output = analyze(experiment.key, "--date", "2026-11-16")
    assert "card-2026 as of 2026-11-16" in output
    assert "control 40, treatment-1 40" in output
    assert "completed_lesson" in output
    assert "not_interested_rate (guardrail)" in output
    assert "Decision for treatment-1" in output
    results = experiment_results(experiment)
    assert results is not None
    assert results.as_of == date(2026, 11, 16)
    assert [m.key for m in results.metrics] == [
        "completed_lesson",
        "lesson_completions",
        "not_interested_rate",
    ]
    platforms = {
        s.value: s.creators for s in results.metrics[0].dimensions if s.dimension == "platform"
    }
    # Creators c0, c3, c6… used iOS on their exposure day (the lake's events say so); c1 has no
    # event that day.
    assert platforms == {"ios": 27, "android": 52, "unknown": 1}


def test_the_same_day_is_replaced_and_other_days_are_kept(
    experiment: Experiment, frozen_clock: SetTime
) -> None:
    analyze(experiment.key, "--date", "2026-11-15")
    first = ExperimentSnapshot.objects.get(experiment=experiment, date=date(2026, 11, 15))
    frozen_clock(datetime(2026, 11, 18, 8, 0, tzinfo=UTC))
    analyze(experiment.key, "--date", "2026-11-15")
    again = ExperimentSnapshot.objects.get(experiment=experiment, date=date(2026, 11, 15))
    assert again.pk == first.pk
    assert again.computed_at > first.computed_at
    analyze(experiment.key)  # default: yesterday
    assert [s.date for s in experiment_snapshots(experiment)] == [
        date(2026, 11, 17),
        date(2026, 11, 15),
    ]
    older = experiment_results(experiment, as_of=date(2026, 11, 15))
    assert older is not None
    assert older.as_of == date(2026, 11, 15)


def test_cumulative_points_run_from_the_first_exposure_to_the_day(experiment: Experiment) -> None:
    analyze(experiment.key, "--date", "2026-11-12")
    results = experiment_results(experiment)
    assert results is not None
    points = results.metrics[0].cumulative[0].points
    assert [p.day for p in points][-1] == date(2026, 11, 12)
    assert points[-1].control_creators == 40


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["no-such-experiment"], "There is no experiment"),
        (["card-2026", "--date", "16/11/2026"], "is not a day"),
        (["card-2026", "--date", "2026-11-01"], "started on 2026-11-09"),
        (["card-2026", "--date", "2026-12-01"], "in the future"),
        ([], "Name one experiment"),
    ],
)
def test_bad_requests_explain_themselves_and_write_nothing(
    experiment: Experiment, args: list[str], message: str
) -> None:
    with pytest.raises(CommandError) as error:
        analyze(*args)
    assert message in str(error.value)
    assert not ExperimentSnapshot.objects.exists()


def test_an_experiment_nobody_saw_gets_a_failed_snapshot(experiment: Experiment) -> None:
    Assignment.objects.all().delete()
    with pytest.raises(CommandError) as error:
        analyze(experiment.key, "--date", "2026-11-16")
    assert "No creator has been exposed" in str(error.value)
    snapshot = ExperimentSnapshot.objects.get(experiment=experiment)
    assert snapshot.status == "failed"
    assert "No creator" in snapshot.error
    assert experiment_results(experiment) is None


def test_the_daily_refresh_analyses_every_running_experiment_as_of_yesterday(
    experiment: Experiment,
) -> None:
    refresh_experiment_snapshots.call_local()
    snapshot = ExperimentSnapshot.objects.get(experiment=experiment)
    assert snapshot.date == date(2026, 11, 17)
    assert snapshot.status == "ok"
    assert snapshot.creators == 80


@pytest.mark.parametrize("step", ["query", "statistics", "saving"])
def test_an_interrupted_analysis_leaves_the_day_as_it_was(
    experiment: Experiment, frozen_clock: SetTime, step: str
) -> None:
    analyze(experiment.key, "--date", "2026-11-16")
    before = ExperimentSnapshot.objects.get(experiment=experiment)
    frozen_clock(datetime(2026, 11, 18, 9, 0, tzinfo=UTC))

    def ctrl_c_at(name: str) -> None:
        if name == step:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        experiment_analyze(experiment=experiment, as_of=date(2026, 11, 16), progress=ctrl_c_at)
    with pytest.raises(KeyboardInterrupt):
        experiment_analyze(experiment=experiment, as_of=date(2026, 11, 17), progress=ctrl_c_at)
    after = ExperimentSnapshot.objects.get(experiment=experiment)
    assert (after.date, after.computed_at, after.results) == (
        before.date,
        before.computed_at,
        before.results,
    )
