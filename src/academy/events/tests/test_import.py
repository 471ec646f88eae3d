"""`academy events import`: files validated like the API, imported once, interruptible."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from academy.core.tests.helpers import SetTime
from academy.events.importer import events_import
from academy.events.lake import lake_stats, records_table
from academy.events.services import events_ingest
from academy.events.tests.helpers import rollup_rows

CLOCK_START = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def ninety_days() -> Iterator[None]:
    with override_settings(ACADEMY_EVENTS_RETENTION_DAYS=90):
        yield


def valid(number: int, day: str = "2026-11-20", creator: str = "ana") -> dict[str, Any]:
    return {
        "uuid": str(uuid.UUID(int=number)),
        "name": "click",
        "timestamp": f"{day}T10:00:00Z",
        "creator_id": creator,
        "entry_point": "for_you_card",
        "item_kind": "lesson",
        "item_id": "7",
        "context": {"region": "BR", "platform": "web"},
    }


INVALID = [
    {**valid(90), "name": "teleport"},  # unknown name
    {**valid(91), "timestamp": "yesterday"},  # not ISO 8601
    {**valid(92), "timestamp": "2026-12-20T10:00:00Z"},  # more than 7 days ahead
    {**valid(93), "creator_id": ""},  # nobody
    {**valid(94), "name": "lesson_progress"},  # lacks its `percent` property
]


def academy(*args: str) -> str:
    out = StringIO()
    call_command("events", *args, stdout=out)
    return out.getvalue()


def write_jsonl(path: Path, records: list[Any]) -> Path:
    with open(path, "w", encoding="utf-8") as handle:
        for record in records:
            handle.write((record if isinstance(record, str) else json.dumps(record)) + "\n")
    return path


def test_a_jsonl_file_is_validated_like_the_api_and_imported_once(
    events_dir: Path, frozen_clock: SetTime, tmp_path: Path
) -> None:
    records = [
        valid(1),
        valid(2, creator="bo"),
        valid(1),  # sent twice
        *INVALID,
        valid(3, day="2026-11-21"),
        valid(4, day="2026-06-01"),  # older than the 90 days kept
    ]
    path = write_jsonl(tmp_path / "events.jsonl", [*records[:3], "{torn", *records[3:]])
    summary = json.loads(academy("import", str(path), "--json"))
    assert {key: summary[key] for key in ("read", "imported", "duplicates", "rejected")} == {
        "read": 11,
        "imported": 3,
        "duplicates": 1,
        "rejected": 6,
    }
    assert summary["expired"] == 1
    assert summary["days"] == ["2026-11-20", "2026-11-21"]
    # Each problem names its line, and says what the API says about the same event.
    api = events_ingest(raw_events=INVALID).rejected
    assert summary["problems"] == [
        {"where": "line 4", "field": "event", "detail": summary["problems"][0]["detail"]},
        *(
            {"where": f"line {5 + n}", "field": problem.field, "detail": problem.detail}
            for n, problem in enumerate(api)
        ),
    ]
    assert summary["problems"][0]["detail"].startswith("Not JSON")
    assert rollup_rows(events_dir, "creator_daily", "day, creator_id, events, clicks") == [
        ("2026-11-20", "ana", 1, 1),
        ("2026-11-20", "bo", 1, 1),
        ("2026-11-21", "ana", 1, 1),
    ]
    # Running it again imports nothing new: every uuid is known.
    again = academy("import", str(path))
    assert "11 read, 0 imported, 4 duplicates, 6 rejected, 1 expired" in again
    assert "line 5: name: Unknown event name 'teleport'" in again
    assert lake_stats(events_dir=events_dir).total == 3


def test_a_parquet_file_in_the_lake_shape_is_imported_with_row_numbers(
    events_dir: Path, frozen_clock: SetTime, tmp_path: Path
) -> None:
    good = [
        {**valid(n), "region": "MX", "platform": "ios", "properties": {"percent": 40}}
        for n in range(1, 4)
    ]
    table = records_table(
        [*good, {**valid(9), "name": "teleport"}, {**valid(10), "creator_id": ""}]
    )
    path = tmp_path / "export.parquet"
    pq.write_table(table, path)
    out = academy("import", str(path), "--show", "1")
    assert "row 4: name: Unknown event name 'teleport'" in out
    assert "… and 1 more rejected" in out
    assert "5 read, 3 imported, 0 duplicates, 2 rejected, 0 expired" in out
    files = sorted((events_dir / "lake").glob("date=*/*.parquet"))
    rows = duckdb.connect().execute(
        f"SELECT DISTINCT region, platform, properties FROM read_parquet('{files[0]}')"  # noqa: S608
    )
    assert rows.fetchall() == [("MX", "ios", '{"percent":40}')]
    # A time without a UTC offset is refused, as the API refuses one.
    naive_time = datetime(2026, 11, 20, 10)  # noqa: DTZ001 - the point of this file
    naive = table.slice(0, 1).set_column(2, "timestamp", pa.array([naive_time], pa.timestamp("us")))
    pq.write_table(naive, tmp_path / "naive.parquet")
    out = academy("import", str(tmp_path / "naive.parquet"))
    assert "row 1: timestamp: 'timestamp' needs a UTC offset" in out


def test_an_interrupted_import_is_finished_by_running_it_again(
    events_dir: Path, frozen_clock: SetTime, tmp_path: Path
) -> None:
    days = [f"2026-11-{day:02d}" for day in (18, 19, 20)]
    records = [valid(n, day=days[n % 3]) for n in range(1, 301)]
    path = write_jsonl(tmp_path / "events.jsonl", records)
    written: list[int] = []

    def arguments() -> dict[str, Any]:
        return {
            "path": path,
            "fmt": "jsonl",
            "events_dir": events_dir,
            "now": CLOCK_START,
            "keep_from": None,
            "chunk_rows": 50,
        }

    # Ctrl-C while the third chunk is being read: the two chunks written stay, rolled up.
    first = events_import(
        **arguments(),
        progress=lambda stage, done, total: written.append(done) if stage == "read" else None,
        should_stop=lambda: len(written) >= 2,
    )
    assert first.interrupted
    assert 100 <= first.imported < 300
    assert lake_stats(events_dir=events_dir).total == first.imported
    assert rollup_rows(events_dir, "creator_daily", "sum(events)") == [(first.imported,)]
    second = events_import(**arguments())
    assert (second.imported, second.duplicates) == (300 - first.imported, first.imported)
    assert lake_stats(events_dir=events_dir).total == 300
    assert rollup_rows(events_dir, "creator_daily", "sum(events)") == [(300,)]


def test_ctrl_c_stops_the_command_cleanly(tmp_path: Path) -> None:
    data_dir, total = tmp_path / "var", 6000
    records = [valid(n, day=f"2026-11-{10 + n % 3:02d}") for n in range(1, total + 1)]
    path = write_jsonl(tmp_path / "events.jsonl", records)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "academy.config.settings.base",
        "ACADEMY_DATA_DIR": str(data_dir),
        "ACADEMY_EVENTS_RETENTION_DAYS": "0",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "academy.cli", "events", "import", str(path), "--chunk-rows=500"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lake = data_dir / "events" / "lake"
    deadline = time.monotonic() + 60
    while not list(lake.glob("date=*/*.parquet")) and time.monotonic() < deadline:
        time.sleep(0.005)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 1, out
    assert "Interrupted" in err
    imported = int(out.split(" read, ")[1].split(" imported")[0])
    assert 0 < imported < total
    with override_settings(ACADEMY_EVENTS_DIR=data_dir / "events", ACADEMY_EVENTS_RETENTION_DAYS=0):
        finish = academy("import", str(path))
    assert f", {total - imported} imported, {imported} duplicates" in finish
    listing = (lake / "*" / "*.parquet").as_posix()
    counted = duckdb.connect().execute(
        f"SELECT count(*), count(DISTINCT uuid) FROM read_parquet('{listing}')"  # noqa: S608
    )
    assert counted.fetchone() == (total, total)


def test_files_that_cannot_be_imported_are_refused_clearly(
    events_dir: Path, frozen_clock: SetTime, tmp_path: Path
) -> None:
    with pytest.raises(CommandError, match="No file at"):
        academy("import", str(tmp_path / "missing.jsonl"))
    unknown = write_jsonl(tmp_path / "events.csv", [valid(1)])
    with pytest.raises(CommandError, match="pass --format jsonl or --format parquet"):
        academy("import", str(unknown))
    fake = tmp_path / "events.parquet"
    fake.write_text("not parquet")
    with pytest.raises(CommandError, match="not a readable Parquet file"):
        academy("import", str(fake))
    # The format can be named when the extension says nothing.
    assert "1 imported" in academy("import", str(unknown), "--format", "jsonl")
