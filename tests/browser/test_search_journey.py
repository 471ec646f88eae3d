"""The search journey on a phone: a creator searches from the creator app with autocomplete,
gets a spelling fix, filters, opens a result, then follows hashtags.

The content comes from a small pack loaded with `academy content load`, which indexes it as it
publishes; its words ("storyboard", "thumbnail") appear in no other journey's content, so the
shared server's other data never changes what this test sees.
"""

from __future__ import annotations

import textwrap
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from academy.events.capture import read_segment
from tests.browser.conftest import EXPECT_TIMEOUT_MS, ContextFactory, LiveServer, Screenshots
from tests.browser.pages import assert_no_horizontal_overflow, main_of

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

expect.set_options(timeout=EXPECT_TIMEOUT_MS)

PASSWORD = "Story-Board-8080!"
COURSE_SLUG = "journey-storyboards"
COURSE_TITLE = "Storyboards for short videos"
LESSON_TITLE = "Sketch a six-box storyboard"
WIKI_SLUG = "journey-thumbnail-frames"
WIKI_TITLE = "Thumbnail frames"

PACK = {
    f"courses/{COURSE_SLUG}/course.yaml": f"""
        title: {COURSE_TITLE}
        summary: >-
          Plan every shot before you film, so editing takes minutes instead of an evening.
        topic: content-strategy
        level: beginner
        language: en
        hashtags: [storyboard, planning]
        """,
    f"courses/{COURSE_SLUG}/01-sketch-a-six-box-storyboard.md": f"""
        ---
        kind: article
        title: {LESSON_TITLE}
        summary: Six boxes, six shots, one clear story.
        hashtags: [storyboard, planning]
        reading_minutes: 3
        ---
        Draw six boxes. The first box is your hook, the last box is the payoff.

        Stick figures are fine: a storyboard is a plan, not a drawing contest.
        """,
    f"wiki/{WIKI_SLUG}.md": f"""
        ---
        title: {WIKI_TITLE}
        summary: Pick the frame viewers see before they tap.
        category: how-to
        topic: creation-essentials
        language: en
        owner: editor@demo.academy
        hashtags: [storyboard, thumbnails]
        ---
        Choose the thumbnail frame while you storyboard: mark the box that sums up the video.
        """,
}


def write_pack(root: Path) -> Path:
    for name, text in PACK.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return root


def sign_up_creator(page: Page, server: LiveServer) -> None:
    page.goto(server.url("/accounts/signup/"))
    main = main_of(page)
    main.get_by_label("Your name").fill(f"Ines {uuid.uuid4().hex[:4].upper()}")
    main.get_by_label("E-mail address").fill(f"ines-{uuid.uuid4().hex[:8]}@example.com")
    main.get_by_label("Password").fill(PASSWORD)
    main.get_by_label("Birth year").select_option(str(datetime.now(UTC).year - 24))
    main.get_by_label("Language").select_option("en")
    main.get_by_label("Region").select_option("BR")
    main.get_by_role("button", name="Create account").click()
    main.get_by_label("Grow my audience", exact=True).check()
    main.get_by_label("Education", exact=True).check()
    main.get_by_label("Beginner", exact=True).check()
    main.get_by_role("button", name="Show me my Academy").click()
    expect(page).to_have_url(server.url("/home/"))


def search_events(server: LiveServer, queries: set[str]) -> list[dict[str, Any]]:
    """The server's search events for these queries (on disk as soon as they were recorded)."""
    capture = server.data_dir / "events" / "capture"
    if not capture.exists():
        return []
    return [
        record
        for path in sorted(capture.iterdir())
        if path.name.endswith((".jsonl", ".open"))
        for record in read_segment(path)
        if record.get("name") in {"search", "search_click"}
        and record.get("properties", {}).get("query") in queries
    ]


def test_creator_searches_filters_opens_a_result_and_follows_hashtags(
    academy_server: LiveServer,
    new_context: ContextFactory,
    screenshot: Screenshots,
    tmp_path: Path,
) -> None:
    academy_server.academy("content", "load", str(write_pack(tmp_path / "pack")))
    page = new_context("mobile").new_page()
    sign_up_creator(page, academy_server)

    # Search from the creator app's navigation, with autocomplete as the creator types.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Search").click()
    expect(page).to_have_url(academy_server.url("/search/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Search")
    main = main_of(page)
    box = main.get_by_label("Search the Academy")
    box.press_sequentially("storyb", delay=40)
    suggestions = main.get_by_role("list", name="Suggestions")
    expect(suggestions.get_by_role("link", name="storyboard", exact=True)).to_be_visible()
    expect(suggestions.get_by_role("link", name=WIKI_TITLE)).to_be_visible()
    screenshot(page, "01-autocomplete")
    assert_no_horizontal_overflow(page)

    # A misspelling still finds the content, and says what it searched for.
    box.fill("storybord")
    box.press("Enter")
    expect(main.get_by_role("status")).to_have_text(
        "Nothing matched “storybord”, so these are the results for “storyboard”."
    )
    results = main.get_by_role("list").filter(has=page.locator("li.result"))
    expect(results.locator("li.result")).to_have_count(3)
    expect(results.locator("mark").first).to_be_visible()
    screenshot(page, "02-corrected")
    assert_no_horizontal_overflow(page)

    # Narrow to wiki articles with the filters.
    main.get_by_label("Search the Academy").fill("storyboard")
    main.get_by_text("Filters", exact=True).click()
    main.get_by_label("Kind").select_option(label="Wiki articles")
    main.get_by_role("button", name="Apply filters").click()
    expect(main.get_by_role("heading", name="1 result")).to_be_visible()
    result = main.locator("li.result")
    expect(result).to_have_count(1)
    expect(result).to_have_attribute("data-track-entry-point", "search")
    request_id = result.get_attribute("data-track-request-id")
    assert request_id is not None
    assert len(request_id) == 32
    expect(result.locator(".result-snippet mark").first).to_have_text("storyboard")
    screenshot(page, "03-filtered")
    assert_no_horizontal_overflow(page)

    # Open the result: the click is recorded on the way.
    result.get_by_role("link", name=WIKI_TITLE).click()
    expect(page).to_have_url(academy_server.url(f"/wiki/{WIKI_SLUG}/"))
    expect(page.get_by_role("heading", level=1)).to_have_text(WIKI_TITLE)
    deadline = time.monotonic() + 10
    events: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        events = [
            e
            for e in search_events(academy_server, {"storyboard"})
            if e["request_id"] == request_id
        ]
        if {event["name"] for event in events} == {"search", "search_click"}:
            break
        time.sleep(0.2)
    by_name = {event["name"]: event for event in events}
    assert by_name["search"]["properties"]["results"] == 1
    assert by_name["search"]["properties"]["kind"] == "wiki"
    assert by_name["search_click"]["properties"] == {"query": "storyboard", "rank": 1}
    assert by_name["search_click"]["item_id"] == WIKI_SLUG
    assert by_name["search"]["creator_id"] == by_name["search_click"]["creator_id"] != ""

    # Follow the article's hashtag to its page, then a related hashtag.
    main.get_by_role("link", name="#storyboard").click()
    expect(page).to_have_url(academy_server.url("/t/storyboard"))
    expect(page.get_by_role("heading", level=1)).to_have_text("#storyboard")
    expect(main.get_by_text("3 courses, lessons and articles with this hashtag")).to_be_visible()
    hashtag_results = main.locator("li.result")
    expect(hashtag_results).to_have_count(3)
    expect(hashtag_results.first).to_have_attribute("data-track-entry-point", "hashtag")
    related = main.get_by_role("navigation", name="Related hashtags")
    expect(related.get_by_role("link", name="#planning")).to_be_visible()
    screenshot(page, "04-hashtag")
    assert_no_horizontal_overflow(page)
    related.get_by_role("link", name="#planning").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("#planning")
    main.get_by_role("link", name=LESSON_TITLE).click()
    expect(page).to_have_url(
        academy_server.url(f"/learn/{COURSE_SLUG}/sketch-a-six-box-storyboard/")
    )
