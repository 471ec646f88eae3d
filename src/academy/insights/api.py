"""The insights API: every dashboard tile as JSON, with the same numbers as the console pages.

Needs the `insights:read` scope: an API key that holds it, or a signed-in analyst.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from academy.accounts.choices import ApiScope
from academy.core import clock
from academy.core.auth import require_scope
from academy.core.schemas import PROBLEM_RESPONSES
from academy.insights.schemas import ColumnOut, TileOut, TileParams, TileQueryOut, TileSpecOut
from academy.insights.selectors import FILTERS, tile, tile_spec
from academy.insights.tiles import FILTERS as FILTER_NAMES
from academy.insights.tiles import TILES, TileQuery, TileResult, TileSpec

router = Router(tags=["insights"])
PARAMS = ("steps", "window_hours", "order", "days", "limit")


def _spec_out(spec: TileSpec) -> TileSpecOut:
    return TileSpecOut(
        key=spec.key,
        title=str(spec.title),
        description=str(spec.description),
        dashboard=spec.dashboard,
        chart=spec.chart,
        params=dict(spec.params),
        breakdowns=list(spec.breakdowns),
        filters=list(FILTERS[spec.key]),
        metrics=list(spec.metrics),
    )


@router.get(
    "/insights/tiles",
    response={200: list[TileSpecOut], **PROBLEM_RESPONSES},
    operation_id="insights_tiles",
    summary="Every dashboard tile, with its parameters, breakdowns and filters",
)
def tiles_list(request: HttpRequest) -> list[TileSpecOut]:
    require_scope(request, ApiScope.INSIGHTS_READ)
    return [_spec_out(spec) for spec in TILES.values()]


def query_from(params: TileParams) -> TileQuery:
    end = params.end or clock.now().date()
    start = params.start or end - timedelta(days=6)
    filters = {
        name: value
        for name in FILTER_NAMES
        if (value := getattr(params, f"filter_{name}")) is not None
    }
    extra: dict[str, Any] = {
        name: value for name in PARAMS if (value := getattr(params, name)) is not None
    }
    return TileQuery(
        start=start,
        end=end,
        compare=params.compare,
        breakdown=params.breakdown or None,
        experiment=params.experiment or None,
        filters=filters,
        params=extra,
    )


def tile_out(result: TileResult) -> TileOut:
    query = result.query
    previous = query.previous()
    return TileOut(
        key=result.key,
        title=str(result.title),
        description=str(result.description),
        chart=result.chart,
        query=TileQueryOut(
            start=query.start,
            end=query.end,
            compare=query.compare,
            breakdown=query.breakdown,
            experiment=query.experiment,
            filters=dict(query.filters),
            params=dict(query.params),
            previous_start=previous.start,
            previous_end=previous.end,
        ),
        columns=[
            ColumnOut(key=column.key, label=str(column.label), kind=column.kind)
            for column in result.columns
        ],
        rows=result.rows,
        previous_rows=result.previous_rows,
        headline=result.headline,
        previous_headline=result.previous_headline,
        series=result.series,
        metrics=list(result.metrics),
        computed_at=result.computed_at,
        source_version=result.source_version,
    )


@router.get(
    "/insights/tiles/{key}",
    response={200: TileOut, **PROBLEM_RESPONSES},
    operation_id="insights_tile",
    summary="One tile's numbers for a period, its previous period, a breakdown and filters",
    description=(
        "Filters are `filter.<dimension>=value` (the tile's `filters`); tile parameters "
        "(funnel `steps`, `window_hours`, `order`; retention `days`; `limit`) as listed by "
        "`GET /insights/tiles`. Ratios are fractions (0.042 = 4.2%). Definitions: docs/METRICS.md."
    ),
)
def tile_get(request: HttpRequest, key: str, params: Query[TileParams]) -> TileOut:
    require_scope(request, ApiScope.INSIGHTS_READ)
    tile_spec(key)
    return tile_out(tile(key, query_from(params)))
