"""The distributed path gives the same numbers: every rollup on DuckDB and on PySpark (local mode)
over the same lake files, built through the real capture log and compaction."""

from __future__ import annotations

import random
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from academy.events.capture import CaptureLog
from academy.events.lake import compact
from academy.events.query import DuckDBEngine, lake_days
from academy.events.rollups import ROLLUPS, read_rollup, rollup_days

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

DAYS = ("2026-11-19", "2026-11-20", "2026-11-21")
LATE_DAY = "2026-11-02"
CREATORS = ("ana", "bo", "chen", "dói", "emeka")
NAMES = (
    *("impression",) * 3,
    *("click", "lesson_start", "lesson_progress", "lesson_complete", "quiz_submit"),
    *("enroll", "not_interested", "like", "search"),
)
ENTRY_POINTS = ("for_you_card", "search", "course_page", "academy_home", "hashtag")
# A few hundred rows: compiling whole-stage code and re-planning cost more than they save.
SMALL_DATA = {"spark.sql.codegen.wholeStage": "false", "spark.sql.adaptive.enabled": "false"}


def random_event(draw: random.Random, number: int, day: str) -> dict[str, Any]:
    """A varied event: anonymous ones, empty and missing (NULL in the lake) context fields."""
    record: dict[str, Any] = {
        "uuid": f"00000000-0000-4000-8000-{number:012d}",
        "name": draw.choice(NAMES),
        "timestamp": f"{day}T{draw.randrange(24):02d}:{draw.randrange(60):02d}:00+00:00",
        "creator_id": draw.choice((*CREATORS, "")),
        "anonymous_id": "",
        "session_id": f"s-{draw.randrange(9)}",
        "entry_point": draw.choice(ENTRY_POINTS),
        "item_kind": draw.choice(("lesson", "course", "wiki")),
        "item_id": str(draw.randrange(6)),
        "request_id": "",
        "position": draw.randrange(10),
        "experiments": {"card": draw.choice("ab")},
        "region": draw.choice(("BR", "MX", "")),
        "language": draw.choice(("pt-br", "es")),
        "platform": draw.choice(("android", "ios", "web")),
        "app_version": "31.2",
        "properties": {},
    }
    if record["name"] == "lesson_progress":
        # Heartbeats' percent as clients send it: numbers, out of range, or unreadable.
        record["properties"] = {"percent": draw.choice((0, 35, 62.5, 100, 140, -3, "half"))}
    if record["creator_id"] == "":
        record["anonymous_id"] = f"device-{draw.randrange(4)}"
    # Older clients send no region or platform at all: NULL in the lake, not ''.
    for field in ("region", "platform", "creator_id"):
        if draw.random() < 0.05:
            del record[field]
    return record


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A lake of three days (two compactions each), one late event, and replays compacted away."""
    directory = tmp_path_factory.mktemp("parity")
    draw = random.Random(20261121)
    log = CaptureLog(directory / "capture")
    number = 0
    sent: list[dict[str, Any]] = []
    for _batch in range(2):
        batch = []
        for day in DAYS:
            for _ in range(120):
                number += 1
                batch.append(random_event(draw, number, day))
        batch += draw.sample(sent or batch, 15)  # client retries: the same uuids again
        sent += batch
        log.append(batch)
        log.seal()
        compact(events_dir=directory)
    late = random_event(draw, number + 1, LATE_DAY) | {"creator_id": "ana", "name": "click"}
    heartbeat = random_event(draw, number + 2, LATE_DAY) | {
        "creator_id": "ana",
        "name": "lesson_progress",
        "properties": {"percent": 42},
    }
    log.append([late, heartbeat])
    log.seal()
    compact(events_dir=directory)
    assert lake_days(directory) == [LATE_DAY, *DAYS]
    return directory


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    from academy.events.spark import local_session

    session = local_session(cores=1, config=SMALL_DATA)
    yield session
    session.stop()


def normalised(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Rows sorted with NULLs first; integers as int and text as str whatever the engine."""
    plain = [
        tuple(value if value is None or isinstance(value, str) else int(value) for value in row)
        for row in rows
    ]
    return sorted(plain, key=lambda row: [(value is not None, value) for value in row])


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
