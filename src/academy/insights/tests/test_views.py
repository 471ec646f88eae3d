"""The insights console: dashboards drawn from a small real lake, filters in the query string,
CSV with the tile's own rows, errors as form errors, and only console staff get in."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from django.http import StreamingHttpResponse
from django.test import Client

from academy.accounts.choices import Role
from academy.accounts.tests.factories import make_creator_user, make_staff_user
from academy.core.tests.helpers import signed_in, visible_text
from academy.experiments.tests.factories import make_experiment
from academy.insights.selectors import tile
from academy.insights.tests.helpers import ev, write_lake
from academy.insights.tiles import TileQuery

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

CLOCK_START = datetime(2026, 11, 29, 18, 0, tzinfo=UTC)
THIS_WEEK = (date(2026, 11, 23), date(2026, 11, 29))


def _card(
    name: str, day: str, creator: str, region: str, *, times: int = 1
) -> list[dict[str, Any]]:
    return [ev(name, day, creator, region=region) for _ in range(times)]


@pytest.fixture
def lake(events_dir: Path) -> Path:
    """This week the For You card has CTR 50% in Brazil (3 of 6) and 0% in Mexico (0 of 2);
    last week 25% in both (1 of 4 each). Two creators clicked the card, one completed."""
    records = [
        # This week.
        *_card("impression", "2026-11-24", "ana", "BR", times=4),
        *_card("click", "2026-11-24T13:00:00", "ana", "BR", times=2),
        ev("lesson_start", "2026-11-24T13:01:00", "ana", region="BR"),
        ev("lesson_complete", "2026-11-24T13:20:00", "ana", region="BR", entry="course_page"),
        *_card("impression", "2026-11-25", "bo", "MX", times=2),
        ev("impression", "2026-11-25", "bo", region="MX", entry="search"),
        ev("click", "2026-11-25T13:00:00", "bo", region="MX", entry="search"),
        *_card("impression", "2026-11-26", "cy", "BR", times=2),
        ev("click", "2026-11-26T13:00:00", "cy", region="BR"),
        ev("lesson_start", "2026-11-26T13:05:00", "cy", region="BR"),
        # Last week.
        *_card("impression", "2026-11-17", "ana", "BR", times=4),
        ev("click", "2026-11-17T13:00:00", "ana", region="BR"),
        *_card("impression", "2026-11-18", "bo", "MX", times=4),
        ev("click", "2026-11-18T13:00:00", "bo", region="MX"),
    ]
    write_lake(events_dir, records)
    return events_dir


@pytest.fixture
def analyst() -> Client:
    return signed_in(make_staff_user(role=Role.ANALYST))


def page_text(response: Any) -> str:
    return visible_text(response.content.decode())


def chart_specs(response: Any) -> dict[str, dict[str, Any]]:
    """The Vega-Lite specs the page embeds, by script id."""
    html = response.content.decode()
    found = re.findall(r'<script id="([^"]+)" type="application/json">(.*?)</script>', html, re.S)
    return {name: json.loads(body) for name, body in found}


def test_only_console_staff_open_the_dashboards_and_csv(lake: Path) -> None:
    pages = [
        "/console/insights/",
        "/console/insights/entry-points/",
        "/console/insights/funnels/",
        "/console/insights/tiles/entry_point_ctr.csv",
    ]
    for page in pages:
        assert Client().get(page).status_code == 403
        assert signed_in(make_creator_user()).get(page).status_code == 403
        assert signed_in(make_staff_user(role=Role.EDITOR)).get(page).status_code == 403
        assert signed_in(make_staff_user(role=Role.ANALYST)).get(page).status_code == 200


def test_the_console_links_to_the_dashboards(analyst: Client) -> None:
    html = analyst.get("/console/").content.decode()
    assert 'href="/console/insights/"' in html


def test_for_you_card_ctr_this_week_by_region_compared_with_last_week(
    lake: Path, analyst: Client
) -> None:
    response = analyst.get(
        "/console/insights/entry-points/",
        {"range": "7", "breakdown": "region", "entry_point": "for_you_card"},
    )
    assert response.status_code == 200
    text = page_text(response)
    # The headline: 3 clicks of 8 impressions, up from 2 of 8 last week (+50%).
    assert "CTR 37.5% ▲ up +50.0% previous period: 25.0%" in text
    # The table, one row per region, with last week's CTR beside this week's.
    assert "BR 6 3 50.0% 25.0%" in text
    assert "MX 2 0 0.0% 25.0%" in text
    specs = chart_specs(response)
    spec = specs["tile-entry-point-ctr-spec"]
    points = {(p["group"], p["period"], p["date"]): p["value"] for p in spec["data"]["values"]}
    assert points[("BR", "This period", "11/24/2026")] == pytest.approx(0.5)
    assert points[("BR", "Previous period", "11/17/2026")] == pytest.approx(0.25)
    # Links to the same numbers: the CSV and the JSON API with the same filters.
    html = response.content.decode()
    assert "/console/insights/tiles/entry_point_ctr.csv?range=7&amp;breakdown=region" in html
    assert (
        "/api/v1/insights/tiles/entry_point_ctr?start=2026-11-23&amp;end=2026-11-29"
        "&amp;compare=true&amp;breakdown=region&amp;filter.entry_point=for_you_card"
    ) in html


def test_the_csv_holds_the_tiles_rows_and_the_previous_periods(lake: Path, analyst: Client) -> None:
    query = {"range": "7", "breakdown": "region", "entry_point": "for_you_card"}
    response = analyst.get("/console/insights/tiles/entry_point_ctr.csv", query)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "entry_point_ctr-2026-11-23-2026-11-29.csv" in response["Content-Disposition"]
    assert isinstance(response, StreamingHttpResponse)
    body = b"".join(bytes(chunk) for chunk in response.streaming_content).decode()
    lines = list(csv.reader(io.StringIO(body)))
    result = tile(
        "entry_point_ctr",
        TileQuery(
            start=THIS_WEEK[0],
            end=THIS_WEEK[1],
            breakdown="region",
            filters={"entry_point": "for_you_card"},
        ),
    )
    keys = [column.key for column in result.columns]
    assert lines[0] == ["period", *keys]
    expected = [
        [period, *("" if row[key] is None else str(row[key]) for key in keys)]
        for period, rows in (("current", result.rows), ("previous", result.previous_rows))
        for row in rows
    ]
    assert lines[1:] == expected
    assert ["current", "BR", "6", "3", "0.5"] in lines


def test_the_funnel_from_card_click_to_lesson_completion(lake: Path, analyst: Client) -> None:
    response = analyst.get(
        "/console/insights/funnels/",
        {
            "range": "7",
            "step1": "click",
            "step1_at": "for_you_card",
            "step2": "lesson_complete",
            "window_hours": "24",
            "order": "strict",
        },
    )
    assert response.status_code == 200
    text = page_text(response)
    assert "Entered the funnel 2 ▶ unchanged 0.0% previous period: 2" in text
    assert "Conversion 50.0%" in text
    # Step, event, creators, from the step before, from the first, median time, last week's.
    assert "1 click@for_you_card 2 100.0% 100.0% – 2" in text
    assert "2 lesson_complete 1 50.0% 50.0% 20.0 min 0" in text
    bars = chart_specs(response)["tile-funnel-spec"]["data"]["values"]
    current = [bar for bar in bars if bar["period"] == "This period"]
    assert [bar["value"] for bar in current] == [2, 1]
    assert current[1]["text"] == "1 (50.0%)"


def test_default_funnel_steps_fill_the_editor(lake: Path, analyst: Client) -> None:
    html = analyst.get("/console/insights/funnels/").content.decode()
    assert re.search(
        r'<select name="step1"[^>]*>.*?<option value="impression" selected>', html, re.S
    )
    assert re.search(
        r'<select name="step2_at"[^>]*>.*?<option value="for_you_card" selected>', html, re.S
    )


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            {"range": "custom", "start": "2026-11-20", "end": "2026-11-10"},
            "The start date is after",
        ),
        ({"range": "custom", "start": "2026-11-20"}, "Choose both dates"),
        ({"range": "365000"}, "Select a valid choice"),
        ({"breakdown": "experiment"}, "Choose the experiment whose variants"),
        ({"breakdown": "planet"}, "Select a valid choice"),
        ({"compare": "maybe"}, "Select a valid choice"),
    ],
)
def test_bad_filters_show_as_form_errors(
    lake: Path, analyst: Client, query: dict[str, str], message: str
) -> None:
    response = analyst.get("/console/insights/entry-points/", query)
    assert response.status_code == 400
    assert message in page_text(response)
    assert 'role="alert"' in response.content.decode()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"step1": "click", "step2": ""}, "A funnel needs at least two steps"),
        ({"window_hours": "0"}, "Ensure this value is greater than or equal to 1"),
        ({"step1": "teleport", "step2": "click"}, "Select a valid choice"),
    ],
)
def test_bad_funnel_params_show_as_form_errors(
    lake: Path, analyst: Client, query: dict[str, str], message: str
) -> None:
    response = analyst.get("/console/insights/funnels/", query)
    assert response.status_code == 400
    assert message in page_text(response)


def test_bad_retention_days_show_as_a_form_error(lake: Path, analyst: Client) -> None:
    response = analyst.get("/console/insights/retention/", {"days": "1,x"})
    assert response.status_code == 400
    assert "Write whole numbers of days separated by commas." in page_text(response)


def test_a_bad_csv_query_shows_the_dashboard_with_the_error(lake: Path, analyst: Client) -> None:
    response = analyst.get(
        "/console/insights/tiles/entry_point_ctr.csv", {"breakdown": "experiment"}
    )
    assert response.status_code == 400
    assert "Choose the experiment whose variants" in page_text(response)


def test_an_unknown_dashboard_or_tile_is_not_found(analyst: Client) -> None:
    assert analyst.get("/console/insights/weather/").status_code == 404
    assert analyst.get("/console/insights/tiles/weather.csv").status_code == 404


def test_htmx_gets_only_the_tiles(lake: Path, analyst: Client) -> None:
    response = analyst.get(
        "/console/insights/entry-points/", {"breakdown": "platform"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="insights-results"')
    assert "<form" not in html
    assert "Impressions, clicks and CTR per entry point" in html


def test_every_dashboard_renders_its_tiles(lake: Path, analyst: Client) -> None:
    for path, title in [
        ("/console/insights/", "North Star: learning creators"),
        ("/console/insights/learning/", "Lesson starts and completions"),
        ("/console/insights/retention/", "Retention by weekly cohort"),
        ("/console/insights/content/", "Content performance"),
    ]:
        response = analyst.get(path)
        assert response.status_code == 200, path
        assert title in page_text(response)


def test_a_dashboard_without_breakdowns_offers_none(lake: Path, analyst: Client) -> None:
    html = analyst.get("/console/insights/content/").content.decode()
    assert 'name="breakdown"' not in html
    assert analyst.get("/console/insights/content/", {"breakdown": "region"}).status_code == 400


def test_break_down_by_an_experiments_variants(lake: Path, analyst: Client) -> None:
    make_experiment("card-2026")
    page = analyst.get("/console/insights/entry-points/")
    assert '<option value="card-2026">card-2026</option>' in page.content.decode()
    response = analyst.get(
        "/console/insights/entry-points/", {"breakdown": "experiment", "experiment": "card-2026"}
    )
    assert response.status_code == 200
    # Nobody is assigned yet: the tile says so instead of failing.
    assert "No data in this period." in page_text(response)
    assert 'role="alert"' not in response.content.decode()
    unknown = analyst.get(
        "/console/insights/entry-points/", {"breakdown": "experiment", "experiment": "gone"}
    )
    assert unknown.status_code == 400
    assert "Select a valid choice" in page_text(unknown)


def test_a_custom_range_without_comparison(lake: Path, analyst: Client) -> None:
    response = analyst.get(
        "/console/insights/entry-points/",
        {
            "range": "custom",
            "start": "2026-11-16",
            "end": "2026-11-22",
            "compare": "none",
            "entry_point": "for_you_card",
        },
    )
    assert response.status_code == 200
    text = page_text(response)
    assert "From Nov. 16, 2026 to Nov. 22, 2026." in text
    # Last week's card: 2 clicks of 8 impressions, and nothing to compare with.
    assert "Impressions 8 Clicks 2 CTR 25.0%" in text
    assert "previous period:" not in text
    assert "CTR, previous period" not in text
    html = response.content.decode()
    assert "start=2026-11-16&amp;end=2026-11-22&amp;compare=false" in html
    spec = chart_specs(response)["tile-entry-point-ctr-spec"]
    assert {point["period"] for point in spec["data"]["values"]} == {"This period"}
