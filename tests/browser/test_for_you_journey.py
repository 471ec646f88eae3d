"""The For You journey on a phone: a creator opens their feed from the navigation, reads why a
card is there, says "not interested" and sees it go (and can undo), scrolls to load more, and
reads the page in Spanish.

The content comes from a small pack loaded with `academy content load`, so the feed has more
than one page whatever the shared server's other journeys loaded.
"""

from __future__ import annotations

import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from academy.events.capture import read_segment
from tests.browser.conftest import EXPECT_TIMEOUT_MS, ContextFactory, LiveServer, Screenshots
from tests.browser.pages import assert_no_horizontal_overflow, main_of
from tests.browser.test_search_journey import sign_up_creator

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

expect.set_options(timeout=EXPECT_TIMEOUT_MS)

NOTES = 12


def write_pack(root: Path) -> Path:
    files = {
        "courses/journey-for-you-live/course.yaml": """
            title: Your first LIVE, step by step
            summary: >-
              Pick a time, prepare three talking points and answer comments while you are live,
              so the first stream feels like a conversation rather than a performance.
            topic: live
            level: beginner
            language: en
            hashtags: [live]
            """,
        "courses/journey-for-you-live/01-plan-the-stream.md": """
            ---
            kind: article
            title: Plan the stream
            summary: Three talking points and a clear ending.
            hashtags: [live]
            reading_minutes: 3
            ---
            Write three talking points on a card and keep it next to your phone.
            """,
    }
    for number in range(NOTES):
        files[f"wiki/journey-for-you-note-{number}.md"] = f"""
            ---
            title: Posting rhythm note {number}
            summary: When your audience is awake, and how often to post without burning out.
            category: how-to
            topic: content-strategy
            language: en
            owner: editor@demo.academy
            hashtags: [rhythm]
            ---
            Post when your audience is awake. Note {number}.
            """
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return root


def impressions(server: LiveServer, request_id: str) -> list[dict[str, Any]]:
    capture = server.data_dir / "events" / "capture"
    if not capture.exists():
        return []
    return [
        record
        for path in sorted(capture.iterdir())
        if path.name.endswith((".jsonl", ".open"))
        for record in read_segment(path)
        if record.get("name") == "impression" and record.get("request_id") == request_id
    ]


def wait_for_impressions(server: LiveServer, request_id: str) -> list[dict[str, Any]]:
    """The tracker sends its batch every few seconds."""
    deadline = time.monotonic() + 15
    found: list[dict[str, Any]] = []
    while time.monotonic() < deadline and not found:
        found = impressions(server, request_id)
        time.sleep(0.3)
    return found


def cards(page: Page) -> Any:
    return main_of(page).locator("article.feed-card")


def test_creator_reads_hides_undoes_and_scrolls_the_for_you_feed(
    academy_server: LiveServer,
    new_context: ContextFactory,
    screenshot: Screenshots,
    tmp_path: Path,
) -> None:
    academy_server.academy("content", "load", str(write_pack(tmp_path / "pack")))
    page = new_context("mobile").new_page()
    sign_up_creator(page, academy_server)

    # The feed from the creator app's navigation: one column of explained, tracked cards.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="For You").click()
    expect(page).to_have_url(academy_server.url("/for-you/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("For You")
    expect(cards(page)).to_have_count(10)
    first = cards(page).first
    expect(first).to_have_attribute("data-track-entry-point", "academy_home")
    request_id = first.get_attribute("data-track-request-id")
    assert request_id is not None
    assert len(request_id) == 32
    expect(first.locator(".feed-reason")).not_to_be_empty()
    screenshot(page, "01-feed")
    assert_no_horizontal_overflow(page)

    # Seen for a second: the tracker reports the impression with the feed's request id.
    seen = wait_for_impressions(academy_server, request_id)
    assert seen, "no impression reached the capture log"
    assert {event["entry_point"] for event in seen} == {"academy_home"}
    assert first.get_attribute("data-track-item-id") in {event["item_id"] for event in seen}

    # Why am I seeing this? The reason, and the controls.
    title = first.locator("h3").inner_text()
    first.get_by_text("Why am I seeing this?").click()
    not_interested = first.get_by_role("button", name="Not interested")
    expect(not_interested).to_be_visible()
    expect(first.get_by_role("button", name="Hide topic")).to_be_visible()
    screenshot(page, "02-why")

    # Not interested: the card goes, and the toast offers to undo it.
    not_interested.click()
    expect(main_of(page).get_by_role("heading", name=title)).to_have_count(0)
    expect(cards(page)).to_have_count(9)
    toast = page.get_by_role("status").filter(has_text=f"You won’t see “{title}” again.")
    expect(toast).to_be_visible()
    screenshot(page, "03-not-interested")
    toast.get_by_role("button", name="Undo").click()
    expect(
        page.get_by_role("status").filter(has_text="it can appear in your feed again")
    ).to_be_visible()
    expect(cards(page)).to_have_count(10)
    expect(cards(page).first.locator("h3")).to_have_text(title)
    # ... and again, for good this time.
    cards(page).first.get_by_text("Why am I seeing this?").click()
    cards(page).first.get_by_role("button", name="Not interested").click()
    expect(cards(page)).to_have_count(9)

    # Scrolling to the end loads the next page in place.
    page.get_by_role("button", name="More").scroll_into_view_if_needed()
    expect(cards(page).nth(9)).to_be_attached()
    loaded = cards(page).count()
    assert loaded > 9
    expect(main_of(page).get_by_role("heading", name=title)).to_have_count(0)
    screenshot(page, "04-more-loaded")
    assert_no_horizontal_overflow(page)

    # The settings list what was hidden.
    main_of(page).get_by_role("link", name="Feed settings").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Feed settings")
    expect(main_of(page).get_by_text(title)).to_be_visible()
    expect(main_of(page).get_by_role("switch", name="Personalise my For You feed")).to_be_checked()
    screenshot(page, "05-settings")
    assert_no_horizontal_overflow(page)

    # The same page in Spanish.
    page.goto(academy_server.url("/for-you/"))
    page.get_by_label("Display language").select_option("es")
    # By keyboard: scrolling to the footer reveals "More", whose cards push the footer down
    # while a pointer click is on its way (the flake CI met at stop 14).
    page.get_by_role("button", name="Change").press("Enter")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    # (New strings are translated centrally; the site's own are Spanish already.)
    expect(page.get_by_role("button", name="Cerrar sesión")).to_be_visible()
    expect(cards(page).first).to_be_visible()
    cards(page).first.locator("summary").click()
    screenshot(page, "06-feed-es")
    assert_no_horizontal_overflow(page)
