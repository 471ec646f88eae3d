"""The creator dimension of the insights tiles: a Parquet snapshot of each creator's follower tier
and experiment variations, next to the rollups, so breakdowns by follower tier or experiment
variant join it in the query engine instead of reading the database per query.

``<events dir>/dimensions/creators/part.parquet``: ``creator_id`` (the creator's external id, as
in events), ``follower_tier``. ``<events dir>/dimensions/assignments/part.parquet``:
``creator_id``, ``experiment`` (key), ``variation``. Written by ``write_dimensions`` (the
insights task every 15 minutes, `academy demo`, and the first tile that finds none); each file
is replaced atomically.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from academy.accounts.models import Creator
from academy.events.query import DuckDBEngine
from academy.experiments.models import Assignment

CREATORS = "creators"
ASSIGNMENTS = "assignments"
SCHEMAS = {
    CREATORS: pa.schema([("creator_id", pa.string()), ("follower_tier", pa.string())]),
    ASSIGNMENTS: pa.schema(
        [("creator_id", pa.string()), ("experiment", pa.string()), ("variation", pa.string())]
    ),
}
RELATIONS = {CREATORS: "creators_dim", ASSIGNMENTS: "assignments_dim"}


def dimension_path(events_dir: Path, name: str) -> Path:
    return events_dir / "dimensions" / name / "part.parquet"


def write_table(events_dir: Path, name: str, table: pa.Table) -> Path:
    """Replace one dimension file atomically with ``table``."""
    target = dimension_path(events_dir, name)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".parquet.tmp")
    os.close(handle)
    try:
        pq.write_table(table.cast(SCHEMAS[name]), temporary)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def write_dimensions(events_dir: Path) -> dict[str, int]:
    """Snapshot every creator's tier and every assignment from the database; rows per file."""
    creators = list(Creator.objects.values_list("external_id", "follower_tier").iterator())
    assignments = list(
        Assignment.objects.values_list(
            "creator__external_id", "experiment__key", "variation"
        ).iterator()
    )
    tables = {
        CREATORS: pa.table(
            {
                "creator_id": [row[0] for row in creators],
                "follower_tier": [row[1] for row in creators],
            }
        ),
        ASSIGNMENTS: pa.table(
            {
                "creator_id": [row[0] for row in assignments],
                "experiment": [row[1] for row in assignments],
                "variation": [row[2] for row in assignments],
            }
        ),
    }
    for name, table in tables.items():
        write_table(events_dir, name, table)
    return {name: table.num_rows for name, table in tables.items()}


def ensure_dimensions(events_dir: Path) -> None:
    """Write the snapshot if there is none yet (the periodic task keeps it fresh)."""
    if not all(dimension_path(events_dir, name).exists() for name in SCHEMAS):
        write_dimensions(events_dir)


def register_dimensions(engine: DuckDBEngine, events_dir: Path) -> None:
    """The snapshot as the relations ``creators_dim`` and ``assignments_dim`` (empty if none)."""
    for name, relation in RELATIONS.items():
        path = dimension_path(events_dir, name)
        if path.exists():
            source = f"SELECT * FROM read_parquet('{path.as_posix()}')"  # noqa: S608
        else:
            columns = ", ".join(f"CAST(NULL AS VARCHAR) AS {field.name}" for field in SCHEMAS[name])
            source = f"SELECT {columns} WHERE false"
        engine.connection.execute(f"CREATE OR REPLACE TEMP VIEW {relation} AS {source}")
