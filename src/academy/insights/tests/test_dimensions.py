"""The creator dimension files: erasing an id they do not hold leaves them as they were, and a
row without a creator id belongs to no one."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from academy.insights.dimensions import (
    ASSIGNMENTS,
    CREATORS,
    dimension_path,
    dimensions_erase,
    dimensions_export,
    write_table,
)


def write_creators(events_dir: Path, ids: list[str | None]) -> Path:
    return write_table(
        events_dir,
        CREATORS,
        pa.table({"creator_id": ids, "follower_tier": ["small"] * len(ids)}),
    )


def test_erasing_a_creator_the_files_lack_rewrites_nothing(tmp_path: Path) -> None:
    path = write_creators(tmp_path, ["ana", "bo"])
    before = path.stat()
    assert dimensions_erase(events_dir=tmp_path, external_id="cy") == 0
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert not dimension_path(tmp_path, ASSIGNMENTS).exists()


def test_rows_without_a_creator_id_survive_an_erasure(tmp_path: Path) -> None:
    path = write_creators(tmp_path, ["ana", None, "ana", "bo"])
    assert (
        dimensions_export(events_dir=tmp_path, external_id="ana")[CREATORS]
        == [{"creator_id": "ana", "follower_tier": "small"}] * 2
    )
    assert dimensions_erase(events_dir=tmp_path, external_id="ana") == 2
    assert pq.read_table(path)["creator_id"].to_pylist() == [None, "bo"]
    assert sorted(p.name for p in path.parent.iterdir()) == ["part.parquet"]
