"""The funnel tile as it was computed before the step store: SQL over the period's lake events,
a chain of joins per step. The tests and the benchmark's comparison (`bench.insights_tiles
--compare-funnels`) check that ``compute.funnel`` gives exactly its answers. One change: ties
between entering events for a context breakdown are broken as the store breaks them (below)."""

# ruff: noqa: S608 — the SQL is built from fixed identifiers; values are ``?`` parameters.
from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from academy.events.query import DuckDBEngine, QueryEngine
from academy.insights import compute
from academy.insights.compute import (
    CONTEXT,
    NOT_SET,
    Answer,
    Period,
    Segments,
    Slice,
    Step,
    funnel_answer,
)
from academy.insights.funnel_store import StepEvents
from academy.insights.selectors import funnel_dimension, parse_steps

Variant = tuple[str, str, int, str | None, dict[str, str]]


def funnel_from_lake(
    engine: QueryEngine,
    period: Period,
    slice_: Slice,
    steps: Sequence[Step],
    window: timedelta,
    order: str,
) -> Answer:
    """Creators reaching each step (see the funnel metrics); ``events`` is the period's lake.
    The tile's SQL before the step store, kept as the reference its answers must equal.

    Any order needs only each step's first event per creator (the window opens at the earliest
    of them, so each step's first event inside it is its first event at all): one aggregation.
    Strict order needs every event of steps 2..n of the creators who entered, inside their
    window: those are kept in a temporary table, step 1 is an aggregation.
    """
    slice_, item_condition, item_params = compute._item_filter(slice_, "e")
    context = {key: value for key, value in slice_.filters.items() if key in CONTEXT}
    creator_filters = {k: v for k, v in slice_.filters.items() if k not in CONTEXT}
    count = len(steps)
    matches, match_params = [], []
    for step in steps:
        condition = "e.name = ?"
        match_params.append(step.name)
        if step.entry_point:
            condition += " AND e.entry_point = ?"
            match_params.append(step.entry_point)
        matches.append(f"({condition})")
    where = ["e.creator_id <> ''", *([item_condition] if item_condition else [])]
    where_params: list[Any] = [*item_params]
    for key, value in sorted(context.items()):
        if value == NOT_SET:
            where.append(f"(e.{key} IS NULL OR e.{key} = '')")
        else:
            where.append(f"e.{key} = ?")
            where_params.append(value)
    seconds = int(window.total_seconds())
    breakdown = slice_.breakdown
    # The context of the entering event, only for a breakdown by it (min_by costs a scan's worth).
    kept = [breakdown] if breakdown in CONTEXT else []
    # The one change to the SQL the store replaced: of entering events at the same instant, the
    # smallest value ('' for a missing one), as the store does; it took whichever it read first.
    contexts = "".join(
        f", min_by(e.{key}, (e.timestamp, COALESCE(e.{key}, ''))) AS {key}" for key in kept
    )
    if order == "strict":
        engine.query(
            f"""CREATE OR REPLACE TEMP TABLE funnel_entered AS
            SELECT e.creator_id AS creator_id, MIN(e.timestamp) AS t0{contexts}
            FROM events e WHERE {" AND ".join([*where, matches[0]])}
            GROUP BY e.creator_id""",
            [*where_params, *match_params[: len(match_params) - _tail_params(steps, 1)]],
        )
        later = " OR ".join(matches[1:])
        flags = ", ".join(
            f"CASE WHEN {matches[k]} THEN 1 ELSE 0 END AS m{k + 1}" for k in range(1, count)
        )
        engine.query(
            f"""CREATE OR REPLACE TEMP TABLE funnel_events AS
            SELECT e.creator_id AS creator_id, e.timestamp AS ts, {flags}
            FROM events e JOIN funnel_entered s ON s.creator_id = e.creator_id
            WHERE {" AND ".join(where)} AND ({later})
              AND e.timestamp >= s.t0 AND e.timestamp <= s.t0 + to_seconds({seconds})""",
            [
                *_params_after(steps, match_params, 1),
                *where_params,
                *_params_after(steps, match_params, 1),
            ],
        )
        ctes = ["s1 AS (SELECT creator_id, t0 AS t FROM funnel_entered)"]
        for k in range(2, count + 1):
            ctes.append(
                f"s{k} AS (SELECT p.creator_id, MIN(f.ts) AS t FROM s{k - 1} p "
                f"JOIN funnel_events f ON f.creator_id = p.creator_id AND f.m{k} = 1 "
                f"AND f.ts >= p.t GROUP BY p.creator_id)"
            )
        joins = " ".join(
            f"LEFT JOIN s{k} ON s{k}.creator_id = s1.creator_id" for k in range(1, count + 1)
        )
        base = (
            f"WITH {', '.join(ctes)}, reached AS (SELECT f.creator_id AS creator_id, "
            f"f.t0 AS t0, {', '.join(f's{k}.t AS t{k}' for k in range(1, count + 1))}"
            f"{''.join(f', f.{key} AS {key}' for key in kept)} "
            f"FROM funnel_entered f {joins.replace('= s1.creator_id', '= f.creator_id')})"
        )
        done = {k: f"t{k} IS NOT NULL" for k in range(1, count + 1)}
        elapsed = {k: f"t{k} - t0" for k in range(1, count + 1)}
        base_params: list[Any] = []
    else:
        firsts = ", ".join(
            f"MIN(CASE WHEN {matches[k]} THEN e.timestamp END) AS f{k + 1}" for k in range(count)
        )
        firsts_params = list(match_params)
        every = " OR ".join(matches)
        anchor = "LEAST(" + ", ".join(f"f{k}" for k in range(1, count + 1)) + ")"
        inside = ", ".join(
            f"CASE WHEN f{k} <= t0 + to_seconds({seconds}) THEN f{k} END AS t{k}"
            for k in range(1, count + 1)
        )
        base = (
            f"WITH firsts AS (SELECT e.creator_id AS creator_id, {firsts}{contexts} "
            f"FROM events e WHERE {' AND '.join(where)} AND ({every}) GROUP BY e.creator_id), "
            f"anchored AS (SELECT *, {anchor} AS t0 FROM firsts), "
            f"reached AS (SELECT creator_id, t0, {inside}{''.join(f', {key}' for key in kept)} "
            "FROM anchored)"
        )
        base_params = [*firsts_params, *where_params, *match_params]
        done = {
            k: " AND ".join(f"t{j} IS NOT NULL" for j in range(1, k + 1))
            for k in range(1, count + 1)
        }
        elapsed = {
            k: "GREATEST(" + ", ".join(f"t{j}" for j in range(1, k + 1)) + ") - t0"
            if k > 1
            else "t1 - t0"
            for k in range(1, count + 1)
        }
    segments = Segments("r", Slice(breakdown, slice_.experiment, creator_filters))
    aggregates = ", ".join(
        f"COUNT(CASE WHEN {done[k]} THEN 1 END) AS reached_{k}, "
        f"PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY CASE WHEN {done[k]} "
        f"THEN epoch({elapsed[k]}) END) AS seconds_{k}"
        for k in range(1, count + 1)
    )

    def run(grouped: bool) -> list[dict[str, Any]]:
        segment = f"{segments.raw} AS segment, " if grouped else ""
        group = "GROUP BY segment ORDER BY segment" if grouped else ""
        sql = (
            f"{base} SELECT {segment}{aggregates} FROM {segments.source('reached')} "
            f"{segments.clause()} {group}"
        )
        rows: list[dict[str, Any]] = engine.arrow(
            sql, [*base_params, *segments.join_params, *segments.where_params]
        ).to_pylist()
        return rows

    total = run(False)[0]
    grouped = [(row["segment"], row) for row in run(True)] if breakdown else []
    engine.query("DROP TABLE IF EXISTS funnel_events")
    engine.query("DROP TABLE IF EXISTS funnel_entered")
    return funnel_answer(steps, breakdown, total, grouped)


def _tail_params(steps: Sequence[Step], first: int) -> int:
    """How many match parameters the steps from index ``first`` on take."""
    return sum(2 if step.entry_point else 1 for step in steps[first:])


def _params_after(steps: Sequence[Step], params: Sequence[Any], first: int) -> list[Any]:
    """The match parameters of the steps from index ``first`` on."""
    return list(params[len(params) - _tail_params(steps, first) :])


# Funnels compared (steps, order, window hours, breakdown, filters): the default and the product
# question, steps without an entry point, a step repeated, steps out of the usual order, short
# and long windows, each breakdown and each kind of filter (event context, item, creator).
DEFAULT = "impression@for_you_card,click@for_you_card,lesson_start,lesson_complete"
CARD = "click@for_you_card,lesson_start,lesson_complete"
VARIANTS: tuple[Variant, ...] = (
    (DEFAULT, "strict", 168, None, {}),
    (DEFAULT, "any", 168, None, {}),
    (CARD, "strict", 168, None, {}),
    (CARD, "any", 168, None, {}),
    (DEFAULT, "strict", 24, "region", {}),
    (DEFAULT, "any", 24, "entry_point", {}),
    ("impression,click,lesson_start", "strict", 1, "entry_point", {}),
    ("impression,click,lesson_start", "any", 1, "language", {}),
    ("lesson_start,lesson_start@search,lesson_complete", "strict", 24, "follower_tier", {}),
    ("lesson_start,lesson_start@search,lesson_complete", "any", 168, "experiment", {}),
    ("click,impression", "strict", 168, None, {"region": "BR"}),
    ("click,impression", "any", 24, "platform", {"entry_point": "for_you_card"}),
    (DEFAULT, "strict", 168, "region", {"item_kind": "lesson"}),
    (CARD, "any", 168, "follower_tier", {"follower_tier": "nano"}),
    (CARD, "strict", 24, "entry_point", {"region": NOT_SET}),
    (DEFAULT, "any", 1, "experiment", {"platform": "ios"}),
    (CARD, "strict", 24, "platform", {"item_kind": "course", "region": "BR"}),
)
EXPERIMENT = "card"


def funnel_both(
    engine: DuckDBEngine, events_dir: Path, period: Period, variant: Variant
) -> tuple[Answer, Answer]:
    """One variant's answer from ``compute.funnel`` (the step store, or the lake where it is not
    current) and from ``funnel_from_lake``; the creator dimension is registered on ``engine``."""
    text, order, hours, breakdown, filters = variant
    steps = parse_steps(text)
    slice_ = Slice(breakdown, EXPERIMENT if breakdown == "experiment" else None, filters)
    days = [day.isoformat() for day in period.days]
    events = StepEvents(engine, events_dir, days, [step.name for step in steps])
    dimension = funnel_dimension(events_dir, slice_)
    new = compute.funnel(events, slice_, steps, timedelta(hours=hours), order, dimension)
    engine.register_lake(events_dir, days=days)
    old = funnel_from_lake(engine, period, slice_, steps, timedelta(hours=hours), order)
    return new, old
