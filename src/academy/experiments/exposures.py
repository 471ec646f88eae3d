"""An experiment's exposures for the analysis, read from the database once and kept.

The analysis needs every exposed creator: id, variation, exposure day and the dimensions
(region, language and follower tier as recorded on the `Assignment` when the creator was
assigned; the platform of their first event on the exposure day, from the lake). Reading ten
million assignments through the ORM takes over a minute, and every day all but the last day's
are the same rows. So the rows read are kept beside the analysis state
(`<events dir>/experiments/<key>/exposures/`: Parquet parts and a manifest saying which
assignments they hold), and an analysis reads from the database only the assignments made
since.

The kept rows are trusted only while the database still holds exactly them: the same bucket
version, and as many assignments before the manifest's `through` as the parts hold (an erased
creator or a late row changes the count). Otherwise everything is read again. Rows are in the
order creators were assigned (assigned_at, then id), so the next day's exposures are the same
rows with more after them, which the window state (`window_state.py`) relies on.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from academy.events.query import DuckDBEngine
from academy.experiments.analysis import OTHER
from academy.experiments.models import Assignment, Experiment
from academy.experiments.pipeline import exposures_table
from academy.experiments.window_state import publish_manifest

FORMAT = 1
MANIFEST = "manifest.json"
UNKNOWN_PLATFORM = "unknown"
# Assignments are fetched from the database this many at a time.
CHUNK = 50_000


@dataclass(frozen=True)
class _Kept:
    bucket_version: int
    through: datetime  # every assignment before this instant is in the parts
    rows: int
    parts: list[str]


def _load(directory: Path) -> _Kept | None:
    try:
        manifest = json.loads((directory / MANIFEST).read_text())
        if manifest.get("format") != FORMAT:
            return None
        kept = _Kept(
            bucket_version=int(manifest["bucket_version"]),
            through=datetime.fromisoformat(manifest["through"]),
            rows=int(manifest["rows"]),
            parts=[str(part) for part in manifest["parts"]],
        )
        if not all((directory / part).exists() for part in kept.parts):
            return None
        return kept
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _save(directory: Path, kept: _Kept) -> None:
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "bucket_version": kept.bucket_version,
        "through": kept.through.isoformat(),
        "rows": kept.rows,
        "parts": kept.parts,
    }
    publish_manifest(directory, manifest, files="part-*.parquet", keep=set(kept.parts))


def _assignments(experiment: Experiment, *, start: datetime | None, end: datetime) -> pa.Table:
    """The assignments from `start` (inclusive, or the first) to `end` (exclusive), in the
    order they were made, with their creators' ids and attributes."""
    rows = Assignment.objects.filter(
        experiment=experiment,
        bucket_version=experiment.bucket_version,
        assigned_at__lt=end,
    )
    if start is not None:
        rows = rows.filter(assigned_at__gte=start)
    found = list(
        rows.order_by("assigned_at", "pk")
        .values_list(
            "creator__external_id",
            "variation",
            "assigned_at",
            "region",
            "language",
            "follower_tier",
        )
        .iterator(chunk_size=CHUNK)
    )
    table = exposures_table(
        [row[0] for row in found],
        [row[1] for row in found],
        [row[2].astimezone(UTC).date() for row in found],
        {
            "region": [row[3] or OTHER for row in found],
            "language": [row[4] or OTHER for row in found],
            "follower_tier": [row[5] or OTHER for row in found],
            "platform": [UNKNOWN_PLATFORM] * len(found),
        },
    )
    return table.append_column(
        "assigned_at", pa.array([row[2] for row in found], pa.timestamp("us", tz="UTC"))
    )


def _with_platforms(table: pa.Table, *, engine: DuckDBEngine, events_dir: Path) -> pa.Table:
    """Each creator's platform: that of their first event in the raw lake on their exposure
    day ("unknown" when that day has expired from the raw lake, or had none)."""
    if table.num_rows == 0:
        return table
    days = sorted({day.isoformat() for day in table.column("exposure_day").to_pylist()})
    if not engine.register_lake(events_dir, days=days, name="exposure_lake"):
        return table
    engine.connection.register("exposure_rows", table.select(["creator_id", "exposure_day"]))
    try:
        platforms = engine.arrow(
            "SELECT x.creator_id, COALESCE(p.platform, ?) AS platform "
            "FROM exposure_rows AS x LEFT JOIN ("
            "  SELECT l.creator_id, arg_min(l.platform, l.timestamp) AS platform "
            "  FROM exposure_lake AS l JOIN exposure_rows AS e ON l.creator_id = e.creator_id "
            "  WHERE l.platform <> '' AND CAST(l.day AS DATE) = e.exposure_day "
            "  GROUP BY l.creator_id"
            ") AS p ON p.creator_id = x.creator_id",
            [UNKNOWN_PLATFORM],
        )
    finally:
        engine.connection.unregister("exposure_rows")
    by_creator = dict(
        zip(
            platforms.column("creator_id").to_pylist(),
            platforms.column("platform").to_pylist(),
            strict=True,
        )
    )
    return table.set_column(
        table.schema.get_field_index("platform"),
        "platform",
        pa.array(
            [
                by_creator.get(creator, UNKNOWN_PLATFORM)
                for creator in table.column("creator_id").to_pylist()
            ],
            pa.string(),
        ),
    )


def experiment_exposures(
    experiment: Experiment, *, as_of: date, engine: DuckDBEngine, directory: Path, events_dir: Path
) -> pa.Table:
    """The experiment's exposures (current bucket version) up to the end of `as_of`, kept in
    `directory` and read from the database only where new (see the module's docstring)."""
    end = datetime.combine(as_of + timedelta(days=1), time.min, tzinfo=UTC)
    kept = _load(directory)
    usable = (
        kept is not None
        and kept.bucket_version == experiment.bucket_version
        and Assignment.objects.filter(
            experiment=experiment,
            bucket_version=experiment.bucket_version,
            assigned_at__lt=kept.through,
        ).count()
        == kept.rows
    )
    if not usable or kept is None:
        fresh = _with_platforms(
            _assignments(experiment, start=None, end=end), engine=engine, events_dir=events_dir
        )
        directory.mkdir(parents=True, exist_ok=True)
        part = f"part-{secrets.token_hex(8)}.parquet"
        pq.write_table(fresh, directory / part)
        _save(directory, _Kept(experiment.bucket_version, end, fresh.num_rows, [part]))
        return fresh.drop_columns(["assigned_at"])
    table = pa.concat_tables([pq.read_table(directory / part) for part in kept.parts])
    if end <= kept.through:  # an earlier day: the rows kept so far, up to its end
        table = table.filter(pc.less(table.column("assigned_at"), pa.scalar(end)))
        return table.drop_columns(["assigned_at"])
    new = _with_platforms(
        _assignments(experiment, start=kept.through, end=end), engine=engine, events_dir=events_dir
    )
    parts = kept.parts
    if new.num_rows:
        part = f"part-{secrets.token_hex(8)}.parquet"
        pq.write_table(new, directory / part)
        parts = [*parts, part]
        table = pa.concat_tables([table, new])
    _save(directory, _Kept(experiment.bucket_version, end, kept.rows + new.num_rows, parts))
    return table.drop_columns(["assigned_at"])
