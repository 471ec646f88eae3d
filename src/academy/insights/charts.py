"""Vega-Lite charts of insight tiles, built with Altair and returned as JSON-ready dicts.

Each chart draws exactly the numbers of its tile's table (the page shows the table beside it for
screen readers and for browsers without JavaScript). Time charts overlay the previous period,
dashed, on the current one; breakdowns are bars; retention is a cohort heatmap; funnels are bars
per step labelled with the step's conversion. Colours keep a 3:1 contrast against the chart's
white background (WCAG 1.4.11) and are never the only cue: the previous period is also dashed or
labelled, and every mark has a tooltip.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import altair as alt
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from academy.insights.tiles import Column, TileResult

# Dark enough on white for lines and bars (each at least 4.5:1), told apart by hue for the
# common colour-vision deficiencies as far as eight hues allow; the table carries the rest.
PALETTE = (
    "#1d4ed8",  # blue
    "#b45309",  # amber
    "#047857",  # green
    "#a3154f",  # the Academy's accent
    "#6d28d9",  # violet
    "#0e7490",  # cyan
    "#4b5563",  # grey
    "#9a3412",  # brick
)
CURRENT_COLOUR = "#a3154f"
PREVIOUS_COLOUR = "#4b5563"
BACKGROUND = "#ffffff"
TEXT_COLOUR = "#1f2937"
# A light-to-dark single-hue scale for the cohort heatmap; cell labels switch to white on dark.
HEAT_SCHEME = ("#eff6ff", "#1e3a8a")
# Cells above this share of the scale's maximum get white labels: past it, white on the cell has
# more contrast than dark text does.
DARK_CELL = 0.65
HEAT_MIN_TOP = 0.05  # the scale's maximum is at least 5%, so a row of zeros stays pale
# A column wide enough for "Day 28 or later"; on a phone the chart scrolls sideways in its box.
HEAT_COLUMN = 96
SOLID: list[int] = [1, 0]
DASHED: list[int] = [6, 4]
MEASURE_KINDS = ("ratio", "percent", "count", "number", "seconds")
TIME_KINDS = ("day", "week")
CHART_HEIGHT = 260
BAR_STEP = 16
LEGEND_COLUMNS = 4  # a breakdown's legend wraps, so it fits a phone


def chart_spec(result: TileResult) -> dict[str, Any] | None:
    """The Vega-Lite spec drawing ``result``, or None when the tile is a table only (or empty)."""
    builders = {
        "line": line_chart,
        "bar": bar_chart,
        "heatmap": heatmap_chart,
        "funnel": funnel_chart,
    }
    build = builders.get(result.chart)
    if build is None:
        return None
    chart = build(result)
    if chart is None:
        return None
    spec: dict[str, Any] = chart.to_dict()
    return spec


# ---------------------------------------------------------------------------------------------
# Which columns play which part


# The measure each time chart's series holds (the table column of the same numbers).
SERIES_MEASURE = {
    "reach": "reach",
    "active_creators": "dau",
    "north_star": "learning_creators",
    "entry_point_ctr": "ctr",
    "lessons": "lesson_starts",
    "watch_percentage": "average_watch_percentage",
    "course_completion": "course_completion_rate",
    # Tiles without a time chart: the measure their table compares with the previous period.
    "funnel": "creators",
    "content_performance": "viewers",
    "search_gaps": "searches",
}


def measure_column(result: TileResult) -> Column | None:
    """The column the chart draws: the tile's series measure, else the first measure that is a
    headline figure, else the first measure of the table."""
    measures = [column for column in result.columns if column.kind in MEASURE_KINDS]
    wanted = SERIES_MEASURE.get(result.key)
    for column in measures:
        if column.key == wanted:
            return column
    for column in measures:
        if column.key in result.headline:
            return column
    return measures[0] if measures else None


def dimension_column(result: TileResult) -> Column | None:
    """The column the bars are labelled with: the breakdown when there is one, else the first
    dimension of the table."""
    dimensions = [column for column in result.columns if column.kind == "dimension"]
    for column in dimensions:
        if column.key == result.query.breakdown:
            return column
    return dimensions[0] if dimensions else None


def value_format(kind: str) -> str:
    """The d3 format of a measure's axis and labels (ratios and percents are fractions)."""
    if kind in ("ratio", "percent"):
        return ".1%"
    if kind in ("count", "seconds"):
        return ",.0f"
    return ",.2~f"


def _measure_axis(kind: str) -> alt.Axis:
    """A measure's axis; counts get whole-number ticks only (no 0.5 creators)."""
    if kind == "count":
        return alt.Axis(format=value_format(kind), tickMinStep=1)
    return alt.Axis(format=value_format(kind))


def plain(value: Any) -> Any:
    """A JSON-ready copy of a table cell (dates as ISO text, decimals as floats)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def _label(value: Any) -> str:
    if isinstance(value, datetime | date):
        return date_format(value, "SHORT_DATE_FORMAT")
    if value is None or value == "":
        return _("(none)")
    return str(value)


def _periods() -> tuple[str, str]:
    return _("This period"), _("Previous period")


def _data(values: list[dict[str, Any]]) -> alt.Data:
    """Inline rows (kept in the spec, where tests and the page read them)."""
    return alt.Data(values=values)  # type: ignore[no-untyped-call]  # Altair's Data is untyped


def _base(result: TileResult, values: list[dict[str, Any]]) -> alt.Chart:
    return alt.Chart(_data(values))


def _configured(chart: alt.TopLevelMixin, result: TileResult) -> alt.TopLevelMixin:
    """The top level: title, description (read out as the chart's label), colours of the text."""
    configured: alt.TopLevelMixin = (
        chart.properties(
            title=alt.TitleParams(text=str(result.title), anchor="start", color=TEXT_COLOUR),
            description=str(result.description),
            background=BACKGROUND,
            usermeta={"tile": result.key},
        )
        .configure_axis(
            labelColor=TEXT_COLOUR, titleColor=TEXT_COLOUR, labelFontSize=12, titleFontSize=12
        )
        .configure_legend(
            labelColor=TEXT_COLOUR, titleColor=TEXT_COLOUR, labelFontSize=12, orient="bottom"
        )
    )
    return configured


# ---------------------------------------------------------------------------------------------
# Line: the measure over time, the previous period dashed on the same days


def line_points(result: TileResult) -> list[dict[str, Any]]:
    """The series as chart rows. Previous-period points are drawn on the current period's days
    (the selector moves them and keeps their own day as ``previous_day``; points still on their
    own day are moved here) and labelled with the day they were measured."""
    current, previous = _periods()
    length = timedelta(days=(result.query.end - result.query.start).days + 1)
    breakdown = result.query.breakdown or _implicit_breakdown(result)
    points: list[dict[str, Any]] = []
    for point in result.series:
        if point.get("value") is None:
            continue
        day = _day(point["day"])
        is_previous = point.get("period") == "previous"
        measured = _day(point.get("previous_day") or day)
        if is_previous and day < result.query.start:
            day += length
        row = {
            "day": day.isoformat(),
            "date": _label(measured),
            "value": plain(point["value"]),
            "period": previous if is_previous else current,
        }
        if breakdown:
            row["group"] = _label(point.get(breakdown))
        points.append(row)
    return points


def _day(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _implicit_breakdown(result: TileResult) -> str | None:
    """A tile split by a dimension without being asked (CTR per entry point): its first column."""
    dimension = dimension_column(result)
    if dimension and any(dimension.key in point for point in result.series):
        return dimension.key
    return None


def line_chart(result: TileResult) -> alt.TopLevelMixin | None:
    points = line_points(result)
    if not points:
        return None
    measure = measure_column(result)
    kind = measure.kind if measure else "number"
    current, previous = _periods()
    has_previous = any(point["period"] == previous for point in points)
    domain = [current, previous] if has_previous else [current]
    grouped = any("group" in point for point in points)
    period_legend: dict[str, Any] = {
        "orient": "top",
        "symbolType": "stroke",
        "symbolStrokeWidth": 2,
        "symbolSize": 300,
    }
    colour = (
        alt.Color(
            "group:N",
            title=_breakdown_title(result),
            scale=alt.Scale(range=list(PALETTE)),
            legend=alt.Legend(columns=LEGEND_COLUMNS),
        )
        if grouped
        else alt.Color(
            "period:N",
            title=None,
            scale=alt.Scale(domain=domain, range=[CURRENT_COLOUR, PREVIOUS_COLOUR][: len(domain)]),
            legend=alt.Legend(**period_legend),
        )
    )
    # Grouped lines take their colour from the group: the period legend shows the dash only.
    dash_legend = {**period_legend, "symbolStrokeColor": TEXT_COLOUR} if grouped else period_legend
    tooltip = [
        alt.Tooltip("date:N", title=_("Day")),
        alt.Tooltip("period:N", title=_("Period")),
        alt.Tooltip(
            "value:Q",
            title=str(measure.label) if measure else _("Value"),
            format=value_format(kind),
        ),
    ]
    if grouped:
        tooltip.insert(0, alt.Tooltip("group:N", title=_breakdown_title(result)))
    chart = (
        _base(result, points)
        .mark_line(point=True, strokeWidth=2)
        .encode(
            # Days are dates: read and labelled in UTC, whatever the browser's time zone.
            x=alt.X(
                "utcyearmonthdate(day):T",
                title=None,
                axis=alt.Axis(format="%d %b", labelAngle=0, tickCount=7),
            ),
            y=alt.Y(
                "value:Q",
                title=str(measure.label) if measure else None,
                axis=_measure_axis(kind),
            ),
            color=colour,
            strokeDash=alt.StrokeDash(
                "period:N",
                title=None,
                legend=alt.Legend(**dash_legend),
                scale=alt.Scale(domain=domain, range=[SOLID, DASHED][: len(domain)]),
            ),
            detail="group:N" if grouped else alt.Undefined,
            tooltip=tooltip,
        )
        .properties(width="container", height=CHART_HEIGHT)
    )
    return _configured(chart, result)


def _bars_legend(*, by_period: bool) -> alt.Legend:
    """Above the bars, in a narrow block: long step labels leave little width on a phone."""
    if by_period:
        return alt.Legend(orient="top", direction="vertical")
    return alt.Legend(orient="top", columns=2)


def _band(bars: int) -> alt.Step:
    """The height of one category: a bar per period or segment, and a gap."""
    return alt.Step(BAR_STEP * bars + 8, **{"for": "position"})


def _breakdown_title(result: TileResult) -> str:
    dimension = dimension_column(result)
    return str(dimension.label) if dimension else _("Group")


# ---------------------------------------------------------------------------------------------
# Bars: the measure per breakdown value, the previous period beside each bar


def bar_rows(result: TileResult) -> list[dict[str, Any]]:
    """One chart row per table row and period, labelled by the dimension column."""
    dimension = dimension_column(result)
    measure = measure_column(result)
    if dimension is None or measure is None:
        return []
    current, previous = _periods()
    rows = [
        {
            "label": _label(row.get(dimension.key)),
            "value": plain(row.get(measure.key)),
            "period": current,
        }
        for row in result.rows
    ]
    labels = {row["label"] for row in rows}
    rows += [
        {
            "label": _label(row.get(dimension.key)),
            "value": plain(row.get(measure.key)),
            "period": previous,
        }
        for row in result.previous_rows
        if _label(row.get(dimension.key)) in labels
    ]
    return [row for row in rows if row["value"] is not None]


def bar_chart(result: TileResult) -> alt.TopLevelMixin | None:
    rows = bar_rows(result)
    dimension = dimension_column(result)
    measure = measure_column(result)
    if not rows or dimension is None or measure is None:
        return None
    current, previous = _periods()
    domain = [current, previous] if any(row["period"] == previous for row in rows) else [current]
    order = [
        row["label"]
        for row in sorted(
            (row for row in rows if row["period"] == current), key=lambda row: -(row["value"] or 0)
        )
    ]
    fmt = value_format(measure.kind)
    chart = (
        _base(result, rows)
        .mark_bar()
        .encode(
            y=alt.Y("label:N", title=str(dimension.label), sort=order),
            x=alt.X("value:Q", title=str(measure.label), axis=_measure_axis(measure.kind)),
            yOffset=alt.YOffset("period:N", scale=alt.Scale(domain=domain)),
            color=alt.Color(
                "period:N",
                title=None,
                scale=alt.Scale(
                    domain=domain, range=[CURRENT_COLOUR, PREVIOUS_COLOUR][: len(domain)]
                ),
                legend=_bars_legend(by_period=True),
            ),
            tooltip=[
                alt.Tooltip("label:N", title=str(dimension.label)),
                alt.Tooltip("period:N", title=_("Period")),
                alt.Tooltip("value:Q", title=str(measure.label), format=fmt),
            ],
        )
        .properties(width="container", height=_band(len(domain)))
    )
    return _configured(chart, result)


# ---------------------------------------------------------------------------------------------
# Heatmap: retention per cohort (rows) and day N (columns)


def heatmap_cells(result: TileResult) -> list[dict[str, Any]]:
    """One cell per cohort row and ratio column, in the table's order."""
    cohort = next((column for column in result.columns if column.kind in TIME_KINDS), None)
    if cohort is None:
        cohort = dimension_column(result)
    if cohort is None:
        return []
    ratios = [column for column in result.columns if column.kind in ("ratio", "percent")]
    cells = []
    breakdown = result.query.breakdown
    for row in result.rows:
        label = _label(row.get(cohort.key))
        if breakdown:
            label = f"{label} · {_label(row.get(breakdown))}"
        for column in ratios:
            value = plain(row.get(column.key))
            if value is None:
                continue
            cells.append({"cohort": label, "column": str(column.label), "value": value})
    return cells


def heatmap_chart(result: TileResult) -> alt.TopLevelMixin | None:
    cells = heatmap_cells(result)
    if not cells:
        return None
    cohort = next((column for column in result.columns if column.kind in TIME_KINDS), None)
    ratios = [column for column in result.columns if column.kind in ("ratio", "percent")]
    kind = ratios[0].kind
    fmt = value_format(kind)
    cohort_title = str(cohort.label) if cohort else _("Cohort")
    columns = [str(column.label) for column in ratios]
    cohorts = list(dict.fromkeys(cell["cohort"] for cell in cells))
    # The darkest colour is the best cell (at least 5%, so a row of zeros stays pale).
    top = max(max(float(cell["value"]) for cell in cells), HEAT_MIN_TOP)
    rects = (
        alt.Chart()
        .mark_rect(stroke=BACKGROUND, strokeWidth=1)
        .encode(
            color=alt.Color(
                "value:Q",
                title=str(ratios[0].label) if len(ratios) == 1 else _("Retained"),
                scale=alt.Scale(range=list(HEAT_SCHEME), domain=[0, top]),
                legend=alt.Legend(format=fmt),
            ),
            tooltip=[
                alt.Tooltip("cohort:N", title=cohort_title),
                alt.Tooltip("column:N", title=_("Measure")),
                alt.Tooltip("value:Q", title=_("Value"), format=fmt),
            ],
        )
    )
    labels = (
        alt.Chart()
        .mark_text(fontSize=11)
        .encode(
            text=alt.Text("value:Q", format=fmt),
            color=alt.condition(
                alt.datum.value > top * DARK_CELL, alt.value(BACKGROUND), alt.value(TEXT_COLOUR)
            ),
        )
    )
    chart = (
        alt.layer(rects, labels, data=_data(cells))
        .encode(
            x=alt.X(
                "column:N", title=None, sort=columns, axis=alt.Axis(labelAngle=0, orient="top")
            ),
            y=alt.Y("cohort:N", title=cohort_title, sort=cohorts),
        )
        .properties(width=alt.Step(HEAT_COLUMN), height=alt.Step(28))
    )
    return _configured(chart, result)


# ---------------------------------------------------------------------------------------------
# Funnel: creators at each step, labelled with the conversion from the step before


def _step_column(result: TileResult) -> Column | None:
    """The column naming a funnel's steps: its dimension that is not the breakdown."""
    return next(
        (
            column
            for column in result.columns
            if column.kind == "dimension" and column.key != result.query.breakdown
        ),
        None,
    )


def funnel_rows(result: TileResult) -> list[dict[str, Any]]:
    """One bar per step and period (or, with a breakdown, per step and segment of the period):
    the creators who reached the step, labelled with the conversion from the step before."""
    step = _step_column(result)
    count = next((column for column in result.columns if column.kind == "count"), None)
    conversion = next(
        (column for column in result.columns if column.kind in ("ratio", "percent")), None
    )
    if step is None or count is None:
        return []
    breakdown = result.query.breakdown
    current, previous = _periods()
    periods = [(current, result.rows)]
    if not breakdown:
        periods.append((previous, result.previous_rows))
    bars = []
    for period, rows in periods:
        position: dict[str, int] = {}
        for row in rows:
            group = _label(row.get(breakdown)) if breakdown else period
            position[group] = position.get(group, 0) + 1
            value = plain(row.get(count.key))
            rate = plain(row.get(conversion.key)) if conversion and position[group] > 1 else None
            bars.append(
                {
                    "step": f"{position[group]}. {_label(row.get(step.key))}",
                    "value": value,
                    "conversion": rate,
                    "period": period,
                    "group": group,
                    "text": _funnel_label(value, rate),
                }
            )
    return bars


def _funnel_label(value: Any, rate: Any) -> str:
    count = f"{value:,}" if isinstance(value, int) else str(value)
    if rate is None:
        return count
    return f"{count} ({rate * 100:.1f}%)"


def funnel_chart(result: TileResult) -> alt.TopLevelMixin | None:
    bars = funnel_rows(result)
    if not bars:
        return None
    count = next(column for column in result.columns if column.kind == "count")
    current, _previous = _periods()
    groups = list(dict.fromkeys(bar["group"] for bar in bars))
    by_period = not result.query.breakdown
    colours = [CURRENT_COLOUR, PREVIOUS_COLOUR] if by_period else list(PALETTE)
    steps = list(dict.fromkeys(bar["step"] for bar in bars if bar["period"] == current))
    rects = (
        alt.Chart()
        .mark_bar()
        .encode(
            color=alt.Color(
                "group:N",
                title=None if by_period else _breakdown_title(result),
                scale=alt.Scale(domain=groups, range=colours[: len(groups)]),
                legend=_bars_legend(by_period=by_period),
            ),
            tooltip=[
                alt.Tooltip("step:N", title=_("Step")),
                alt.Tooltip(
                    "group:N", title=_("Period") if by_period else _breakdown_title(result)
                ),
                alt.Tooltip("text:N", title=_("Creators (conversion from the step before)")),
            ],
        )
    )
    labels = (
        alt.Chart()
        .mark_text(align="left", dx=4, fontSize=11, color=TEXT_COLOUR)
        .encode(text="text:N")
    )
    chart = (
        alt.layer(rects, labels, data=_data(bars))
        .encode(
            y=alt.Y("step:N", title=None, sort=steps, axis=alt.Axis(labelLimit=220)),
            x=alt.X("value:Q", title=str(count.label), axis=_measure_axis("count")),
            yOffset=alt.YOffset("group:N", scale=alt.Scale(domain=groups)),
        )
        .properties(width="container", height=_band(len(groups)))
    )
    return _configured(chart, result)
