"""Rollups against a small dataset whose answers were worked out by hand, and against a varied
lake: the rollups computed from other rollups hold what the events give."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import duckdb
import pytest
from django.core.management import call_command
from django.test import override_settings

from academy.events.capture import CaptureLog
from academy.events.lake import compact
from academy.events.query import DuckDBEngine, rollup_files
from academy.events.rollups import MONTHLY, ROLLUPS, lake_days, month_of, read_rollup, rollup_days
from academy.events.tests.helpers import DAYS, normalised, varied_lake


def event(
    n: int, name: str, day: str, creator: str, item: str, entry: str, region: str = "BR"
) -> dict[str, Any]:
    return {
        "uuid": f"00000000-0000-4000-8000-{n:012d}",
        "name": name,
        "timestamp": f"{day}T12:00:00+00:00",
        "creator_id": creator,
        "anonymous_id": "",
        "session_id": "",
        "entry_point": entry,
        "item_kind": "lesson",
        "item_id": item,
        "request_id": "",
        "position": 0,
        "experiments": {},
        "region": region,
        "language": "pt-br",
        "platform": "web",
        "app_version": "",
        "properties": {},
    }


DATA = [
    # Day 1: Ana sees lesson 1 on the card twice and clicks once; Bo sees it once in search.
    event(1, "impression", "2026-11-20", "ana", "1", "for_you_card"),
    event(2, "impression", "2026-11-20", "ana", "1", "for_you_card"),
    event(3, "click", "2026-11-20", "ana", "1", "for_you_card"),
    event(4, "impression", "2026-11-20", "bo", "1", "search", region="MX"),
    event(5, "lesson_start", "2026-11-20", "ana", "1", "for_you_card"),
    # Day 2: Ana completes it; an anonymous impression counts for the entry point only.
    event(6, "lesson_complete", "2026-11-21", "ana", "1", "course_page"),
    event(7, "impression", "2026-11-21", "", "2", "for_you_card"),
]


def rows(events_dir: Path, rollup: str, order: str) -> list[tuple[Any, ...]]:
    path = (events_dir / "rollups" / rollup).as_posix()
    query = (
        f"SELECT * FROM read_parquet('{path}/*/*.parquet', hive_partitioning = false) "  # noqa: S608
        f"ORDER BY {order}"
    )
    return duckdb.connect().execute(query).fetchall()


def test_rollups_match_the_hand_computed_answers(tmp_path: Path) -> None:
    log = CaptureLog(tmp_path / "capture")
    log.append([*DATA, DATA[0]])  # one replay: must not count twice
    log.seal()
    compact(events_dir=tmp_path)
    run = rollup_days(events_dir=tmp_path, days=lake_days(tmp_path))
    assert run.days == ["2026-11-20", "2026-11-21"]
    creator_daily = rows(tmp_path, "creator_daily", "day, creator_id")
    # day, creator, events, impressions, clicks, starts, completes, quizzes, enrolls, not_int.
    assert [row[:7] for row in creator_daily] == [
        ("2026-11-20", "ana", 4, 2, 1, 1, 0),
        ("2026-11-20", "bo", 1, 1, 0, 0, 0),
        ("2026-11-21", "ana", 1, 0, 0, 0, 1),
    ]
    entry = rows(tmp_path, "entry_point_daily", "day, entry_point")
    # day, entry point, region, language, platform, events, creators, impressions, clicks
    assert [row[:2] + row[5:9] for row in entry] == [
        ("2026-11-20", "for_you_card", 4, 1, 2, 1),
        ("2026-11-20", "search", 1, 1, 1, 0),
        ("2026-11-21", "course_page", 1, 1, 0, 0),
        ("2026-11-21", "for_you_card", 1, 0, 1, 0),
    ]
    # Anonymous events belong to no creator: three rows of creator, item and entry point.
    per_item = rows(tmp_path, "creator_item_daily", "day, creator_id")
    assert [row[:5] + row[6:8] for row in per_item] == [
        ("2026-11-20", "ana", "lesson", "1", "for_you_card", 2, 1),
        ("2026-11-20", "bo", "lesson", "1", "search", 1, 0),
        ("2026-11-21", "ana", "lesson", "1", "course_page", 0, 0),
    ]
    assert run.rows["creator_item_daily"] == 3


def test_recomputing_a_day_replaces_it(tmp_path: Path) -> None:
    log = CaptureLog(tmp_path / "capture")
    log.append(DATA[:3])
    log.seal()
    compact(events_dir=tmp_path)
    rollup_days(events_dir=tmp_path, days=["2026-11-20"])
    log.append([event(9, "click", "2026-11-20", "ana", "1", "for_you_card")])
    log.seal()
    changed = compact(events_dir=tmp_path).days
    rollup_days(events_dir=tmp_path, days=changed)
    assert [row[:5] for row in rows(tmp_path, "creator_daily", "day")] == [
        ("2026-11-20", "ana", 4, 2, 2)
    ]


def test_the_rollup_command_recomputes_every_day_of_the_lake(tmp_path: Path) -> None:
    log = CaptureLog(tmp_path / "capture")
    log.append(DATA)
    log.seal()
    compact(events_dir=tmp_path)  # the lake only: no rollups yet
    out = StringIO()

    with override_settings(ACADEMY_EVENTS_DIR=tmp_path):
        call_command("events", "rollup", stdout=out)

    assert "2 days rolled up: creator_daily 3, creator_item_daily 3" in out.getvalue()
    assert rows(tmp_path, "creator_daily", "day, creator_id")[0][:3] == ("2026-11-20", "ana", 4)


# What each rollup computed from another rollup's file holds, straight from the events.
PER_ROW = ", ".join(
    f"COUNT(CASE WHEN name = '{name}' THEN 1 END)"
    for name in (
        "impression",
        "click",
        "lesson_start",
        "lesson_complete",
        "quiz_submit",
        "enroll",
        "not_interested",
    )
)
PERCENT = "TRY_CAST(json_extract_string(properties, '$.percent') AS DOUBLE)"
FROM_EVENTS = {
    "creator_daily": f"""
        SELECT day, creator_id, COUNT(*), {PER_ROW} FROM events WHERE creator_id <> ''
        GROUP BY day, creator_id
    """,  # noqa: S608
    "entry_point_daily": f"""
        SELECT day, entry_point, region, language, platform, COUNT(*),
               COUNT(DISTINCT NULLIF(creator_id, '')), {PER_ROW}
        FROM events GROUP BY day, entry_point, region, language, platform
    """,  # noqa: S608
    "segment_daily": f"""
        SELECT day, entry_point, region, language, platform, COUNT(*), {PER_ROW},
               COUNT(CASE WHEN name = 'badge_earned' THEN 1 END)
        FROM events WHERE creator_id <> ''
        GROUP BY day, entry_point, region, language, platform
    """,  # noqa: S608
    "creator_item_lesson_daily": f"""
        SELECT day, creator_id, item_kind, item_id,
               COUNT(CASE WHEN name = 'lesson_start' THEN 1 END),
               COUNT(CASE WHEN name = 'lesson_progress' THEN 1 END),
               MAX(CASE WHEN name = 'lesson_progress'
                        THEN CASE WHEN {PERCENT} > 100 THEN 100
                                  WHEN {PERCENT} < 0 THEN 0
                                  ELSE {PERCENT} END END),
               COUNT(CASE WHEN name = 'lesson_complete' THEN 1 END),
               COUNT(CASE WHEN name = 'enroll' THEN 1 END),
               COUNT(CASE WHEN name = 'badge_earned' THEN 1 END)
        FROM events
        WHERE creator_id <> ''
          AND name IN ('lesson_start', 'lesson_progress', 'lesson_complete', 'enroll',
                       'badge_earned')
        GROUP BY day, creator_id, item_kind, item_id
    """,  # noqa: S608
}


def test_rollups_of_rollups_hold_what_the_events_give(tmp_path: Path) -> None:
    lake = varied_lake(tmp_path)
    rollup_days(events_dir=lake, days=lake_days(lake))
    with DuckDBEngine() as engine:
        engine.register_lake(lake)
        for name, sql in FROM_EVENTS.items():
            written = [
                tuple(row.values()) for row in read_rollup(events_dir=lake, rollup=name).to_pylist()
            ]
            assert normalised(written) == normalised(engine.query(sql)), name
        # Every rollup, from the lake or from another rollup, holds the rows of its SQL over the
        # lake alone (what other engines and readers run), columns and types included.
        for name, sql in ROLLUPS.items():
            written_table = read_rollup(events_dir=lake, rollup=name)
            expected = engine.arrow(sql)
            assert written_table.schema.names == expected.schema.names, name
            assert written_table.schema.types == expected.schema.types, name
            assert normalised([tuple(row.values()) for row in written_table.to_pylist()]) == (
                normalised([tuple(row.values()) for row in expected.to_pylist()])
            ), name


def test_the_months_are_written_after_the_days_they_read(tmp_path: Path) -> None:
    lake = varied_lake(tmp_path)
    rollup_days(events_dir=lake, days=lake_days(lake))
    # Insights read a monthly file only when it is newer than its month's daily files.
    for name, (source, _sql) in MONTHLY.items():
        ((month, monthly),) = rollup_files(lake, name).items()
        sources = [
            path for day, path in rollup_files(lake, source).items() if month_of(day) == month
        ]
        assert len(sources) == 4
        assert monthly.stat().st_mtime_ns >= max(path.stat().st_mtime_ns for path in sources)


def test_a_day_that_fails_stops_the_run(tmp_path: Path) -> None:
    lake = varied_lake(tmp_path)
    (lake / "lake" / f"date={DAYS[1]}" / "part-broken.parquet").write_bytes(b"not parquet")
    with pytest.raises(duckdb.Error):
        rollup_days(events_dir=lake, days=lake_days(lake))
