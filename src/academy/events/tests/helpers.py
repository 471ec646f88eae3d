"""Reading what the event store wrote, for the events tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb


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
