"""Offline evaluation from the Django side: reading interactions (a file or the events lake)
and running the engine's evaluation, with engine errors turned into domain errors."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

import numpy as np
from django.utils.translation import gettext as _

from academy.core.errors import ValidationFailed
from academy.events.query import QueryEngine, default_engine
from academy.recsys.engine.data import Interactions, load_csv, load_movielens
from academy.recsys.engine.errors import RecsysError
from academy.recsys.engine.evaluate import EvaluationReport, evaluate
from academy.recsys.engine.tuning import GridSize, Interrupted

InputFormat = Literal["movielens", "csv", "lake"]
FORMATS: tuple[InputFormat, ...] = ("movielens", "csv", "lake")

# What counts as a creator's interaction with an item in the lake, and how strongly.
LAKE_WEIGHTS = {"click": 1.0, "lesson_complete": 2.0}

LAKE_INTERACTIONS = """
SELECT creator_id, item_kind, item_id, name, timestamp
FROM events
WHERE name IN (?, ?)
  AND creator_id IS NOT NULL AND creator_id <> '' AND item_id IS NOT NULL AND item_id <> ''
"""


def interactions_from_lake(*, events_dir: Path, engine: QueryEngine | None = None) -> Interactions:
    """Clicks and lesson completions of signed-in creators; an item is ``kind:id`` (a course
    and a lesson with the same id stay apart); a completion weighs twice a click."""
    with engine or default_engine() as reader:
        if not reader.register_lake(events_dir):
            raise ValidationFailed(
                _("The events lake in %(path)s is empty.") % {"path": events_dir}
            )
        table = reader.arrow(LAKE_INTERACTIONS, list(LAKE_WEIGHTS))
    if table.num_rows == 0:
        raise ValidationFailed(_("The events lake holds no clicks or lesson completions yet."))
    columns = table.to_pydict()
    items = [
        f"{kind}:{item}"
        for kind, item in zip(columns["item_kind"], columns["item_id"], strict=True)
    ]
    stamps = table.column("timestamp").cast("int64").to_numpy() // 1_000_000
    weights = [LAKE_WEIGHTS[name] for name in columns["name"]]
    return Interactions.from_arrays(
        np.asarray(columns["creator_id"], dtype=str), items, stamps, weights
    )


def interactions_load(*, path: Path, input_format: InputFormat) -> Interactions:
    """Read interactions in one of ``FORMATS``; a bad file is a ``ValidationFailed`` naming
    the line."""
    try:
        if input_format == "movielens":
            return load_movielens(path)
        if input_format == "csv":
            return load_csv(path)
    except RecsysError as error:
        raise ValidationFailed(
            _("%(path)s cannot be read: %(reason)s") % {"path": path, "reason": error}
        ) from None
    return interactions_from_lake(events_dir=path)


def recsys_evaluate(
    *,
    path: Path,
    input_format: InputFormat,
    ks: Sequence[int] = (10, 20),
    seed: int = 0,
    grid: GridSize = "full",
    progress: Callable[[str, int, int], None] | None = None,
    stop: threading.Event | None = None,
) -> EvaluationReport:
    """Our model against the baselines on one split of the interactions at ``path``. Raises
    ``Interrupted`` when ``stop`` is set; nothing is written either way."""
    interactions = interactions_load(path=path, input_format=input_format)
    try:
        return evaluate(
            interactions,
            dataset=path.name,
            ks=ks,
            seed=seed,
            grid=grid,
            progress=progress,
            stop=stop,
        )
    except Interrupted:
        raise
    except RecsysError as error:
        raise ValidationFailed(
            _("These interactions cannot be evaluated: %(reason)s") % {"reason": error}
        ) from None
