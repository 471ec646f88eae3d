"""Page helpers shared by the browser journeys."""

from __future__ import annotations

from playwright.sync_api import Locator, Page


def main_of(page: Page) -> Locator:
    return page.get_by_role("main")


def assert_no_horizontal_overflow(page: Page) -> None:
    """Nothing may stick out sideways: on a phone that means a page that scrolls left-right."""
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the viewport"
