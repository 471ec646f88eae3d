"""Interactions: who interacted with what, when and how strongly, with dense indices for the
models, and the loaders for MovieLens ``u.data`` and plain CSV files.

Raw ids keep their type: all-integer ids stay integers (so they sort 2 < 10), anything else is
text. Dense indices follow the sorted raw ids, so "ties broken by item id" means the same thing
for raw ids and indices.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp  # type: ignore[import-untyped]
from numpy.typing import NDArray

from academy.recsys.engine.errors import InteractionFormatError

CSV_COLUMNS = ("user", "item", "timestamp")
CSV_OPTIONAL = ("weight",)


@dataclass(frozen=True, eq=False)
class Interactions:
    """One row per interaction, as dense indices into ``user_ids`` and ``item_ids``.

    ``timestamps`` are Unix seconds (UTC). Several rows may hold the same (user, item) pair;
    :meth:`deduplicated` and :meth:`to_csr` merge them (weights summed, last timestamp kept).
    """

    users: NDArray[np.int32]
    items: NDArray[np.int32]
    weights: NDArray[np.float32]
    timestamps: NDArray[np.int64]
    user_ids: NDArray[Any]
    item_ids: NDArray[Any]

    @classmethod
    def from_arrays(
        cls,
        users: Sequence[Any] | NDArray[Any],
        items: Sequence[Any] | NDArray[Any],
        timestamps: Sequence[int] | NDArray[np.int64],
        weights: Sequence[float] | NDArray[np.floating[Any]] | None = None,
    ) -> Interactions:
        """Encode raw user and item ids (integers or text) into dense indices."""
        raw_users, raw_items = _ids(users), _ids(items)
        stamps = np.asarray(timestamps, dtype=np.int64)
        if not len(raw_users) == len(raw_items) == len(stamps):
            raise ValueError("users, items and timestamps must have the same length")
        if weights is None:
            values = np.ones(len(stamps), dtype=np.float32)
        else:
            values = np.asarray(weights, dtype=np.float32)
            if len(values) != len(stamps):
                raise ValueError("weights must have one value per interaction")
        user_ids, user_codes = np.unique(raw_users, return_inverse=True)
        item_ids, item_codes = np.unique(raw_items, return_inverse=True)
        return cls(
            users=user_codes.astype(np.int32).reshape(-1),
            items=item_codes.astype(np.int32).reshape(-1),
            weights=values,
            timestamps=stamps,
            user_ids=user_ids,
            item_ids=item_ids,
        )

    def __len__(self) -> int:
        return len(self.users)

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    @cached_property
    def user_index(self) -> dict[Any, int]:
        """Raw user id → dense index."""
        return {raw: index for index, raw in enumerate(self.user_ids.tolist())}

    @cached_property
    def item_index(self) -> dict[Any, int]:
        """Raw item id → dense index."""
        return {raw: index for index, raw in enumerate(self.item_ids.tolist())}

    def select(self, rows: NDArray[np.bool_] | NDArray[np.intp]) -> Interactions:
        """The given rows, in the same index space (every user and item keeps its index)."""
        return Interactions(
            users=self.users[rows],
            items=self.items[rows],
            weights=self.weights[rows],
            timestamps=self.timestamps[rows],
            user_ids=self.user_ids,
            item_ids=self.item_ids,
        )

    def deduplicated(self) -> Interactions:
        """One row per (user, item) pair: weights summed, the last timestamp kept; rows ordered
        by user, then item."""
        if len(self) == 0:
            return self
        order = np.lexsort((self.timestamps, self.items, self.users))
        users, items = self.users[order], self.items[order]
        starts = np.flatnonzero(
            np.concatenate(([True], (users[1:] != users[:-1]) | (items[1:] != items[:-1])))
        )
        ends = np.concatenate((starts[1:], [len(order)])) - 1
        return Interactions(
            users=users[starts],
            items=items[starts],
            weights=np.add.reduceat(self.weights[order], starts).astype(np.float32),
            timestamps=self.timestamps[order][ends],
            user_ids=self.user_ids,
            item_ids=self.item_ids,
        )

    def to_csr(self, *, binary: bool = False) -> sp.csr_matrix:
        """The users x items matrix (float32); repeated pairs are summed, or 1 if ``binary``."""
        matrix = sp.csr_matrix(
            (self.weights, (self.users, self.items)),
            shape=(self.n_users, self.n_items),
            dtype=np.float32,
        )
        matrix.sum_duplicates()
        if binary:
            matrix.data[:] = 1.0
        return matrix


def _ids(values: Sequence[Any] | NDArray[Any]) -> NDArray[Any]:
    array = np.asarray(values)
    if array.dtype.kind in "iu":
        return array.astype(np.int64)
    text = array.astype(str)
    as_integers = _as_integers(text.tolist())
    return as_integers if as_integers is not None else text


def _as_integers(values: Iterable[str]) -> NDArray[np.int64] | None:
    """The ids as integers if every one is a plain integer written canonically ("7", not "07"),
    so that no two distinct ids merge."""
    numbers: list[int] = []
    for value in values:
        try:
            number = int(value)
        except ValueError:
            return None
        if str(number) != value or abs(number) >= 2**63:
            return None
        numbers.append(number)
    return np.asarray(numbers, dtype=np.int64)


def load_movielens(path: Path) -> Interactions:
    """MovieLens ``u.data`` (tab-separated ``user item rating timestamp``, no header).

    Every rating, whatever its value, is one interaction of weight 1: the usual implicit
    reading of explicit ratings (the user chose to watch and rate the movie).
    """
    users: list[int] = []
    items: list[int] = []
    stamps: list[int] = []
    with _open(path) as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            fields = line.split()
            if len(fields) != 4:
                raise InteractionFormatError(
                    f"expected 4 tab-separated fields (user item rating timestamp), "
                    f"found {len(fields)}",
                    line=number,
                )
            try:
                user, item, _rating, stamp = (int(field) for field in fields)
            except ValueError:
                raise InteractionFormatError(
                    "user, item, rating and timestamp must be integers", line=number
                ) from None
            users.append(user)
            items.append(item)
            stamps.append(stamp)
    if not users:
        raise InteractionFormatError(f"{path}: no interactions")
    return Interactions.from_arrays(users, items, stamps)


def load_csv(path: Path) -> Interactions:
    """A CSV file with a header naming ``user``, ``item``, ``timestamp`` and optionally
    ``weight`` (in any order). Timestamps are Unix seconds or ISO 8601 with a UTC offset;
    weights are positive numbers (default 1)."""
    users: list[str] = []
    items: list[str] = []
    stamps: list[int] = []
    weights: list[float] = []
    with _open(path) as lines:
        reader = csv.reader(lines)
        header = next(reader, None)
        if header is None:
            raise InteractionFormatError(f"{path} is empty: expected a header user,item,timestamp")
        names = [name.strip().lower() for name in header]
        missing = [name for name in CSV_COLUMNS if name not in names]
        unknown = [name for name in names if name not in (*CSV_COLUMNS, *CSV_OPTIONAL)]
        if missing or unknown or len(set(names)) != len(names):
            raise InteractionFormatError(
                f"the header must name the columns user, item, timestamp and optionally weight "
                f"(found: {', '.join(header)})",
                line=1,
            )
        position = {name: names.index(name) for name in names}
        for row in reader:
            number = reader.line_num
            if not any(field.strip() for field in row):
                continue
            if len(row) != len(names):
                raise InteractionFormatError(
                    f"expected {len(names)} fields, found {len(row)}", line=number
                )
            user, item = row[position["user"]].strip(), row[position["item"]].strip()
            if not user or not item:
                raise InteractionFormatError("user and item must not be empty", line=number)
            users.append(user)
            items.append(item)
            stamps.append(_timestamp(row[position["timestamp"]].strip(), number))
            if "weight" in position:
                weights.append(_weight(row[position["weight"]].strip(), number))
    if not users:
        raise InteractionFormatError(f"{path}: no interactions after the header")
    return Interactions.from_arrays(users, items, stamps, weights if weights else None)


def _open(path: Path) -> Any:
    try:
        return path.open(encoding="utf-8", newline="")
    except OSError as error:
        raise InteractionFormatError(f"cannot read {path}: {error.strerror}") from None


def _timestamp(value: str, line: int) -> int:
    try:
        return int(value)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InteractionFormatError(
            f"timestamp {value!r} is neither Unix seconds nor ISO 8601", line=line
        ) from None
    if moment.tzinfo is None:
        raise InteractionFormatError(
            f"timestamp {value!r} has no UTC offset (write e.g. 2026-11-30T09:00:00+00:00)",
            line=line,
        )
    return int(moment.timestamp())


def _weight(value: str, line: int) -> float:
    if not value:
        return 1.0
    try:
        weight = float(value)
    except ValueError:
        raise InteractionFormatError(f"weight {value!r} is not a number", line=line) from None
    if not math.isfinite(weight) or weight <= 0:
        raise InteractionFormatError(f"weight {value!r} must be a positive number", line=line)
    return weight
