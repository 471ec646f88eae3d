"""Simulated events as columns, and the two shapes they leave in: lake rows and client JSON.

A chunk of the simulation produces an ``EventBatch`` of numpy columns. ``batch_table`` turns it
into a pyarrow table with the lake's columns (for direct lake writes); ``batch_records`` into the
JSON objects a host app posts to ``/api/v1/events`` (for the capture path). Both carry the same
uuids, so the two paths land the same events.

Events the product records on the server (enrolments, lesson starts, progress, completions,
quiz attempts, badges) are shaped as the learning services shape them: creator, item, region and
language, no session or entry point.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa  # type: ignore[import-untyped]

from academy.simulation.engine.assumptions import APP_VERSIONS, PLATFORMS
from academy.simulation.engine.catalog import Catalog
from academy.simulation.engine.experiments import SimulatedExperiment
from academy.simulation.engine.population import REGIONS, Population

EVENT_NAMES = (
    "impression",
    "click",
    "search",
    "search_click",
    "not_interested",
    "enroll",
    "lesson_start",
    "lesson_progress",
    "lesson_complete",
    "quiz_submit",
    "badge_earned",
    "like",
    "save",
    "exposure",
)
SERVER_EVENTS = frozenset(
    {"enroll", "lesson_start", "lesson_progress", "lesson_complete", "quiz_submit", "badge_earned"}
)
EVENT_ENTRY_POINTS = ("for_you_card", "academy_home", "search", "hashtag", "course_page")
NAME = {name: code for code, name in enumerate(EVENT_NAMES)}
ENTRY = {name: code for code, name in enumerate(EVENT_ENTRY_POINTS)}
UUID_BYTES = 16
# Lake column -> arrow type (the lake's COLUMNS, in arrow terms; JSON columns are text).
LAKE_SCHEMA = pa.schema(
    [
        ("uuid", pa.string()),
        ("name", pa.string()),
        ("timestamp", pa.timestamp("us", tz="UTC")),
        ("creator_id", pa.string()),
        ("anonymous_id", pa.string()),
        ("session_id", pa.string()),
        ("entry_point", pa.string()),
        ("item_kind", pa.string()),
        ("item_id", pa.string()),
        ("request_id", pa.string()),
        ("position", pa.int32()),
        ("experiments", pa.string()),
        ("region", pa.string()),
        ("language", pa.string()),
        ("platform", pa.string()),
        ("app_version", pa.string()),
        ("properties", pa.string()),
    ]
)

IntArray = npt.NDArray[np.int64]
ByteRows = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class EventBatch:
    """Events as columns; -1 (or an all-zero uuid, or NaN) means "not set"."""

    name: IntArray  # EVENT_NAMES
    timestamp_us: IntArray  # microseconds since the epoch, UTC
    creator: IntArray  # index in the population
    session: ByteRows  # (n, 16) uuid bytes
    entry_point: IntArray  # EVENT_ENTRY_POINTS
    item: IntArray  # catalogue index
    request: ByteRows  # (n, 16)
    position: IntArray
    uuid: ByteRows  # (n, 16)
    percent: IntArray
    score: npt.NDArray[np.float64]
    passed: IntArray  # 1, 0 or -1
    query: IntArray  # index into the world's query vocabulary
    results: IntArray
    variation: IntArray  # the creator's variation in the run's experiment, -1 for none

    def __len__(self) -> int:
        return int(self.name.size)

    def take(self, order: IntArray) -> EventBatch:
        return EventBatch(**{f.name: getattr(self, f.name)[order] for f in fields(self)})

    @staticmethod
    def concatenate(batches: Sequence[EventBatch]) -> EventBatch:
        return EventBatch(
            **{
                f.name: np.concatenate([getattr(batch, f.name) for batch in batches])
                for f in fields(EventBatch)
            }
        )


def random_uuids(rng: np.random.Generator, count: int) -> ByteRows:
    """Version-4 uuids drawn from ``rng``: the seed fixes them, and none is all zeros."""
    raw = rng.integers(0, 256, size=(count, UUID_BYTES), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    return raw


_UUID_GROUPS = ((0, 8), (8, 12), (12, 16), (16, 20), (20, 32))


def uuid_strings(rows: ByteRows) -> pa.StringArray:
    """Canonical uuid text of each row; "" for an all-zero row (no uuid)."""
    count = rows.shape[0]
    hexed = np.frombuffer(rows.tobytes().hex().encode("ascii"), dtype=np.uint8).reshape(count, 32)
    dash = np.full((count, 1), ord("-"), dtype=np.uint8)
    parts: list[npt.NDArray[np.uint8]] = []
    for start, end in _UUID_GROUPS:
        parts.extend([hexed[:, start:end], dash])
    text = np.concatenate(parts[:-1], axis=1)
    present = rows.any(axis=1)
    offsets = np.zeros(count + 1, dtype=np.int32)
    np.cumsum(np.where(present, 36, 0), out=offsets[1:])
    data = text[present].tobytes()
    return pa.StringArray.from_buffers(count, pa.py_buffer(offsets.tobytes()), pa.py_buffer(data))


def _lookup(codes: IntArray, values: Sequence[str]) -> pa.Array:
    """values[code] per row, "" where code is -1."""
    dictionary = pa.array([*values, ""], type=pa.string())
    indices = np.where(codes < 0, len(values), codes).astype(np.int32)
    return pa.DictionaryArray.from_arrays(pa.array(indices), dictionary).dictionary_decode()


def creator_ids(indices: IntArray, prefix: str) -> list[str]:
    return [f"{prefix}{index:07d}" for index in indices.tolist()]


def _properties(
    batch: EventBatch, queries: Sequence[str], experiment: SimulatedExperiment | None
) -> dict[int, dict[str, Any]]:
    """Per row with properties, the properties object the event carries."""
    found: dict[int, dict[str, Any]] = {}
    if experiment is not None:
        for row in np.flatnonzero(batch.name == NAME["exposure"]).tolist():
            found[row] = experiment.exposure_properties(int(batch.variation[row]))
    for row in np.flatnonzero(batch.percent >= 0).tolist():
        found[row] = {"percent": int(batch.percent[row])}
    for row in np.flatnonzero(batch.passed >= 0).tolist():
        found[row] = {"score": round(float(batch.score[row]), 4), "passed": bool(batch.passed[row])}
    for row in np.flatnonzero(batch.query >= 0).tolist():
        query: dict[str, Any] = {"query": queries[int(batch.query[row])]}
        if batch.results[row] >= 0:
            query["results"] = int(batch.results[row])
        found[row] = query
    return found


@dataclass(frozen=True)
class Vocabulary:
    """Strings the codes of a batch stand for."""

    catalog: Catalog
    population: Population
    queries: Sequence[str]
    creator_prefix: str
    experiment: SimulatedExperiment | None = None


def _columns(batch: EventBatch, vocabulary: Vocabulary) -> dict[str, pa.Array]:
    catalog, population = vocabulary.catalog, vocabulary.population
    server = np.isin(batch.name, [NAME[name] for name in SERVER_EVENTS])
    creators, inverse = np.unique(batch.creator, return_inverse=True)
    creator = pa.DictionaryArray.from_arrays(
        pa.array(inverse.astype(np.int32)),
        pa.array(creator_ids(creators, vocabulary.creator_prefix), type=pa.string()),
    ).dictionary_decode()
    item_kinds = [item.item_kind for item in catalog.items]
    item_ids = [item.item_id for item in catalog.items]
    item_codes, flag_items = _items(batch, vocabulary)
    return {
        "uuid": uuid_strings(batch.uuid),
        "name": _lookup(batch.name, EVENT_NAMES),
        "timestamp": pa.array(batch.timestamp_us, type=pa.timestamp("us", tz="UTC")),
        "creator_id": creator,
        "anonymous_id": _lookup(np.full(len(batch), -1, dtype=np.int64), ()),
        "session_id": uuid_strings(batch.session),
        "entry_point": _lookup(batch.entry_point, EVENT_ENTRY_POINTS),
        "item_kind": _lookup(item_codes, [*item_kinds, *(["flag"] * len(flag_items))]),
        "item_id": _lookup(item_codes, [*item_ids, *flag_items]),
        "request_id": uuid_strings(batch.request),
        "position": pa.array(batch.position, mask=batch.position < 0, type=pa.int32()),
        "region": _lookup(population.region[batch.creator], REGIONS),
        "language": _lookup(population.language[batch.creator], population.languages),
        "platform": _lookup(np.where(server, -1, population.platform[batch.creator]), PLATFORMS),
        "app_version": _lookup(
            np.where(server, -1, population.app_version[batch.creator]), APP_VERSIONS
        ),
    }


def _items(batch: EventBatch, vocabulary: Vocabulary) -> tuple[IntArray, list[str]]:
    """Item codes with the experiment's flag after the catalogue (an exposure's item)."""
    experiment = vocabulary.experiment
    if experiment is None:
        return batch.item, []
    exposure = batch.name == NAME["exposure"]
    return np.where(exposure, vocabulary.catalog.size, batch.item), [experiment.flag_key]


def _experiments_json(batch: EventBatch, vocabulary: Vocabulary) -> npt.NDArray[np.object_]:
    """The experiments column: the creator's variation, once exposed; "{}" otherwise."""
    if vocabulary.experiment is None:
        return np.full(len(batch), "{}", dtype=object)
    texts = np.array(vocabulary.experiment.experiments_json(), dtype=object)
    return texts[batch.variation]


def _json(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _properties_json(
    batch: EventBatch, queries: Sequence[str], experiment: SimulatedExperiment | None
) -> npt.NDArray[np.object_]:
    """The properties column as JSON text, formatted per kind of event rather than per row."""
    text = np.full(len(batch), "{}", dtype=object)
    if experiment is not None:
        rows = np.flatnonzero(batch.name == NAME["exposure"])
        text[rows] = np.array(experiment.exposure_properties_json(), dtype=object)[
            batch.variation[rows]
        ]
    rows = np.flatnonzero(batch.percent >= 0)
    text[rows] = [f'{{"percent":{p}}}' for p in batch.percent[rows].tolist()]
    rows = np.flatnonzero(batch.passed >= 0)
    text[rows] = [
        f'{{"score":{_json(round(score, 4))},"passed":{"true" if passed else "false"}}}'
        for score, passed in zip(
            batch.score[rows].tolist(), batch.passed[rows].tolist(), strict=True
        )
    ]
    encoded = [_json(query) for query in queries]
    rows = np.flatnonzero(batch.query >= 0)
    text[rows] = [
        f'{{"query":{encoded[query]},"results":{results}}}'
        if results >= 0
        else f'{{"query":{encoded[query]}}}'
        for query, results in zip(
            batch.query[rows].tolist(), batch.results[rows].tolist(), strict=True
        )
    ]
    return text


def batch_table(batch: EventBatch, vocabulary: Vocabulary) -> pa.Table:
    """The events as lake rows (LAKE_SCHEMA)."""
    columns = _columns(batch, vocabulary)
    columns["experiments"] = pa.array(_experiments_json(batch, vocabulary), type=pa.string())
    columns["properties"] = pa.array(
        _properties_json(batch, vocabulary.queries, vocabulary.experiment), type=pa.string()
    )
    return pa.table([columns[field.name] for field in LAKE_SCHEMA], schema=LAKE_SCHEMA)


def _uuid_texts(rows: ByteRows) -> list[str]:
    text = uuid_strings(rows)
    return text.to_numpy(zero_copy_only=False).tolist()  # type: ignore[no-any-return]


def _texts(codes: IntArray, values: Sequence[str]) -> list[str]:
    """values[code] per row as Python strings, "" where code is -1."""
    table = np.array([*values, ""], dtype=object)
    return table[np.where(codes < 0, len(values), codes)].tolist()  # type: ignore[no-any-return]


def batch_records(batch: EventBatch, vocabulary: Vocabulary) -> list[dict[str, Any]]:
    """The events as the JSON objects a client sends to the events API."""
    catalog, population = vocabulary.catalog, vocabulary.population
    server = np.isin(batch.name, [NAME[name] for name in SERVER_EVENTS])
    creators, inverse = np.unique(batch.creator, return_inverse=True)
    timestamps = np.datetime_as_string(batch.timestamp_us.astype("datetime64[us]"), unit="us")
    properties = _properties(batch, vocabulary.queries, vocabulary.experiment)
    experiment = vocabulary.experiment
    item_codes, flag_items = _items(batch, vocabulary)
    columns = zip(
        _uuid_texts(batch.uuid),
        _texts(batch.name, EVENT_NAMES),
        timestamps.tolist(),
        _texts(inverse, creator_ids(creators, vocabulary.creator_prefix)),
        _uuid_texts(batch.session),
        _texts(batch.entry_point, EVENT_ENTRY_POINTS),
        _texts(item_codes, [*(i.item_kind for i in catalog.items), *(["flag"] * len(flag_items))]),
        _texts(item_codes, [*(i.item_id for i in catalog.items), *flag_items]),
        _uuid_texts(batch.request),
        batch.position.tolist(),
        _texts(population.region[batch.creator], REGIONS),
        _texts(population.language[batch.creator], population.languages),
        _texts(np.where(server, -1, population.platform[batch.creator]), PLATFORMS),
        _texts(np.where(server, -1, population.app_version[batch.creator]), APP_VERSIONS),
        strict=True,
    )
    records: list[dict[str, Any]] = []
    for row, (uuid, name, ts, creator, session, entry, kind, item, request, position, region,
              language, platform, version) in enumerate(columns):  # fmt: skip
        record: dict[str, Any] = {
            "uuid": uuid,
            "name": name,
            "timestamp": ts + "+00:00",
            "creator_id": creator,
            "session_id": session,
            "entry_point": entry,
            "item_kind": kind,
            "item_id": item,
            "request_id": request,
            "position": position if position >= 0 else None,
            "context": {
                "region": region,
                "language": language,
                "platform": platform,
                "app_version": version,
            },
        }
        if row in properties:
            record["properties"] = properties[row]
        if experiment is not None and batch.variation[row] >= 0:
            record["experiments"] = {experiment.key: experiment.variations[batch.variation[row]]}
        records.append(record)
    return records
