"""The insights journey: a product manager opens the console's dashboards and answers two
questions — "what is the CTR of the For You card this week by region, compared with last week?"
and "where do creators drop off between a card click and a lesson completion?" — on a laptop and
on a phone, and a browser without JavaScript gets the same numbers from the tables.

Two weeks of events are imported with `academy events import` (which also rolls them up), on a
server whose clock is fixed at the end of the second week.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import (
    EXPECT_TIMEOUT_MS,
    VIEWPORTS,
    ContextFactory,
    LiveServer,
    Screenshots,
)
from tests.browser.pages import assert_no_horizontal_overflow, main_of

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

expect.set_options(timeout=EXPECT_TIMEOUT_MS)

PASSWORD = "Insights-Planner-5521!"
NOW = datetime(2026, 11, 29, 18, 0, tzinfo=UTC)
THIS_WEEK = date(2026, 11, 23)
LAST_WEEK = date(2026, 11, 16)
IMPRESSIONS_PER_DAY = 10
# For You card clicks per region and day: this week, then last week; regions with two or more
# clicks a day vary by the day of the week (the week's total stays the same).
CLICKS = {"BR": (3, 2), "MX": (1, 2), "US": (2, 1), "IN": (2, 1)}
DAILY_CHANGE = ((0, 1, -1, 0, 1, -1, 0), (0, -1, 1, 1, 0, -1, 0))


def journey_events() -> list[dict[str, Any]]:
    """Each region and day: ten creators see the card; the first few click it; the first clicker
    starts and completes the lesson ten minutes later, the others only start it."""
    numbers = count(1)
    records: list[dict[str, Any]] = []

    def event(name: str, when: datetime, creator: str, region: str, entry: str) -> None:
        records.append(
            {
                "uuid": f"00000000-0000-4000-9000-{next(numbers):012d}",
                "name": name,
                "timestamp": when.isoformat(),
                "creator_id": creator,
                "entry_point": entry,
                "item_kind": "lesson",
                "item_id": "journey-lesson",
                "region": region,
                "language": "en",
                "platform": "android",
            }
        )

    for week, start in enumerate((THIS_WEEK, LAST_WEEK)):
        for offset in range(7):
            day = start + timedelta(days=offset)
            noon = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
            for region, clicks in CLICKS.items():
                clicked = clicks[week] + (DAILY_CHANGE[week][offset] if clicks[week] >= 2 else 0)
                for number in range(IMPRESSIONS_PER_DAY):
                    creator = f"{region.lower()}-{day.isoformat()}-{number}"
                    event("impression", noon, creator, region, "for_you_card")
                    if number < clicked:
                        event("click", noon + timedelta(minutes=1), creator, region, "for_you_card")
                        event(
                            "lesson_start",
                            noon + timedelta(minutes=2),
                            creator,
                            region,
                            "for_you_card",
                        )
                    if number == 0:
                        event(
                            "lesson_complete",
                            noon + timedelta(minutes=11),
                            creator,
                            region,
                            "course_page",
                        )
    return records


def import_events(server: LiveServer, tmp_path: Path) -> None:
    path = tmp_path / "journey-events.jsonl"
    path.write_text("\n".join(json.dumps(record) for record in journey_events()) + "\n")
    server.academy("events", "import", str(path))


def sign_in(page: Page, server: LiveServer, email: str) -> None:
    page.goto(server.url("/accounts/login/"))
    main = main_of(page)
    main.get_by_label("E-mail address").fill(email)
    main.get_by_label("Password").fill(PASSWORD)
    main.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(server.url("/home/"))


def tile(page: Page, title: str) -> Any:
    return main_of(page).get_by_role("article", name=title)


def test_pm_reads_for_you_ctr_by_region_and_the_click_to_completion_funnel(
    academy_server: LiveServer,
    server_clock: Callable[[datetime | None], None],
    new_context: ContextFactory,
    browser: Browser,
    screenshot: Screenshots,
    tmp_path: Path,
) -> None:
    server_clock(NOW)
    import_events(academy_server, tmp_path)
    email = "pm-insights@example.com"
    academy_server.create_user(email=email, name="Priya", role="analyst", password=PASSWORD)

    page = new_context("desktop").new_page()
    sign_in(page, academy_server, email)

    # From the console to the dashboards.
    page.goto(academy_server.url("/console/"))
    main_of(page).get_by_role("link", name="Open the dashboards").click()
    expect(page).to_have_url(academy_server.url("/console/insights/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Insights")
    page.get_by_role("navigation", name="Dashboards").get_by_role(
        "link", name="Entry points"
    ).click()
    expect(page).to_have_url(academy_server.url("/console/insights/entry-points/"))

    # The For You card, by region, this week against last week (htmx refreshes the tiles).
    filters = page.get_by_role("form", name="Filters")
    expect(filters.get_by_label("Dates")).to_have_value("7")
    expect(filters.get_by_label("Compare with")).to_have_value("previous")
    filters.get_by_label("Entry point", exact=True).select_option("for_you_card")
    expect(page).to_have_url(re.compile(r"[?&]entry_point=for_you_card(&|$)"))
    filters.get_by_label("Break down by").select_option("region")
    ctr = tile(page, "Impressions, clicks and CTR per entry point")
    table = ctr.get_by_role("region", name="Impressions, clicks and CTR per entry point: table")
    # BR: 21 clicks of 70 impressions (30%), last week 14 of 70 (20%).
    expect(table.get_by_role("row", name="BR")).to_have_text("BR702130.0%20.0%")
    expect(table.get_by_role("row", name="MX")).to_have_text("MX70710.0%20.0%")
    # All regions: 56 clicks of 280 impressions (20%), last week 42 (15%): up a third.
    headline = ctr.locator(".headline .figure").filter(has_text="CTR")
    expect(headline).to_contain_text("20.0%")
    expect(headline).to_contain_text("up +33.3%")
    expect(headline).to_contain_text("previous period: 15.0%")
    expect(page).to_have_url(re.compile(r"[?&]breakdown=region(&|$)"))
    # The chart is drawn (SVG), with a line per region and the previous period dashed.
    chart = ctr.locator(".vega-chart svg")
    expect(chart).to_be_visible()
    expect(chart).to_have_attribute(
        "aria-label",
        re.compile(r"^Impressions, clicks and click-through rate of each entry point"),
    )
    expect(ctr.locator(".vega-chart svg .mark-line path")).to_have_count(8)
    # The same numbers as JSON and as CSV, for the same filters.
    api = ctr.get_by_role("link", name="JSON API").get_attribute("href")
    assert api is not None
    assert "filter.entry_point=for_you_card" in api
    assert "breakdown=region" in api
    with page.expect_download() as download:
        ctr.get_by_role("link", name="Download CSV").click()
    csv_text = Path(download.value.path()).read_text(encoding="utf-8")
    assert csv_text.splitlines()[0] == "period,region,impressions,clicks,ctr"
    assert "current,BR,70,21,0.3" in csv_text.splitlines()
    screenshot(page, "01-entry-points-desktop")
    assert_no_horizontal_overflow(page)

    # Where creators drop off between a card click and a lesson completion.
    page.get_by_role("navigation", name="Dashboards").get_by_role("link", name="Funnels").click()
    filters = page.get_by_role("form", name="Filters")
    steps = filters.get_by_role("group", name="Funnel steps, in order")
    steps.get_by_label("Step 1", exact=True).select_option("click")
    steps.get_by_label("Step 2", exact=True).select_option("lesson_complete")
    steps.get_by_label("Step 2 at").select_option("")
    steps.get_by_label("Step 3", exact=True).select_option("")
    steps.get_by_label("Step 4", exact=True).select_option("")
    filters.get_by_role("button", name="Show").click()
    funnel = tile(page, "Funnel")
    table = funnel.get_by_role("region", name="Funnel: table")
    # 56 creators clicked the card this week; 28 of them completed the lesson (50%).
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table.locator("tbody tr").nth(0)).to_contain_text("click@for_you_card")
    expect(table.locator("tbody tr").nth(1)).to_have_text("2lesson_complete2850.0%50.0%10.0 min28")
    expect(funnel.locator(".vega-chart svg")).to_be_visible()
    assert "step1=click" in page.url
    screenshot(page, "02-funnel-desktop")

    # The shared link on a phone: tiles stack, nothing sticks out sideways.
    shared = page.url
    phone = new_context("mobile").new_page()
    sign_in(phone, academy_server, email)
    phone.goto(shared)
    expect(tile(phone, "Funnel").locator(".vega-chart svg")).to_be_visible()
    assert_no_horizontal_overflow(phone)
    screenshot(phone, "03-funnel-phone")
    phone.goto(
        academy_server.url(
            "/console/insights/entry-points/?breakdown=region&entry_point=for_you_card"
        )
    )
    expect(
        tile(phone, "Impressions, clicks and CTR per entry point").locator(".vega-chart svg")
    ).to_be_visible()
    assert_no_horizontal_overflow(phone)
    screenshot(phone, "04-entry-points-phone")

    # The other dashboards draw their charts without a script error, on a laptop and a phone.
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    for number, (path, title) in enumerate(
        [
            ("/console/insights/", "North Star: learning creators"),
            ("/console/insights/learning/", "Lesson starts and completions"),
            ("/console/insights/retention/", "Retention by weekly cohort"),
            ("/console/insights/content/", "Content performance"),
        ],
        start=5,
    ):
        for viewer, kind in ((page, "desktop"), (phone, "phone")):
            viewer.goto(academy_server.url(path))
            expect(tile(viewer, title)).to_be_visible()
            if title != "Content performance":
                expect(tile(viewer, title).locator(".vega-chart svg")).to_be_visible()
            assert_no_horizontal_overflow(viewer)
            screenshot(viewer, f"{number:02d}-{path.strip('/').split('/')[-1]}-{kind}")
    assert errors == []

    # Without JavaScript the filter form is a plain GET form and the tables hold the numbers.
    no_script = browser.new_context(
        viewport=VIEWPORTS["desktop"], java_script_enabled=False, locale="en-US"
    )
    try:
        plain = no_script.new_page()
        sign_in(plain, academy_server, email)
        plain.goto(academy_server.url("/console/insights/entry-points/"))
        plain_filters = plain.get_by_role("form", name="Filters")
        plain_filters.get_by_label("Break down by").select_option("region")
        plain_filters.get_by_label("Entry point", exact=True).select_option("for_you_card")
        plain_filters.get_by_role("button", name="Show").click()
        plain_table = tile(plain, "Impressions, clicks and CTR per entry point").get_by_role(
            "region", name="Impressions, clicks and CTR per entry point: table"
        )
        expect(plain_table.get_by_role("row", name="BR")).to_have_text("BR702130.0%20.0%")
    finally:
        no_script.close()
