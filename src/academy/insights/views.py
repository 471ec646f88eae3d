"""Console pages of the insights dashboards, and each tile's rows as CSV.

Thin: the filter form turns the query string into a ``TileQuery`` per tile, the same
``academy.insights.selectors.tile`` the JSON API calls answers it, and the page draws the answer
(headline, chart, table). htmx asks for the tiles part only when a filter changes.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.formats import date_format, number_format
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from academy.core import clock
from academy.core.errors import AcademyError
from academy.experiments.selectors import experiment_list
from academy.insights.charts import chart_spec, measure_column
from academy.insights.forms import InsightsFilterForm
from academy.insights.labels import breakdown_label, entry_point_label
from academy.insights.selectors import FILTERS, tile, tiles_for
from academy.insights.tiles import DASHBOARDS, TILES, Column, TileQuery, TileResult, TileSpec

console_required = permission_required("accounts.access_console", raise_exception=True)

# URL slug of each dashboard (the overview is the insights index).
SLUGS: dict[str, str] = {name: name.replace("_", "-") for name in DASHBOARDS if name != "overview"}
BY_SLUG = {slug: name for name, slug in SLUGS.items()}
SECONDS_PER_MINUTE = 60
SECONDS_PER_HOUR = 3600


def dashboard_title(name: str) -> str:
    titles = {
        "overview": _("Overview"),
        "entry_points": _("Entry points"),
        "learning": _("Learning"),
        "retention": _("Retention"),
        "funnels": _("Funnels"),
        "content": _("Content"),
    }
    return str(titles.get(name, name))


def dashboard_url(name: str) -> str:
    if name == "overview":
        return reverse("insights:overview")
    return reverse("insights:dashboard", args=[SLUGS[name]])


def _experiment_choices() -> list[tuple[str, str]]:
    return [(experiment.key, experiment.key) for experiment in experiment_list()]


def _form(request: HttpRequest, specs: list[TileSpec]) -> InsightsFilterForm:
    return InsightsFilterForm.from_query(
        request.GET,
        today=clock.now().date(),
        specs=specs,
        experiments=_experiment_choices(),
    )


# ---------------------------------------------------------------------------------------------
# Formatting the numbers the way the table shows them


def format_cell(value: Any, kind: str) -> str:
    """A table cell as a person reads it: percentages, grouped counts, durations, dates."""
    if value is None or value == "":
        return "–"
    if kind in ("ratio", "percent"):  # fractions: 0.042 is 4.2%
        return f"{number_format(float(value) * 100, 1)}%"
    if kind == "count":
        return str(number_format(int(value), force_grouping=True))
    if kind == "seconds":
        return format_duration(float(value))
    if kind == "number":
        places = 0 if float(value).is_integer() else 2
        return str(number_format(float(value), places, force_grouping=True))
    if isinstance(value, datetime | date):
        text = date_format(value, "SHORT_DATE_FORMAT")
        return _("Week of %(day)s") % {"day": text} if kind == "week" else text
    return str(value)


def format_duration(seconds: float) -> str:
    if seconds < SECONDS_PER_MINUTE:
        return _("%(n)s s") % {"n": number_format(seconds, 0)}
    if seconds < SECONDS_PER_HOUR:
        return _("%(n)s min") % {"n": number_format(seconds / SECONDS_PER_MINUTE, 1)}
    return _("%(n)s h") % {"n": number_format(seconds / SECONDS_PER_HOUR, 1)}


def _dimension_text(value: Any, column: Column) -> str:
    if column.key == "entry_point" and isinstance(value, str):
        return entry_point_label(value)
    return format_cell(value, column.kind)


# Headline figures that are not a column of the tile's table: their label and kind.
HEADLINE_ONLY = {
    "enrolled_and_completed": (gettext_lazy("Enrolled and completed"), "count"),
    "entered": (gettext_lazy("Entered the funnel"), "count"),
    "converted": (gettext_lazy("Reached the last step"), "count"),
    "conversion": (gettext_lazy("Conversion"), "percent"),
    "items": (gettext_lazy("Items"), "count"),
    "zero_result_rate": (gettext_lazy("Share with no results"), "percent"),
    "queries": (gettext_lazy("Different queries"), "count"),
}
# Figures where a fall is the good news (the change is coloured the other way round).
LOWER_IS_BETTER = frozenset({"median_seconds", "zero_result", "zero_result_rate"})


@dataclass(frozen=True)
class Figure:
    """One headline number with its change on the previous period."""

    label: str
    value: str
    previous: str | None
    direction: str  # "up", "down", "flat" or "" (nothing to compare with)
    change: str  # e.g. "+12.5%", or "" when there is no previous value to compare with
    tone: str  # "good", "bad" or "neutral": the colour of the change (arrow and sign say it too)


def _tone(key: str, direction: str) -> str:
    if direction not in ("up", "down"):
        return "neutral"
    good = "down" if key in LOWER_IS_BETTER else "up"
    return "good" if direction == good else "bad"


def headline_figures(result: TileResult) -> list[Figure]:
    columns = {column.key: column for column in result.columns}
    figures = []
    for key, value in result.headline.items():
        column = columns.get(key)
        fallback = HEADLINE_ONLY.get(key, (key.replace("_", " ").capitalize(), "number"))
        kind = column.kind if column else fallback[1]
        label = str(column.label) if column else str(fallback[0])
        before = result.previous_headline.get(key) if result.query.compare else None
        direction, change = "", ""
        if isinstance(value, int | float | Decimal) and isinstance(before, int | float | Decimal):
            if before:
                relative = (float(value) - float(before)) / abs(float(before)) * 100
                direction = "up" if relative > 0 else "down" if relative < 0 else "flat"
                change = f"{'+' if relative > 0 else ''}{number_format(relative, 1)}%"
            elif value:
                direction, change = "up", _("new")
            else:
                direction, change = "flat", f"{number_format(0.0, 1)}%"
        figures.append(
            Figure(
                label=label,
                value=format_cell(value, kind),
                previous=format_cell(before, kind) if result.query.compare else None,
                direction=direction,
                change=change,
                tone=_tone(key, direction),
            )
        )
    return figures


NUMERIC_KINDS = ("count", "ratio", "percent", "seconds", "number")


def compared_column(result: TileResult) -> Column | None:
    """The measure whose previous-period value the table shows beside each row: the chart's
    measure, when rows are segments (not days) that the previous period has too."""
    if not result.query.compare or any(c.kind in ("day", "week") for c in result.columns):
        return None
    return measure_column(result)


def _row_key(result: TileResult, row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(row.get(c.key) for c in result.columns if c.kind == "dimension")


def table_of(result: TileResult, rows: list[dict[str, Any]]) -> list[list[tuple[str, bool]]]:
    """The table's cells as shown: (text, whether it is a number to align right), and the
    previous period's value of the compared measure last."""
    compared = compared_column(result) if rows is result.rows else None
    before = {_row_key(result, row): row for row in result.previous_rows} if compared else {}
    table = []
    for row in rows:
        cells = [
            (
                _dimension_text(row.get(column.key), column)
                if column.kind == "dimension"
                else format_cell(row.get(column.key), column.kind),
                column.kind in NUMERIC_KINDS,
            )
            for column in result.columns
        ]
        if compared:
            previous = before.get(_row_key(result, row), {})
            cells.append((format_cell(previous.get(compared.key), compared.kind), True))
        table.append(cells)
    return table


def table_headers(result: TileResult, *, previous: bool) -> list[dict[str, Any]]:
    headers = [
        {"label": str(column.label), "numeric": column.kind in NUMERIC_KINDS}
        for column in result.columns
    ]
    compared = None if previous else compared_column(result)
    if compared:
        label = _("%(measure)s, previous period") % {"measure": compared.label}
        headers.append({"label": label, "numeric": True})
    return headers


# ---------------------------------------------------------------------------------------------
# Links: the tile's CSV and its JSON API


def api_query(query: TileQuery) -> dict[str, str]:
    """The JSON API's query string for ``query`` (the same answer as the tile on the page)."""
    params: dict[str, str] = {
        "start": query.start.isoformat(),
        "end": query.end.isoformat(),
        "compare": "true" if query.compare else "false",
    }
    if query.breakdown:
        params["breakdown"] = query.breakdown
    if query.experiment:
        params["experiment"] = query.experiment
    for dimension, value in query.filters.items():
        params[f"filter.{dimension}"] = value
    for key, value in query.params.items():
        params[key] = str(value)
    return params


def api_url(result: TileResult) -> str:
    path = reverse("api:tile_get", kwargs={"key": result.key})
    return f"{path}?{urlencode(api_query(result.query))}"


def csv_url(request: HttpRequest, key: str) -> str:
    query = request.GET.urlencode()
    path = reverse("insights:tile_csv", args=[key])
    return f"{path}?{query}" if query else path


def chart_note(result: TileResult, spec: dict[str, Any] | None) -> str:
    """Why a tile that has a chart shows none."""
    if spec is not None or result.chart == "table":
        return ""
    if result.chart == "bar" and not result.query.breakdown:
        return _("Choose a breakdown to compare its values in a chart.")
    return _("Nothing to draw in this period.")


def _tile_context(request: HttpRequest, result: TileResult, spec: TileSpec) -> dict[str, Any]:
    requested = request.GET.get("breakdown") or ""
    unsupported = requested if requested and requested not in spec.breakdowns else ""
    entry_point = request.GET.get("entry_point") or ""
    unfiltered = bool(entry_point) and "entry_point" not in FILTERS[spec.key]
    drawn = chart_spec(result)
    return {
        "result": result,
        "dom_id": f"tile-{slugify(result.key).replace('_', '-')}",
        "figures": headline_figures(result),
        "spec": drawn,
        "chart_note": chart_note(result, drawn),
        "spec_id": f"tile-{slugify(result.key).replace('_', '-')}-spec",
        "headers": table_headers(result, previous=False),
        "previous_headers": table_headers(result, previous=True),
        "table": table_of(result, result.rows),
        "previous_table": table_of(result, result.previous_rows) if result.query.compare else [],
        "csv_url": csv_url(request, result.key),
        "api_url": api_url(result),
        "unsupported_breakdown": breakdown_label(unsupported) if unsupported else "",
        "unfiltered_entry_point": entry_point_label(entry_point) if unfiltered else "",
    }


# ---------------------------------------------------------------------------------------------
# Pages


def _render_dashboard(request: HttpRequest, name: str, specs: list[TileSpec]) -> HttpResponse:
    form = _form(request, specs)
    tiles: list[dict[str, Any]] = []
    if form.is_valid():
        for spec in specs:
            try:
                result = tile(spec.key, form.query_for(spec))
            except AcademyError as error:
                form.add_error(None, f"{spec.title}: {error.detail}")
                continue
            tiles.append(_tile_context(request, result, spec))
    context = {
        "form": form,
        "dashboard": name,
        "dashboard_title": dashboard_title(name),
        "dashboards": [
            {"name": other, "title": dashboard_title(other), "url": dashboard_url(other)}
            for other in DASHBOARDS
        ],
        "page_url": dashboard_url(name),
        "tiles": tiles,
    }
    template = (
        "insights/_results.html" if getattr(request, "htmx", False) else "insights/dashboard.html"
    )
    return render(request, template, context, status=400 if form.errors else 200)


@console_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    return _render_dashboard(request, "overview", tiles_for("overview"))


@console_required
@require_GET
def dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    name = BY_SLUG.get(slug)
    if name is None:
        raise Http404(_("There is no such dashboard."))
    return _render_dashboard(request, name, tiles_for(name))


def _csv_lines(result: TileResult) -> Iterator[list[Any]]:
    """The header row, then the period's rows (and the previous period's, marked as such)."""
    compared = result.query.compare
    keys = [column.key for column in result.columns]
    yield (["period"] if compared else []) + keys
    for period, rows in (("current", result.rows), ("previous", result.previous_rows)):
        if period == "previous" and not compared:
            break
        for row in rows:
            cells = [_csv_value(row.get(key)) for key in keys]
            yield [period, *cells] if compared else cells


def _csv_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return "" if value is None else value


class _Echo:
    """A file-like object whose write returns the line, for csv.writer in a streaming response."""

    def write(self, value: str) -> str:
        return value


@console_required
@require_GET
def tile_csv(request: HttpRequest, key: str) -> HttpResponse | StreamingHttpResponse:
    spec = TILES.get(key)
    if spec is None:
        raise Http404(_("There is no such tile."))
    form = _form(request, [spec])
    result = None
    if form.is_valid():
        try:
            result = tile(spec.key, form.query_for(spec))
        except AcademyError as error:
            form.add_error(None, f"{spec.title}: {error.detail}")
    if result is None:
        return _render_dashboard(request, spec.dashboard, tiles_for(spec.dashboard))
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(line) for line in _csv_lines(result)),
        content_type="text/csv; charset=utf-8",
    )
    filename = f"{key}-{result.query.start.isoformat()}-{result.query.end.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
