"""The query layer: the lake and its rollups as named relations, queried with portable SQL.

Everything that reads events — rollups, lake statistics, insights dashboards, experiment
analysis, recommender training — goes through a ``QueryEngine``:

    with DuckDBEngine() as engine:
        engine.register_rollup(events_dir, "creator_daily", start="2026-11-01", end="2026-11-30")
        rows = engine.query("SELECT day, COUNT(*) FROM creator_daily GROUP BY day")

DuckDB (in process, the default) runs it on one machine; ``academy.events.spark.SparkEngine``
runs the same statements over the same files with PySpark. Keep the SQL portable so both give
identical numbers (a test runs every rollup on both): ANSI only — ``COUNT(CASE WHEN … THEN 1
END)``, ``CAST(SUM(…) AS BIGINT)`` (DuckDB sums integers into HUGEINT), ``COUNT(DISTINCT …)``,
``NULLS LAST`` spelled out, ``?`` parameters, days as ``'YYYY-MM-DD'`` text — and no
engine-specific functions. The lake relation has the lake's ``COLUMNS`` plus ``day``, the UTC
day of its partition; a rollup relation has its rollup's columns (``day`` first).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]
from django.utils.translation import gettext as _

from academy.core.errors import ValidationFailed
from academy.events.lake import COLUMNS
from academy.files import durable_replace

LAKE = "events"
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
RELATION = re.compile(r"^[a-z_][a-z0-9_]*$")


class QueryEngine(Protocol):
    """Portable SQL over the lake and the rollups; a context manager that closes the engine."""

    name: str

    def register_lake(
        self, events_dir: Path, *, days: Sequence[str] | None = None, name: str = LAKE
    ) -> list[str]:
        """Make the lake (every day, or only ``days``) the relation ``name``; return its days."""
        ...

    def register_rollup(
        self,
        events_dir: Path,
        rollup: str,
        *,
        start: str | None = None,
        end: str | None = None,
        name: str | None = None,
    ) -> list[str]:
        """Make a rollup's days from ``start`` to ``end`` (inclusive, either open) the relation
        ``name`` (default: the rollup's name); return the days it holds."""
        ...

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a statement with ``?`` parameters and return its rows."""
        ...

    def arrow(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        """Run a statement and return an Arrow table (for numpy, pandas, charts, training)."""
        ...

    def write_parquet(self, sql: str, target: Path, params: Sequence[Any] = ()) -> int:
        """Write a statement's rows (in no particular order) to one Parquet file that replaces
        ``target`` atomically and durably; return the number of rows."""
        ...

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...


def check_day(day: str) -> str:
    """``day`` if it is a ``YYYY-MM-DD`` day; days end up in paths and SQL, so nothing else."""
    if not DAY.match(day) or not _is_date(day):
        raise ValidationFailed(
            _("“%(day)s” is not a day: write it as YYYY-MM-DD, for example 2026-11-22.")
            % {"day": day},
            errors={"day": _("Use YYYY-MM-DD.")},
        )
    return day


def _is_date(day: str) -> bool:
    try:
        date.fromisoformat(day)
    except ValueError:
        return False
    return True


def check_relation(name: str) -> str:
    if not RELATION.match(name):
        raise ValueError(f"not a relation name: {name!r} (lower-case letters, digits and _)")
    return name


def lake_days(events_dir: Path) -> list[str]:
    """Every day the lake holds a partition for, in order."""
    return sorted(
        path.name.removeprefix("date=")
        for path in (events_dir / "lake").glob("date=*")
        if DAY.match(path.name.removeprefix("date="))
    )


def lake_files(events_dir: Path, days: Sequence[str] | None = None) -> dict[str, list[Path]]:
    """The Parquet files of each day (every day if ``days`` is None) that has any."""
    wanted = lake_days(events_dir) if days is None else [check_day(day) for day in days]
    found = {
        day: sorted((events_dir / "lake" / f"date={day}").glob("*.parquet"))
        for day in sorted(set(wanted))
    }
    return {day: files for day, files in found.items() if files}


def rollup_target(events_dir: Path, rollup: str, day: str) -> Path:
    """Where the rollup of one day lives."""
    return events_dir / "rollups" / rollup / f"date={check_day(day)}" / "part.parquet"


def rollup_files(
    events_dir: Path, rollup: str, *, start: str | None = None, end: str | None = None
) -> dict[str, Path]:
    """The file of each day of a rollup from ``start`` to ``end`` (inclusive, either open)."""
    start, end = (check_day(start) if start else None), (check_day(end) if end else None)
    found = {}
    for path in sorted(
        (events_dir / "rollups" / check_relation(rollup)).glob("date=*/part.parquet")
    ):
        day = path.parent.name.removeprefix("date=")
        if DAY.match(day) and (start is None or day >= start) and (end is None or day <= end):
            found[day] = path
    return found


def _listing(paths: Sequence[Path]) -> str:
    # Paths are ours (the events directory and validated days), quoted for SQL all the same.
    return "[" + ", ".join("'" + path.as_posix().replace("'", "''") + "'" for path in paths) + "]"


def empty_rollup_sql(rollup: str, empty_lake: str) -> str:
    """A rollup with no days: its SQL over an empty lake, so it still has its columns."""
    # Imported here: the rollups module builds on this one.
    from academy.events.rollups import MONTHLY, ROLLUPS

    if rollup in MONTHLY:
        source, sql = MONTHLY[rollup]
        return f"WITH {source} AS ({empty_rollup_sql(source, empty_lake)}) {sql}"
    if rollup not in ROLLUPS:
        known = ", ".join([*ROLLUPS, *MONTHLY])
        raise ValueError(f"unknown rollup {rollup!r}: one of {known}")
    return f"WITH {LAKE} AS ({empty_lake}) {ROLLUPS[rollup]}"


class DuckDBEngine:
    """The default engine: DuckDB in this process, reading the Parquet files in place.

    ``threads`` and ``memory_limit`` (for example ``"3GB"``) bound what all its queries together
    may use; DuckDB spills to ``temp_directory`` beyond the limit. Sessions run in UTC, and
    results come in no particular order unless the SQL asks for one.
    """

    name = "duckdb"

    def __init__(
        self,
        *,
        threads: int | None = None,
        memory_limit: str | None = None,
        temp_directory: Path | None = None,
        connection: duckdb.DuckDBPyConnection | None = None,
    ) -> None:
        if connection is None:
            config: dict[str, Any] = {"preserve_insertion_order": False}
            if threads:
                config["threads"] = threads
            if memory_limit:
                config["memory_limit"] = memory_limit
            if temp_directory:
                config["temp_directory"] = temp_directory.as_posix()
            connection = duckdb.connect(config=config)
        self.connection = connection
        self.connection.execute("SET TimeZone = 'UTC'")
        # Spark's name for reading one JSON field as text, so the same SQL runs on both.
        self.connection.execute(
            "CREATE OR REPLACE TEMP MACRO get_json_object(document, path) AS "
            "json_extract_string(document, path)"
        )

    def cursor(self) -> DuckDBEngine:
        """Another engine on the same database (threads, memory limit), for another thread;
        relations registered on one are not seen by the other."""
        return DuckDBEngine(connection=self.connection.cursor())

    def interrupt(self) -> None:
        """Stop the query running on this engine (from another thread); it raises there."""
        self.connection.interrupt()

    def _empty_lake(self) -> str:
        columns = ", ".join(f'CAST(NULL AS {kind}) AS "{name}"' for name, kind in COLUMNS.items())
        return f"SELECT {columns}, CAST(NULL AS VARCHAR) AS day WHERE false"

    def register_lake(
        self, events_dir: Path, *, days: Sequence[str] | None = None, name: str = LAKE
    ) -> list[str]:
        files = lake_files(events_dir, days)
        if files:
            listing = _listing([path for paths in files.values() for path in paths])
            # The partition folder (date=…) gives the day: the UTC day compaction filed it under.
            source = (
                f"SELECT * EXCLUDE (date), date AS day FROM read_parquet({listing}, "  # noqa: S608
                "hive_partitioning = true, hive_types = {'date': VARCHAR})"
            )
        else:
            source = self._empty_lake()
        self.connection.execute(f"CREATE OR REPLACE TEMP VIEW {check_relation(name)} AS {source}")
        return list(files)

    def register_rollup(
        self,
        events_dir: Path,
        rollup: str,
        *,
        start: str | None = None,
        end: str | None = None,
        name: str | None = None,
    ) -> list[str]:
        files = rollup_files(events_dir, rollup, start=start, end=end)
        if files:
            source = (
                f"SELECT * FROM read_parquet({_listing(list(files.values()))}, "  # noqa: S608
                "hive_partitioning = false)"
            )
        else:
            source = empty_rollup_sql(rollup, self._empty_lake())
        relation = check_relation(name or rollup)
        self.connection.execute(f"CREATE OR REPLACE TEMP VIEW {relation} AS {source}")
        return list(files)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self.connection.execute(sql, list(params)).fetchall()

    def arrow(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        return self.connection.sql(sql, params=list(params) or None).to_arrow_table()

    def write_parquet(self, sql: str, target: Path, params: Sequence[Any] = ()) -> int:
        with durable_replace(target, suffix=".parquet.tmp") as temporary:
            written = self.connection.execute(
                f"COPY ({sql}) TO '{temporary}' (FORMAT PARQUET)",
                list(params),
            ).fetchone()[0]  # type: ignore[index]
        return int(written)

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def default_engine() -> QueryEngine:
    """The engine readers use unless they are handed another: DuckDB in this process."""
    return DuckDBEngine()
