"""The distributed path gives the same numbers: every rollup on DuckDB and on PySpark (local mode)
over the same lake files, built through the real capture log and compaction."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from academy.events.query import DuckDBEngine
from academy.events.rollups import ROLLUPS, read_rollup, rollup_days
from academy.events.tests.helpers import DAYS, LATE_DAY, normalised, varied_lake

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

pytestmark = [
    pytest.mark.spark,
    pytest.mark.xdist_group("spark"),  # one Spark session for the whole module
    pytest.mark.skipif(
        shutil.which("java") is None,
        reason="PySpark needs Java: `make system-deps` installs default-jre-headless",
    ),
]

# A few hundred rows: compiling whole-stage code and re-planning cost more than they save.
SMALL_DATA = {"spark.sql.codegen.wholeStage": "false", "spark.sql.adaptive.enabled": "false"}


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return varied_lake(tmp_path_factory.mktemp("parity"))


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    from academy.events.spark import local_session

    session = local_session(cores=1, config=SMALL_DATA)
    yield session
    session.stop()


def test_every_rollup_gives_the_same_rows_on_duckdb_and_spark(
    lake: Path, spark: SparkSession
) -> None:
    from academy.events.spark import SparkEngine

    with DuckDBEngine() as duck, SparkEngine(spark) as distributed:
        assert duck.register_lake(lake) == distributed.register_lake(lake)
        for name, sql in ROLLUPS.items():
            expected = normalised(duck.query(sql))
            assert normalised(distributed.query(sql)) == expected, name
            # Every day has rows, except in the search rollups: only the three days have
            # searches (hand-computed in academy/insights/tests/test_rollups.py).
            if not name.startswith("search_"):
                assert {row[0] for row in expected} == {LATE_DAY, *DAYS}, name
        # The data exercises what differs between engines: NULL and empty context fields,
        # anonymous events, and distinct creators per segment.
        segments = normalised(duck.query(ROLLUPS["entry_point_daily"]))
        assert any(row[2] is None for row in segments)
        assert any(row[2] == "" for row in segments)
        assert any(row[6] == 0 for row in segments)  # only anonymous or NULL-creator events
        assert max(row[6] for row in segments) > 1
        replayed = duck.query("SELECT COUNT(*), COUNT(DISTINCT uuid) FROM events")
        assert replayed == distributed.query("SELECT COUNT(*), COUNT(DISTINCT uuid) FROM events")
        assert replayed[0][0] == replayed[0][1] == 3 * 2 * 120 + 2


def test_rollup_days_on_spark_writes_the_files_duckdb_writes(
    lake: Path, spark: SparkSession, tmp_path: Path
) -> None:
    from academy.events.spark import SparkEngine

    copy = tmp_path / "events"
    shutil.copytree(lake / "lake", copy / "lake")
    days = [LATE_DAY, DAYS[1]]
    on_duckdb = rollup_days(events_dir=lake, days=days)
    with SparkEngine(spark) as distributed:
        on_spark = rollup_days(events_dir=copy, days=days, engine=distributed)
        assert on_spark.rows == on_duckdb.rows
        assert on_duckdb.rows["creator_item_daily"] > 50
        for name in ROLLUPS:
            # Read back by the default reader, the same date range through both engines.
            written_by_duckdb = read_rollup(events_dir=lake, rollup=name, end=DAYS[1])
            written_by_spark = read_rollup(events_dir=copy, rollup=name, end=DAYS[1])
            assert written_by_spark.to_pylist() == written_by_duckdb.to_pylist(), name
            assert [(field.name, field.type) for field in written_by_spark.schema] == [
                (field.name, field.type) for field in written_by_duckdb.schema
            ]
            read_by_spark = read_rollup(
                events_dir=copy, rollup=name, start=LATE_DAY, end=DAYS[1], engine=distributed
            )
            assert read_by_spark.to_pylist() == written_by_duckdb.to_pylist(), name
