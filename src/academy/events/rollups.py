"""Pre-aggregated rollups of the lake, recomputed per day for the days that changed.

``<events dir>/rollups/<rollup>/date=YYYY-MM-DD/part.parquet``, one file per rollup and day,
replaced atomically. The SQL is kept portable (CASE sums, no engine-specific functions) so a
warehouse engine can run the same statements over the same lake.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

from academy.events.capture import _fsync_directory


def _count(name: str, column: str) -> str:
    return f"SUM(CASE WHEN name = '{name}' THEN 1 ELSE 0 END) AS {column}"


COUNTS = ", ".join(
    _count(name, column)
    for name, column in (
        ("impression", "impressions"),
        ("click", "clicks"),
        ("lesson_start", "lesson_starts"),
        ("lesson_complete", "lesson_completes"),
        ("quiz_submit", "quiz_submits"),
        ("enroll", "enrolls"),
        ("not_interested", "not_interested"),
    )
)

ROLLUPS: dict[str, str] = {
    # What each creator did with each item, by entry point: CTR, completion, content performance.
    "creator_item_daily": f"""
        SELECT day, creator_id, item_kind, item_id, entry_point, COUNT(*) AS events, {COUNTS}
        FROM events
        WHERE creator_id <> ''
        GROUP BY day, creator_id, item_kind, item_id, entry_point
    """,
    # One row per active creator and day: DAU/WAU/MAU, retention, per-creator metrics.
    "creator_daily": f"""
        SELECT day, creator_id, COUNT(*) AS events, {COUNTS}
        FROM events
        WHERE creator_id <> ''
        GROUP BY day, creator_id
    """,
    # Entry points by segment: CTR per entry point with breakdowns.
    "entry_point_daily": f"""
        SELECT day, entry_point, region, language, platform, COUNT(*) AS events,
               COUNT(DISTINCT CASE WHEN creator_id <> '' THEN creator_id END) AS creators, {COUNTS}
        FROM events
        GROUP BY day, entry_point, region, language, platform
    """,
}


@dataclass(frozen=True)
class RollupRun:
    days: list[str]
    rows: dict[str, int]


def lake_days(events_dir: Path) -> list[str]:
    return sorted(path.name.removeprefix("date=") for path in (events_dir / "lake").glob("date=*"))


def rollup_days(*, events_dir: Path, days: list[str]) -> RollupRun:
    """Recompute every rollup for ``days`` from the lake."""
    rows = dict.fromkeys(ROLLUPS, 0)
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    for day in days:
        files = sorted((events_dir / "lake" / f"date={day}").glob("*.parquet"))
        if not files:
            continue
        listing = "[" + ", ".join(f"'{path.as_posix()}'" for path in files) + "]"
        connection.execute(
            f"CREATE OR REPLACE TEMP VIEW events AS SELECT *, '{day}' AS day "
            f"FROM read_parquet({listing})"
        )
        for name, query in ROLLUPS.items():
            target_dir = events_dir / "rollups" / name / f"date={day}"
            target_dir.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=target_dir, suffix=".parquet.tmp")
            os.close(handle)
            written = connection.execute(
                f"COPY ({query} ORDER BY ALL) TO '{temporary}' (FORMAT PARQUET)"
            ).fetchone()[0]  # type: ignore[index]
            with open(temporary, "rb") as stream:
                os.fsync(stream.fileno())
            os.replace(temporary, target_dir / "part.parquet")
            _fsync_directory(target_dir)
            rows[name] += int(written)
    connection.close()
    return RollupRun(days=list(days), rows=rows)
