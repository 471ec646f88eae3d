from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pytest

from academy.events import lake
from academy.events.capture import CaptureLog
from academy.events.lake import (
    append_to_lake,
    compact,
    lake_stats,
    records_table,
    recover_abandoned_segments,
)


def event(uuid: str, timestamp: str, name: str = "impression") -> dict[str, Any]:
    return {
        "uuid": uuid,
        "name": name,
        "timestamp": timestamp,
        "creator_id": "c-1",
        "anonymous_id": "",
        "session_id": "",
        "entry_point": "for_you_card",
        "item_kind": "lesson",
        "item_id": "7",
        "request_id": "",
        "position": 0,
        "experiments": {"card": "b"},
        "region": "BR",
        "language": "pt-br",
        "platform": "web",
        "app_version": "",
        "properties": {"percent": 40},
    }


def send(events_dir: Path, events: list[dict[str, Any]]) -> None:
    log = CaptureLog(events_dir / "capture")
    log.append(events)
    log.seal()


def test_events_land_in_their_day_exactly_once(tmp_path: Path) -> None:
    send(
        tmp_path, [event("a", "2026-11-21T23:59:59+00:00"), event("b", "2026-11-22T00:00:00+00:00")]
    )
    # The same events again (a client retry), plus a late one from last month.
    send(
        tmp_path, [event("a", "2026-11-21T23:59:59+00:00"), event("c", "2026-10-01T08:00:00+00:00")]
    )
    run = compact(events_dir=tmp_path)
    assert (run.segments, run.read, run.written, run.duplicates) == (2, 4, 3, 1)
    stats = lake_stats(events_dir=tmp_path)
    assert stats.total == 3
    assert stats.per_day == {"2026-10-01": 1, "2026-11-21": 1, "2026-11-22": 1}
    assert not list((tmp_path / "capture").glob("*.jsonl"))
    # Replays after compaction are dropped too: the lake already holds those uuids.
    send(
        tmp_path, [event("b", "2026-11-22T00:00:00+00:00"), event("d", "2026-11-22T10:00:00+00:00")]
    )
    run = compact(events_dir=tmp_path)
    assert (run.written, run.duplicates) == (1, 1)
    assert lake_stats(events_dir=tmp_path).per_day["2026-11-22"] == 2


def test_a_crash_after_writing_the_lake_does_not_double_count(tmp_path: Path) -> None:
    send(tmp_path, [event("a", "2026-11-22T10:00:00+00:00")])
    segment = next((tmp_path / "capture").glob("*.jsonl"))
    kept = segment.read_bytes()
    compact(events_dir=tmp_path)
    segment.write_bytes(kept)  # as if the process died before deleting the segment
    run = compact(events_dir=tmp_path)
    assert (run.read, run.written) == (1, 0)
    assert lake_stats(events_dir=tmp_path).total == 1


def test_segments_of_dead_processes_are_recovered_without_their_torn_line(tmp_path: Path) -> None:
    capture = tmp_path / "capture"
    capture.mkdir()
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    pid = int(dead.stdout)
    path = capture / f"{socket.gethostname()}-{pid}-1-000001.jsonl.open"
    path.write_bytes(
        json.dumps(event("a", "2026-11-22T10:00:00+00:00")).encode() + b'\n{"uuid": "torn"'
    )
    live = capture / f"{socket.gethostname()}-{os.getpid()}-1-000001.jsonl.open"
    live.write_bytes(b"")
    assert [p.name for p in recover_abandoned_segments(capture)] == [
        path.name.removesuffix(".open")
    ]
    assert live.exists()
    assert compact(events_dir=tmp_path).written == 1
    assert lake_stats(events_dir=tmp_path).per_name == {"impression": 1}


def lake_rows(events_dir: Path) -> list[tuple[Any, ...]]:
    files = sorted((events_dir / "lake").glob("date=*/*.parquet"))
    listing = "[" + ", ".join(f"'{path.as_posix()}'" for path in files) + "]"
    query = (
        f"SELECT uuid, region, properties FROM read_parquet({listing}, "  # noqa: S608
        "hive_partitioning = false) ORDER BY uuid"
    )
    return duckdb.connect().execute(query).fetchall()


def test_appending_a_table_counts_each_uuid_once_like_compaction(tmp_path: Path) -> None:
    send(tmp_path, [event("a", "2026-11-21T10:00:00+00:00")])
    compact(events_dir=tmp_path)
    table = records_table(
        [
            event("a", "2026-11-21T10:00:00+00:00"),  # already in the lake
            event("b", "2026-11-21T11:00:00+00:00"),
            event("b", "2026-11-21T11:00:00+00:00"),  # twice in the input
            event("c", "2026-11-23T00:00:00+00:00"),
        ]
    )
    run = append_to_lake(events_dir=tmp_path, table=table)
    assert (run.read, run.written, run.duplicates, run.expired) == (4, 2, 2, 0)
    assert run.days == ["2026-11-21", "2026-11-23"]
    assert lake_stats(events_dir=tmp_path).per_day == {"2026-11-21": 2, "2026-11-23": 1}
    assert lake_rows(tmp_path)[1] == ("b", "BR", '{"percent":40}')
    # The same events as a Parquet file: all known already.
    parquet = tmp_path / "events.parquet"
    pq.write_table(table, parquet)
    run = append_to_lake(events_dir=tmp_path, table=parquet)
    assert (run.written, run.duplicates) == (0, 4)


def test_a_large_append_is_written_a_few_days_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lake, "ROWS_PER_APPEND_BATCH", 2)
    records = [event(f"u{day}-{n}", f"2026-11-{day:02d}T12:00:00+00:00") for day in range(1, 6)
               for n in range(2)]  # fmt: skip
    seen: list[tuple[int, int]] = []
    run = append_to_lake(
        events_dir=tmp_path,
        table=records_table([*records, records[0]]),
        progress=lambda done, total: seen.append((done, total)),
    )
    assert (run.written, run.duplicates) == (10, 1)
    # One batch per day here (a day is never split); the bar moves after each.
    assert seen == [(3, 11), (5, 11), (7, 11), (9, 11), (11, 11)]
    assert len(lake_stats(events_dir=tmp_path).per_day) == 5


def test_an_append_that_does_not_fit_the_lake_writes_nothing(tmp_path: Path) -> None:
    table = records_table([event("a", "2026-11-21T10:00:00+00:00")])
    with pytest.raises(ValueError, match="lack the lake's columns: properties"):
        append_to_lake(events_dir=tmp_path, table=table.drop_columns(["properties"]))
    broken = table.set_column(
        table.schema.get_field_index("properties"), "properties", pa.array(["{not json"])
    )
    good = records_table([event("b", "2026-11-20T10:00:00+00:00")])
    with pytest.raises(ValueError, match="do not fit the lake's columns"):
        append_to_lake(events_dir=tmp_path, table=pa.concat_tables([good, broken]))
    assert lake_stats(events_dir=tmp_path).total == 0
