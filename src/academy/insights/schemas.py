"""Request and response shapes of the insights API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ninja import Field, Schema


class TileParams(Schema):
    start: date | None = Field(
        None, description="First UTC day of the period (inclusive); default: 6 days before end."
    )
    end: date | None = Field(
        None, description="Last UTC day of the period (inclusive); default: today."
    )
    compare: bool = Field(
        True, description="Also answer for the previous period of the same length."
    )
    breakdown: str | None = Field(
        None,
        description="region, language, follower_tier, platform, entry_point or experiment "
        "(the tile's `breakdowns` list which).",
    )
    experiment: str | None = Field(
        None, max_length=64, description="The experiment key, with breakdown=experiment."
    )
    filter_region: str | None = Field(None, alias="filter.region", max_length=100)
    filter_language: str | None = Field(None, alias="filter.language", max_length=100)
    filter_platform: str | None = Field(None, alias="filter.platform", max_length=100)
    filter_entry_point: str | None = Field(None, alias="filter.entry_point", max_length=100)
    filter_follower_tier: str | None = Field(None, alias="filter.follower_tier", max_length=100)
    filter_item_kind: str | None = Field(None, alias="filter.item_kind", max_length=100)
    filter_item_id: str | None = Field(None, alias="filter.item_id", max_length=100)
    steps: str | None = Field(
        None,
        max_length=400,
        description="Funnel: comma-separated steps, each `event` or `event@entry_point`.",
    )
    window_hours: int | None = Field(None, description="Funnel: the conversion window in hours.")
    order: str | None = Field(None, description="Funnel: `strict` or `any`.")
    days: str | None = Field(
        None, max_length=100, description="Retention: comma-separated day offsets, e.g. 1,7,28."
    )
    limit: int | None = Field(None, description="Content and search gaps: rows to list.")


class ColumnOut(Schema):
    key: str
    label: str
    kind: str = Field(description="dimension, day, week, count, ratio, percent, seconds or number")


class TileSpecOut(Schema):
    key: str
    title: str
    description: str
    dashboard: str
    chart: str
    params: dict[str, Any] = Field(description="Tile-specific parameters and their defaults.")
    breakdowns: list[str]
    filters: list[str]
    metrics: list[str] = Field(description="The metric definitions shown (docs/METRICS.md).")


class TileQueryOut(Schema):
    start: date
    end: date
    compare: bool
    breakdown: str | None
    experiment: str | None
    filters: dict[str, str]
    params: dict[str, Any]
    previous_start: date
    previous_end: date


class TileOut(Schema):
    key: str
    title: str
    description: str
    chart: str
    query: TileQueryOut
    columns: list[ColumnOut]
    rows: list[dict[str, Any]] = Field(description="The table for the period, keyed by column.")
    previous_rows: list[dict[str, Any]]
    headline: dict[str, Any]
    previous_headline: dict[str, Any]
    series: list[dict[str, Any]] = Field(
        description="Chart points: day, value, period (current or previous) and the breakdown; "
        "previous points are moved onto the current period's days (previous_day keeps theirs)."
    )
    metrics: list[str]
    computed_at: datetime
    source_version: str
