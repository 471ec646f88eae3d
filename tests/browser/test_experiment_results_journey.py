"""The demo experiment's results on a phone and a laptop: an analyst goes from the console to
the For You card experiment `academy demo` played (a known +100 % effect on the thumbnail card's
click-through), reads the recommendation and the effect the analysis found, sees the
cumulative-effect chart drawn and its table, turns CUPED off, and opens a breakdown.

`academy demo` prepares its own server here (1,500 simulated creators over 6 days, trained and
analysed), so the shared server's other journeys keep their data as they expect it.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import (
    EXPECT_TIMEOUT_MS,
    ContextFactory,
    LiveServer,
    Screenshots,
    academy_command,
    free_port,
    server_environment,
)
from tests.browser.pages import assert_no_horizontal_overflow, main_of
from tests.browser.test_journeys import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

expect.set_options(timeout=EXPECT_TIMEOUT_MS)

EXPERIMENT = "for-you-card-design"
DEMO_TIMEOUT = 600.0
SLOW_START_TIMEOUT = 90.0


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("academy-experiment-demo")
    server = LiveServer(
        base_url=f"http://127.0.0.1:{free_port()}",
        data_dir=data_dir,
        env=server_environment(data_dir),
        log_path=data_dir / "server.log",
    )
    prepared = subprocess.run(
        [
            *academy_command(),
            *("demo", "--no-serve", "--creators", "1500", "--days", "6"),
            *("--experiment-effect", "1.0"),
        ],
        env=server.env,
        cwd=data_dir,
        capture_output=True,
        text=True,
        timeout=DEMO_TIMEOUT,
        check=False,
    )
    assert prepared.returncode == 0, prepared.stdout + prepared.stderr
    try:
        try:
            server.start()
        except RuntimeError:
            # Only slow to start on a busy machine.
            if server.process is None or server.process.poll() is not None:
                raise
            wait_until_healthy(server)
        yield server
    finally:
        server.stop()


def wait_until_healthy(server: LiveServer) -> None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + SLOW_START_TIMEOUT
    while time.monotonic() < deadline:
        try:
            with opener.open(server.url("/healthz"), timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"`academy serve` did not answer /healthz within {SLOW_START_TIMEOUT} s")


def stored_results(server: LiveServer) -> dict[str, Any]:
    """The latest snapshot's results, straight from the server's database."""
    with sqlite3.connect(server.data_dir / "academy.sqlite3") as connection:
        row = connection.execute(
            "SELECT s.results FROM experiments_experimentsnapshot AS s "
            "JOIN experiments_experiment AS e ON e.id = s.experiment_id "
            "WHERE e.key = ? AND s.status = 'ok' ORDER BY s.date DESC LIMIT 1",
            (EXPERIMENT,),
        ).fetchone()
    assert row is not None, "academy demo stored no analysis"
    results: dict[str, Any] = json.loads(row[0])
    return results


def signed_in_analyst(page: Page, server: LiveServer) -> None:
    sign_in(page, server, email="analyst@demo.academy", password="academy-demo")
    expect(page).not_to_have_url(server.url("/accounts/login/"))


def test_an_analyst_reads_the_demo_experiments_effect_on_a_phone(
    demo_server: LiveServer, new_context: ContextFactory, screenshot: Screenshots
) -> None:
    results = stored_results(demo_server)
    ctr = next(metric for metric in results["metrics"] if metric["key"] == "for_you_ctr")
    (comparison,) = ctr["comparisons"]
    relative = comparison["fixed"]["relative"]
    assert relative["low"] > 0  # the known +100 % effect, found and excluding no effect
    shown_effect = f"+{relative['estimate'] * 100:.1f}\xa0%"

    page = new_context("mobile").new_page()
    signed_in_analyst(page, demo_server)
    page.goto(demo_server.url("/console/"))
    main_of(page).get_by_role("link", name="Open flags and experiments").click()
    main_of(page).locator(f'a[href="/console/experiments/{EXPERIMENT}/"]').click()
    main_of(page).get_by_role("link", name="See the results").click()
    expect(page).to_have_url(demo_server.url(f"/console/experiments/{EXPERIMENT}/results/"))

    main = main_of(page)
    expect(main.get_by_role("heading", name="Results: For You card design")).to_be_visible()
    expect(main.get_by_role("heading", name="Recommendation")).to_be_visible()
    expect(main.get_by_text("For You card CTR is significantly better.")).to_be_visible()
    card = main.locator("#metric-for_you_ctr")
    expect(card.locator(".badge-better")).to_have_text("Better")
    effect_row = card.get_by_role("row", name="Relative effect (95 % CI)")
    expect(effect_row).to_contain_text(shown_effect)
    # The chart is drawn (SVG), and its table is one tap away with a row per day.
    expect(card.locator(".vega-chart svg")).to_be_visible()
    points = len(ctr["cumulative"][0]["points"])
    table = card.locator("details.chart-table")
    expect(table).not_to_have_attribute("open", "")
    table.locator("summary").click()
    expect(table.locator("tbody tr")).to_have_count(points)
    # A breakdown by platform: the platforms creators read the flags on.
    breakdown = card.locator("details", has=page.locator("summary", has_text="Platform"))
    breakdown.locator("summary").click()
    expect(breakdown.get_by_role("row", name="android")).to_be_visible()
    assert_no_horizontal_overflow(page)
    screenshot(page, "results-phone")

    # Without CUPED: the proportion metric's note about the adjustment goes away.
    lessons = main.locator("#metric-completed_lesson")
    expect(lessons).to_contain_text("Adjusted with CUPED")
    main.get_by_label("Variance reduction").select_option("off")
    main.get_by_role("button", name="Show").click()
    expect(page).to_have_url(
        f"{demo_server.url(f'/console/experiments/{EXPERIMENT}/results/')}?date={results['as_of']}&cuped=off"
    )
    expect(main.locator("#metric-completed_lesson")).not_to_contain_text("Adjusted with CUPED")
    expect(main.get_by_label("Variance reduction")).to_have_value("off")


def test_the_results_read_on_a_laptop(
    demo_server: LiveServer, new_context: ContextFactory, screenshot: Screenshots
) -> None:
    page = new_context("desktop").new_page()
    signed_in_analyst(page, demo_server)
    page.goto(demo_server.url(f"/console/experiments/{EXPERIMENT}/results/"))
    main = main_of(page)
    expect(main.get_by_role("heading", name="Metrics")).to_be_visible()
    expect(main.locator(".vega-chart svg")).to_have_count(3)  # one chart per metric
    # The effect table is reachable from the keyboard (a focusable scroll region).
    region = main.get_by_role("region", name="For You card CTR: effect against the control")
    region.focus()
    expect(region).to_be_focused()
    assert_no_horizontal_overflow(page)
    screenshot(page, "results-laptop")
