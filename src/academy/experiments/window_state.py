"""What an experiment's last analysis read, kept so the next one reads only what is new.

The analysis pipeline's costly step is the join of every rollup row in the experiments' windows
with the exposures, grouped by creator: tens of millions of rows at 10M creators, read again
every day although only the newest day changed. A `WindowState` keeps each exposed creator's
window sums (one float32 array per sum, indexed by the creator's *unit* — their row number in
the exposures) with what they were computed from:

- the metric definitions (a fingerprint of the counts, windows and delays);
- the last rollup day added (`as_of`) and the first day read;
- the exposures they cover (the first `units` rows) and a fingerprint of those rows (unit,
  creator, exposure day), since new exposures are only ever appended;
- the size and modification time of every rollup file read, since a day rolled up again (late
  events) changes sums already added.

It also keeps each exposed creator's *cell* (a code per unit into `cell_keys`: the variation,
exposure day and dimension values with their hash), so that only new exposures are sorted into
cells; the exposures fingerprint covers the cell hash, so a changed dimension value starts again.

The pipeline (`pipeline.window_sums`) adds to a state only when all of that still holds, and
otherwise starts again from nothing; the sums are the same either way (a test checks it). The
state holds no creator id, only numbers by row position; an erased creator changes the
exposures, so the next analysis starts again, and erasure deletes the states all the same.

Django-free: the service decides where states live (under the data directory, one per
experiment).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

FORMAT = 2
MANIFEST = "manifest.json"
CELLS = "cells"

FileStamps = dict[str, list[int]]


@dataclass(frozen=True)
class WindowState:
    metrics: str
    engine: str
    first: date
    as_of: date
    units: int
    exposures: int
    files: FileStamps
    sums: dict[str, np.ndarray]
    # Each unit's cell: an index into `cell_keys` (int32), and the cells' keys as JSON values.
    cells: np.ndarray
    cell_keys: list[list[Any]]

    def save(self, directory: Path) -> None:
        """Write the state in place of the one there: the arrays under new names, then the
        manifest naming them (atomically), then the old arrays go."""
        directory.mkdir(parents=True, exist_ok=True)
        token = secrets.token_hex(8)
        for name, values in {**self.sums, CELLS: self.cells}.items():
            # Plain .npy files: no archive to checksum, and a later run maps them lazily.
            np.save(directory / f"{name}.{token}.npy", values, allow_pickle=False)
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "token": token,
            "columns": sorted(self.sums),
            "metrics": self.metrics,
            "engine": self.engine,
            "first": self.first.isoformat(),
            "as_of": self.as_of.isoformat(),
            "units": self.units,
            "exposures": self.exposures,
            "files": self.files,
            "cell_keys": self.cell_keys,
        }
        kept = {f"{name}.{token}.npy" for name in (*self.sums, CELLS)}
        publish_manifest(directory, manifest, files="*.npy", keep=kept)

    @classmethod
    def load(cls, directory: Path) -> WindowState | None:
        """The state in `directory`, or None when there is none or it cannot be trusted.

        The arrays are mapped copy-on-write: pages are read when used, and changing them
        changes this copy only."""
        try:
            manifest = json.loads((directory / MANIFEST).read_text())
            if manifest.get("format") != FORMAT:
                return None
            units = int(manifest["units"])
            arrays = {
                str(name): np.load(
                    directory / f"{name}.{manifest['token']}.npy",
                    mmap_mode="c",
                    allow_pickle=False,
                )
                for name in (*manifest["columns"], CELLS)
            }
            if any(values.shape != (units,) for values in arrays.values()):
                return None
            cells = arrays.pop(CELLS)
            cell_keys = [list(key) for key in manifest["cell_keys"]]
            if cells.dtype != np.int32 or (units and int(cells.max()) >= len(cell_keys)):
                return None
            return cls(
                metrics=str(manifest["metrics"]),
                engine=str(manifest["engine"]),
                first=date.fromisoformat(manifest["first"]),
                as_of=date.fromisoformat(manifest["as_of"]),
                units=units,
                exposures=int(manifest["exposures"]),
                files={str(k): [int(x) for x in v] for k, v in manifest["files"].items()},
                sums=arrays,
                cells=cells,
                cell_keys=cell_keys,
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None


def publish_manifest(
    directory: Path, manifest: dict[str, Any], *, files: str, keep: set[str]
) -> None:
    """Replace `directory`'s manifest atomically, then delete the files matching `files` it no
    longer names (`keep`): a reader sees the old manifest and files or the new ones."""
    written = directory / f".{MANIFEST}.{secrets.token_hex(8)}.tmp"
    written.write_text(json.dumps(manifest, sort_keys=True))
    os.replace(written, directory / MANIFEST)
    for path in directory.glob(files):
        if path.name not in keep:
            path.unlink(missing_ok=True)


def file_stamps(root: Path, paths: list[Path]) -> FileStamps:
    """Size and modification time (ns) of each file, by its path under `root`."""
    stamps: FileStamps = {}
    for path in paths:
        status = path.stat()
        stamps[path.relative_to(root).as_posix()] = [status.st_size, status.st_mtime_ns]
    return stamps


def erase(directory: Path) -> None:
    """Remove a state (and its directory); nothing there is fine."""
    shutil.rmtree(directory, ignore_errors=True)
