from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import duckdb
import pytest

from academy.accounts.models import Creator
from academy.accounts.services import creator_upsert
from academy.events.capture import capture_log, read_segment
from academy.events.lake import compact
from academy.events.privacy import erase_creator, export_creator
from academy.events.rollups import rollup_days
from academy.events.services import events_ingest

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


def test_export_and_erase_cover_the_lake_and_the_capture_log(
    creator: Creator, events_dir: Path
) -> None:
    events_ingest(raw_events=events_for(creator.external_id, 6) + events_for("someone-else", 4))
    capture_log().seal()
    rollup_days(events_dir=events_dir, days=compact(events_dir=events_dir).days)
    # More events after compaction: these are still in the capture log.
    events_ingest(raw_events=events_for(creator.external_id, 2))
    assert len(export_creator(creator)["events"]) == 8
    assert erase_creator(creator) == 8
    remaining = everything_on_disk(events_dir)
    assert creator.external_id not in remaining
    assert remaining.count("someone-else") == 4
    assert export_creator(creator) == {"events": []}
    rollup_files = sorted((events_dir / "rollups" / "creator_daily").glob("*/*.parquet"))
    listing = "[" + ", ".join(f"'{path.as_posix()}'" for path in rollup_files) + "]"
    query = f"SELECT DISTINCT creator_id FROM read_parquet({listing})"  # noqa: S608
    assert [row[0] for row in duckdb.connect().execute(query).fetchall()] == ["someone-else"]
