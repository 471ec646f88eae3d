from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from django.test import override_settings
from huey.contrib.djhuey import HUEY  # type: ignore[import-untyped]
from huey.exceptions import RetryTask  # type: ignore[import-untyped]

from academy.accounts.models import Creator
from academy.accounts.services import creator_upsert
from academy.core.tests.helpers import SetTime
from academy.events.capture import SEGMENT_MAX_SECONDS, CaptureLog, capture_log, read_segment
from academy.events.lake import compact, lake_stats
from academy.events.privacy import ERASURE_RERUN_DELAY, erase_creator, export_creator
from academy.events.rollups import KEYS, lake_days, rollup_days
from academy.events.services import events_ingest
from academy.events.tasks import compact_events, erase_events_again, expire_raw_events
from academy.events.tests.helpers import rollup_rows
from academy.events.tests.test_rollups import event
from academy.privacy.services import creator_erase

pytestmark = pytest.mark.django_db


def events_for(creator_id: str, count: int) -> list[dict[str, Any]]:
    return [
        {
            "uuid": str(uuid.uuid4()),
            "name": "click",
            "timestamp": f"2026-11-{20 + number % 3:02d}T10:00:00Z",
            "creator_id": creator_id,
        }
        for number in range(count)
    ]


def everything_on_disk(events_dir: Path) -> list[str]:
    found = [
        str(record["creator_id"])
        for path in sorted((events_dir / "capture").glob("*.jsonl*"))
        for record in read_segment(path)
    ]
    files = sorted((events_dir / "lake").glob("date=*/*.parquet"))
    if files:
        listing = "[" + ", ".join(f"'{path.as_posix()}'" for path in files) + "]"
        query = f"SELECT creator_id FROM read_parquet({listing})"  # noqa: S608
        found += [row[0] for row in duckdb.connect().execute(query).fetchall()]
    return found


@pytest.fixture
def creator() -> Creator:
    creator, _created = creator_upsert(external_id="host-erase-me")
    return creator


# Every rollup with a row per creator (the insights ones too) is exported and erased.
NONE_IN_ANY_CREATOR_ROLLUP: dict[str, list[Any]] = {
    name: [] for name, keys in KEYS.items() if "creator_id" in keys
}


def test_export_and_erase_cover_the_lake_and_the_capture_log(
    creator: Creator, events_dir: Path
) -> None:
    events_ingest(raw_events=events_for(creator.external_id, 6) + events_for("someone-else", 4))
    capture_log().seal()
    rollup_days(events_dir=events_dir, days=compact(events_dir=events_dir).days)
    # More events after compaction: these are still in the capture log.
    events_ingest(raw_events=events_for(creator.external_id, 2))
    export = export_creator(creator)
    assert len(export["events"]) == 8
    # The rollups of the compacted events: two clicks on each of three days.
    assert [(row["day"], row["clicks"]) for row in export["rollups"]["creator_daily"]] == [
        ("2026-11-20", 2),
        ("2026-11-21", 2),
        ("2026-11-22", 2),
    ]
    assert erase_creator(creator) == 8
    remaining = everything_on_disk(events_dir)
    assert creator.external_id not in remaining
    assert remaining.count("someone-else") == 4
    assert export_creator(creator) == {"events": [], "rollups": NONE_IN_ANY_CREATOR_ROLLUP}
    rollup_files = sorted((events_dir / "rollups" / "creator_daily").glob("*/*.parquet"))
    listing = "[" + ", ".join(f"'{path.as_posix()}'" for path in rollup_files) + "]"
    query = f"SELECT DISTINCT creator_id FROM read_parquet({listing})"  # noqa: S608
    assert [row[0] for row in duckdb.connect().execute(query).fetchall()] == ["someone-else"]


@pytest.fixture
def job_queue() -> Iterator[Any]:
    yield HUEY
    HUEY.flush()


def test_erasure_reaches_the_rollups_of_days_whose_raw_events_are_gone(
    creator: Creator, events_dir: Path, frozen_clock: SetTime
) -> None:
    me, other = creator.external_id, "someone-else"
    log = CaptureLog(events_dir / "capture")
    with override_settings(ACADEMY_EVENTS_RETENTION_DAYS=30):
        frozen_clock(datetime(2026, 10, 2, 9, tzinfo=UTC))
        log.append(
            [
                event(1, "impression", "2026-10-01", me, "1", "for_you_card"),
                event(2, "click", "2026-10-01", me, "1", "for_you_card"),
                event(3, "impression", "2026-10-01", other, "1", "for_you_card"),
            ]
        )
        log.seal()
        compact_events.call_local()
        frozen_clock(datetime(2026, 11, 22, 9, tzinfo=UTC))
        log.append(
            [
                event(4, "impression", "2026-11-20", me, "1", "for_you_card"),
                event(5, "impression", "2026-11-20", other, "1", "for_you_card"),
            ]
        )
        log.seal()
        compact_events.call_local()
        expire_raw_events.call_local()
    assert lake_days(events_dir) == ["2026-11-20"]
    assert len(export_creator(creator)["rollups"]["creator_daily"]) == 2
    assert erase_creator(creator) == 1  # the one raw event still kept
    for rollup in ("creator_daily", "creator_item_daily", "creator_segment_daily"):
        for day in ("2026-10-01", "2026-11-20"):
            assert rollup_rows(events_dir, rollup, "creator_id", day=day) == [(other,)]
    # entry_point_daily names no creator. A day with raw events is recomputed without them;
    # past retention it keeps its anonymous counts (events, distinct creators).
    assert rollup_rows(events_dir, "entry_point_daily", "events, creators", day="2026-11-20") == [
        (1, 1)
    ]
    assert rollup_rows(events_dir, "entry_point_daily", "events, creators", day="2026-10-01") == [
        (3, 2)
    ]
    assert export_creator(creator)["rollups"] == NONE_IN_ANY_CREATOR_ROLLUP


def test_the_erasure_rerun_covers_a_segment_another_process_had_open(
    creator: Creator,
    events_dir: Path,
    job_queue: Any,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    me = creator.external_id
    # Another server process's capture log: its segment stays open while it runs.
    elsewhere = CaptureLog(events_dir / "capture")
    elsewhere.append(events_for(me, 3) + events_for("someone-else", 2))
    [open_segment] = (events_dir / "capture").glob("*.jsonl.open")
    events_ingest(raw_events=events_for(me, 2))
    with django_capture_on_commit_callbacks(execute=True):
        receipt = creator_erase(creator=creator)
    assert receipt.removed["events"] == 2
    assert not Creator.objects.filter(external_id=me).exists()
    assert [r["creator_id"] for r in read_segment(open_segment)].count(me) == 3
    [rerun] = job_queue.scheduled()
    assert rerun.name.endswith("erase_events_again")
    assert rerun.kwargs["waiting_for"] == [open_segment.name]
    delay = (rerun.eta - datetime.now(UTC).replace(tzinfo=None)).total_seconds()
    assert SEGMENT_MAX_SECONDS < delay <= ERASURE_RERUN_DELAY
    # Run early, it waits for the segment and touches nothing.
    with pytest.raises(RetryTask):
        erase_events_again.call_local(**rerun.kwargs)
    assert [r["creator_id"] for r in read_segment(open_segment)].count(me) == 3
    elsewhere.seal()
    erase_events_again.call_local(**rerun.kwargs)
    remaining = everything_on_disk(events_dir)
    assert me not in remaining
    assert remaining == ["someone-else", "someone-else"]
    assert lake_stats(events_dir=events_dir).total == 2  # the re-run compacted the segment
    everything = sorted((events_dir / "lake").glob("*/*.parquet"))
    written = [path.stat().st_mtime_ns for path in everything]
    # Idempotent: a second run (a retry after a crash, say) finds nothing and rewrites nothing.
    erase_events_again.call_local(**rerun.kwargs)
    assert [path.stat().st_mtime_ns for path in everything] == written


def test_the_erasure_rerun_waits_for_a_running_compaction(
    creator: Creator, events_dir: Path, job_queue: Any
) -> None:
    events_ingest(raw_events=events_for(creator.external_id, 2))
    with job_queue.lock_task("events-compact"), pytest.raises(RetryTask):
        erase_events_again.call_local(external_id=creator.external_id, waiting_for=[], give_up_at=0)
    assert creator.external_id in everything_on_disk(events_dir)
    erase_events_again.call_local(external_id=creator.external_id, waiting_for=[], give_up_at=0)
    assert everything_on_disk(events_dir) == []
