"""Retention: old raw days leave the lake, their rollups stay, and they never come back partial."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings

from academy.config.env import ConfigurationError, read_environment
from academy.core.tests.helpers import SetTime
from academy.events.lake import (
    append_to_lake,
    compact,
    raw_kept_from,
    record_raw_kept_from,
    records_table,
)
from academy.events.retention import retention_horizon
from academy.events.rollups import lake_days, rollup_days
from academy.events.tasks import compact_events, expire_raw_events
from academy.events.tests.helpers import rollup_rows
from academy.events.tests.test_lake import send
from academy.events.tests.test_rollups import event

CLOCK_START = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
OLD_DAY, RECENT_DAY = "2026-10-01", "2026-11-20"


@pytest.fixture
def thirty_days() -> Iterator[None]:
    with override_settings(ACADEMY_EVENTS_RETENTION_DAYS=30):
        yield


def academy(*args: str) -> str:
    out = StringIO()
    call_command("events", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def lake_with_an_old_day(events_dir: Path, frozen_clock: SetTime, thirty_days: None) -> Path:
    """A lake filled when 2026-10-01 was recent, seen on 2026-11-22 with 30 days of retention."""
    frozen_clock(datetime(2026, 10, 2, 9, 0, tzinfo=UTC))
    send(
        events_dir,
        [
            event(1, "impression", OLD_DAY, "ana", "1", "for_you_card"),
            event(2, "click", OLD_DAY, "ana", "1", "for_you_card"),
            event(3, "impression", OLD_DAY, "bo", "1", "search"),
            event(4, "impression", RECENT_DAY, "ana", "1", "for_you_card"),
        ],
    )
    compact_events.call_local()
    frozen_clock(CLOCK_START)
    return events_dir


def test_the_retention_setting_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ACADEMY_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("ACADEMY_EVENTS_RETENTION_DAYS", raising=False)
    assert read_environment().events_retention_days == 395
    monkeypatch.setenv("ACADEMY_EVENTS_RETENTION_DAYS", "0")
    assert read_environment().events_retention_days == 0
    monkeypatch.setenv("ACADEMY_EVENTS_RETENTION_DAYS", "a year")
    with pytest.raises(ConfigurationError, match="ACADEMY_EVENTS_RETENTION_DAYS"):
        read_environment()


def test_old_raw_days_are_dropped_and_their_rollups_kept(lake_with_an_old_day: Path) -> None:
    events_dir = lake_with_an_old_day
    assert retention_horizon() == date(2026, 10, 23)
    dry = academy("retention", "--dry-run")
    assert "Raw events are kept from 2026-10-23" in dry
    assert "would drop 2026-10-01: 3 events" in dry
    assert lake_days(events_dir) == [OLD_DAY, RECENT_DAY]
    # A compaction that crashed once left a staged file behind: retention clears it too.
    leftover = events_dir / "staging" / "123-abc" / f"date={OLD_DAY}"
    leftover.mkdir(parents=True)
    (leftover / "part-123-abc-0.parquet").write_bytes(b"PAR1")
    expire_raw_events.call_local()
    assert lake_days(events_dir) == [RECENT_DAY]
    assert raw_kept_from(events_dir) == date(2026, 10, 23)
    assert not any((events_dir / "staging").iterdir())
    # The rollups of the dropped day stay, and asking to recompute it cannot empty them.
    rollup_days(events_dir=events_dir, days=[OLD_DAY, RECENT_DAY])
    assert rollup_rows(events_dir, "creator_daily", "creator_id, events", day=OLD_DAY) == [
        ("ana", 2),
        ("bo", 1),
    ]
    assert rollup_rows(events_dir, "creator_daily", "creator_id, events", day=RECENT_DAY) == [
        ("ana", 1)
    ]
    again = json.loads(academy("retention", "--json"))
    assert (again["keep_from"], again["days"], again["events"]) == ("2026-10-23", [], 0)


def test_a_late_event_for_a_dropped_day_is_expired_not_written(
    lake_with_an_old_day: Path,
) -> None:
    events_dir = lake_with_an_old_day
    expire_raw_events.call_local()
    late = event(5, "click", OLD_DAY, "bo", "1", "search")
    send(events_dir, [late, event(6, "click", RECENT_DAY, "bo", "1", "search")])
    # Even with retention switched off later, the lake does not take the dropped day back.
    with override_settings(ACADEMY_EVENTS_RETENTION_DAYS=0):
        out = academy("compact")
    assert "2 events read, 1 written, 0 duplicates dropped, 1 expired" in out
    run = append_to_lake(events_dir=events_dir, table=records_table([late]))
    assert (run.written, run.expired, run.days) == (0, 1, [])
    assert lake_days(events_dir) == [RECENT_DAY]
    assert rollup_rows(events_dir, "creator_daily", "creator_id, events", day=OLD_DAY) == [
        ("ana", 2),
        ("bo", 1),
    ]


def test_compaction_drops_events_older_than_the_horizon(
    events_dir: Path, frozen_clock: SetTime, thirty_days: None
) -> None:
    # Retention has not run yet on this lake: the configured horizon alone decides.
    send(
        events_dir,
        [
            event(1, "impression", "2026-09-01", "ana", "1", "for_you_card"),
            event(2, "impression", RECENT_DAY, "ana", "1", "for_you_card"),
        ],
    )
    compact_events.call_local()
    assert lake_days(events_dir) == [RECENT_DAY]
    assert not (events_dir / "rollups" / "creator_daily" / "date=2026-09-01").exists()
    assert raw_kept_from(events_dir) is None
    # Called without a horizon (a script, the simulator), compaction keeps what it is given.
    send(events_dir, [event(3, "impression", "2026-09-01", "ana", "1", "for_you_card")])
    assert compact(events_dir=events_dir).written == 1


def test_retention_zero_keeps_everything(lake_with_an_old_day: Path) -> None:
    leftover = lake_with_an_old_day / "staging" / "123-abc"
    leftover.mkdir(parents=True)
    with override_settings(ACADEMY_EVENTS_RETENTION_DAYS=0):
        assert "kept forever" in academy("retention")
    assert not leftover.exists()  # crashed writers' leftovers go all the same
    assert lake_days(lake_with_an_old_day) == [OLD_DAY, RECENT_DAY]


def test_a_retention_run_stopped_halfway_is_finished_by_the_next(
    lake_with_an_old_day: Path,
) -> None:
    events_dir = lake_with_an_old_day
    # Stopped after recording the first kept day, before moving the old partition out.
    record_raw_kept_from(events_dir, date(2026, 10, 23))
    # Even with a longer retention configured since, the next run finishes the job.
    with override_settings(ACADEMY_EVENTS_RETENTION_DAYS=395):
        assert "Dropped 1 days, 3 events" in academy("retention")
    assert lake_days(events_dir) == [RECENT_DAY]
