"""Charts draw what the tile's table says: values, labels, the previous period, readable colours.

The tile results here are written out by hand so each test can state the exact numbers it expects
on screen; the view tests draw real tiles computed from a lake.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from academy.insights.charts import PALETTE, chart_spec
from academy.insights.tiles import Column, TileQuery, TileResult

START = date(2026, 11, 23)
END = date(2026, 11, 29)


def result(
    *,
    chart: str,
    columns: tuple[Column, ...],
    rows: list[dict[str, Any]],
    previous_rows: list[dict[str, Any]] | None = None,
    headline: dict[str, Any] | None = None,
    series: list[dict[str, Any]] | None = None,
    breakdown: str | None = None,
    compare: bool = True,
) -> TileResult:
    return TileResult(
        key="entry_point_ctr",
        title="Impressions, clicks and CTR per entry point",
        description="Impressions, clicks and click-through rate of each entry point.",
        query=TileQuery(start=START, end=END, compare=compare, breakdown=breakdown),
        chart=chart,  # type: ignore[arg-type]
        columns=columns,
        rows=rows,
        previous_rows=previous_rows or [],
        headline=headline or {},
        previous_headline={},
        series=series or [],
        computed_at=datetime(2026, 11, 30, tzinfo=UTC),
        source_version="test",
    )


def data(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return list(spec["data"]["values"])


def relative_luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_on_white(colour: str) -> float:
    return 1.05 / (relative_luminance(colour) + 0.05)


CTR_COLUMNS = (
    Column("day", "Day", "day"),
    Column("impressions", "Impressions", "count"),
    Column("clicks", "Clicks", "count"),
    Column("ctr", "CTR", "ratio"),
)


def test_line_chart_overlays_the_previous_period_dashed_on_the_same_days() -> None:
    series = [
        {"day": START, "value": 0.05, "period": "current"},
        {"day": START + timedelta(days=1), "value": 0.06, "period": "current"},
        {"day": START - timedelta(days=7), "value": 0.04, "period": "previous"},
        {"day": START - timedelta(days=6), "value": 0.03, "period": "previous"},
    ]
    spec = chart_spec(
        result(
            chart="line",
            columns=CTR_COLUMNS,
            rows=[],
            headline={"ctr": 0.055},
            series=series,
        )
    )
    assert spec is not None
    assert spec["title"]["text"] == "Impressions, clicks and CTR per entry point"
    assert spec["description"].startswith("Impressions, clicks and click-through rate")
    points = data(spec)
    previous = [p for p in points if p["period"] == "Previous period"]
    # Last week's Monday is drawn on this week's Monday, labelled with its own date.
    assert [(p["day"], p["value"]) for p in previous] == [
        ("2026-11-23", 0.04),
        ("2026-11-24", 0.03),
    ]
    assert previous[0]["date"] != points[0]["date"]
    encoding = spec["encoding"]
    assert encoding["y"]["field"] == "value"
    assert encoding["y"]["title"] == "CTR"  # the headline measure, shown as a percentage
    assert encoding["y"]["axis"]["format"] == ".1%"
    dash = encoding["strokeDash"]["scale"]
    assert dash["domain"] == ["This period", "Previous period"]
    assert dash["range"][0] == [1, 0]
    assert dash["range"][1] == [6, 4]  # dashed


def test_line_chart_without_comparison_has_no_previous_line() -> None:
    spec = chart_spec(
        result(
            chart="line",
            columns=CTR_COLUMNS,
            rows=[],
            headline={"ctr": 0.05},
            series=[{"day": START, "value": 0.05, "period": "current"}],
            compare=False,
        )
    )
    assert spec is not None
    assert {p["period"] for p in data(spec)} == {"This period"}
    assert spec["encoding"]["strokeDash"]["scale"]["domain"] == ["This period"]


def test_line_chart_with_a_breakdown_draws_one_line_per_value() -> None:
    series = [
        {"day": START, "value": 0.05, "period": "current", "region": "BR"},
        {"day": START, "value": 0.02, "period": "current", "region": "US"},
        {"day": START - timedelta(days=7), "value": 0.04, "period": "previous", "region": "BR"},
    ]
    columns = (Column("region", "Region", "dimension"), *CTR_COLUMNS[1:])
    spec = chart_spec(
        result(
            chart="line",
            columns=columns,
            rows=[],
            headline={"ctr": 0.04},
            series=series,
            breakdown="region",
        )
    )
    assert spec is not None
    assert sorted({p["group"] for p in data(spec)}) == ["BR", "US"]
    assert spec["encoding"]["color"]["field"] == "group"
    assert spec["encoding"]["color"]["title"] == "Region"
    assert spec["encoding"]["color"]["scale"]["range"] == list(PALETTE)


def test_bar_chart_puts_each_value_beside_its_previous_period() -> None:
    columns = (
        Column("region", "Region", "dimension"),
        Column("clicks", "Clicks", "count"),
        Column("ctr", "CTR", "ratio"),
    )
    spec = chart_spec(
        result(
            chart="bar",
            columns=columns,
            rows=[
                {"region": "BR", "clicks": 30, "ctr": 0.06},
                {"region": "US", "clicks": 10, "ctr": 0.02},
            ],
            previous_rows=[{"region": "BR", "clicks": 20, "ctr": 0.05}],
            headline={"ctr": 0.045},
            breakdown="region",
        )
    )
    assert spec is not None
    rows = sorted((r["label"], r["period"], r["value"]) for r in data(spec))
    assert rows == [
        ("BR", "Previous period", 0.05),
        ("BR", "This period", 0.06),
        ("US", "This period", 0.02),
    ]
    encoding = spec["encoding"]
    assert encoding["y"]["sort"] == ["BR", "US"]  # highest first
    assert encoding["x"]["title"] == "CTR"
    assert encoding["yOffset"]["field"] == "period"


def test_heatmap_has_a_labelled_cell_per_cohort_and_day() -> None:
    columns = (
        Column("week", "Cohort week", "week"),
        Column("creators", "Creators", "count"),
        Column("day_1", "Day 1", "percent"),
        Column("day_7", "Day 7", "percent"),
    )
    spec = chart_spec(
        result(
            chart="heatmap",
            columns=columns,
            rows=[
                {"week": date(2026, 11, 2), "creators": 40, "day_1": 0.5, "day_7": 0.25},
                {"week": date(2026, 11, 9), "creators": 20, "day_1": 0.4, "day_7": None},
            ],
        )
    )
    assert spec is not None
    cells = data(spec)
    assert [(c["column"], c["value"]) for c in cells] == [
        ("Day 1", 0.5),
        ("Day 7", 0.25),
        ("Day 1", 0.4),
    ]
    rects, labels = spec["layer"]
    assert rects["mark"]["type"] == "rect"
    assert labels["encoding"]["text"]["format"] == ".1%"
    assert spec["encoding"]["x"]["sort"] == ["Day 1", "Day 7"]


FUNNEL_COLUMNS = (
    Column("step", "Step", "number"),
    Column("event", "Event", "dimension"),
    Column("creators", "Creators", "count"),
    Column("step_conversion", "From previous step", "percent"),
    Column("overall_conversion", "From first step", "percent"),
    Column("median_seconds", "Median time to convert", "seconds"),
)


def funnel_row(step: int, event: str, creators: int, rate: float, **extra: Any) -> dict[str, Any]:
    return {
        **extra,
        "step": step,
        "event": event,
        "creators": creators,
        "step_conversion": rate,
        "overall_conversion": rate,
        "median_seconds": None,
    }


def test_funnel_bars_are_labelled_with_the_conversion_from_the_step_before() -> None:
    spec = chart_spec(
        result(
            chart="funnel",
            columns=FUNNEL_COLUMNS,
            rows=[
                funnel_row(1, "click@for_you_card", 1200, 1.0),
                funnel_row(2, "lesson_start", 600, 0.5),
                funnel_row(3, "lesson_complete", 150, 0.25),
            ],
            previous_rows=[
                funnel_row(1, "click@for_you_card", 1000, 1.0),
                funnel_row(2, "lesson_start", 400, 0.4),
                funnel_row(3, "lesson_complete", 200, 0.5),
            ],
        )
    )
    assert spec is not None
    current = [b for b in data(spec) if b["period"] == "This period"]
    # The first step has no step before it: its bar shows the count only.
    assert [b["text"] for b in current] == ["1,200", "600 (50.0%)", "150 (25.0%)"]
    assert [b["step"] for b in current] == [
        "1. click@for_you_card",
        "2. lesson_start",
        "3. lesson_complete",
    ]
    assert spec["encoding"]["y"]["sort"] == [b["step"] for b in current]
    previous = [b["text"] for b in data(spec) if b["period"] == "Previous period"]
    assert previous == ["1,000", "400 (40.0%)", "200 (50.0%)"]
    assert spec["layer"][0]["encoding"]["color"]["scale"]["domain"] == [
        "This period",
        "Previous period",
    ]


def test_funnel_by_region_has_a_bar_per_region_at_each_step() -> None:
    columns = (Column("region", "Region", "dimension"), *FUNNEL_COLUMNS)
    spec = chart_spec(
        result(
            chart="funnel",
            columns=columns,
            breakdown="region",
            rows=[
                funnel_row(1, "click", 10, 1.0, region="BR"),
                funnel_row(2, "lesson_complete", 5, 0.5, region="BR"),
                funnel_row(1, "click", 4, 1.0, region="MX"),
                funnel_row(2, "lesson_complete", 1, 0.25, region="MX"),
            ],
            previous_rows=[funnel_row(1, "click", 9, 1.0, region="BR")],
        )
    )
    assert spec is not None
    bars = [(b["group"], b["step"], b["text"]) for b in data(spec)]
    assert bars == [
        ("BR", "1. click", "10"),
        ("BR", "2. lesson_complete", "5 (50.0%)"),
        ("MX", "1. click", "4"),
        ("MX", "2. lesson_complete", "1 (25.0%)"),
    ]
    assert spec["layer"][0]["encoding"]["color"]["title"] == "Region"


def test_table_tiles_and_empty_tiles_have_no_chart() -> None:
    assert chart_spec(result(chart="table", columns=CTR_COLUMNS, rows=[{"day": START}])) is None
    assert chart_spec(result(chart="line", columns=CTR_COLUMNS, rows=[], series=[])) is None


@pytest.mark.parametrize("colour", PALETTE)
def test_every_chart_colour_is_readable_on_the_white_background(colour: str) -> None:
    assert contrast_on_white(colour) >= 4.5
