"""The creator dimension of the insights tiles: a Parquet snapshot of each creator's follower tier
and experiment variations, next to the rollups, so breakdowns by follower tier or experiment
variant join it in the query engine instead of reading the database per query.

``<events dir>/dimensions/creators/part.parquet``: ``creator_id`` (the creator's external id, as
in events), ``follower_tier``. ``<events dir>/dimensions/assignments/part.parquet``:
``creator_id``, ``experiment`` (key), ``variation``. Written by ``write_dimensions`` (the
insights task every 15 minutes, `academy demo`, and the first tile that finds none); each file
is replaced atomically and durably.

The privacy registry's insights store exports and erases a creator's rows here
(``dimensions_export``, ``dimensions_erase``). Writer and eraser hold one lock, the writer from
its database read to its last file, so a snapshot read before an erasure committed cannot be
written after the eraser's post-commit pass (see ``insights.privacy``).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from academy.accounts.models import Creator
from academy.events.query import DuckDBEngine
from academy.experiments.models import Assignment
from academy.files import durable_replace, exclusive_lock
from academy.insights.funnel_dimension import Snapshot

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


def dimension_snapshot(events_dir: Path) -> Snapshot:
    """The snapshot's files, as the funnels' creator dimension by key reads them."""
    return Snapshot(dimension_path(events_dir, CREATORS), dimension_path(events_dir, ASSIGNMENTS))


def _writer_lock(events_dir: Path) -> AbstractContextManager[None]:
    """One writer of the dimension files at a time, across processes: the snapshot, erasure."""
    return exclusive_lock(events_dir / "dimensions" / "write.lock")


def write_table(events_dir: Path, name: str, table: pa.Table) -> Path:
    """Replace one dimension file atomically and durably with ``table``."""
    target = dimension_path(events_dir, name)
    with durable_replace(target, suffix=".parquet.tmp") as temporary:
        pq.write_table(table.cast(SCHEMAS[name]), temporary)
    return target


def write_dimensions(events_dir: Path) -> dict[str, int]:
    """Snapshot every creator's tier and every assignment from the database; rows per file."""
    with _writer_lock(events_dir):
        return _write_snapshot(events_dir)


def _write_snapshot(events_dir: Path) -> dict[str, int]:
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


def dimensions_export(*, events_dir: Path, external_id: str) -> dict[str, list[dict[str, Any]]]:
    """The creator's rows in each dimension file (none for a file not written yet)."""
    exported: dict[str, list[dict[str, Any]]] = {}
    for name in SCHEMAS:
        path = dimension_path(events_dir, name)
        table = pq.read_table(path) if path.exists() else SCHEMAS[name].empty_table()
        exported[name] = table.filter(_is_creator(table, external_id)).to_pylist()
    return exported


def dimensions_erase(*, events_dir: Path, external_id: str) -> int:
    """Rewrite each dimension file holding rows of the creator without them; rows removed."""
    removed = 0
    with _writer_lock(events_dir):
        for name in SCHEMAS:
            path = dimension_path(events_dir, name)
            if not path.exists():
                continue
            table = pq.read_table(path)
            matches = _is_creator(table, external_id)
            count = pc.sum(matches).as_py() or 0
            if count:
                write_table(events_dir, name, table.filter(pc.invert(matches)))
                removed += count
    return removed


def _is_creator(table: pa.Table, external_id: str) -> pa.ChunkedArray:
    # A row without a creator id is no one's: false, not null (a null would drop it).
    return pc.fill_null(pc.equal(table["creator_id"], external_id), False)


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
