"""The experiment analysis pipeline: exposures and daily rollups in, `ExperimentResults` out.

Django-free (the command, the worker and the benchmark all drive it). Two steps:

1. `sufficient_statistics()` — one pass of DuckDB over the rollups: joined with the exposures,
   each exposed creator's window sums per metric (and over the pre-exposure window, CUPED's
   covariate); percentile caps from those; then per cell (variation, exposure day and dimension
   values) the number of creators and the sums each metric needs: Σv and Σv² of the per-creator
   value; for CUPED Σp, Σp² and Σvp; for ratios Σy, Σy², Σx, Σx², Σxy.
2. `analyze()` — sums are additive, so totals, days, dimension slices (with "other") and the
   cumulative series (exposure-day cohorts accumulated day by day) are added up from the cells
   and handed to `academy.stats`.

Windows (whole UTC days, as the rollups are daily): a creator first exposed on day E counts the
days E + delay … E + delay + window - 1 (inclusive), cut at the analysis day; the exposure day
counts whole, days before it never. The CUPED covariate is the same metric over the `window` days
E - window … E - 1. See docs/EXPERIMENTS.md.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import duckdb
import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]

from academy.events.query import DuckDBEngine, rollup_files
from academy.experiments.analysis import (
    DIMENSIONS,
    OTHER,
    ArmValue,
    Bayesian,
    Comparison,
    CumulativePoint,
    CumulativeSeries,
    DecisionReason,
    Dimension,
    DimensionSlice,
    ExperimentResults,
    Frequentist,
    Interval,
    MetricKind,
    MetricResult,
    NonInferiority,
    Power,
    SliceComparison,
    Srm,
    VariationDecision,
    VariationInfo,
    Verdict,
)
from academy.experiments.window_state import FileStamps, WindowState, file_stamps
from academy.stats import (
    DEFAULT_SEQUENTIAL_TUNING,
    ArmEstimate,
    BayesianResult,
    CupedStats,
    Effect,
    FrequentistResult,
    Guardrail,
    NonInferiorityResult,
    Plan,
    PrimaryMetric,
    RatioStats,
    SampleStats,
    StatsInputError,
    bayesian_test,
    benjamini_hochberg,
    cuped_estimates,
    decide,
    duration_estimate,
    estimate,
    holm_bonferroni,
    minimum_detectable_effect,
    non_inferiority_test,
    sample_size_per_variation,
    sequential_test,
    srm_check,
    welch_test,
)

# Per creator and day: a rollup count column, or "active_days" (1 for each day with any event).
COLUMNS = (
    "impressions",
    "clicks",
    "lesson_starts",
    "lesson_completes",
    "quiz_submits",
    "enrolls",
    "not_interested",
    "events",
    "active_days",
)
Capping = Literal["none", "absolute", "percentile"]
# Days as integers (days since 1970-01-01): the lag of a row behind its creator's exposure is
# then an integer subtraction in the join, not a date cast per joined row.
EPOCH = date(1970, 1, 1)
# The rollups metrics are counted from: plain counts, and counts filtered by item.
ROLLUP_SOURCES = ("creator_daily", "creator_item_daily")
# Dimension values beyond this many (by creators) are summed into OTHER.
TOP_VALUES = 8
# Creators per slice when adding sums up by cell (a slice's values stay in the CPU's cache).
CELL_SLICE = 1 << 18
# New creators a day are averaged over this many last days for "days remaining".
ARRIVAL_DAYS = 7


@dataclass(frozen=True)
class Count:
    """What is counted: a column, optionally only on items of one entry point / kind."""

    column: str
    entry_point: str = ""
    item_kind: str = ""

    @property
    def filtered(self) -> bool:
        return bool(self.entry_point or self.item_kind)


@dataclass(frozen=True)
class MetricSpec:
    """A catalog metric as the pipeline needs it (the `Metric` model's `spec()`)."""

    key: str
    name: str
    kind: MetricKind
    numerator: Count
    denominator: Count | None = None
    window_days: int = 7
    delay_days: int = 0
    capping: Capping = "none"
    cap_value: float | None = None
    lower_is_better: bool = False
    guardrail: bool = False
    guardrail_margin: float = 0.02
    target_effect: float = 0.05

    @property
    def cuped(self) -> bool:
        """CUPED applies to per-creator values (means and proportions), not to ratios."""
        return self.kind != "ratio"


@dataclass(frozen=True)
class Variation:
    key: str
    name: str
    weight: float


@dataclass(frozen=True)
class ExperimentSpec:
    key: str
    variations: tuple[Variation, ...]  # control first
    primary: tuple[MetricSpec, ...]
    guardrails: tuple[MetricSpec, ...] = ()
    alpha: float = 0.05
    tuning_parameter: float = DEFAULT_SEQUENTIAL_TUNING

    @property
    def metrics(self) -> tuple[MetricSpec, ...]:
        return self.primary + self.guardrails


# --------------------------------------------------------------------------------------------
# Step 1: sufficient statistics in one query

# Sums per metric, by kind (v = value, p = pre-exposure value, y/x = ratio numerator/denominator).
SUMS: dict[str, tuple[str, ...]] = {
    "plain": ("v", "vv"),
    "cuped": ("v", "vv", "p", "pp", "vp"),
    "ratio": ("y", "yy", "x", "xx", "xy"),
}


def _sums(metric: MetricSpec) -> tuple[str, ...]:
    if metric.kind == "ratio":
        return SUMS["ratio"]
    return SUMS["cuped"] if metric.cuped else SUMS["plain"]


@dataclass
class Aggregates:
    """The query's output: per group, creators and every metric's sums.

    `by_day[variation][day]` and `by_dimension[dimension][value][variation]` are arrays of
    `columns` (the first is the number of creators).
    """

    columns: tuple[str, ...]
    by_day: dict[str, dict[date, np.ndarray]] = field(default_factory=dict)
    by_dimension: dict[str, dict[str, dict[str, np.ndarray]]] = field(default_factory=dict)
    caps: dict[str, float] = field(default_factory=dict)
    # Whether the window sums were the last run's state plus what is new (see window_sums).
    state_reused: bool = False

    def index(self, metric: str, name: str) -> int:
        return self.columns.index(f"{metric}__{name}")

    def total(self, variation: str, *, until: date | None = None) -> np.ndarray:
        rows = [
            sums
            for day, sums in self.by_day.get(variation, {}).items()
            if until is None or day <= until
        ]
        return np.sum(rows, axis=0) if rows else np.zeros(len(self.columns))


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _term(count: Count) -> str:
    if count.column == "active_days":
        return "1.0"
    if count.column not in COLUMNS:
        raise ValueError(f"unknown column {count.column!r}")
    return f"CAST({count.column} AS DOUBLE)"


def _item_filter(count: Count) -> str:
    parts = []
    if count.entry_point:
        parts.append(f"entry_point = {_quote(count.entry_point)}")
    if count.item_kind:
        parts.append(f"item_kind = {_quote(count.item_kind)}")
    return " AND ".join(parts)


def _counts(metrics: Sequence[MetricSpec]) -> list[Count]:
    found: list[Count] = []
    for metric in metrics:
        for count in (metric.numerator, metric.denominator):
            if count is not None and count not in found:
                found.append(count)
    return found


def _reaches(metrics: Sequence[MetricSpec]) -> tuple[int, int]:
    """Days after exposure any metric reads (the exposure day is day 0; exclusive end), and days
    before it (CUPED's covariate)."""
    reach = max(m.delay_days + m.window_days for m in metrics)
    pre_reach = max((m.window_days for m in metrics if m.cuped), default=0)
    return reach, pre_reach


@dataclass(frozen=True)
class WindowSum:
    """A count summed over a creator's days from `first_lag` to `last_lag` after exposure."""

    count: Count
    first_lag: int
    last_lag: int


def _window_sums(
    metrics: Sequence[MetricSpec],
) -> tuple[list[WindowSum], list[dict[str, str]]]:
    """The distinct window sums the metrics need (two metrics on the same count and window
    share one), and for each metric which column is its numerator ("n"), denominator ("d",
    ratios) and pre-exposure numerator ("p", CUPED)."""
    distinct: list[WindowSum] = []
    roles: list[dict[str, str]] = []

    def column(window_sum: WindowSum) -> str:
        if window_sum not in distinct:
            distinct.append(window_sum)
        return f"w{distinct.index(window_sum)}"

    for metric in metrics:
        post = (metric.delay_days, metric.delay_days + metric.window_days - 1)
        columns = {"n": column(WindowSum(metric.numerator, *post))}
        if metric.denominator is not None:
            columns["d"] = column(WindowSum(metric.denominator, *post))
        if metric.cuped:
            columns["p"] = column(WindowSum(metric.numerator, -metric.window_days, -1))
        roles.append(columns)
    return distinct, roles


def unit_columns(metrics: Sequence[MetricSpec]) -> tuple[str, ...]:
    """The window sums kept per exposed creator (w0, w1, …; see `_window_sums`)."""
    return tuple(f"w{j}" for j in range(len(_window_sums(metrics)[0])))


def _window_sum(condition: str, term: str) -> str:
    # NULL outside the window, not 0: DuckDB sums a column with NULLs about twice as fast as one
    # of zeros here (measured, 10M creators); float32 is exact for counts below 2^24.
    return f"CAST(COALESCE(SUM(CASE WHEN {condition} THEN {term} END), 0) AS FLOAT)"


def _per_unit_sql(
    metrics: Sequence[MetricSpec],
    *,
    first: date,
    last: date,
    units: str,
    days: dict[str, list[tuple[str, int]]],
) -> str:
    """Per exposed unit matching `units` (a condition on the `exposed` view) with a rollup row
    from day `first` to day `last` in a metric's window: the unit and each window sum.

    `days` names, per rollup, the relation of each day read and its day number: a day's file
    holds that day only, so its day number is a constant rather than a date parsed per row."""
    counts = _counts(metrics)
    names = {count: f"t{i}" for i, count in enumerate(counts)}
    reach, pre_reach = _reaches(metrics)

    # Per creator and day, one column per count: creator_daily for plain counts, the item rollup
    # (filtered by entry point / item kind) for the others.
    sources = []
    plain = [c for c in counts if not c.filtered]
    filtered = [c for c in counts if c.filtered]
    if plain:
        columns = ", ".join(
            f"{_term(c)} AS {names[c]}" if not c.filtered else f"0.0 AS {names[c]}" for c in counts
        )
        sources += [
            f"SELECT creator_id, {number} AS day_number, {columns} FROM {relation}"  # noqa: S608
            for relation, number in days.get("creator_daily", [])
        ]
    if filtered:
        columns = ", ".join(
            f"CASE WHEN {_item_filter(c)} THEN {_term(c)} ELSE 0.0 END AS {names[c]}"
            if c.filtered
            else f"0.0 AS {names[c]}"
            for c in counts
        )
        where = " OR ".join(f"({_item_filter(c)})" for c in filtered)
        sources += [
            f"SELECT creator_id, {number} AS day_number, {columns} "  # noqa: S608
            f"FROM {relation} WHERE {where}"
            for relation, number in days.get("creator_item_daily", [])
        ]
    if not sources:  # no rollup day in range: no rows, with the columns
        columns = ", ".join(f"0.0 AS {names[c]}" for c in counts)
        sources.append(f"SELECT '' AS creator_id, 0 AS day_number, {columns} WHERE false")
    rows = " UNION ALL ".join(sources)

    # `lag` is the row's day minus the exposure day, in days (integer comparisons per row).
    windowed = [
        f"{_window_sum(f'lag BETWEEN {w.first_lag} AND {w.last_lag}', names[w.count])} AS w{j}"
        for j, w in enumerate(_window_sums(metrics)[0])
    ]
    # Only creators whose windows reach a day read take part (a refresh reading one day
    # joins its rows with a week's cohorts, not with everyone exposed).
    exposed_from = first - timedelta(days=reach - 1)
    exposed_to = last + timedelta(days=pre_reach)
    # Only the exposure's unit number travels through the join (an integer is cheaper to carry
    # and to group by than the creator id).
    return f"""
        SELECT unit, {", ".join(windowed)}
        FROM (
            SELECT e.unit, d.* EXCLUDE (creator_id, day_number),
                   d.day_number - e.day_number AS lag
            FROM ({rows}) AS d
            JOIN (
                SELECT creator_id, day_number, unit FROM exposed
                WHERE ({units}) AND exposure_day BETWEEN {_day(exposed_from)} AND {_day(exposed_to)}
            ) AS e ON d.creator_id = e.creator_id
        )
        WHERE lag BETWEEN {-pre_reach} AND {reach - 1}
        GROUP BY unit
        ORDER BY unit
    """  # noqa: S608 - metric keys are slugs, filters and days are quoted


def _metrics_fingerprint(metrics: Sequence[MetricSpec]) -> str:
    """What the kept sums are: each count and its window (not the metrics' kinds, capping or
    direction, which apply later)."""
    return repr(_window_sums(metrics)[0])


def _rollup_stamps(events_dir: Path, first: date, last: date) -> FileStamps:
    paths = [
        path
        for rollup in ROLLUP_SOURCES
        for path in rollup_files(
            events_dir, rollup, start=first.isoformat(), end=last.isoformat()
        ).values()
    ]
    return file_stamps(events_dir, paths)


def window_sums(
    engine: DuckDBEngine,
    metrics: Sequence[MetricSpec],
    *,
    as_of: date,
    first: date,
    events_dir: Path,
    units: int,
    state: WindowState | None = None,
) -> dict[str, np.ndarray]:
    """Each exposed creator's window sums (`unit_columns`), as float32 arrays indexed by unit.

    Reads the `exposed` view and the rollups registered from `first` to `as_of` (see
    `sufficient_statistics`). With a `state` that still describes the data (the caller checks),
    only the days after it (for the creators it covers) and every day of creators exposed since
    are read.
    """
    names = unit_columns(metrics)

    def add(first: date, last: date, units: str) -> None:
        # Only the days read are registered (other files are never opened), a relation each,
        # which also tells DuckDB how many rows they hold: one day's rows, not the exposures,
        # are then the join's build side.
        days: dict[str, list[tuple[str, int]]] = {}
        for rollup in ROLLUP_SOURCES:
            for offset in range((last - first).days + 1):
                day = first + timedelta(days=offset)
                relation = f"{rollup}_day{offset}"
                if engine.register_rollup(
                    events_dir, rollup, start=day.isoformat(), end=day.isoformat(), name=relation
                ):
                    days.setdefault(rollup, []).append((relation, (day - EPOCH).days))
        # The query's rows come sorted by unit, so the arrays are written in order: scattered
        # writes into 10M-long arrays cost about ten times as much (measured).
        table = engine.arrow(_per_unit_sql(metrics, first=first, last=last, units=units, days=days))
        rows = table.column("unit").to_numpy()
        for name in names:
            sums[name][rows] += table.column(name).to_numpy()

    if state is None:
        sums = {name: np.zeros(units, dtype=np.float32) for name in names}
        add(first, as_of, "true")
        return sums
    # The state's arrays (mapped copy-on-write), longer by any creators exposed since.
    sums = {
        name: state.sums[name]
        if state.units == units
        else np.concatenate([state.sums[name], np.zeros(units - state.units, np.float32)])
        for name in names
    }
    old = f"unit < {state.units} AND exposure_day <= {_day(state.as_of)}"
    if state.as_of < as_of:
        add(state.as_of + timedelta(days=1), as_of, old)
    new_start = engine.query(f"SELECT MIN(day_number) FROM exposed WHERE NOT ({old})")[0][0]  # noqa: S608
    if new_start is not None:
        _reach, pre_reach = _reaches(metrics)
        new_first = EPOCH + timedelta(days=int(new_start) - pre_reach)
        add(new_first, as_of, f"NOT ({old})")
    return sums


def _unit_cells(
    engine: DuckDBEngine, *, keys: str, unit: str, units: int, state: WindowState | None
) -> tuple[np.ndarray, list[list[Any]]]:
    """Each unit's cell, as an index into the cells' keys (int32), and those keys: the cell
    hash, variation, exposure day (ISO) and dimension values.

    The units a `state` covers keep its cells; only the exposures since are read, grouped by
    their keys, and matched to a cell by hash."""
    covered = state.units if state is not None else 0
    codes = np.empty(units, dtype=np.int32)
    cell_keys = [list(key) for key in state.cell_keys] if state is not None else []
    if state is not None:
        codes[:covered] = state.cells
    if covered == units:
        return codes, cell_keys
    known = {key[0] for key in cell_keys}
    for row in engine.query(
        f"SELECT hash({keys}) AS cell, {keys} FROM exposures "  # noqa: S608
        f"WHERE {unit} >= {covered} GROUP BY {keys}"
    ):
        if row[0] not in known:
            cell_keys.append([row[0], row[1], row[2].isoformat(), *row[3:]])
    engine.connection.register(
        "cell_codes",
        pa.table(
            {
                "cell": pa.array([key[0] for key in cell_keys], pa.uint64()),
                "code": pa.array(np.arange(len(cell_keys), dtype=np.int32)),
            }
        ),
    )
    try:
        found = engine.connection.execute(
            "SELECT e.unit, c.code FROM exposure_units AS e "  # noqa: S608
            f"JOIN cell_codes AS c ON c.cell = e.cell WHERE e.unit >= {covered}"
        ).fetchnumpy()
    finally:
        engine.connection.unregister("cell_codes")
    if len(found["unit"]) != units - covered:  # two cells with one hash (not seen in practice)
        raise RuntimeError("the exposures' cells could not be told apart by their hash")
    codes[np.asarray(found["unit"])] = np.asarray(found["code"])
    return codes, cell_keys


def _values(
    metric: MetricSpec, columns: dict[str, str], sums: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """A metric's per-creator value(s) from the creators' window sums (`columns`, by role), in
    doubles: the sums are float32, exact for counts, but squares need more digits."""
    if metric.kind == "proportion":
        return {
            "v": (sums[columns["n"]] >= 1).astype(np.float64),
            "p": (sums[columns["p"]] >= 1).astype(np.float64),
        }
    values = {"v": sums[columns["n"]].astype(np.float64)}
    if metric.cuped:
        values["p"] = sums[columns["p"]].astype(np.float64)
    if metric.kind == "ratio":
        values["x"] = sums[columns["d"]].astype(np.float64)
    return values


def _cap(metric: MetricSpec, caps: dict[str, float]) -> float | None:
    if metric.capping == "absolute":
        return metric.cap_value
    if metric.capping == "percentile":
        return caps.get(metric.key)
    return None


def _percentile_caps(
    metrics: Sequence[MetricSpec], sums: dict[str, np.ndarray]
) -> dict[str, float]:
    """Each percentile-capped metric's cap over the exposed creators whose window sums are
    `sums`, interpolated between ranks (numpy's default, as DuckDB's QUANTILE_CONT)."""
    caps = {}
    roles = _window_sums(metrics)[1]
    for i, metric in enumerate(metrics):
        if metric.capping != "percentile":
            continue
        value = sums[roles[i]["n"]]
        if metric.kind == "proportion":
            value = (value >= 1).astype(np.float32)
        caps[metric.key] = _quantile(value, metric.cap_value or 1.0) if value.size else 0.0
    return caps


def _quantile(values: np.ndarray, q: float) -> float:
    """`np.quantile(values, q)` in doubles, without a double copy of float32 `values`: the two
    ranks around the quantile are found by partition (float32 holds them exactly), then
    interpolated as numpy's default ("linear") method does."""
    n = values.size
    # numpy's virtual index and interpolation for "linear", term by term: the same result.
    virtual = (n - 1) * q
    below = min(max(int(np.floor(virtual)), 0), n - 1)
    above = min(below + 1, n - 1)
    # Most creators have zero of a capped count in a week: with no negative values, the zeros
    # are the first ranks, and only the others need ranking.
    zeros = n - np.count_nonzero(values)
    if zeros and not (values < 0).any():
        low = high = 0.0
        if above >= zeros:
            ranks = [rank - zeros for rank in (below, above) if rank >= zeros]
            ranked = np.partition(values[values > 0], ranks)
            high = float(ranked[above - zeros])
            low = float(ranked[below - zeros]) if below >= zeros else 0.0
    else:
        ranked = np.partition(values, (below, above))
        low, high = float(ranked[below]), float(ranked[above])
    gamma = virtual - below
    return high - (high - low) * (1 - gamma) if gamma >= 0.5 else low + (high - low) * gamma


def _cell_sums(
    metrics: Sequence[MetricSpec],
    sums: dict[str, np.ndarray],
    cell_of_unit: np.ndarray,
    cells: int,
    caps: dict[str, float],
    *,
    workers: int = 1,
) -> np.ndarray:
    """Each metric's sums (`_sums` order, a column each) per cell (a row each) over the exposed
    creators whose window sums are `sums` and cells `cell_of_unit`.

    numpy's bincount over slices of creators, the slices shared by `workers` threads (numpy
    releases the GIL in most of the work): the cells' totals stay in the CPU's cache, and it
    costs a third of DuckDB's GROUP BY with the same sums (measured, 10M creators)."""
    roles = _window_sums(metrics)[1]
    width = sum(len(_sums(metric)) for metric in metrics)

    def add_slice(start: int) -> np.ndarray:
        totals = np.zeros((cells, width))
        everyone = cell_of_unit[start : start + CELL_SLICE]
        chunk = {name: values[start : start + CELL_SLICE] for name, values in sums.items()}
        column = 0
        index = everyone

        def add(weights: np.ndarray) -> None:
            nonlocal column
            totals[:, column] += np.bincount(index, weights=weights, minlength=cells)
            column += 1

        for i, metric in enumerate(metrics):
            cap = _cap(metric, caps)
            index, metric_chunk = _active(roles[i], everyone, chunk, cap)
            raw = _values(metric, roles[i], metric_chunk)

            def capped(values: np.ndarray, cap: float | None = cap) -> np.ndarray:
                return np.minimum(values, float(cap)) if cap is not None else values

            if metric.kind == "ratio":
                y, x = capped(raw["v"]), raw["x"]
                for weights in (y, y * y, x, x * x, x * y):
                    add(weights)
                continue
            v = capped(raw["v"])
            add(v)
            add(v * v)
            if metric.cuped:
                p = capped(raw["p"])
                for weights in (p, p * p, v * p):
                    add(weights)
        return totals

    starts = range(0, len(cell_of_unit), CELL_SLICE)
    if workers <= 1 or len(starts) <= 1:
        return sum((add_slice(start) for start in starts), np.zeros((cells, width)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return sum(pool.map(add_slice, starts), np.zeros((cells, width)))


def _active(
    columns: dict[str, str], index: np.ndarray, chunk: dict[str, np.ndarray], cap: float | None
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The cells and window sums of the creators for whom one metric has a value other than
    zero, when they are under half of `chunk`: the others add nothing to any of its sums (every
    sum is of products of its values, and capping at a cap ≥ 0 keeps a zero a zero), and most
    creators have no "not interested" tap or completed lesson in a week."""
    names = sorted(set(columns.values()))
    if cap is not None and cap < 0:
        return index, chunk
    nonzero = chunk[names[0]] != 0
    for name in names[1:]:
        nonzero |= chunk[name] != 0
    if np.count_nonzero(nonzero) * 2 >= nonzero.size:
        return index, chunk
    rows = np.flatnonzero(nonzero)
    return index[rows], {name: chunk[name][rows] for name in names}


def sufficient_statistics(
    engine: DuckDBEngine,
    metrics: Sequence[MetricSpec],
    *,
    exposures: pa.Table | Path,
    events_dir: Path,
    as_of: date,
    dimensions: Sequence[Dimension] = DIMENSIONS,
    state_dir: Path | None = None,
) -> Aggregates:
    """Every metric's sums per variation by exposure day and per variation by dimension value.

    `exposures` (an Arrow table or a Parquet file; its row number is the creator's *unit*) has
    creator_id, variation, exposure_day (DATE) and the dimension columns. Each exposed creator's
    window sums come from the rollups under `events_dir`, joined with the exposures in DuckDB;
    percentile caps are computed from those (a zero for every creator without rows); then the
    sums per cell (variation by exposure day by dimension values) are added up here into days
    and dimension values.

    With a `state_dir`, the window sums and cells of the last run are kept there
    (`WindowState`) and the next run adds only what is new — the rollup days after the state's
    day for the creators it has, and every day for creators exposed since — as long as the
    state still describes the data: the same metrics, the same exposures in front, the same
    rollup files. Otherwise the sums are computed from scratch and the state replaced. Both
    ways give the same sums.
    """
    if isinstance(exposures, Path):
        engine.query(
            "CREATE OR REPLACE TEMP VIEW exposures AS "  # noqa: S608
            f"SELECT * FROM read_parquet({_quote(exposures.as_posix())}, file_row_number = true)"
        )
        unit = "file_row_number"
    else:
        exposures = exposures.append_column(
            "unit", pa.array(np.arange(exposures.num_rows, dtype=np.int64))
        )
        engine.connection.register("exposures", exposures)
        unit = "unit"
    keys = ", ".join(("variation", "exposure_day", *dimensions))
    # A cell is one combination of variation, exposure day and dimension values. A view, not a
    # table: exposures are in the order of exposure, so the queries below, filtered on the unit
    # and the exposure day, read only the row groups of the cohorts they join (a refresh reads
    # a week's cohorts' creator ids, not ten million).
    engine.query(
        "CREATE OR REPLACE TEMP VIEW exposure_units AS "  # noqa: S608
        f"SELECT creator_id, exposure_day, exposure_day - DATE '1970-01-01' AS day_number, "
        f"{unit} AS unit, hash({keys}) AS cell FROM exposures"
    )
    as_of_number = (as_of - EPOCH).days
    engine.query(
        "CREATE OR REPLACE TEMP VIEW exposed AS "  # noqa: S608
        f"SELECT * FROM exposure_units WHERE exposure_day <= {_day(as_of)}"
    )
    try:
        saved = WindowState.load(state_dir) if state_dir is not None else None
        fingerprint = _metrics_fingerprint(metrics)
        row = "hash(unit, creator_id, day_number, cell)"
        units, prefix, whole = engine.query(
            f"SELECT COALESCE(MAX(unit) + 1, 0), "  # noqa: S608
            f"COALESCE(bit_xor({row}) FILTER (WHERE unit < ?), 0), "
            f"COALESCE(bit_xor({row}), 0) FROM exposure_units",
            [saved.units if saved is not None else 0],
        )[0]
        usable = (
            saved is not None
            and saved.metrics == fingerprint
            and saved.engine == duckdb.__version__
            and saved.as_of <= as_of
            and saved.units <= units
            and saved.exposures == prefix
            and saved.files == _rollup_stamps(events_dir, saved.first, saved.as_of)
        )
        state = saved if usable else None
        codes, cell_keys = _unit_cells(engine, keys=keys, unit=unit, units=units, state=state)
        # Units exposed after `as_of` (an analysis of an earlier day) take no part.
        cell_days = np.asarray([_day_number(key[2]) for key in cell_keys], dtype=np.int64)
        included = cell_days[codes] <= as_of_number if units else np.zeros(0, dtype=bool)
        creators = np.bincount(codes[included], minlength=len(cell_keys))
        present = np.flatnonzero(creators)
        columns = ("creators", *(f"{m.key}__{name}" for m in metrics for name in _sums(m)))
        if present.size == 0:
            return Aggregates(columns=columns)
        _reach, pre_reach = _reaches(metrics)
        first = EPOCH + timedelta(days=int(cell_days[present].min()) - pre_reach)
        if state is not None:
            first = min(first, state.first)
        sums = window_sums(
            engine,
            metrics,
            as_of=as_of,
            first=first,
            events_dir=events_dir,
            units=units,
            state=state,
        )
    finally:
        engine.query("DROP VIEW IF EXISTS exposed")
        engine.query("DROP VIEW IF EXISTS exposure_units")
    with ThreadPoolExecutor(max_workers=1) as background:
        # An analysis of an earlier day (`--date`) leaves a later day's state alone. The state
        # is written while the cells are added up (the arrays are not changed after this).
        saving = None
        if state_dir is not None and (saved is None or as_of >= saved.as_of):
            new_state = WindowState(
                metrics=fingerprint,
                engine=duckdb.__version__,
                first=first,
                as_of=as_of,
                units=units,
                exposures=whole,
                files=_rollup_stamps(events_dir, first, as_of),
                sums=sums,
                cells=codes,
                cell_keys=cell_keys,
            )
            saving = background.submit(new_state.save, state_dir)
        # Cells as rows of the result: those with creators by `as_of`.
        row_of_code = np.full(len(cell_keys), -1, dtype=np.int64)
        row_of_code[present] = np.arange(present.size)
        cell_of_unit = row_of_code[codes]
        if not included.all():
            sums = {name: values[included] for name, values in sums.items()}
            cell_of_unit = cell_of_unit[included]
        caps = _percentile_caps(metrics, sums)
        matrix = np.zeros((present.size, len(columns)))
        matrix[:, 0] = creators[present]
        matrix[:, 1:] = _cell_sums(
            metrics, sums, cell_of_unit, present.size, caps, workers=_threads(engine)
        )
        if saving is not None:
            saving.result()
    keyed = [_cell_key(cell_keys[code]) for code in present]
    aggregates = _collect(keyed, matrix, columns, dimensions)
    aggregates.caps.update(caps)
    aggregates.state_reused = state is not None
    return aggregates


def _day(day: date) -> str:
    """A day as a SQL date literal."""
    return f"DATE {_quote(day.isoformat())}"


def _day_number(day: str) -> int:
    return (date.fromisoformat(day) - EPOCH).days


def _cell_key(key: list[Any]) -> tuple[Any, ...]:
    """A cell's variation, exposure day and dimension values (without its hash)."""
    return (key[1], date.fromisoformat(key[2]), *key[3:])


def _threads(engine: DuckDBEngine) -> int:
    found = engine.query("SELECT current_setting('threads')")
    return max(1, int(found[0][0]))


def _collect(
    cells: Sequence[tuple[Any, ...]],
    matrix: np.ndarray,
    columns: tuple[str, ...],
    dimensions: Sequence[Dimension],
) -> Aggregates:
    """Add the cells' sums (`matrix`, a row per cell of `cells`: variation, exposure day and
    dimension values) up into per-day and per-dimension-value sums (sums are additive)."""
    key_rows = list(cells)
    aggregates = Aggregates(columns=columns)
    groupings: list[tuple[str | None, int]] = [(None, 1)]
    groupings += [(name, 2 + i) for i, name in enumerate(dimensions)]
    for dimension, index in groupings:
        labels = [(key[0], key[index]) for key in key_rows]
        unique = sorted(set(labels), key=str)
        inverse = (
            np.asarray([unique.index(label) for label in labels])
            if len(unique) < 64
            else (np.asarray([{u: n for n, u in enumerate(unique)}[label] for label in labels]))
        )
        totals = np.zeros((len(unique), len(columns)))
        np.add.at(totals, inverse, matrix)
        for (variation, value), row in zip(unique, totals, strict=True):
            if dimension is None:
                aggregates.by_day.setdefault(str(variation), {})[value] = row
            else:
                label = str(value) if value not in (None, "") else OTHER
                by_value = aggregates.by_dimension.setdefault(dimension, {})
                by_variation = by_value.setdefault(label, {})
                previous = by_variation.get(str(variation))
                by_variation[str(variation)] = row if previous is None else previous + row
    return aggregates


def exposures_table(
    creator_ids: Sequence[str],
    variations: Sequence[str],
    exposure_days: Sequence[date],
    dimensions: dict[str, Sequence[str]],
) -> pa.Table:
    """An exposures table in the shape the query reads."""
    columns: dict[str, pa.Array] = {
        "creator_id": pa.array(creator_ids, pa.string()),
        "variation": pa.array(variations, pa.string()),
        "exposure_day": pa.array(exposure_days, pa.date32()),
    }
    for name in DIMENSIONS:
        columns[name] = pa.array(dimensions.get(name, [OTHER] * len(creator_ids)), pa.string())
    return pa.table(columns)


# --------------------------------------------------------------------------------------------
# Step 2: statistics


def _interval(effect: Effect) -> Interval:
    return Interval(estimate=effect.estimate, low=effect.ci_low, high=effect.ci_high)


def _frequentist(result: FrequentistResult) -> Frequentist:
    return Frequentist(
        absolute=_interval(result.absolute),
        relative=_interval(result.relative) if result.relative is not None else None,
        p_value=result.p_value,
    )


def _bayesian(result: BayesianResult) -> Bayesian:
    return Bayesian(
        relative=result.relative,
        effect=Interval(result.effect, result.credible_low, result.credible_high),
        chance_to_beat_control=result.chance_to_beat_control,
        risk_treatment=result.risk_treatment,
        risk_control=result.risk_control,
    )


def _arm_value(metric: MetricSpec, variation: str, sums: np.ndarray, agg: Aggregates) -> ArmValue:
    n = int(sums[0])
    if metric.kind == "ratio":
        y, x = sums[agg.index(metric.key, "y")], sums[agg.index(metric.key, "x")]
        return ArmValue(variation, n, float(y / x) if x else None, float(y), float(x))
    total = float(sums[agg.index(metric.key, "v")])
    return ArmValue(variation, n, total / n if n else None, total)


def _stats(metric: MetricSpec, sums: np.ndarray, agg: Aggregates) -> SampleStats | RatioStats:
    n = int(sums[0])

    def get(name: str) -> float:
        return float(sums[agg.index(metric.key, name)])

    if metric.kind == "ratio":
        return RatioStats(
            n=n,
            numerator_sum=get("y"),
            numerator_sum_squares=get("yy"),
            denominator_sum=get("x"),
            denominator_sum_squares=get("xx"),
            cross_sum=get("xy"),
        )
    return SampleStats(n=n, sum=get("v"), sum_squares=get("vv"))


def _cuped(metric: MetricSpec, sums: np.ndarray, agg: Aggregates) -> CupedStats:
    def get(name: str) -> float:
        return float(sums[agg.index(metric.key, name)])

    return CupedStats(
        n=int(sums[0]),
        sum=get("v"),
        sum_squares=get("vv"),
        pre_sum=get("p"),
        pre_sum_squares=get("pp"),
        cross_sum=get("vp"),
    )


def _verdict(result: FrequentistResult, p_value: float, alpha: float, lower: bool) -> Verdict:
    if p_value >= alpha:
        return "inconclusive"
    improved = (result.absolute.estimate < 0) if lower else (result.absolute.estimate > 0)
    return "better" if improved else "worse"


@dataclass
class _Compared:
    comparison: Comparison
    decisive: FrequentistResult  # the sequential result decisions use (CUPED when available)
    non_inferiority: NonInferiorityResult | None


def _compare(
    spec: ExperimentSpec,
    metric: MetricSpec,
    control: str,
    treatment: str,
    arms: dict[str, ArmEstimate],
    cuped: dict[str, ArmEstimate] | None,
    reduction: float | None,
    values: dict[str, ArmValue],
) -> _Compared:
    alpha = spec.alpha
    a, b = arms[control], arms[treatment]
    fixed = welch_test(a, b, alpha=alpha)
    sequential = sequential_test(a, b, alpha=alpha, tuning_parameter=spec.tuning_parameter)
    relative = a.mean != 0
    bayes = bayesian_test(a, b, relative=relative, lower_is_better=metric.lower_is_better)
    cuped_fixed = cuped_sequential = None
    cuped_bayes = None
    if cuped is not None:
        ca, cb = cuped[control], cuped[treatment]
        cuped_fixed = welch_test(ca, cb, alpha=alpha)
        cuped_sequential = sequential_test(
            ca, cb, alpha=alpha, tuning_parameter=spec.tuning_parameter
        )
        cuped_bayes = bayesian_test(
            ca, cb, relative=ca.mean != 0, lower_is_better=metric.lower_is_better
        )
    decisive = cuped_sequential or sequential
    non_inferiority = None
    ni = None
    if metric.guardrail:
        source = cuped if cuped is not None else arms
        ni = non_inferiority_test(
            source[control],
            source[treatment],
            margin=metric.guardrail_margin,
            relative=source[control].mean != 0,
            lower_is_better=metric.lower_is_better,
            alpha=alpha,
        )
        non_inferiority = NonInferiority(
            margin=ni.margin,
            worst_case=ni.worst_case,
            p_value=ni.p_value,
            non_inferior=ni.non_inferior,
            inferior=ni.inferior,
        )
    comparison = Comparison(
        variation=treatment,
        control=values[control],
        treatment=values[treatment],
        fixed=_frequentist(fixed),
        sequential=_frequentist(sequential),
        bayesian=_bayesian(bayes),
        cuped_fixed=_frequentist(cuped_fixed) if cuped_fixed else None,
        cuped_sequential=_frequentist(cuped_sequential) if cuped_sequential else None,
        cuped_bayesian=_bayesian(cuped_bayes) if cuped_bayes else None,
        cuped_variance_reduction=reduction,
        adjusted_p_value=None,
        non_inferiority=non_inferiority,
        verdict=_verdict(decisive, decisive.p_value, alpha, metric.lower_is_better),
    )
    return _Compared(comparison, decisive, ni)


def _cumulative(
    spec: ExperimentSpec, metric: MetricSpec, agg: Aggregates, start: date, as_of: date
) -> tuple[CumulativeSeries, ...]:
    control = spec.variations[0].key
    days = [start + timedelta(days=i) for i in range((as_of - start).days + 1)]
    cohorts = {
        v.key: np.cumsum(
            [agg.by_day.get(v.key, {}).get(day, np.zeros(len(agg.columns))) for day in days],
            axis=0,
        )
        for v in spec.variations
    }
    series = []
    for variation in spec.variations[1:]:
        points = []
        for i, day in enumerate(days):
            try:
                a = estimate(_stats(metric, cohorts[control][i], agg))
                b = estimate(_stats(metric, cohorts[variation.key][i], agg))
                result = sequential_test(
                    a, b, alpha=spec.alpha, tuning_parameter=spec.tuning_parameter
                )
            except StatsInputError:
                continue  # too few creators yet on that day
            points.append(
                CumulativePoint(
                    day=day,
                    control_creators=a.n,
                    treatment_creators=b.n,
                    absolute=_interval(result.absolute),
                    relative=_interval(result.relative) if result.relative else None,
                )
            )
        series.append(CumulativeSeries(variation=variation.key, points=tuple(points)))
    return tuple(series)


def _dimensions(
    spec: ExperimentSpec, metric: MetricSpec, agg: Aggregates
) -> tuple[DimensionSlice, ...]:
    control = spec.variations[0].key
    zeros = np.zeros(len(agg.columns))
    slices: list[tuple[str, str, dict[str, np.ndarray]]] = []
    for dimension, by_value in agg.by_dimension.items():
        ranked = sorted(
            by_value.items(), key=lambda item: (-sum(s[0] for s in item[1].values()), item[0])
        )
        other: dict[str, np.ndarray] = {}
        for rank, (value, by_variation) in enumerate(ranked):
            if rank < TOP_VALUES and value != OTHER:
                slices.append((dimension, value, by_variation))
            else:
                for key, sums in by_variation.items():
                    other[key] = other.get(key, zeros) + sums
        if other:
            slices.append((dimension, OTHER, other))
    found: list[tuple[str, str, int, list[SliceComparison], str]] = []
    p_values: list[float] = []
    for dimension, value, by_variation in slices:
        arm_sums = {v.key: by_variation.get(v.key, zeros) for v in spec.variations}
        values = {key: _arm_value(metric, key, s, agg) for key, s in arm_sums.items()}
        comparisons: list[SliceComparison] = []
        error = ""
        try:
            arms = {key: estimate(_stats(metric, s, agg)) for key, s in arm_sums.items()}
            for treatment in spec.variations[1:]:
                tested = sequential_test(
                    arms[control],
                    arms[treatment.key],
                    alpha=spec.alpha,
                    tuning_parameter=spec.tuning_parameter,
                )
                comparisons.append(
                    SliceComparison(
                        variation=treatment.key,
                        control=values[control],
                        treatment=values[treatment.key],
                        relative=_interval(tested.relative) if tested.relative else None,
                        absolute=_interval(tested.absolute),
                        p_value=tested.p_value,
                        adjusted_p_value=1.0,
                    )
                )
        except StatsInputError as problem:
            comparisons, error = [], str(problem)
        p_values.extend(c.p_value for c in comparisons)
        creators = int(sum(s[0] for s in arm_sums.values()))
        found.append((dimension, value, creators, comparisons, error))
    adjusted = iter(benjamini_hochberg(p_values) if p_values else [])
    breakdown = []
    for dimension, value, creators, comparisons, error in found:
        with_adjusted = tuple(
            replace(c, adjusted_p_value=float(next(adjusted))) for c in comparisons
        )
        breakdown.append(
            DimensionSlice(
                dimension=dimension,  # type: ignore[arg-type]
                value=value,
                creators=creators,
                comparisons=with_adjusted,
                error=error,
            )
        )
    return tuple(breakdown)


def _power(
    spec: ExperimentSpec,
    metric: MetricSpec,
    control: ArmEstimate,
    current: Sequence[int],
    daily: float,
) -> Power | None:
    plan = Plan(alpha=spec.alpha, variations=len(spec.variations))
    try:
        mde = minimum_detectable_effect(
            n_per_variation=min(current),
            baseline_mean=control.mean,
            baseline_variance=control.variance,
            plan=plan,
        ).relative
        required = sample_size_per_variation(
            baseline_mean=control.mean,
            baseline_variance=control.variance,
            relative_effect=metric.target_effect,
            plan=plan,
        )
        days = duration_estimate(
            required_per_variation=required,
            current_per_variation=current,
            daily_units=daily,
            weights=[v.weight for v in spec.variations],
        ).days_remaining
    except StatsInputError:
        return None  # a zero baseline or no variance: nothing to plan on yet
    return Power(
        target_effect=metric.target_effect,
        minimum_detectable_effect=mde,
        required_per_variation=required,
        days_remaining=days,
    )


def analyze(
    spec: ExperimentSpec,
    agg: Aggregates,
    *,
    as_of: date,
    computed_at: datetime,
    progress: Callable[[str], None] | None = None,
) -> ExperimentResults:
    """Every metric's comparisons, cumulative series, dimension slices and power; SRM; Holm over
    the primary metrics and treatments; the decision per treatment."""
    keys = [v.key for v in spec.variations]
    control = keys[0]
    totals = {key: agg.total(key) for key in keys}
    creators = [int(totals[key][0]) for key in keys]
    exposure_days = sorted({day for days in agg.by_day.values() for day in days})
    start = exposure_days[0] if exposure_days else as_of
    warnings: list[str] = []
    srm = None
    srm_result = None
    if sum(creators) > 0:
        srm_result = srm_check(creators, [v.weight for v in spec.variations])
        srm = Srm(
            observed=srm_result.observed,
            expected=srm_result.expected,
            p_value=srm_result.p_value,
            mismatch=srm_result.mismatch,
            threshold=srm_result.threshold,
        )
    recent = as_of - timedelta(days=ARRIVAL_DAYS - 1)
    arrivals = sum(
        float(sums[0])
        for days in agg.by_day.values()
        for day, sums in days.items()
        if day >= recent
    )
    daily = arrivals / min(ARRIVAL_DAYS, (as_of - start).days + 1)

    results: list[MetricResult] = []
    compared: dict[tuple[str, str], _Compared] = {}
    for metric in spec.metrics:
        if progress:
            progress(metric.key)
        role: Literal["primary", "guardrail"] = "guardrail" if metric.guardrail else "primary"
        if metric in spec.guardrails:
            role = "guardrail"
        values = {key: _arm_value(metric, key, totals[key], agg) for key in keys}
        comparisons: list[Comparison] = []
        error = ""
        power = None
        try:
            arms = {key: estimate(_stats(metric, totals[key], agg)) for key in keys}
            cuped = reductions = None
            if metric.cuped:
                adjustment = cuped_estimates([_cuped(metric, totals[key], agg) for key in keys])
                cuped = dict(zip(keys, adjustment.estimates, strict=True))
                reductions = dict(zip(keys, adjustment.variance_reduction, strict=True))
            for key in keys[1:]:
                item = _compare(
                    spec,
                    metric,
                    control,
                    key,
                    arms,
                    cuped,
                    reductions[key] if reductions else None,
                    values,
                )
                compared[(metric.key, key)] = item
                comparisons.append(item.comparison)
            power = _power(spec, metric, arms[control], creators, daily)
        except StatsInputError as problem:
            error = str(problem)
            comparisons = []
            warnings.append(f"{metric.key}: {problem}")
        results.append(
            MetricResult(
                key=metric.key,
                name=metric.name,
                kind=metric.kind,
                role=role,
                lower_is_better=metric.lower_is_better,
                window_days=metric.window_days,
                delay_days=metric.delay_days,
                arms=tuple(values[key] for key in keys),
                comparisons=tuple(comparisons),
                cumulative=_cumulative(spec, metric, agg, start, as_of) if not error else (),
                dimensions=_dimensions(spec, metric, agg),
                power=power,
                error=error,
            )
        )

    # Holm over the primary metrics and treatments, on the p-values decisions use.
    primary_keys = [(m.key, v) for m in spec.primary for v in keys[1:] if (m.key, v) in compared]
    holm = holm_bonferroni([compared[k].decisive.p_value for k in primary_keys])
    adjusted = dict(zip(primary_keys, (float(p) for p in holm), strict=True))
    final: list[MetricResult] = []
    for metric_result, metric in zip(results, spec.metrics, strict=True):
        updated = []
        for comparison in metric_result.comparisons:
            p = adjusted.get((metric.key, comparison.variation))
            verdict = comparison.verdict
            if p is not None:
                verdict = _verdict(
                    compared[(metric.key, comparison.variation)].decisive,
                    p,
                    spec.alpha,
                    metric.lower_is_better,
                )
            updated.append(replace(comparison, adjusted_p_value=p, verdict=verdict))
        final.append(replace(metric_result, comparisons=tuple(updated)))

    decisions = []
    for key in keys[1:]:
        primary = [
            PrimaryMetric(
                m.key,
                compared[(m.key, key)].decisive,
                lower_is_better=m.lower_is_better,
                adjusted_p_value=adjusted[(m.key, key)],
            )
            for m in spec.primary
            if (m.key, key) in compared
        ]
        guardrails = [
            Guardrail(m.key, compared[(m.key, key)].non_inferiority)  # type: ignore[arg-type]
            for m in spec.guardrails
            if (m.key, key) in compared and compared[(m.key, key)].non_inferiority is not None
        ]
        if not primary:
            continue
        decision = decide(primary=primary, guardrails=guardrails, srm=srm_result)
        decisions.append(
            VariationDecision(
                variation=key,
                action=decision.action,
                reasons=tuple(
                    DecisionReason(code=str(reason.code), metric=reason.metric)
                    for reason in decision.reasons
                ),
            )
        )
    return ExperimentResults(
        experiment=spec.key,
        as_of=as_of,
        start=start,
        computed_at=computed_at,
        alpha=spec.alpha,
        variations=tuple(
            VariationInfo(v.key, v.name, v.weight, creators[i])
            for i, v in enumerate(spec.variations)
        ),
        srm=srm,
        metrics=tuple(final),
        decisions=tuple(decisions),
        warnings=tuple(warnings),
    )
