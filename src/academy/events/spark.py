"""The distributed path: the query layer on PySpark, over the same lake files and the same SQL.

``SparkEngine`` implements ``QueryEngine``, so ``rollup_days(engine=SparkEngine(session), …)``
runs the very statements DuckDB runs (``tests/test_spark_parity.py`` asserts identical rows).
On a laptop ``local_session()`` starts Spark in this process (Java needed); on a cluster, pass the
job's own session. PySpark is imported only when an engine or session is made, so nothing else
in the platform needs it installed.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from academy.events.lake import COLUMNS
from academy.events.query import (
    LAKE,
    check_relation,
    empty_rollup_sql,
    lake_files,
    rollup_files,
)
from academy.files import durable_replace

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

# The lake's DuckDB column types in Spark SQL (JSON columns are JSON text).
SPARK_TYPES = {"VARCHAR": "STRING", "TIMESTAMPTZ": "TIMESTAMP", "INTEGER": "INT", "JSON": "STRING"}


def local_session(
    *, cores: int = 1, app_name: str = "creator-academy", config: dict[str, str] | None = None
) -> SparkSession:
    """A Spark session in this process: ``local[cores]``, no web UI, few shuffle partitions, UTC;
    ``config`` adds or overrides Spark settings."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as error:  # pragma: no cover - depends on the installation
        raise RuntimeError(
            "PySpark is not installed: it comes with the development dependencies (uv sync)."
        ) from error
    settings = {
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.shuffle.partitions": str(max(1, cores)),
        "spark.sql.session.timeZone": "UTC",
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.driver.host": "127.0.0.1",
        **(config or {}),
    }
    builder = SparkSession.builder.master(f"local[{cores}]").appName(app_name)
    for key, value in settings.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    # py4j logs every connection it opens and closes at INFO.
    logging.getLogger("py4j").setLevel(logging.WARNING)
    return session


class SparkEngine:
    """``QueryEngine`` on a Spark session (``local_session()`` unless one is given).

    Relations are Spark temporary views; ``write_parquet`` gathers the result into one file so
    the rollup layout is the same as DuckDB's. The engine stops only a session it started.
    """

    name = "spark"

    def __init__(self, session: SparkSession | None = None) -> None:
        self._owned = session is None
        self.session = session if session is not None else local_session()

    def _empty_lake(self) -> str:
        columns = ", ".join(
            f"CAST(NULL AS {SPARK_TYPES[kind]}) AS `{name}`" for name, kind in COLUMNS.items()
        )
        return f"SELECT {columns}, CAST(NULL AS STRING) AS day WHERE false"

    def _sql(self, sql: str, params: Sequence[Any]) -> DataFrame:
        return self.session.sql(sql, args=list(params)) if params else self.session.sql(sql)

    def register_lake(
        self, events_dir: Path, *, days: Sequence[str] | None = None, name: str = LAKE
    ) -> list[str]:
        files = lake_files(events_dir, days)
        if files:
            from pyspark.sql import functions

            paths = [path.as_posix() for paths in files.values() for path in paths]
            # The partition folder (date=…) gives the day, as text whatever the session infers.
            frame = (
                self.session.read.option("basePath", (events_dir / "lake").as_posix())
                .parquet(*paths)
                .withColumn("day", functions.col("date").cast("string"))
                .drop("date")
            )
        else:
            frame = self.session.sql(self._empty_lake())
        frame.createOrReplaceTempView(check_relation(name))
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
            frame = self.session.read.parquet(*[path.as_posix() for path in files.values()])
        else:
            frame = self.session.sql(empty_rollup_sql(rollup, self._empty_lake()))
        frame.createOrReplaceTempView(check_relation(name or rollup))
        return list(files)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self._sql(sql, params).collect()]

    def arrow(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        return self._sql(sql, params).toArrow()

    def write_parquet(self, sql: str, target: Path, params: Sequence[Any] = ()) -> int:
        with durable_replace(target, suffix=".parquet.tmp") as temporary:
            staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=".spark-"))
            try:
                output = staging / "output"
                self._sql(sql, params).coalesce(1).write.parquet(output.as_posix())
                (part,) = sorted(output.glob("part-*.parquet"))
                written = pq.ParquetFile(part).metadata.num_rows
                os.replace(part, temporary)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
        return int(written)

    def close(self) -> None:
        if self._owned:
            self.session.stop()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
