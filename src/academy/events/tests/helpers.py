"""Reading what the event store wrote, and a varied lake to roll up, for the events tests."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import duckdb

from academy.events.capture import CaptureLog
from academy.events.lake import compact
from academy.events.query import lake_days


def rollup_rows(
    events_dir: Path, rollup: str, columns: str, *, day: str | None = None
) -> list[tuple[Any, ...]]:
    """Some columns of a rollup, of one day or of all, in order."""
    files = (events_dir / "rollups" / rollup).as_posix() + f"/date={day or '*'}/*.parquet"
    query = (
        f"SELECT {columns} FROM read_parquet('{files}', hive_partitioning = false) "  # noqa: S608
        "ORDER BY ALL"
    )
    return duckdb.connect().execute(query).fetchall()


def normalised(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Rows sorted with NULLs first; integers as int and text as str whatever the engine."""
    plain = [
        tuple(
            value if value is None or isinstance(value, str | float) else int(value)
            for value in row
        )
        for row in rows
    ]
    return sorted(plain, key=lambda row: [(value is not None, value) for value in row])


DAYS = ("2026-11-19", "2026-11-20", "2026-11-21")
LATE_DAY = "2026-11-02"
CREATORS = ("ana", "bo", "chen", "dói", "emeka")
NAMES = (
    *("impression",) * 3,
    *("click", "lesson_start", "lesson_progress", "lesson_complete", "quiz_submit"),
    *("enroll", "not_interested", "like", "search", "badge_earned"),
)
ENTRY_POINTS = ("for_you_card", "search", "course_page", "academy_home", "hashtag")


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


def varied_lake(directory: Path) -> Path:
    """A lake of three days (two compactions each, so two files a day), one late event, and
    replays compacted away, built through the real capture log and compaction."""
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
