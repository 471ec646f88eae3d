"""Vega-Lite charts of an experiment's results, built with Altair as JSON-ready dicts.

The cumulative-effect chart draws, per treatment, the effect as of each day (creators exposed up
to that day) with its always-valid interval as a band and a dashed line at "no effect". It draws
exactly the numbers of the table the page shows beside it (for screen readers and browsers
without JavaScript). Colours keep a 3:1 contrast against the white background (WCAG 1.4.11) and
are never the only cue: every mark has a tooltip and the table carries the numbers.
"""

from __future__ import annotations

from typing import Any

import altair as alt
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from academy.experiments.analysis import CumulativeSeries, MetricResult

# Treatments in order (the control is the zero line); dark enough on white for lines.
PALETTE = ("#1d4ed8", "#b45309", "#047857", "#6d28d9", "#0e7490", "#9a3412")
BACKGROUND = "#ffffff"
TEXT_COLOUR = "#1f2937"
ZERO_COLOUR = "#4b5563"
CHART_HEIGHT = 220


def relative_scale(metric: MetricResult) -> bool:
    """Whether the cumulative series are drawn as relative effects (every point has one)."""
    return all(
        point.relative is not None for series in metric.cumulative for point in series.points
    )


def cumulative_rows(metric: MetricResult) -> list[dict[str, Any]]:
    """One row per treatment and day: the effect and its always-valid interval (relative, as a
    fraction, when every point has one; absolute otherwise)."""
    relative = relative_scale(metric)
    rows: list[dict[str, Any]] = []
    for series in metric.cumulative:
        for point in series.points:
            interval = point.relative if relative else point.absolute
            assert interval is not None
            rows.append(
                {
                    "day": point.day.isoformat(),
                    "date": date_format(point.day, "SHORT_DATE_FORMAT"),
                    "variation": series.variation,
                    "creators": point.control_creators + point.treatment_creators,
                    "effect": interval.estimate,
                    "low": interval.low,
                    "high": interval.high,
                }
            )
    return rows


def cumulative_chart(metric: MetricResult) -> dict[str, Any] | None:
    """The effect over time for ``metric``, or None without at least one point."""
    rows = cumulative_rows(metric)
    if not rows:
        return None
    relative = relative_scale(metric)
    effect_format = "+.1%" if relative else "+,.3~f"
    effect_title = _("Relative effect") if relative else _("Absolute effect")
    variations = [series.variation for series in _drawn(metric.cumulative)]
    colour = alt.Color(
        "variation:N",
        title=_("Variation"),
        scale=alt.Scale(domain=variations, range=list(PALETTE[: len(variations)])),
        legend=alt.Legend(orient="bottom") if len(variations) > 1 else None,
    )
    # Days are UTC days: a UTC scale keeps each point on its day whatever the reader's zone.
    x = alt.X(
        "day:T",
        title=_("Day"),
        scale=alt.Scale(type="utc"),
        axis=alt.Axis(
            format="%b %d",
            labelAngle=0,
            labelOverlap=True,
            tickCount={"interval": "day", "step": 1},
        ),
    )
    tooltip = [
        alt.Tooltip("date:N", title=_("Day")),
        alt.Tooltip("variation:N", title=_("Variation")),
        alt.Tooltip("effect:Q", title=effect_title, format=effect_format),
        alt.Tooltip("low:Q", title=_("Interval from"), format=effect_format),
        alt.Tooltip("high:Q", title=_("Interval to"), format=effect_format),
        alt.Tooltip("creators:Q", title=_("Creators"), format=","),
    ]
    data = alt.Data(values=rows)  # type: ignore[no-untyped-call]
    base = alt.Chart(data).encode(x=x, color=colour)
    band = base.mark_area(opacity=0.18).encode(
        y=alt.Y("low:Q", title=effect_title, axis=alt.Axis(format=effect_format)),
        y2="high:Q",
        tooltip=tooltip,
    )
    line = base.mark_line(point=True, strokeWidth=2).encode(y="effect:Q", tooltip=tooltip)
    origin = alt.Data(values=[{"zero": 0}])  # type: ignore[no-untyped-call]
    zero = alt.Chart(origin).mark_rule(color=ZERO_COLOUR, strokeDash=[6, 4]).encode(y="zero:Q")
    chart = (
        alt.layer(band, line, zero)
        .properties(
            width="container",
            height=CHART_HEIGHT,
            title=alt.TitleParams(
                text=_("Cumulative effect: %(metric)s") % {"metric": metric.name},
                anchor="start",
                color=TEXT_COLOUR,
            ),
            description=_(
                "%(metric)s: the effect against the control as of each day, with its "
                "always-valid interval; the dashed line is no effect."
            )
            % {"metric": metric.name},
            background=BACKGROUND,
            usermeta={"metric": metric.key},
        )
        .configure_axis(
            labelColor=TEXT_COLOUR, titleColor=TEXT_COLOUR, labelFontSize=12, titleFontSize=12
        )
        .configure_legend(labelColor=TEXT_COLOUR, titleColor=TEXT_COLOUR, labelFontSize=12)
        .configure_view(stroke=None)
    )
    spec: dict[str, Any] = chart.to_dict()
    return spec


def _drawn(series: tuple[CumulativeSeries, ...]) -> list[CumulativeSeries]:
    return [one for one in series if one.points]
