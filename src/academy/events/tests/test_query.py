"""The query layer on DuckDB: the lake and rollups as relations, date ranges, safe writes."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa  # type: ignore[import-untyped]
import pytest

from academy.core.errors import ValidationFailed
from academy.events.capture import CaptureLog
from academy.events.lake import compact
from academy.events.query import DuckDBEngine
from academy.events.rollups import read_rollup, rollup_days
from academy.events.tests.test_rollups import DATA, event


def lake_of(directory: Path) -> Path:
    log = CaptureLog(directory / "capture")
    log.append([*DATA, event(8, "click", "2026-11-22", "bo", "2", "search")])
    log.seal()
    compact(events_dir=directory)
    return directory


def test_the_lake_reads_as_one_relation_with_the_day_of_each_event(tmp_path: Path) -> None:
    lake = lake_of(tmp_path)
    with DuckDBEngine() as engine:
        assert engine.register_lake(lake) == ["2026-11-20", "2026-11-21", "2026-11-22"]
        assert engine.query("SELECT day, COUNT(*) FROM events GROUP BY day ORDER BY day") == [
            ("2026-11-20", 5),
            ("2026-11-21", 2),
            ("2026-11-22", 1),
        ]
        clicks = "SELECT day FROM events WHERE creator_id = ? AND name = ? ORDER BY day"
        assert engine.query(clicks, ["bo", "click"]) == [("2026-11-22",)]
        # Some days only, under another name: the first relation is left as it was.
        assert engine.register_lake(lake, days=["2026-11-21", "2026-12-01"], name="recent") == [
            "2026-11-21"
        ]
        assert engine.query("SELECT COUNT(*) FROM recent") == [(2,)]
        assert engine.query("SELECT COUNT(*) FROM events") == [(8,)]


def test_an_empty_lake_and_rollups_without_days_read_as_empty(tmp_path: Path) -> None:
    with DuckDBEngine() as engine:
        assert engine.register_lake(tmp_path) == []
        assert engine.query("SELECT COUNT(*), COUNT(DISTINCT creator_id) FROM events") == [(0, 0)]
    table = read_rollup(events_dir=tmp_path, rollup="creator_daily", start="2026-11-01")
    assert table.num_rows == 0
    assert table.column_names[:3] == ["day", "creator_id", "events"]


def test_a_rollup_reads_over_a_date_range_with_whole_numbers(tmp_path: Path) -> None:
    lake = lake_of(tmp_path)
    rollup_days(events_dir=lake, days=["2026-11-20", "2026-11-21", "2026-11-22"])
    table = read_rollup(
        events_dir=lake, rollup="creator_daily", start="2026-11-21", end="2026-11-22"
    )
    assert [(row["day"], row["creator_id"], row["events"]) for row in table.to_pylist()] == [
        ("2026-11-21", "ana", 1),
        ("2026-11-22", "bo", 1),
    ]
    # Counts are integers (a dashboard shows 2, not 2.0), in every rollup.
    for rollup in ("creator_item_daily", "creator_daily", "entry_point_daily"):
        schema = read_rollup(events_dir=lake, rollup=rollup).schema
        assert {
            schema.field(name).type for name in schema.names[schema.names.index("events") :]
        } == {pa.int64()}


def test_a_day_that_is_not_a_day_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    lake = lake_of(tmp_path)
    with pytest.raises(ValidationFailed) as refused:
        rollup_days(events_dir=lake, days=["2026-11-20", "2026-11-2*"])
    assert "YYYY-MM-DD" in refused.value.detail
    assert not (lake / "rollups").exists()
    for wrong in ("yesterday", "2026-11-31"):
        with pytest.raises(ValidationFailed):
            read_rollup(events_dir=lake, rollup="creator_daily", end=wrong)


def test_a_failed_write_leaves_the_previous_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "report" / "part.parquet"
    with DuckDBEngine() as engine:
        assert engine.write_parquet("SELECT * FROM range(3) AS numbers(n)", target) == 3
        with pytest.raises(Exception, match="Conversion Error"):
            engine.write_parquet("SELECT CAST('three' AS INTEGER) AS n", target)
        assert engine.query("SELECT SUM(n) FROM read_parquet(?)", [str(target)]) == [(3,)]
    assert [path.name for path in target.parent.iterdir()] == ["part.parquet"]
